"""``plot_intermediate_values``: the learning curve each trial reported."""

from __future__ import annotations

import itertools
from typing import TYPE_CHECKING, NamedTuple

import numpy as np

from hpo.records import TrialState
from hpo.study import Study
from hpo.trial import FrozenTrial
from hpo.visualization._utils import INFEASIBLE_COLOR, feasible_mask, logger

if TYPE_CHECKING:
    import plotly.graph_objects as go

#: Markers drawn per curve at most (plotly's ``maxdisplayed``), as in Optuna.
MARKERS_PER_CURVE = 10


class IntermediateInfo(NamedTuple):
    """The trials that reported intermediate values, and their points sorted by trial then step."""

    curves: list[FrozenTrial]
    feasible: np.ndarray  # per curve
    steps: np.ndarray
    values: np.ndarray
    owners: np.ndarray  # per point, the index of its curve


def joined_curves(info: IntermediateInfo, members: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """The points of the curves ``members`` (indices into ``info.curves``) as one polyline: the
    indices of their points, and where to insert a gap (NaN) so that each curve stays apart."""
    picked = np.flatnonzero(np.isin(info.owners, members))
    return picked, np.flatnonzero(np.diff(info.owners[picked])) + 1


def intermediate_info(study: Study) -> IntermediateInfo:
    """Read the COMPLETE, PRUNED and RUNNING trials once and collect their intermediate values."""
    trials = study.get_trials(
        deepcopy=False, states=(TrialState.PRUNED, TrialState.COMPLETE, TrialState.RUNNING)
    )
    curves = [t for t in trials if t.intermediate_values]
    if not trials:
        logger.warning("Study instance does not contain trials.")
    elif not curves:
        logger.warning("You need to set up the pruning feature to utilize `plot_intermediate_values()`")
    return IntermediateInfo(curves, feasible_mask(curves), *_points(curves))


def plot_intermediate_values(study: Study) -> go.Figure:
    """Plot the intermediate values of every COMPLETE, PRUNED and RUNNING trial that reported some.

    Each trial's curve has the color Optuna gives it (plotly's color cycle, in trial order; gray
    when it violates its constraints) and hovers as ``Trial<number>``. Curves of one color share a
    trace, separated by gaps, so a study of 100,000 trials draws about ten traces, not 100,000.
    """
    import plotly.colors
    import plotly.graph_objects as go

    info = intermediate_info(study)
    curves = info.curves
    layout = go.Layout(
        title="Intermediate Values Plot",
        xaxis={"title": "Step"},
        yaxis={"title": "Intermediate Value"},
        showlegend=False,
    )
    if not curves:
        return go.Figure(data=[], layout=layout)

    palette = plotly.colors.qualitative.Plotly
    # Curve i takes color i of the cycle (the trace index Optuna's one-trace-per-trial gives it).
    groups = np.where(info.feasible, np.arange(len(curves)) % len(palette), len(palette))
    steps, values, owners = info.steps, info.values, info.owners
    names = np.array([f"Trial{t.number}" for t in curves], dtype=object)
    traces = []
    for group in np.unique(groups).tolist():
        members = np.flatnonzero(groups == group)
        # The members' points, a gap (NaN, no name) after each curve but the last.
        picked, ends = joined_curves(info, members)
        color = palette[group] if group < len(palette) else INFEASIBLE_COLOR
        traces.append(
            {
                "type": "scatter",
                "x": np.insert(steps[picked], ends, np.nan),
                "y": np.insert(values[picked], ends, np.nan),
                "text": np.insert(names[owners[picked]], ends, np.full(len(ends), None, dtype=object)),
                "mode": "lines+markers",
                "line": {"color": color},
                "marker": {"maxdisplayed": MARKERS_PER_CURVE * len(members), "color": color},
                "hovertemplate": "%{text}<br>Step: %{x}<br>Value: %{y}<extra></extra>",
                "name": "Trials" if group < len(palette) else "Infeasible Trials",
            }
        )
    return go.Figure(data=traces, layout=layout)


def _points(trials: list[FrozenTrial]) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Every (step, value) of the trials, sorted by trial then step, and the index of each point's trial."""
    counts = np.fromiter((len(t.intermediate_values) for t in trials), dtype=int, count=len(trials))
    total = int(counts.sum())
    steps = np.fromiter(itertools.chain.from_iterable(t.intermediate_values for t in trials), dtype=float, count=total)
    values = np.fromiter(
        itertools.chain.from_iterable(t.intermediate_values.values() for t in trials), dtype=float, count=total
    )
    owners = np.repeat(np.arange(len(trials)), counts)
    order = np.lexsort((steps, owners))
    return steps[order], values[order], owners[order]
