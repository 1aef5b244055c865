"""``plot_contour``: the target over each pair of parameters, interpolated between the trials."""

from __future__ import annotations

import warnings
from typing import TYPE_CHECKING, Any, NamedTuple

import numpy as np

from hpo.records import StudyDirection, TrialState
from hpo.study import Study
from hpo.visualization._utils import (
    DEFAULT_TARGET_NAME,
    INFEASIBLE_COLOR,
    ParamAxis,
    TargetType,
    blues,
    check_plot_args,
    drop_nonfinite,
    feasible_mask,
    first_distributions,
    logger,
    param_axis,
    reverse_scale,
    style_axes,
    target_values,
)

if TYPE_CHECKING:
    import plotly.graph_objects as go

#: A numerical axis with more distinct values than this is cut into this many equal cells (equal in
#: log space on a log axis), the best value per cell kept: the grid stays small on a large study.
#: Up to it, the grid has one column per distinct value, as in Optuna.
MAX_GRID_CELLS = 100


class _Grid(NamedTuple):
    """A contour axis: the grid coordinates and each trial's cell on it."""

    axis: ParamAxis
    coordinates: list[Any]
    cells: np.ndarray  # per trial; -1 where it lacks the parameter


def plot_contour(
    study: Study,
    params: list[str] | None = None,
    *,
    target: TargetType | None = None,
    target_name: str = DEFAULT_TARGET_NAME,
) -> go.Figure:
    """Plot the target of the COMPLETE trials as contours over each pair of parameters.

    Two parameters give one contour; more give a matrix of them. Each cell of the grid holds the
    best target of its trials (the last one's with a custom ``target``, which has no direction);
    the trials are drawn as points (gray when infeasible). Log parameters get log axes, categorical
    ones categorical axes. A trial without one of a pair's parameters is left out of that pair.

    Args:
        study: The study whose trials are plotted.
        params: The parameters to show (all by default; at least two).
        target: The value to plot (required for a multi-objective study).
        target_name: The color bar's title.
    """
    import plotly.graph_objects as go
    from plotly.subplots import make_subplots

    check_plot_args([study], target, target_name)
    trials = study.get_trials(deepcopy=False, states=(TrialState.COMPLETE,))
    trials, values = drop_nonfinite(trials, target_values(trials, target))
    distributions = first_distributions(trials)
    if not trials:
        logger.warning("Your study does not have any completed trials.")
        names: list[str] = []
    elif params is None:
        names = sorted(distributions)
    else:
        if len(params) <= 1:
            logger.warning("The length of params must be greater than 1.")
        for name in params:
            if name not in distributions:
                raise ValueError(f"Parameter {name} does not exist in your study.")
        names = sorted(set(params))

    layout = go.Layout(title="Contour Plot")
    if len(names) <= 1:
        return go.Figure(data=[], layout=layout)
    grids = {name: _grid(param_axis(trials, name, distributions[name])) for name in names}
    feasible = feasible_mask(trials)
    best = None if target is not None else study.directions[0]
    reverse = reverse_scale(study, target)

    if len(names) == 2:
        x, y = grids[names[0]], grids[names[1]]
        figure = go.Figure(data=_pair_traces(x, y, values, feasible, best, reverse, target_name), layout=layout)
        figure.update_xaxes(title_text=x.axis.name)
        figure.update_yaxes(title_text=y.axis.name)
        style_axes(figure.layout, x.axis, y.axis)
        return figure

    figure = make_subplots(rows=len(names), cols=len(names), shared_xaxes=True, shared_yaxes=True)
    figure.update_layout(layout)
    traces, rows, cols = [], [], []
    showscale = True  # one color bar for the whole matrix
    for col, x_name in enumerate(names, start=1):
        for row, y_name in enumerate(names, start=1):
            x, y = grids[x_name], grids[y_name]
            if x_name == y_name:
                cell = [{"type": "scatter"}]
            else:
                contour, points, _ = _pair_traces(x, y, values, feasible, best, reverse, target_name)
                contour["showscale"] = showscale
                showscale = False
                cell = [contour, points]
            traces.extend(cell)
            rows.extend([row] * len(cell))
            cols.extend([col] * len(cell))
            axes = figure.get_subplot(row, col)
            style_axes(axes, x.axis, y.axis)
            if col == 1:
                axes.yaxis.update(title_text=y_name)
            if row == len(names):
                axes.xaxis.update(title_text=x_name)
    figure.add_traces(traces, rows=rows, cols=cols)
    return figure


