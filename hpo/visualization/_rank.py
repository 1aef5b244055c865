"""``plot_rank``: each pair of parameters as a scatter plot colored by the rank of the target."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import numpy as np

from hpo.records import TrialState
from hpo.study import Study
from hpo.trial import FrozenTrial
from hpo.visualization._utils import (
    DEFAULT_TARGET_NAME,
    INFEASIBLE_COLOR,
    ParamAxis,
    TargetType,
    check_plot_args,
    feasible_mask,
    first_distributions,
    logger,
    param_axis,
    style_axes,
    target_values,
)

if TYPE_CHECKING:
    import plotly.graph_objects as go

COLOR_SCALE = "RdYlBu_r"


def plot_rank(
    study: Study,
    params: list[str] | None = None,
    *,
    target: TargetType | None = None,
    target_name: str = DEFAULT_TARGET_NAME,
) -> go.Figure:
    """Plot the COMPLETE trials over each pair of parameters, colored by the rank of their target.

    The color runs from blue (lowest target) to red (highest) on the ``RdYlBu_r`` scale, tied
    targets sharing their average rank; infeasible trials are gray. Two parameters give one plot,
    otherwise a matrix (the diagonal included). A trial without a pair's parameter is left out.

    Args:
        study: The study whose trials are plotted.
        params: The parameters to show (all by default).
        target: The value to rank (required for a multi-objective study).
        target_name: Named in the title and the hover text.
    """
    import plotly.graph_objects as go
    from plotly.subplots import make_subplots

    check_plot_args([study], target, target_name)
    trials = study.get_trials(deepcopy=False, states=(TrialState.COMPLETE,))
    distributions = first_distributions(trials)
    if not trials:
        logger.warning("Your study does not have any completed trials.")
        names: list[str] = []
    elif params is None:
        names = sorted(distributions)
    else:
        for name in params:
            if name not in distributions:
                raise ValueError(f"Parameter {name} does not exist in your study.")
        names = list(params)
    if not names:
        logger.warning("params is an empty list.")
    layout = go.Layout(title=f"Rank ({target_name})")
    if not names:
        return go.Figure(data=[], layout=layout)

    values = target_values(trials, target)
    color = _average_ranks(values) / (len(trials) - 1) if len(trials) >= 2 else np.full(len(trials), 0.5)
    feasible = feasible_mask(trials)
    hover = np.array([_hovertext(t, v, target_name, target is not None) for t, v in zip(trials, values)], dtype=object)
    axes = {name: param_axis(trials, name, distributions[name]) for name in dict.fromkeys(names)}

    def pair(x: ParamAxis, y: ParamAxis) -> list[Any]:
        both = x.present & y.present
        traces = []
        if not feasible.all():
            pick = both & ~feasible
            traces.append(_scatter(x, y, pick, {"color": INFEASIBLE_COLOR}, hover))
        pick = both & feasible
        marker = {"color": color[pick], "colorscale": COLOR_SCALE, "cmin": 0, "cmax": 1}
        traces.append(_scatter(x, y, pick, marker, hover))
        return traces

    if len(names) == 2:
        x, y = axes[names[0]], axes[names[1]]
        figure = go.Figure(data=pair(x, y), layout=layout)
        figure.update_xaxes(title_text=x.name)
        figure.update_yaxes(title_text=y.name)
        style_axes(figure.layout, x, y)
    else:
        n = len(names)
        figure = make_subplots(
            rows=n, cols=n, shared_xaxes=True, shared_yaxes=True, horizontal_spacing=0.08 / n, vertical_spacing=0.08 / n
        )
        figure.update_layout(layout)
        traces, rows, cols = [], [], []
        for col, x_name in enumerate(names, start=1):
            for row, y_name in enumerate(names, start=1):
                cell = pair(axes[x_name], axes[y_name])
                traces.extend(cell)
                rows.extend([row] * len(cell))
                cols.extend([col] * len(cell))
                subplot = figure.get_subplot(row, col)
                style_axes(subplot, axes[x_name], axes[y_name])
                if col == 1:
                    subplot.yaxis.update(title_text=y_name)
                if row == n:
                    subplot.xaxis.update(title_text=x_name)
        figure.add_traces(traces, rows=rows, cols=cols)

    quantiles = np.quantile(values, [0, 0.25, 0.5, 0.75, 1])
    ticktext = [f"{word} ({q:3g})" for word, q in zip(["min.", "25%", "50%", "75%", "max."], quantiles)]
    figure.add_trace(
        go.Scatter(
            x=[None],
            y=[None],
            mode="markers",
            marker={
                "colorscale": COLOR_SCALE,
                "showscale": True,
                "cmin": 0,
                "cmax": 1,
                "colorbar": {"thickness": 10, "tickvals": [0, 0.25, 0.5, 0.75, 1], "ticktext": ticktext},
            },
            hoverinfo="none",
            showlegend=False,
        )
    )
    return figure


def _scatter(x: ParamAxis, y: ParamAxis, pick: np.ndarray, marker: dict[str, Any], hover: np.ndarray) -> dict[str, Any]:
    return {
        "type": "scatter",
        "x": x.values[pick],
        "y": y.values[pick],
        "marker": {**marker, "line": {"width": 0.5, "color": "Grey"}},
        "mode": "markers",
        "showlegend": False,
        "hovertemplate": "%{hovertext}<extra></extra>",
        "hovertext": hover[pick],
    }


def _average_ranks(values: np.ndarray) -> np.ndarray:
    """0-based ranks, tied values sharing the mean of their ranks (NaN for NaN)."""
    order = np.argsort(values, kind="stable")
    ordered = values[order]
    starts = np.flatnonzero(np.concatenate(([True], ordered[1:] != ordered[:-1])))
    counts = np.diff(np.append(starts, len(values)))
    ranks = np.empty(len(values))
    ranks[order] = np.repeat(starts + (counts - 1) / 2, counts)
    ranks[np.isnan(values)] = np.nan
    return ranks


def _hovertext(trial: FrozenTrial, value: float, target_name: str, with_objectives: bool) -> str:
    lines = [f"Trial #{trial.number}"]
    lines += [f"{k}: {v}" for k, v in trial.params.items()]
    lines.append(f"<b>{target_name}: {value}</b>")
    if with_objectives:
        lines += [f"Objective #{i}: {v}" for i, v in enumerate(trial.values or ())]
    return "<br>".join(lines)
