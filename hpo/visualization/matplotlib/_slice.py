"""``plot_slice`` drawn with matplotlib."""

from __future__ import annotations

import math
from typing import TYPE_CHECKING, Any

import numpy as np

from hpo.distributions import CategoricalDistribution
from hpo.study import Study
from hpo.visualization._slice import Panel, slice_info
from hpo.visualization._utils import DEFAULT_TARGET_NAME, INFEASIBLE_COLOR, TargetType, is_log
from hpo.visualization.matplotlib._utils import experimental, ggplot, pyplot

if TYPE_CHECKING:
    from matplotlib.axes import Axes

#: The margin added on both sides of each panel's x axis, as a fraction of its span.
PADDING_RATIO = 0.05


@experimental("2.2.0")
def plot_slice(
    study: Study,
    params: list[str] | None = None,
    *,
    target: TargetType | None = None,
    target_name: str = DEFAULT_TARGET_NAME,
) -> Axes | np.ndarray:
    """Plot the target of the COMPLETE trials against each parameter, colored by trial number.

    One parameter gives an Axes, several a row of them (a numpy array) sharing the y axis. Log
    parameters get log x axes; categorical ones list the choices in order (as their ``repr``).
    Infeasible trials are gray; a trial without a parameter is left out of that panel.

    Args:
        study: The study whose trials are plotted.
        params: The parameters to show (all by default).
        target: The value to plot (required for a multi-objective study).
        target_name: The y axis label.
    """
    plt = pyplot()
    panels = slice_info(study, params, target, target_name).panels
    if not panels:
        _, ax = plt.subplots()
        return ax
    cmap = plt.get_cmap("Blues")
    with ggplot(plt):
        if len(panels) == 1:
            fig, axs = plt.subplots()
            axs.set_title("Slice Plot")
            points = _draw_panel(panels[0], axs, cmap, target_name)
        else:
            width, height = plt.rcParams["figure.figsize"]
            fig, axs = plt.subplots(1, len(panels), sharey=True, figsize=(width / 2 * len(panels), height))
            fig.suptitle("Slice Plot")
            for panel, ax in zip(panels, axs):
                points = _draw_panel(panel, ax, cmap, target_name)
        fig.colorbar(points, ax=axs).set_label("Trial")
    return axs


def _draw_panel(panel: Panel, ax: Axes, cmap: Any, target_name: str) -> Any:
    """Scatter one panel's feasible trials (colored by number) and infeasible ones (gray)."""
    ax.set(xlabel=panel.name, ylabel=target_name)
    ok = panel.feasible
    categorical = isinstance(panel.distribution, CategoricalDistribution)

    def xs(pick: np.ndarray) -> Any:
        return panel.x[pick].tolist() if categorical else panel.x[pick]

    if categorical:
        width = len(set(panel.x.tolist())) - 1
        ax.set_xlim(-width * PADDING_RATIO, width + width * PADDING_RATIO)
    elif is_log(panel.distribution):
        ax.set_xscale("log")
        low, high = math.log10(float(panel.x.min())), math.log10(float(panel.x.max()))
        padding = (high - low) * PADDING_RATIO
        ax.set_xlim(math.pow(10, low - padding), math.pow(10, high + padding))
    else:
        low, high = float(panel.x.min()), float(panel.x.max())
        padding = (high - low) * PADDING_RATIO
        ax.set_xlim(low - padding, high + padding)
    points = ax.scatter(xs(ok), panel.y[ok], c=panel.numbers[ok], cmap=cmap, edgecolors="grey")
    ax.scatter(xs(~ok), panel.y[~ok], c=INFEASIBLE_COLOR, label="Infeasible Trial")
    ax.label_outer()
    return points
