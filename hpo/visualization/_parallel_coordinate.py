"""``plot_parallel_coordinate``: one polyline per COMPLETE trial across its objective(s) and parameters."""

from __future__ import annotations

import math
from typing import TYPE_CHECKING, Any, NamedTuple

import numpy as np

from hpo.distributions import BaseDistribution, CategoricalDistribution
from hpo.multi_objective import nondomination_ranks
from hpo.records import TrialState
from hpo.study import Study
from hpo.trial import FrozenTrial
from hpo.visualization._pareto import losses
from hpo.visualization._utils import (
    DEFAULT_TARGET_NAME,
    TargetType,
    blues,
    check_plot_args,
    constraints,
    drop_nonfinite,
    first_distributions,
    format_3g,
    is_log,
    is_numerical,
    logger,
    reverse_scale,
    select_params,
    target_values,
)

if TYPE_CHECKING:
    import plotly.graph_objects as go

_MISSING_LABEL = "None"
#: Line colors are taken at this many evenly spaced points of the color scale (plus one), and the
#: lines of one color and dash share a trace: 130 traces at most, whatever the study's size.
COLOR_LEVELS = 64


class Dimension(NamedTuple):
    """One vertical axis: an objective or a parameter."""

    label: str
    values: np.ndarray  # per trial, on the axis' scale (log10 for log params, a code for categories)
    range: tuple[float, float]
    is_log: bool
    tickvals: list[float]
    ticktext: list[str]
    texts: np.ndarray  # per trial, the value as the hover shows it
    is_cat: bool = False
    has_missing: bool = False  # some trial lacks the parameter (it meets the axis at the ``None`` tick)
    numeric_cat: bool = False  # categorical with numbers for choices (Optuna orders the trials by these)


class ParallelInfo(NamedTuple):
    """What a parallel coordinate figure shows, whatever draws it."""

    dims: list[Dimension]  # the objective(s), then the parameters (none without trials)
    n_objectives: int
    colors: np.ndarray  # per trial: its target, or its Pareto rank (``multi``)
    color_range: tuple[float, float]
    reverse: bool
    colorbar_title: str
    multi: bool  # colored by Pareto rank, one axis per objective
    feasible: np.ndarray | None  # per trial, when some trial has constraints (a trial without any is not)
    draw_order: np.ndarray  # the trials in the order Optuna's matplotlib figure draws them


def parallel_info(
    study: Study, params: list[str] | None, target: TargetType | None, target_name: str
) -> ParallelInfo:
    """Read the COMPLETE trials once and build every axis."""
    multi = target is None and len(study.directions) > 1
    trials = study.get_trials(deepcopy=False, states=(TrialState.COMPLETE,))
    objective_dims: list[Dimension]
    if multi:
        values = np.array([t.values for t in trials], dtype=float).reshape(len(trials), len(study.directions))
        keep = np.all(np.isfinite(values), axis=1)
        trials = [t for t, k in zip(trials, keep.tolist()) if k]
        values = values[keep]
        labels = study.metric_names or [f"Objective {i}" for i in range(values.shape[1])]
        objective_dims = [_numerical(label, values[:, i]) for i, label in enumerate(labels)]
        colors = nondomination_ranks(losses(values, study.directions)).astype(float)
        colorbar_title, reverse = "Pareto Rank", True
    else:
        check_plot_args([study], target, target_name)
        trials, objective = drop_nonfinite(trials, target_values(trials, target))
        objective_dims = [_numerical(target_name, objective)]
        colors = objective
        colorbar_title, reverse = target_name, reverse_scale(study, target)
    distributions = first_distributions(trials)
    names = select_params(distributions, params)
    if not trials:
        logger.warning("Your study does not have any completed trials.")
        return ParallelInfo(
            objective_dims, len(objective_dims), colors, (0.0, 0.0), reverse, colorbar_title, multi, None, np.arange(0)
        )
    param_dims = [_param_dimension(trials, name, distributions[name]) for name in names]
    if multi:
        color_range = (-0.5, float(colors.max()) + 0.5)
    else:
        color_range = (float(colors.min()), float(colors.max()))
        if color_range[0] == color_range[1]:
            color_range = (color_range[0] - 0.5, color_range[1] + 0.5)
    has_constraints = [len(constraints(t)) > 0 for t in trials]
    feasible = None
    if any(has_constraints):
        feasible = np.array([h and all(c <= 0.0 for c in constraints(t)) for t, h in zip(trials, has_constraints)])
    return ParallelInfo(
        objective_dims + param_dims,
        len(objective_dims),
        colors,
        color_range,
        reverse,
        colorbar_title,
        multi,
        feasible,
        _draw_order(param_dims, colors, multi),
    )


def _draw_order(param_dims: list[Dimension], colors: np.ndarray, multi: bool) -> np.ndarray:
    """Optuna's: trials sorted by the numeric categorical parameters (if any), then, for a
    multi-objective study, by Pareto rank, the front drawn last."""
    keys = [d.values for d in param_dims if d.numeric_cat]
    if not keys:
        return np.argsort(colors)[::-1] if multi else np.arange(len(colors))
    order = np.lexsort(keys[::-1])
    if multi:
        ranks = colors[order].tolist()
        order = order[sorted(range(len(ranks)), key=ranks.__getitem__, reverse=True)]
    return order


