"""``plot_intermediate_values`` drawn with matplotlib."""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

from hpo.study import Study
from hpo.visualization._intermediate_values import intermediate_info, joined_curves
from hpo.visualization.matplotlib._utils import experimental, ggplot, pyplot

if TYPE_CHECKING:
    from matplotlib.axes import Axes

#: Up to this many curves, a line and a legend entry per trial, as Optuna draws them. Beyond it,
#: the curves of one color share a line (with gaps between them) and there is no legend: Optuna's
#: figure took minutes at a few thousand trials (the legend alone), and a legend that long is unreadable.
MAX_LEGEND_CURVES = 100


@experimental("2.2.0")
def plot_intermediate_values(study: Study) -> Axes:
    """Plot the intermediate values of every COMPLETE, PRUNED and RUNNING trial that reported some.

    One line per trial, labeled ``Trial<number>`` (a legend from two trials on), in the colors
    of matplotlib's ``tab20`` (the trials after the 20th in its last color); infeasible trials are
    gray. Beyond ``MAX_LEGEND_CURVES`` trials, the curves of one color share a line and there is no legend.
    """
    plt = pyplot()
    info = intermediate_info(study)
    with ggplot(plt):
        _, ax = plt.subplots(tight_layout=True)
        ax.set_title("Intermediate Values Plot")
        ax.set_xlabel("Step")
        ax.set_ylabel("Intermediate Value")
        cmap = plt.get_cmap("tab20")
        if len(info.curves) <= MAX_LEGEND_CURVES:
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
        else:
            # Curve i has color i of tab20; from the last color on, every curve has that one.
            groups = np.where(info.feasible, np.minimum(np.arange(len(info.curves)), cmap.N - 1), cmap.N)
            for group in np.unique(groups).tolist():
                picked, ends = joined_curves(info, np.flatnonzero(groups == group))
                ax.plot(
                    np.insert(info.steps[picked], ends, np.nan),
                    np.insert(info.values[picked], ends, np.nan),
                    color=cmap(group) if group < cmap.N else "#CCCCCC",
                    marker=".",
                    alpha=0.7,
                )
    return ax
