"""``plot_param_importances``: a horizontal bar per parameter, from :func:`hpo.importance.get_param_importances`."""

from __future__ import annotations

from typing import TYPE_CHECKING, NamedTuple

from hpo.records import TrialState
from hpo.study import Study
from hpo.trial import FrozenTrial
from hpo.visualization._utils import (
    DEFAULT_TARGET_NAME,
    TargetType,
    check_plot_args,
    drop_nonfinite,
    first_distributions,
    logger,
    target_values,
)

if TYPE_CHECKING:
    import plotly.graph_objects as go

    from hpo.importance import BaseImportanceEvaluator


class ImportancesInfo(NamedTuple):
    """One series of bars: the importances for one target, least important first."""

    target_name: str
    names: list[str]
    values: list[float]
    labels: list[str]  # each value as the bar's text shows it
    kinds: list[str]  # each parameter's distribution class name


def importances_infos(
    study: Study,
    evaluator: BaseImportanceEvaluator | None,
    params: list[str] | None,
    target: TargetType | None,
    target_name: str,
) -> list[ImportancesInfo]:
    """One series per target (per objective for a multi-objective study without ``target``), named
    after the study's metric names when it has them; a series is empty when no trial has a finite target."""
    trials = study.get_trials(deepcopy=False, states=(TrialState.COMPLETE,))
    distributions = first_distributions(trials)
    metric_names = study.metric_names
    if target is not None or len(study.directions) == 1:
        name = metric_names[0] if metric_names is not None and target is None else target_name
        series = [(target, name)]
    else:
        names = metric_names or [f"{target_name} {i}" for i in range(len(study.directions))]
        series = [(_objective(i), name) for i, name in enumerate(names)]
    infos = []
    for series_target, series_name in series:
        importances = _importances(study, trials, evaluator, params, series_target, series_name)
        names = list(reversed(importances))
        values = [importances[name] for name in names]
        labels = [f"{v:.2f}" if v >= 0.01 else "<0.01" for v in values]
        kinds = [type(distributions[name]).__name__ for name in names]
        infos.append(ImportancesInfo(series_name, names, values, labels, kinds))
    return infos


def plot_param_importances(
    study: Study,
    evaluator: BaseImportanceEvaluator | None = None,
    params: list[str] | None = None,
    *,
    target: TargetType | None = None,
    target_name: str = DEFAULT_TARGET_NAME,
) -> go.Figure:
    """Plot parameter importances (most important at the top).

    Args:
        study: An optimized study.
        evaluator: An importance evaluator of :mod:`hpo.importance` (its default when None).
        params: The parameters to assess (all by default).
        target: The value whose importances are shown; without it a multi-objective study gets one
            bar series per objective, named ``"<target_name> <index>"`` (or by the study's metric names).
        target_name: The name of the series in the legend (the metric name when the study has one).
    """
    import plotly.graph_objects as go

    bars = []
    for info in importances_infos(study, evaluator, params, target, target_name):
        if not info.names:
            continue
        bars.append(
            go.Bar(
                x=info.values,
                y=info.names,
                name=info.target_name,
                text=info.labels,
                textposition="outside",
                cliponaxis=False,
                hovertemplate=[
                    f"{name} ({kind}): {value}<extra></extra>"
                    for name, kind, value in zip(info.names, info.kinds, info.values)
                ],
                orientation="h",
            )
        )
    layout = go.Layout(
        title="Hyperparameter Importances",
        xaxis={"title": "Hyperparameter Importance"},
        yaxis={"title": "Hyperparameter"},
    )
    return go.Figure(data=bars, layout=layout)


def _objective(index: int) -> TargetType:
    def value(trial: FrozenTrial) -> float:
        return trial.values[index]  # type: ignore[index]

    return value


def _importances(
    study: Study,
    trials: list[FrozenTrial],
    evaluator: BaseImportanceEvaluator | None,
    params: list[str] | None,
    target: TargetType | None,
    target_name: str,
) -> dict[str, float]:
    """The importances for one target; none (with a warning) when no trial has a finite target."""
    from hpo.importance import get_param_importances

    check_plot_args([study], target, target_name)
    usable, _ = drop_nonfinite(trials, target_values(trials, target))
    if not usable:
        logger.warning("Study instance does not contain completed trials.")
        return {}
    return get_param_importances(study, evaluator=evaluator, params=params, target=target)
