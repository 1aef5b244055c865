"""``plot_slice``: the target against each parameter, one panel per parameter."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

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

    check_plot_args([study], target, target_name)
    trials = study.get_trials(deepcopy=False, states=(TrialState.COMPLETE,))
    trials, values = drop_nonfinite(trials, target_values(trials, target))
    layout = go.Layout(title="Slice Plot")
    if not trials:
        logger.warning("Your study does not have any completed trials.")
        return go.Figure(data=[], layout=layout)
    distributions = first_distributions(trials)
    names = select_params(distributions, params)
    numbers = np.fromiter((t.number for t in trials), dtype=int, count=len(trials))
    feasible = feasible_mask(trials)
    panels = [_panel_traces(trials, name, distributions[name], values, numbers, feasible) for name in names]

    if not panels:
        return go.Figure(data=[], layout=layout)
    if len(panels) == 1:
        figure = go.Figure(data=panels[0], layout=layout)
        figure.update_yaxes(title_text=target_name)
        _style_x(figure.layout.xaxis, names[0], distributions[names[0]])
        return figure
    figure = make_subplots(rows=1, cols=len(panels), shared_yaxes=True)
    figure.update_layout(layout)
    traces, cols = [], []
    for col, (name, panel) in enumerate(zip(names, panels), start=1):
        panel[0]["marker"]["showscale"] = col == 1  # one color bar
        traces.extend(panel)
        cols.extend([col] * len(panel))
        axes = figure.get_subplot(1, col)
        _style_x(axes.xaxis, name, distributions[name])
        if col == 1:
            axes.yaxis.update(title_text=target_name)
    figure.add_traces(traces, rows=[1] * len(traces), cols=cols)
    if len(panels) > 3:
        figure.update_layout(width=300 * len(panels))  # a minimum width per panel
    return figure


def _style_x(xaxis: Any, name: str, distribution: BaseDistribution) -> None:
    xaxis.update(title_text=name)
    if isinstance(distribution, CategoricalDistribution):
        xaxis.update(
            type="category", categoryorder="array", categoryarray=[repr(c) for c in distribution.choices]
        )
    elif is_log(distribution):
        xaxis.update(type="log")


def _panel_traces(
    trials: list[FrozenTrial],
    name: str,
    distribution: BaseDistribution,
    values: np.ndarray,
    numbers: np.ndarray,
    feasible: np.ndarray,
) -> list[dict[str, Any]]:
    """The feasible trials (colored by number) and, if any, the infeasible ones (gray) of one panel."""
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
    ok = feasible[at]
    traces = [
        {
            "type": "scatter",
            "x": x[ok],
            "y": values[at][ok],
            "mode": "markers",
            "name": "Feasible Trial",
            "marker": {
                "line": {"width": 0.5, "color": "Grey"},
                "color": numbers[at][ok],
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
                "x": x[~ok],
                "y": values[at][~ok],
                "mode": "markers",
                "name": "Infeasible Trial",
                "marker": {"color": INFEASIBLE_COLOR},
                "showlegend": False,
            }
        )
    return traces
