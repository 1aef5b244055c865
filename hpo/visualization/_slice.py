"""``plot_slice``: the target against each parameter, one panel per parameter.

:func:`slice_info` computes what both backends draw; :func:`plot_slice` draws it with plotly.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, NamedTuple

import numpy as np

from hpo.distributions import BaseDistribution, CategoricalDistribution
from hpo.records import TrialState
from hpo.study import Study
from hpo.trial import FrozenTrial
from hpo.visualization._utils import (
    DEFAULT_TARGET_NAME,
    INFEASIBLE_COLOR,
    TargetType,
    blues,
    check_plot_args,
    drop_nonfinite,
    feasible_mask,
    first_distributions,
    is_log,
    logger,
    select_params,
    target_values,
)

if TYPE_CHECKING:
    import plotly.graph_objects as go


class Panel(NamedTuple):
    """One parameter's panel: the trials that have it (for a categorical one, grouped by choice)."""

    name: str
    distribution: BaseDistribution
    x: np.ndarray  # the values; for a categorical parameter the ``repr`` of the choice
    y: np.ndarray  # the targets
    numbers: np.ndarray  # the trial numbers
    feasible: np.ndarray


class SliceInfo(NamedTuple):
    """What a slice figure shows, whatever draws it."""

    panels: list[Panel]
    target_name: str


def slice_info(study: Study, params: list[str] | None, target: TargetType | None, target_name: str) -> SliceInfo:
    """Read the COMPLETE trials once and split them into one panel per parameter."""
    check_plot_args([study], target, target_name)
    trials = study.get_trials(deepcopy=False, states=(TrialState.COMPLETE,))
    trials, values = drop_nonfinite(trials, target_values(trials, target))
    if not trials:
        logger.warning("Your study does not have any completed trials.")
        return SliceInfo([], target_name)
    distributions = first_distributions(trials)
    names = select_params(distributions, params)
    numbers = np.fromiter((t.number for t in trials), dtype=int, count=len(trials))
    feasible = feasible_mask(trials)
    panels = [_panel(trials, name, distributions[name], values, numbers, feasible) for name in names]
    return SliceInfo(panels, target_name)


def plot_slice(
    study: Study,
    params: list[str] | None = None,
    *,
    target: TargetType | None = None,
    target_name: str = DEFAULT_TARGET_NAME,
) -> go.Figure:
    """Plot the target of the COMPLETE trials against each parameter, colored by trial number.

    Log parameters get log x axes; categorical ones a categorical axis listing the choices in
    order (values shown as their ``repr``). Infeasible trials are gray; a trial without a
    parameter is left out of that panel.

    Args:
        study: The study whose trials are plotted.
        params: The parameters to show (all by default).
        target: The value to plot (required for a multi-objective study).
        target_name: The y axis title.
    """
    import plotly.graph_objects as go
    from plotly.subplots import make_subplots

    panels = slice_info(study, params, target, target_name).panels
    layout = go.Layout(title="Slice Plot")
    if not panels:
        return go.Figure(data=[], layout=layout)
    if len(panels) == 1:
        figure = go.Figure(data=_panel_traces(panels[0]), layout=layout)
        figure.update_yaxes(title_text=target_name)
        _style_x(figure.layout.xaxis, panels[0])
        return figure
    figure = make_subplots(rows=1, cols=len(panels), shared_yaxes=True)
    figure.update_layout(layout)
    traces, cols = [], []
    for col, panel in enumerate(panels, start=1):
        panel_traces = _panel_traces(panel)
        panel_traces[0]["marker"]["showscale"] = col == 1  # one color bar
        traces.extend(panel_traces)
        cols.extend([col] * len(panel_traces))
        axes = figure.get_subplot(1, col)
        _style_x(axes.xaxis, panel)
        if col == 1:
            axes.yaxis.update(title_text=target_name)
    figure.add_traces(traces, rows=[1] * len(traces), cols=cols)
    if len(panels) > 3:
        figure.update_layout(width=300 * len(panels))  # a minimum width per panel
    return figure


def _style_x(xaxis: Any, panel: Panel) -> None:
    xaxis.update(title_text=panel.name)
    distribution = panel.distribution
    if isinstance(distribution, CategoricalDistribution):
        xaxis.update(
            type="category", categoryorder="array", categoryarray=[repr(c) for c in distribution.choices]
        )
    elif is_log(distribution):
        xaxis.update(type="log")


def _panel(
    trials: list[FrozenTrial],
    name: str,
    distribution: BaseDistribution,
    values: np.ndarray,
    numbers: np.ndarray,
    feasible: np.ndarray,
) -> Panel:
    present = np.fromiter((name in t.params for t in trials), dtype=bool, count=len(trials))
    shown = [t.params[name] for t in trials if name in t.params]
    at = np.flatnonzero(present)
    if isinstance(distribution, CategoricalDistribution):
        # Grouped by choice, in the order of the choices; values that are no choice are left out.
        index: dict[Any, int] = {}
        for i, choice in enumerate(distribution.choices):
            index.setdefault(choice, i)
        codes = np.array([index.get(v, -1) for v in shown], dtype=int)
        order = np.argsort(codes, kind="stable")
        order = order[codes[order] >= 0]
        labels = np.array([repr(c) for c in distribution.choices], dtype=object)
        at, x = at[order], labels[codes[order]]
    else:
        x = np.array(shown, dtype=float)
    return Panel(name, distribution, x, values[at], numbers[at], feasible[at])


def _panel_traces(panel: Panel) -> list[dict[str, Any]]:
    """The feasible trials (colored by number) and, if any, the infeasible ones (gray) of one panel."""
    ok = panel.feasible
    traces = [
        {
            "type": "scatter",
            "x": panel.x[ok],
            "y": panel.y[ok],
            "mode": "markers",
            "name": "Feasible Trial",
            "marker": {
                "line": {"width": 0.5, "color": "Grey"},
                "color": panel.numbers[ok],
                "colorscale": blues(),
                "colorbar": {"title": "Trial", "x": 1.0, "xpad": 40},
            },
            "showlegend": False,
        }
    ]
    if not ok.all():
        traces.append(
            {
                "type": "scatter",
                "x": panel.x[~ok],
                "y": panel.y[~ok],
                "mode": "markers",
                "name": "Infeasible Trial",
                "marker": {"color": INFEASIBLE_COLOR},
                "showlegend": False,
            }
        )
    return traces
