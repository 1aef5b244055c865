"""``plot_param_importances``: a horizontal bar per parameter, from :func:`hpo.importance.get_param_importances`."""

from __future__ import annotations

from typing import TYPE_CHECKING

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
            bar series per objective, named ``"<target_name> <index>"``.
        target_name: The name of the series in the legend.
    """
    import plotly.graph_objects as go

    trials = study.get_trials(deepcopy=False, states=(TrialState.COMPLETE,))
    if target is not None or len(study.directions) == 1:
        series = [(target, target_name)]
    else:
        series = [(_objective(i), f"{target_name} {i}") for i in range(len(study.directions))]
    distributions = first_distributions(trials)
    bars = []
    for series_target, series_name in series:
        importances = _importances(study, trials, evaluator, params, series_target, series_name)
        if not importances:
            continue
        names = list(reversed(importances))
        values = [importances[name] for name in names]
        bars.append(
            go.Bar(
                x=values,
                y=names,
                name=series_name,
                text=[f"{v:.2f}" if v >= 0.01 else "<0.01" for v in values],
                textposition="outside",
                cliponaxis=False,
                hovertemplate=[
                    f"{name} ({type(distributions[name]).__name__}): {value}<extra></extra>"
                    for name, value in zip(names, values)
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
