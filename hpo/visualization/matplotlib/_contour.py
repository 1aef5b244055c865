"""``plot_contour`` drawn with matplotlib: each pair's best targets spread over a 100 x 100 grid."""

from __future__ import annotations

import math
from typing import TYPE_CHECKING, Any

import numpy as np

from hpo.study import Study
from hpo.visualization._contour import ContourInfo, Grid, contour_info
from hpo.visualization._pairs import ParamAxis
from hpo.visualization._utils import DEFAULT_TARGET_NAME, INFEASIBLE_COLOR, TargetType
from hpo.visualization.matplotlib._utils import experimental, ggplot, pyplot

if TYPE_CHECKING:
    from matplotlib.axes import Axes

#: Points per side of the grid the contours are interpolated on.
CONTOUR_POINT_NUM = 100
#: Contour levels per plot.
LEVELS = 15


@experimental("2.2.0")
def plot_contour(
    study: Study,
    params: list[str] | None = None,
    *,
    target: TargetType | None = None,
    target_name: str = DEFAULT_TARGET_NAME,
) -> Axes | np.ndarray:
    """Plot the target of the COMPLETE trials as filled contours over each pair of parameters.

    Two parameters give an Axes, more an n x n array of them (column ``x``, row ``y``; the
    diagonal is left empty). Each trial's cell keeps the best target (the last one's with a
    custom ``target``); the targets are spread over a 100 x 100 grid the way plotly fills its
    contours (a Poisson equation, Optuna's method). The trials are drawn as points (gray when
    infeasible); log parameters get log axes, categorical ones a tick per choice. Fewer than two
    parameters give an empty Axes.

    Args:
        study: The study whose trials are plotted.
        params: The parameters to show (all by default; at least two).
        target: The value to plot (required for a multi-objective study).
        target_name: The color bar's label.
    """
    plt = pyplot()
    info = contour_info(study, params, target, target_name)
    names = info.names
    if len(names) <= 1:
        _, ax = plt.subplots()
        return ax
    cmap = plt.get_cmap("Blues" if info.reverse else "Blues_r").reversed()
    with ggplot(plt):
        if len(names) == 2:
            fig, axs = plt.subplots()
            axs.set_title("Contour Plot")
            contours = [_draw_pair(axs, info, names[0], names[1], cmap)]
            where = {}
        else:
            fig, axs = plt.subplots(len(names), len(names))
            fig.suptitle("Contour Plot")
            contours = [
                _draw_pair(axs[row, col], info, x_name, y_name, cmap)
                for col, x_name in enumerate(names)
                for row, y_name in enumerate(names)
            ]
            where = {"ax": axs}
        drawn = [c for c in contours if c is not None]
        if drawn:
            fig.colorbar(drawn[0], **where).set_label(target_name)
    return axs


def _draw_pair(ax: Axes, info: ContourInfo, x_name: str, y_name: str, cmap: Any) -> Any:
    """Style one subplot and draw its contour and points; the filled contour set, or None."""
    ax.label_outer()
    x, y = info.grids[x_name], info.grids[y_name]
    if len(x.coordinates) < 2 or len(y.coordinates) < 2:
        return None
    ax.set(xlabel=x_name, ylabel=y_name)
    ax.set_xlim(*x.axis.range)
    ax.set_ylim(*y.axis.range)
    for grid, set_ticks, set_scale in ((x, ax.set_xticks, ax.set_xscale), (y, ax.set_yticks, ax.set_yscale)):
        if grid.axis.is_cat:
            set_ticks(range(len(grid.coordinates)), grid.coordinates)
        else:
            set_scale("log" if grid.axis.is_log else "linear")
    pair = info.pairs.get((x_name, y_name))
    if pair is None:  # the diagonal, or a pair whose parameters never meet
        return None
    at = np.flatnonzero(pair.both)
    xs, ys = _positions(x, at), _positions(y, at)
    zs = pair.z[y.cells[at], x.cells[at]]
    xi, yi = _samples(x.axis), _samples(y.axis)
    zi = _interpolate(_nearest(xi, xs), _nearest(yi, ys), zs)
    ax.contour(xi, yi, zi, LEVELS, linewidths=0.5, colors="k")
    filled = ax.contourf(xi, yi, zi, LEVELS, cmap=cmap)
    feasible = info.feasible[at]
    for pick, color in ((feasible, "black"), (~feasible, INFEASIBLE_COLOR)):
        ax.scatter(xs[pick], ys[pick], marker="o", c=color, s=20, edgecolors="grey", linewidth=2.0)
    return filled


def _positions(grid: Grid, at: np.ndarray) -> np.ndarray:
    """The trials' coordinates on the axis: their values, or a categorical value's index among the sorted labels."""
    return grid.cells[at].astype(float) if grid.axis.is_cat else grid.axis.values[at].astype(float)


def _samples(axis: ParamAxis) -> np.ndarray:
    """The grid's coordinates along one axis: evenly spaced over its range (in log space on a log axis)."""
    low, high = axis.range
    if axis.is_log:
        return np.logspace(math.log10(low), math.log10(high), CONTOUR_POINT_NUM)
    return np.linspace(low, high, CONTOUR_POINT_NUM)


def _nearest(samples: np.ndarray, values: np.ndarray) -> np.ndarray:
    """Each value's nearest sample (the lower one on a tie), as ``argmin(abs(samples - value))`` gives."""
    upper = np.clip(np.searchsorted(samples, values), 1, len(samples) - 1)
    lower = upper - 1
    return np.where(np.abs(samples[lower] - values) <= np.abs(samples[upper] - values), lower, upper)


def _interpolate(x_cells: np.ndarray, y_cells: np.ndarray, values: np.ndarray) -> np.ndarray:
    """The grid with the given cells fixed (the last value wins in a cell) and every other cell the mean
    of its neighbors: plotly's fill of a contour's missing data, solved as one sparse linear system."""
    import scipy.sparse
    import scipy.sparse.linalg

    n = CONTOUR_POINT_NUM
    flat = (y_cells * n + x_cells)[::-1]
    known, last = np.unique(flat, return_index=True)
    b = np.zeros(n * n)
    b[known] = values[::-1][last]
    free = np.ones(n * n, dtype=bool)
    free[known] = False
    cells = np.arange(n * n)
    column, row = cells % n, cells // n
    rows, cols, data = [known], [known], [np.ones(len(known))]
    for dx, dy in ((-1, 0), (1, 0), (0, -1), (0, 1)):
        inside = free & (column + dx >= 0) & (column + dx < n) & (row + dy >= 0) & (row + dy < n)
        at = cells[inside]
        rows += [at, at]
        cols += [at, at + dy * n + dx]
        data += [np.ones(len(at)), -np.ones(len(at))]
    matrix = scipy.sparse.csc_matrix(
        (np.concatenate(data), (np.concatenate(rows), np.concatenate(cols))), shape=(n * n, n * n)
    )
    # A minimum-degree ordering of the symmetric pattern: a third quicker than the default on this grid.
    return np.asarray(scipy.sparse.linalg.spsolve(matrix, b, permc_spec="MMD_AT_PLUS_A")).reshape(n, n)
