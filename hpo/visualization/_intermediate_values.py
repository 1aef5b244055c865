"""``plot_intermediate_values``: the learning curve each trial reported."""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

from hpo.records import TrialState
from hpo.study import Study
from hpo.trial import FrozenTrial
from hpo.visualization._utils import INFEASIBLE_COLOR, feasible_mask, logger

if TYPE_CHECKING:
    import plotly.graph_objects as go

#: Markers drawn per curve at most (plotly's ``maxdisplayed``), as in Optuna.
MARKERS_PER_CURVE = 10


def plot_intermediate_values(study: Study) -> go.Figure:
    """Plot the intermediate values of every COMPLETE, PRUNED and RUNNING trial that reported some.

    Each trial's curve has the color Optuna gives it (plotly's color cycle, in trial order; gray
    when it violates its constraints) and hovers as ``Trial<number>``. Curves of one color share a
    trace, separated by gaps, so a study of 100,000 trials draws about ten traces, not 100,000.
    """
    import plotly.colors
    import plotly.graph_objects as go

    trials = study.get_trials(
        deepcopy=False, states=(TrialState.PRUNED, TrialState.COMPLETE, TrialState.RUNNING)
    )
    curves = [t for t in trials if t.intermediate_values]
    if not trials:
        logger.warning("Study instance does not contain trials.")
    elif not curves:
        logger.warning("You need to set up the pruning feature to utilize `plot_intermediate_values()`")
    layout = go.Layout(
        title="Intermediate Values Plot",
        xaxis={"title": "Step"},
        yaxis={"title": "Intermediate Value"},
        showlegend=False,
    )
    if not curves:
        return go.Figure(data=[], layout=layout)

    palette = plotly.colors.qualitative.Plotly
    feasible = feasible_mask(curves)
    # Curve i takes color i of the cycle (the trace index Optuna's one-trace-per-trial gives it).
    groups = np.where(feasible, np.arange(len(curves)) % len(palette), len(palette))
    traces = []
    for group in np.unique(groups).tolist():
        members = [curves[i] for i in np.flatnonzero(groups == group).tolist()]
        color = palette[group] if group < len(palette) else INFEASIBLE_COLOR
        steps, values, names = _gapped_curves(members)
        traces.append(
            go.Scatter(
                x=steps,
                y=values,
                text=names,
                mode="lines+markers",
                line={"color": color},
                marker={"maxdisplayed": MARKERS_PER_CURVE * len(members), "color": color},
                hovertemplate="%{text}<br>Step: %{x}<br>Value: %{y}<extra></extra>",
                name="Trials" if group < len(palette) else "Infeasible Trials",
            )
        )
    return go.Figure(data=traces, layout=layout)


def _gapped_curves(trials: list[FrozenTrial]) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """The trials' (step, value) points sorted by step, one NaN point between two trials."""
    steps: list[float] = []
    values: list[float] = []
    names: list[str | None] = []
    for trial in trials:
        points = sorted(trial.intermediate_values.items())
        steps.extend(step for step, _ in points)
        values.extend(value for _, value in points)
        names.extend([f"Trial{trial.number}"] * len(points))
        steps.append(np.nan)
        values.append(np.nan)
        names.append(None)
    return np.array(steps[:-1]), np.array(values[:-1]), np.array(names[:-1], dtype=object)
