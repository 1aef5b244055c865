"""``plot_pareto_front``: the COMPLETE trials of a 2- or 3-objective study, its Pareto front highlighted."""

from __future__ import annotations

import warnings
from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING, Any, NamedTuple

import numpy as np

from hpo.multi_objective import is_pareto_front
from hpo.records import TrialState
from hpo.study import Study
from hpo.trial import FrozenTrial
from hpo.visualization._pareto import losses
from hpo.visualization._utils import INFEASIBLE_COLOR, constraints, hovertexts, logger

if TYPE_CHECKING:
    import plotly.graph_objects as go


class Group(NamedTuple):
    """Trials drawn alike, with the values plotted for each (``n_targets`` columns)."""

    trials: list[FrozenTrial]
    values: np.ndarray


class ParetoFrontInfo(NamedTuple):
    """What a Pareto-front figure shows, whatever draws it."""

    n_targets: int  # 2 or 3
    target_names: list[str]
    best: Group  # the Pareto front of the feasible trials
    others: Group  # the other feasible trials (none unless dominated trials are included)
    infeasible: Group
    has_constraints: bool
    include_dominated_trials: bool


def pareto_front_info(
    study: Study,
    target_names: list[str] | None,
    include_dominated_trials: bool,
    constraints_func: Callable[[FrozenTrial], Sequence[float]] | None,
    targets: Callable[[FrozenTrial], Sequence[float]] | None,
) -> ParetoFrontInfo:
    """Read the COMPLETE trials once, find the front of the feasible ones and check the targets."""
    if constraints_func is not None:
        warnings.warn(
            "`constraints_func` has been deprecated in v4.0.0. This feature will be removed in v6.0.0. "
            "See https://github.com/optuna/optuna/releases/tag/v4.0.0.",
            FutureWarning,
            stacklevel=3,
        )
    trials = study.get_trials(deepcopy=False, states=(TrialState.COMPLETE,))
    if constraints_func is not None:
        has_constraints = bool(trials)
        feasible = np.array([all(c <= 0.0 for c in constraints_func(t)) for t in trials], dtype=bool)
    else:
        stored = [constraints(t) for t in trials]
        has_constraints = any(len(c) > 0 for c in stored)
        feasible = np.array([all(v <= 0.0 for v in c) for c in stored], dtype=bool)
    at = np.flatnonzero(feasible)
    values = np.array([trials[i].values for i in at.tolist()], dtype=float).reshape(len(at), len(study.directions))
    on_front = np.zeros(len(trials), dtype=bool)
    on_front[at[is_pareto_front(losses(values, study.directions))]] = True
    best = [trials[i] for i in np.flatnonzero(on_front).tolist()]
    others = [trials[i] for i in np.flatnonzero(feasible & ~on_front).tolist()] if include_dominated_trials else []
    infeasible = [trials[i] for i in np.flatnonzero(~feasible).tolist()]
    if not best:
        what = "completed and feasible" if has_constraints else "completed"
        logger.warning(f"Your study does not have any {what} trials. ")

    if targets is None and len(study.directions) not in (2, 3):
        raise ValueError(
            "`plot_pareto_front` function only supports 2 or 3 objective studies when using `targets` is "
            "`None`. Please use `targets` if your objective studies have more than 3 objectives."
        )
    best_values = _target_values(best, targets)
    other_values = _target_values(others, targets)
    infeasible_values = _target_values(infeasible, targets)
    if best_values.size or infeasible_values.size:
        n_targets = (best_values if best_values.size else infeasible_values).shape[1]
    elif target_names is not None:
        n_targets = len(target_names)
    elif targets is None:
        n_targets = len(study.directions)
    else:
        raise ValueError("If `targets` is specified for empty studies, `target_names` must be specified.")
    if n_targets not in (2, 3):
        raise ValueError(
            f"`plot_pareto_front` function only supports 2 or 3 targets. you used {n_targets} targets now."
        )
    if target_names is None:
        target_names = [f"Objective {i}" for i in range(n_targets)]
    elif len(target_names) != n_targets:
        raise ValueError(f"The length of `target_names` is supposed to be {n_targets}.")
    return ParetoFrontInfo(
        n_targets,
        target_names,
        Group(best, best_values.reshape(len(best), n_targets)),
        Group(others, other_values.reshape(len(others), n_targets)),
        Group(infeasible, infeasible_values.reshape(len(infeasible), n_targets)),
        has_constraints,
        include_dominated_trials,
    )


