"""``plot_rank``: each pair of parameters as a scatter plot colored by the rank of the target.

:func:`rank_info` computes what both backends draw; :func:`plot_rank` draws it with plotly.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, NamedTuple

import numpy as np

from hpo.records import TrialState
from hpo.study import Study
from hpo.trial import FrozenTrial
from hpo.visualization._pairs import ParamAxis, fill_matrix, pair_names, param_axis, style_pair
from hpo.visualization._utils import (
    DEFAULT_TARGET_NAME,
    INFEASIBLE_COLOR,
    TargetType,
    check_plot_args,
    feasible_mask,
    first_distributions,
    logger,
    target_values,
)

if TYPE_CHECKING:
    import plotly.graph_objects as go

COLOR_SCALE = "RdYlBu_r"


class RankInfo(NamedTuple):
    """What a rank figure shows, whatever draws it."""

    names: list[str]  # in the order given; one pair plot for two, else a matrix
    axes: dict[str, ParamAxis]
    trials: list[FrozenTrial]
    values: np.ndarray  # each trial's target
    color: np.ndarray  # each trial's average rank, scaled to [0, 1]
    feasible: np.ndarray
    ticktext: list[str]  # the color bar's labels at 0, 0.25, 0.5, 0.75 and 1
    target_name: str


def rank_info(study: Study, params: list[str] | None, target: TargetType | None, target_name: str) -> RankInfo:
    """Read the COMPLETE trials once and rank their targets."""
    check_plot_args([study], target, target_name)
    trials = study.get_trials(deepcopy=False, states=(TrialState.COMPLETE,))
    distributions = first_distributions(trials)
    names = pair_names(trials, distributions, params, sort=False)
    if not names:
        logger.warning("params is an empty list.")
    values = target_values(trials, target)
    color = _average_ranks(values) / (len(trials) - 1) if len(trials) >= 2 else np.full(len(trials), 0.5)
    axes = {name: param_axis(trials, name, distributions[name]) for name in dict.fromkeys(names)}
    ticktext = []
    if names:
        quantiles = np.quantile(values, [0, 0.25, 0.5, 0.75, 1])
        ticktext = [f"{word} ({q:3g})" for word, q in zip(["min.", "25%", "50%", "75%", "max."], quantiles)]
    return RankInfo(names, axes, trials, values, color, feasible_mask(trials), ticktext, target_name)


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

    info = rank_info(study, params, target, target_name)
    names, axes, feasible = info.names, info.axes, info.feasible
    layout = go.Layout(title=f"Rank ({target_name})")
    if not names:
        return go.Figure(data=[], layout=layout)
    hover = np.array(
        [_hovertext(t, v, target_name, target is not None) for t, v in zip(info.trials, info.values)], dtype=object
    )

    def pair(x_name: str, y_name: str) -> list[Any]:
        x, y = axes[x_name], axes[y_name]
        both = x.present & y.present
        traces = []
        if not feasible.all():
            pick = both & ~feasible
            traces.append(_scatter(x, y, pick, {"color": INFEASIBLE_COLOR}, hover))
        pick = both & feasible
        marker = {"color": info.color[pick], "colorscale": COLOR_SCALE, "cmin": 0, "cmax": 1}
        traces.append(_scatter(x, y, pick, marker, hover))
        return traces

    if len(names) == 2:
        figure = go.Figure(data=pair(names[0], names[1]), layout=layout)
        style_pair(figure, axes[names[0]], axes[names[1]])
    else:
        n = len(names)
        figure = make_subplots(
            rows=n, cols=n, shared_xaxes=True, shared_yaxes=True, horizontal_spacing=0.08 / n, vertical_spacing=0.08 / n
        )
        figure.update_layout(layout)
        fill_matrix(figure, names, axes, pair)

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
                "colorbar": {"thickness": 10, "tickvals": [0, 0.25, 0.5, 0.75, 1], "ticktext": info.ticktext},
            },
            hoverinfo="none",
            showlegend=False,
        )
    )
    return figure


def rank_rgb(color: np.ndarray) -> np.ndarray:
    """Each scaled rank's color on the ``RdYlBu_r`` scale as Optuna samples it (plotly's
    ``sample_colorscale``: linear between the scale's colors, rounded to whole 0-255 values), shape (n, 3)."""
    import plotly.colors

    scale = plotly.colors.get_colorscale(COLOR_SCALE)
    positions = np.array([position for position, _ in scale], dtype=float)
    anchors = np.array([plotly.colors.unlabel_rgb(c) for _, c in scale], dtype=float) / 255.0
    high = np.clip(np.searchsorted(positions, color, side="left"), 0, len(positions) - 1)
    low = high - 1  # at 0, the last anchor: the interpolant is then 1, as in plotly
    fraction = (color - positions[low]) / (positions[high] - positions[low])
    return np.rint((anchors[low] + fraction[:, None] * (anchors[high] - anchors[low])) * 255.0)


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