def plot_parallel_coordinate(
    study: Study,
    params: list[str] | None = None,
    *,
    target: TargetType | None = None,
    target_name: str = DEFAULT_TARGET_NAME,
) -> go.Figure:
    """Plot each COMPLETE trial as a line through its objective value(s) and parameters.

    A trial without a parameter meets that axis at a ``None`` tick; log parameters have log axes;
    categorical ones one tick per choice. Lines are colored by the target (a dark color is good),
    or, for a multi-objective study without ``target``, by Pareto rank, one axis per objective.
    When some trial has constraints, infeasible trials (and trials without constraints) are dotted.

    Args:
        study: The study whose trials are plotted.
        params: The parameters to show (all by default).
        target: The value to plot per trial; see above for multi-objective studies.
        target_name: The target's axis label and color bar title.
    """
    import plotly.graph_objects as go

    info = parallel_info(study, params, target, target_name)
    layout = go.Layout(
        title={"text": "Parallel Coordinate Plot", "y": 1, "yanchor": "bottom", "yref": "paper"}
    )
    dims, colors, feasible, multi = info.dims, info.colors, info.feasible, info.multi
    if len(dims) == info.n_objectives:  # no trials, or no parameters
        return go.Figure(data=[], layout=layout)
    (color_min, color_max), colorbar_title, reverse = info.color_range, info.colorbar_title, info.reverse
    traces = _line_traces(dims, colors, color_min, color_max, reverse, feasible)
    if feasible is not None:
        traces.extend(
            go.Scatter(
                x=[None],
                y=[None],
                mode="lines",
                line={"color": "#2F3B52", "dash": dash, "width": 2},
                name=name,
                showlegend=True,
                hoverinfo="skip",
            )
            for name, dash in (("Feasible", "solid"), ("Infeasible", "dot"))
        )
    colorbar: dict[str, Any] = {"title": colorbar_title}
    if multi:
        colorbar["tickvals"] = list(range(int(colors.max()) + 1))
    traces.append(
        go.Scatter(
            x=[None, None],
            y=[None, None],
            mode="markers",
            marker={
                "color": [color_min, color_max],
                "cmin": color_min,
                "cmax": color_max,
                "colorscale": blues(),
                "reversescale": reverse,
                "showscale": True,
                "colorbar": colorbar,
            },
            showlegend=False,
            hoverinfo="skip",
        )
    )
    axes = list(range(len(dims)))
    layout.update(
        xaxis={
            "tickmode": "array",
            "tickvals": axes,
            "ticktext": [d.label for d in dims],
            "range": (-0.2, len(dims) - 0.8),
            "showgrid": False,
            "zeroline": False,
        },
        yaxis={"range": (-0.08, 1.08), "visible": False, "fixedrange": True},
        annotations=_axis_annotations(dims),
        shapes=[
            {
                "type": "line",
                "x0": axis,
                "x1": axis,
                "y0": 0,
                "y1": 1,
                "line": {"color": "#888", "width": 1},
                "layer": "below",
            }
            for axis in axes
        ],
        hovermode="closest",
        plot_bgcolor="white",
        legend={"orientation": "h", "x": 1, "xanchor": "right", "y": 1, "yanchor": "bottom"},
    )
    return go.Figure(data=traces, layout=layout)


def _line_traces(
    dims: list[Dimension],
    colors: np.ndarray,
    color_min: float,
    color_max: float,
    reverse: bool,
    feasible: np.ndarray | None,
) -> list[Any]:
    """One trace (as a dict) per (color, dash): its trials' polylines separated by gaps, darkest on top."""
    import plotly.colors

    position = (colors - color_min) / (color_max - color_min)
    if reverse:
        position = 1.0 - position
    levels = np.rint(position * COLOR_LEVELS).astype(int)
    dotted = np.zeros(len(colors), dtype=bool) if feasible is None else ~feasible
    normalized = np.column_stack([_normalize(d.values, d.range) for d in dims])
    # Each point's hover text, "<axis label>: <value>"; the gap after each trial has none.
    texts = np.column_stack([d.label + ": " + d.texts for d in dims] + [np.full(len(colors), None)])
    scale = blues()
    n_dims = len(dims)
    traces = []
    for level in np.unique(levels).tolist():
        for dot in (True, False):
            members = np.flatnonzero((levels == level) & (dotted == dot))
            if not members.size:
                continue
            value = level / COLOR_LEVELS * (len(scale) - 1)
            lower = min(int(value), len(scale) - 2)
            color = plotly.colors.find_intermediate_color(
                scale[lower], scale[lower + 1], value - lower, colortype="rgb"
            )
            # Each trial: its n_dims points, then a gap.
            x = np.tile(np.append(np.arange(n_dims, dtype=float), np.nan), members.size)[:-1]
            y = np.column_stack([normalized[members], np.full(members.size, np.nan)]).ravel()[:-1]
            traces.append(
                {
                    "type": "scatter",
                    "x": x,
                    "y": y,
                    "text": texts[members].ravel()[:-1],
                    "mode": "lines",
                    "line": {"color": color, "dash": "dot" if dot else "solid", "width": 1.2},
                    "opacity": 0.5,
                    "showlegend": False,
                    "hovertemplate": "%{text}<extra></extra>",
                }
            )
    return traces