def plot_pareto_front(
    study: Study,
    *,
    target_names: list[str] | None = None,
    include_dominated_trials: bool = True,
    constraints_func: Callable[[FrozenTrial], Sequence[float]] | None = None,
    targets: Callable[[FrozenTrial], Sequence[float]] | None = None,
) -> go.Figure:
    """Plot the COMPLETE trials by their objective values (or ``targets``), the best trials in red.

    The best trials are the Pareto front of the feasible trials by the study's objectives. With
    constraints (stored by the sampler, or from the deprecated ``constraints_func``), infeasible
    trials are drawn in gray.

    Args:
        study: A study with 2 or 3 objectives (or any number with ``targets``).
        target_names: Axis titles (``"Objective <i>"`` by default).
        include_dominated_trials: Also draw the feasible trials off the front (blue).
        constraints_func: Deprecated: a trial's constraint values (feasible when all are <= 0).
        targets: The 2 or 3 values to plot per trial.
    """
    import plotly.graph_objects as go

    info = pareto_front_info(study, target_names, include_dominated_trials, constraints_func, targets)
    n_targets, names = info.n_targets, info.target_names

    def scatter(group: Group, marker: dict[str, Any], label: str) -> dict[str, Any]:
        return {
            "type": "scatter" if n_targets == 2 else "scatter3d",
            **{axis: group.values[:, i] for i, axis in enumerate("xyz"[:n_targets])},
            "text": hovertexts(group.trials),
            "mode": "markers",
            "hovertemplate": "%{text}<extra>" + label + "</extra>",
            "marker": marker,
            "showlegend": False,
        }

    def numbers(group: Group) -> np.ndarray:
        return np.fromiter((t.number for t in group.trials), dtype=int, count=len(group.trials))

    dominated = scatter(
        info.others,
        {
            "line": {"width": 0.5, "color": "Grey"},
            "color": numbers(info.others),
            "colorscale": "Blues",
            "colorbar": {"title": "Trial"},
        },
        "Feasible Trial" if info.has_constraints else "Trial",
    )
    front = scatter(
        info.best,
        {
            "line": {"width": 0.5, "color": "Grey"},
            "color": numbers(info.best),
            "colorscale": "Reds",
            "colorbar": {"title": "Best Trial", "x": 1.1 if include_dominated_trials else 1, "xpad": 40},
        },
        "Best Trial",
    )
    data = [dominated, front]
    if info.has_constraints:
        data.insert(0, scatter(info.infeasible, {"color": INFEASIBLE_COLOR}, "Infeasible Trial"))
    if n_targets == 2:
        layout = go.Layout(title="Pareto-front Plot", xaxis_title=names[0], yaxis_title=names[1])
    else:
        layout = go.Layout(
            title="Pareto-front Plot",
            scene={"xaxis_title": names[0], "yaxis_title": names[1], "zaxis_title": names[2]},
        )
    return go.Figure(data=data, layout=layout)


def _target_values(trials: list[FrozenTrial], targets: Callable[[FrozenTrial], Sequence[float]] | None) -> np.ndarray:
    """The values to plot per trial, shape ``(len(trials), n)``."""
    if targets is None:
        return np.array([t.values for t in trials], dtype=float)
    rows = [targets(t) for t in trials]
    for row in rows:
        if not isinstance(row, Sequence):
            raise ValueError(f"`targets` should return a sequence of target values. your `targets` returns {type(row)}")
    return np.array(rows, dtype=float)
