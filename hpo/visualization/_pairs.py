"""What the pair plots (contour, rank) share: the parameters shown, their axes, the subplot matrix."""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping, Sequence
from typing import Any, NamedTuple

import numpy as np

from hpo.distributions import BaseDistribution
from hpo.trial import FrozenTrial
from hpo.visualization._utils import is_log, is_numerical, logger

#: The margin added on both sides of a contour or rank axis, as a fraction of its span.
PADDING_RATIO = 0.05


class ParamAxis(NamedTuple):
    """A parameter on a contour or rank plot axis, with each trial's value on it."""

    name: str
    range: tuple[float, float]
    is_log: bool
    is_cat: bool
    present: np.ndarray  # the trials that have the parameter
    values: np.ndarray  # numbers (NaN where missing), or for a categorical axis ``str(choice)`` (None where missing)


def pair_names(
    trials: Sequence[FrozenTrial],
    distributions: Mapping[str, BaseDistribution],
    params: Sequence[str] | None,
    *,
    sort: bool,
) -> list[str]:
    """The parameters a pair plot shows: all (sorted) by default, else ``params`` (sorted and deduplicated
    when ``sort``); none, with a warning, when no trial completed. An unknown parameter is refused."""
    if not trials:
        logger.warning("Your study does not have any completed trials.")
        return []
    if params is None:
        return sorted(distributions)
    for name in params:
        if name not in distributions:
            raise ValueError(f"Parameter {name} does not exist in your study.")
    return sorted(set(params)) if sort else list(params)


def param_axis(trials: Sequence[FrozenTrial], name: str, distribution: BaseDistribution) -> ParamAxis:
    """The axis Optuna's contour and rank plots draw: log, linear or categorical, padded by 5%."""
    present = np.fromiter((name in t.params for t in trials), dtype=bool, count=len(trials))
    shown = [t.params[name] for t in trials if name in t.params]
    if is_numerical(distribution):
        values = np.full(len(trials), np.nan)
        values[present] = shown
        low, high = float(np.nanmin(values)), float(np.nanmax(values))
        if is_log(distribution):
            padding = (math.log10(high) - math.log10(low)) * PADDING_RATIO
            value_range = (math.pow(10, math.log10(low) - padding), math.pow(10, math.log10(high) + padding))
        else:
            padding = (high - low) * PADDING_RATIO
            value_range = (low - padding, high + padding)
        return ParamAxis(name, value_range, is_log(distribution), False, present, values)
    labels = np.full(len(trials), None, dtype=object)
    labels[present] = [str(v) for v in shown]
    span = len(set(labels[present].tolist())) - 1
    padding = span * PADDING_RATIO
    return ParamAxis(name, (-padding, span + padding), False, True, present, labels)


def style_axes(axes: Any, x: ParamAxis, y: ParamAxis) -> None:
    """Set the range and type of a plotly subplot's x and y axes (``axes`` has ``xaxis`` and ``yaxis``)."""
    for layout_axis, axis in ((axes.xaxis, x), (axes.yaxis, y)):
        if axis.is_log:
            layout_axis.update(range=[math.log10(p) for p in axis.range], type="log")
        else:
            layout_axis.update(range=axis.range, type="category" if axis.is_cat else None)


def style_pair(figure: Any, x: ParamAxis, y: ParamAxis) -> None:
    """Title and style the axes of a plotly figure that shows one pair."""
    figure.update_xaxes(title_text=x.name)
    figure.update_yaxes(title_text=y.name)
    style_axes(figure.layout, x, y)


def fill_matrix(
    figure: Any, names: Sequence[str], axes: Mapping[str, ParamAxis], cell: Callable[[str, str], list[Any]]
) -> None:
    """Add ``cell(x_name, y_name)``'s traces to each subplot of a plotly matrix (column ``x``, row ``y``),
    styling every subplot and titling the left column and the bottom row."""
    traces: list[Any] = []
    rows: list[int] = []
    cols: list[int] = []
    for col, x_name in enumerate(names, start=1):
        for row, y_name in enumerate(names, start=1):
            traces_here = cell(x_name, y_name)
            traces.extend(traces_here)
            rows.extend([row] * len(traces_here))
            cols.extend([col] * len(traces_here))
            subplot = figure.get_subplot(row, col)
            style_axes(subplot, axes[x_name], axes[y_name])
            if col == 1:
                subplot.yaxis.update(title_text=y_name)
            if row == len(names):
                subplot.xaxis.update(title_text=x_name)
    figure.add_traces(traces, rows=rows, cols=cols)