def _grid(axis: ParamAxis) -> _Grid:
    cells = np.full(len(axis.values), -1)
    shown = axis.values[axis.present]
    if axis.is_cat:
        coordinates, codes = np.unique(shown.astype(str), return_inverse=True)
        cells[axis.present] = codes.reshape(-1)
        return _Grid(axis, coordinates.tolist(), cells)
    distinct, codes = np.unique(shown, return_inverse=True)
    if len(distinct) < 2:
        return _Grid(axis, distinct.tolist(), cells)
    if len(distinct) <= MAX_GRID_CELLS:
        cells[axis.present] = codes.reshape(-1) + 1
        centers = distinct
    else:
        scaled = np.log10(shown) if axis.is_log else shown
        low, high = float(scaled.min()), float(scaled.max())
        edges = np.linspace(low, high, MAX_GRID_CELLS + 1)
        cell = ((scaled - low) / (high - low) * MAX_GRID_CELLS).astype(int)
        cells[axis.present] = np.minimum(cell, MAX_GRID_CELLS - 1) + 1
        middles = (edges[:-1] + edges[1:]) / 2
        centers = np.power(10.0, middles) if axis.is_log else middles
    return _Grid(axis, [axis.range[0], *centers.tolist(), axis.range[1]], cells)


def _pair_traces(
    x: _Grid,
    y: _Grid,
    values: np.ndarray,
    feasible: np.ndarray,
    best: StudyDirection | None,
    reverse: bool,
    target_name: str,
) -> tuple[dict[str, Any], dict[str, Any], dict[str, Any]]:
    """The contour of one pair and its feasible and infeasible trial points (as trace dicts)."""
    for grid in (x, y):
        if len(grid.coordinates) < 2:
            logger.warning(f"Param {grid.axis.name} unique value length is less than 2.")
            return {"type": "contour"}, {"type": "scatter"}, {"type": "scatter"}
    both = (x.cells >= 0) & (y.cells >= 0)
    if not both.any():
        warnings.warn(
            f"Contour plot will not be displayed because `{x.axis.name}` and `{y.axis.name}` cannot co-exist "
            "in `trial.params`.",
            UserWarning,
            stacklevel=4,
        )
        return {"type": "contour"}, {"type": "scatter"}, {"type": "scatter"}
    at = np.flatnonzero(both)
    flat = y.cells[at] * len(x.coordinates) + x.cells[at]
    cell_values = values[at]
    if best is None:  # the last trial of each cell
        flat, cell_values = flat[::-1], cell_values[::-1]
    else:
        order = np.lexsort((cell_values if best == StudyDirection.MINIMIZE else -cell_values, flat))
        flat, cell_values = flat[order], cell_values[order]
    cells, first = np.unique(flat, return_index=True)
    z = np.full(len(y.coordinates) * len(x.coordinates), np.nan)
    z[cells] = cell_values[first]
    contour = {
        "type": "contour",
        "x": x.coordinates,
        "y": y.coordinates,
        "z": z.reshape(len(y.coordinates), len(x.coordinates)),
        "colorbar": {"title": target_name},
        "colorscale": blues(),
        "connectgaps": True,
        "contours_coloring": "heatmap",
        "hoverinfo": "none",
        "line_smoothing": 1.3,
        "reversescale": reverse,
    }
    points = []
    for is_feasible in (True, False):
        pick = both & (feasible == is_feasible)
        points.append(
            {
                "type": "scatter",
                "x": x.axis.values[pick],
                "y": y.axis.values[pick],
                "marker": {
                    "line": {"width": 2.0, "color": "Gray"},
                    "color": "black" if is_feasible else INFEASIBLE_COLOR,
                },
                "mode": "markers",
                "name": "Feasible Trial" if is_feasible else "Infeasible Trial",
                "showlegend": False,
            }
        )
    return contour, points[0], points[1]
