"""``plot_intermediate_values`` drawn with matplotlib."""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

from hpo.study import Study
from hpo.visualization._intermediate_values import intermediate_info
from hpo.visualization.matplotlib._utils import ggplot, pyplot

if TYPE_CHECKING:
    from matplotlib.axes import Axes


def plot_intermediate_values(study: Study) -> Axes:
    """Plot the intermediate values of every COMPLETE, PRUNED and RUNNING trial that reported some.

    One line per trial, labeled ``Trial<number>`` (a legend from two trials on), in the colors
    of matplotlib's ``tab20`` cycle; infeasible trials are gray.
    """
    plt = pyplot()
    info = intermediate_info(study)
    with ggplot(plt):
        _, ax = plt.subplots(tight_layout=True)
        ax.set_title("Intermediate Values Plot")
        ax.set_xlabel("Step")
        ax.set_ylabel("Intermediate Value")
        cmap = plt.get_cmap("tab20")
        bounds = np.searchsorted(info.owners, np.arange(len(info.curves) + 1))
        for i, trial in enumerate(info.curves):
            points = slice(bounds[i], bounds[i + 1])
            ax.plot(
                info.steps[points],
                info.values[points],
                color=cmap(i) if info.feasible[i] else "#CCCCCC",
                marker=".",
                alpha=0.7,
                label=f"Trial{trial.number}",
            )
        if len(info.curves) >= 2:
            ax.legend(bbox_to_anchor=(1.05, 1), loc="upper left", borderaxespad=0.0)
    return ax
