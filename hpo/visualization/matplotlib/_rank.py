"""``plot_rank`` drawn with matplotlib."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import numpy as np

from hpo.study import Study
from hpo.visualization._pairs import ParamAxis
from hpo.visualization._rank import COLOR_SCALE, rank_info, rank_rgb
from hpo.visualization._utils import DEFAULT_TARGET_NAME, INFEASIBLE_COLOR, TargetType
from hpo.visualization.matplotlib._utils import experimental, ggplot, pyplot

if TYPE_CHECKING:
    from matplotlib.axes import Axes


@experimental("3.2.0")
def plot_rank(
    study: Study,
    params: list[str] | None = None,
    *,
    target: TargetType | None = None,
    target_name: str = DEFAULT_TARGET_NAME,
) -> Axes | np.ndarray:
    """Plot the COMPLETE trials over each pair of parameters, colored by the rank of their target.

    One or two parameters give an Axes, more an n x n array of them (column ``x``, row ``y``).
    The color runs from blue (lowest target) to red (highest) on ``RdYlBu_r``, tied targets sharing
    their average rank; infeasible trials are gray. A trial without a pair's parameter is left out.

    Args:
        study: The study whose trials are plotted.
        params: The parameters to show (all by default).
        target: The value to rank (required for a multi-objective study).
        target_name: Named in the title.
    """
    plt = pyplot()
    import matplotlib.cm
    import matplotlib.colors

    info = rank_info(study, params, target, target_name)
    names, axes = info.names, info.axes
    title = f"Rank ({target_name})"
    cmap = plt.get_cmap(COLOR_SCALE)
    facecolors = rank_rgb(info.color) / 255.0
    facecolors[~info.feasible] = matplotlib.colors.to_rgb(INFEASIBLE_COLOR)
    with ggplot(plt):
        if not names:
            _, ax = plt.subplots()
            ax.set_title(title)
            return ax
        if len(names) <= 2:
            fig, axs = plt.subplots()
            axs.set_title(title)
            _draw_pair(axs, axes[names[0]], axes[names[-1]], facecolors, True, True)
        else:
            n = len(names)
            fig, axs = plt.subplots(n, n)
            fig.suptitle(title)
            for row in range(n):
                for col in range(n):
                    x, y = axes[names[col]], axes[names[row]]
                    _draw_pair(axs[row, col], x, y, facecolors, row == n - 1, col == 0)
        scale = matplotlib.cm.ScalarMappable(norm=matplotlib.colors.Normalize(0, 1), cmap=cmap)
        colorbar = fig.colorbar(scale, ax=axs, ticks=[0, 0.25, 0.5, 0.75, 1])
        colorbar.ax.set_yticklabels(info.ticktext)
        colorbar.outline.set_edgecolor("gray")
    return axs


def _draw_pair(ax: Axes, x: ParamAxis, y: ParamAxis, facecolors: np.ndarray, x_label: bool, y_label: bool) -> Any:
    if x_label:
        ax.set_xlabel(x.name)
    if y_label:
        ax.set_ylabel(y.name)
    if not x.is_cat:
        ax.set_xlim(*x.range)
    if not y.is_cat:
        ax.set_ylim(*y.range)
    if x.is_log:
        ax.set_xscale("log")
    if y.is_log:
        ax.set_yscale("log")
    both = x.present & y.present
    xs: Any = x.values[both].tolist() if x.is_cat else x.values[both]
    ys: Any = y.values[both].tolist() if y.is_cat else y.values[both]
    return ax.scatter(x=xs, y=ys, c=facecolors[both], edgecolors="grey")
