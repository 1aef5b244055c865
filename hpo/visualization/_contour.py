"""``plot_contour``: the target over each pair of parameters, interpolated between the trials.

:func:`contour_info` computes what both backends draw (the grids and each pair's best target per
cell); :func:`plot_contour` draws it with plotly, :mod:`hpo.visualization.matplotlib` with matplotlib.
"""

from __future__ import annotations

import warnings
from typing import TYPE_CHECKING, Any, NamedTuple

import numpy as np

from hpo.records import StudyDirection, TrialState
from hpo.study import Study
from hpo.visualization._pairs import ParamAxis, fill_matrix, pair_names, param_axis, style_pair
from hpo.visualization._utils import (
    DEFAULT_TARGET_NAME,
    INFEASIBLE_COLOR,
    TargetType,
    blues,
    check_plot_args,
    drop_nonfinite,
    feasible_mask,
    first_distributions,
    logger,
    reverse_scale,
    target_values,
)

if TYPE_CHECKING:
    import plotly.graph_objects as go

#: A numerical axis with more distinct values than this is cut into this many equal cells (equal in
#: log space on a log axis), the best value per cell kept: the grid stays small on a large study.
#: Up to it, the grid has one column per distinct value, as in Optuna.
MAX_GRID_CELLS = 100


class Grid(NamedTuple):
    """A contour axis: the grid coordinates and each trial's cell on it."""

    axis: ParamAxis
    coordinates: list[Any]
    cells: np.ndarray  # per trial; -1 where it lacks the parameter


class Pair(NamedTuple):
    """One contour: the best target per grid cell (``z[y_cell, x_cell]``, NaN where no trial fell)."""

    x: Grid
    y: Grid
    z: np.ndarray
    both: np.ndarray  # the trials that have both parameters


class ContourInfo(NamedTuple):
    """What a contour figure shows, whatever draws it."""

    names: list[str]  # sorted; no figure below two
    grids: dict[str, Grid]
    pairs: dict[tuple[str, str], Pair | None]  # by (x, y) name; None where no contour can be drawn
    values: np.ndarray  # each trial's target
    feasible: np.ndarray
    reverse: bool  # the color scale runs dark for low values
    target_name: str


def contour_info(
    study: Study, params: list[str] | None, target: TargetType | None, target_name: str
) -> ContourInfo:
    """Read the COMPLETE trials once and compute every pair's grid (warning about pairs that cannot be drawn)."""
    check_plot_args([study], target, target_name)
    trials = study.get_trials(deepcopy=False, states=(TrialState.COMPLETE,))
    trials, values = drop_nonfinite(trials, target_values(trials, target))
    distributions = first_distributions(trials)
    if trials and params is not None and len(params) <= 1:
        logger.warning("The length of params must be greater than 1.")
    names = pair_names(trials, distributions, params, sort=True)
    feasible = feasible_mask(trials)
    reverse = reverse_scale(study, target)
    if len(names) <= 1:
        return ContourInfo(names, {}, {}, values, feasible, reverse, target_name)
    grids = {name: _grid(param_axis(trials, name, distributions[name])) for name in names}
    best = None if target is not None else study.directions[0]
    if len(names) == 2:
        pairs = {(names[0], names[1]): _pair(grids[names[0]], grids[names[1]], values, best)}
    else:  # in the order the matrix is drawn: column by column
        pairs = {
            (x, y): _pair(grids[x], grids[y], values, best) for x in names for y in names if x != y
        }
    return ContourInfo(names, grids, pairs, values, feasible, reverse, target_name)


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

    info = contour_info(study, params, target, target_name)
    names = info.names
    layout = go.Layout(title="Contour Plot")
    if len(names) <= 1:
        return go.Figure(data=[], layout=layout)
    axes = {name: grid.axis for name, grid in info.grids.items()}

    if len(names) == 2:
        pair = info.pairs[(names[0], names[1])]
        figure = go.Figure(data=_pair_traces(pair, info), layout=layout)
        style_pair(figure, axes[names[0]], axes[names[1]])
        return figure

    figure = make_subplots(rows=len(names), cols=len(names), shared_xaxes=True, shared_yaxes=True)
    figure.update_layout(layout)
    showscale = [True]  # one color bar for the whole matrix

    def cell(x_name: str, y_name: str) -> list[Any]:
        if x_name == y_name:
            return [{"type": "scatter"}]
        contour, points, _ = _pair_traces(info.pairs[(x_name, y_name)], info)
        contour["showscale"] = showscale[0]
        showscale[0] = False
        return [contour, points]

    fill_matrix(figure, names, axes, cell)
    return figure


def _grid(axis: ParamAxis) -> Grid:
    cells = np.full(len(axis.values), -1)
    shown = axis.values[axis.present]
    if axis.is_cat:
        coordinates, codes = np.unique(shown.astype(str), return_inverse=True)
        cells[axis.present] = codes.reshape(-1)
        return Grid(axis, coordinates.tolist(), cells)
    distinct, codes = np.unique(shown, return_inverse=True)
    if len(distinct) < 2:
        return Grid(axis, distinct.tolist(), cells)
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
    return Grid(axis, [axis.range[0], *centers.tolist(), axis.range[1]], cells)


def _pair(x: Grid, y: Grid, values: np.ndarray, best: StudyDirection | None) -> Pair | None:
    """The best target per cell of one pair (the last trial's when ``best`` is None); None, with a
    warning, when an axis has fewer than two values or no trial has both parameters."""
    for grid in (x, y):
        if len(grid.coordinates) < 2:
            logger.warning(f"Param {grid.axis.name} unique value length is less than 2.")
            return None
    both = (x.cells >= 0) & (y.cells >= 0)
    if not both.any():
        warnings.warn(
            f"Contour plot will not be displayed because `{x.axis.name}` and `{y.axis.name}` cannot co-exist "
            "in `trial.params`.",
            UserWarning,
            stacklevel=4,
        )
        return None
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
    return Pair(x, y, z.reshape(len(y.coordinates), len(x.coordinates)), both)


def _pair_traces(pair: Pair | None, info: ContourInfo) -> tuple[dict[str, Any], dict[str, Any], dict[str, Any]]:
    """The contour of one pair and its feasible and infeasible trial points (as trace dicts)."""
    if pair is None:
        return {"type": "contour"}, {"type": "scatter"}, {"type": "scatter"}
    contour = {
        "type": "contour",
        "x": pair.x.coordinates,
        "y": pair.y.coordinates,
        "z": pair.z,
        "colorbar": {"title": info.target_name},
        "colorscale": blues(),
        "connectgaps": True,
        "contours_coloring": "heatmap",
        "hoverinfo": "none",
        "line_smoothing": 1.3,
        "reversescale": info.reverse,
    }
    points = []
    for is_feasible in (True, False):
        pick = pair.both & (info.feasible == is_feasible)
        points.append(
            {
                "type": "scatter",
                "x": pair.x.axis.values[pick],
                "y": pair.y.axis.values[pick],
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