def _numerical(label: str, values: np.ndarray) -> Dimension:
    value_range = (float(values.min()), float(values.max())) if len(values) else (0.0, 0.0)
    return Dimension(label, values, value_range, False, [], [], format_3g(values))


def _param_dimension(trials: list[FrozenTrial], name: str, distribution: BaseDistribution) -> Dimension:
    label = name if len(name) < 20 else f"{name[:17]}..."
    present = np.array([name in t.params for t in trials])
    has_missing = not present.all()
    shown = [t.params[name] for t in trials if name in t.params]
    categorical = any(isinstance(t.distributions.get(name), CategoricalDistribution) for t in trials)
    if is_log(distribution):
        logs = np.log10(np.array(shown, dtype=float))
        low, high = float(logs.min()), float(logs.max())
        tickvals: list[float] = list(range(math.ceil(low), math.floor(high) + 1))
        if low not in tickvals:
            tickvals.insert(0, low)
        if high not in tickvals:
            tickvals.append(high)
        ticktext = [f"{math.pow(10, x):.3g}" for x in tickvals]
        values, texts = _with_missing(present, logs, format_3g(np.power(10.0, logs)), low, high)
        if has_missing:
            tickvals.insert(0, float(values[~present][0]))
            ticktext.insert(0, _MISSING_LABEL)
        bottom = float(values.min())
        return Dimension(label, values, (bottom, high), True, tickvals, ticktext, texts, has_missing=has_missing)
    if categorical:
        if is_numerical(distribution):
            vocab = {v: i for i, v in enumerate(dict.fromkeys(sorted(shown)))}
        else:
            vocab = {v: i for i, v in enumerate(dict.fromkeys(shown))}
        offset = 1 if has_missing else 0
        words = [str(v) for v in vocab]
        if has_missing:
            words = [_MISSING_LABEL] + [f"{w} (value)" if w == _MISSING_LABEL else w for w in words]
        codes = np.zeros(len(trials))
        codes[present] = [vocab[v] + offset for v in shown]
        texts = np.array(words, dtype=object)[codes.astype(int)]
        tickvals = list(range(len(vocab) + offset))
        value_range = (float(codes.min()), float(codes.max()))
        numeric = is_numerical(distribution)
        return Dimension(label, codes, value_range, False, tickvals, words, texts, True, has_missing, numeric)
    numbers = np.array(shown, dtype=float)
    low, high = float(numbers.min()), float(numbers.max())
    values, texts = _with_missing(present, numbers, format_3g(numbers), low, high)
    tickvals = []
    ticktext = []
    if has_missing:
        ticks = [low] if low == high else np.linspace(low, high, num=5).tolist()
        tickvals = [float(values[~present][0]), *ticks]
        ticktext = [_MISSING_LABEL] + [f"{v:.3g}" for v in ticks]
    return Dimension(
        label, values, (float(values.min()), high), False, tickvals, ticktext, texts, has_missing=has_missing
    )


def _with_missing(
    present: np.ndarray, shown: np.ndarray, shown_texts: np.ndarray, low: float, high: float
) -> tuple[np.ndarray, np.ndarray]:
    """Values and hover texts of all trials: trials without the parameter sit below the axis' minimum."""
    missing = low - 1.0 if low == high else low - (high - low) * 0.12 / 0.88
    values = np.full(len(present), missing)
    values[present] = shown
    texts = np.full(len(present), _MISSING_LABEL, dtype=object)
    texts[present] = shown_texts
    return values, texts


def _normalize(values: np.ndarray, value_range: tuple[float, float]) -> np.ndarray:
    low, high = value_range
    if low == high:
        return np.full(len(values), 0.5)
    return (values - low) / (high - low)


def _axis_annotations(dims: list[Dimension]) -> list[dict[str, Any]]:
    """The tick labels of every axis, drawn as annotations left of it."""
    annotations = []
    for axis, dim in enumerate(dims):
        if dim.tickvals:
            ticks = [float(v) for v in dim.tickvals]
            texts = dim.ticktext or [f"{v:.3g}" for v in ticks]
        elif dim.range[0] == dim.range[1]:
            ticks = [dim.range[0]]
            texts = [f"{dim.range[0]:.3g}"]
        else:
            ticks = np.linspace(*dim.range, num=5).tolist()
            texts = [f"{v:.3g}" for v in ticks]
        for y, text in zip(_normalize(np.array(ticks), dim.range).tolist(), texts):
            annotations.append(
                {
                    "x": axis,
                    "y": y,
                    "text": text,
                    "showarrow": False,
                    "xanchor": "right",
                    "xshift": -4,
                    "font": {"size": 10, "color": "#555"},
                }
            )
    return annotations
