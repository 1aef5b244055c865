"""``plot_parallel_coordinate`` drawn with matplotlib."""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

from hpo.study import Study
from hpo.visualization._parallel_coordinate import parallel_info
from hpo.visualization._utils import DEFAULT_TARGET_NAME, TargetType
from hpo.visualization.matplotlib._utils import experimental, pyplot

if TYPE_CHECKING:
    from matplotlib.axes import Axes


@experimental("2.2.0")
def plot_parallel_coordinate(
    study: Study,
    params: list[str] | None = None,
    *,
    target: TargetType | None = None,
    target_name: str = DEFAULT_TARGET_NAME,
) -> Axes:
    """Plot each COMPLETE trial as a line through its objective value(s) and parameters.

    The first objective sets the left axis; every other axis (an objective or a parameter) is a
    twin y axis at its position, log for log parameters, with a tick per choice for categorical
    ones and a ``None`` tick for the trials that lack the parameter. Lines are colored by the
    target, or, for a multi-objective study without ``target``, by Pareto rank (the front drawn
    last). When some trial has constraints, infeasible trials (and those without constraints)
    are dotted, and a legend says so.

    Args:
        study: The study whose trials are plotted.
        params: The parameters to show (all by default).
        target: The value to plot per trial; see above for multi-objective studies.
        target_name: The target's axis label and color bar label.
    """
    plt = pyplot()
    from matplotlib.collections import LineCollection
    from matplotlib.colors import BoundaryNorm
    from matplotlib.lines import Line2D

    info = parallel_info(study, params, target, target_name)
    fig, ax = plt.subplots()
    cmap = plt.get_cmap("Blues_r" if info.reverse else "Blues")
    ax.set_title("Parallel Coordinate Plot", y=1.03)
    ax.spines["top"].set_visible(False)
    ax.spines["bottom"].set_visible(False)
    first, others = info.dims[0], info.dims[1:]
    if not others or len(first.values) == 0:
        return ax

    low, high = first.range
    if low == high:  # a constant objective: pad its axis
        padding = abs(low) * 0.05 if low != 0.0 else 0.5
        low, high = low - padding, high + padding
    order = info.draw_order
    columns = [first.values[order]]
    for dim in others:  # every axis scaled onto the first objective's
        dim_low, dim_high = dim.range
        if dim_high == dim_low:
            columns.append(np.full(len(order), (high - low) / 2 + low))
        else:
            columns.append((dim.values[order] - dim_low) / (dim_high - dim_low) * (high - low) + low)
    n_axes = len(others)
    ax.set_xlim(0, n_axes)
    ax.set_ylim(low, high)
    if first.range[0] == first.range[1]:
        ax.set_yticks([first.range[0]])
    xs = np.arange(n_axes + 1, dtype=float)
    lines = LineCollection([np.column_stack([xs, ys]) for ys in np.column_stack(columns)], cmap=cmap)
    if info.feasible is not None:
        lines.set_linestyle(["solid" if info.feasible[i] else "dotted" for i in order.tolist()])
        handles = [
            Line2D([0], [0], color="#2F3B52", linestyle="solid", label="Feasible"),
            Line2D([0], [0], color="#2F3B52", linestyle="dotted", label="Infeasible"),
        ]
        ax.legend(handles=handles, loc="lower right", bbox_to_anchor=(1.0, 1.02), ncol=len(handles), frameon=False)
    colors = info.colors[order]
    lines.set_array(colors)
    if info.multi:
        max_rank = int(colors.max())
        lines.set_norm(BoundaryNorm(np.arange(-0.5, max_rank + 1.5), cmap.N))
    colorbar = fig.colorbar(lines, pad=0.1, ax=ax)
    if info.multi:
        colorbar.set_ticks(list(range(max_rank + 1)))
    colorbar.set_label(info.colorbar_title)
    ax.set_xticks(range(n_axes + 1), [dim.label for dim in info.dims], rotation=330)
    for i, dim in enumerate(others):
        twin = ax.twinx()
        if dim.is_log and not dim.has_missing:
            twin.set_ylim(np.power(10, dim.range[0]), np.power(10, dim.range[1]))
            twin.set_yscale("log")
        else:
            twin.set_ylim(dim.range[0], dim.range[1])
        twin.spines["top"].set_visible(False)
        twin.spines["bottom"].set_visible(False)
        twin.xaxis.set_visible(False)
        twin.spines["right"].set_position(("axes", (i + 1) / n_axes))
        if dim.is_cat or dim.has_missing:
            twin.set_yticks(dim.tickvals, dim.ticktext)
    ax.add_collection(lines)
    return ax
