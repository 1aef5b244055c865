"""``plot_edf`` drawn with matplotlib."""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING

from hpo.study import Study
from hpo.visualization._edf import edf_info
from hpo.visualization._utils import DEFAULT_TARGET_NAME, TargetType, as_studies
from hpo.visualization.matplotlib._utils import experimental, ggplot, pyplot

if TYPE_CHECKING:
    from matplotlib.axes import Axes


@experimental("2.2.0")
def plot_edf(
    study: Study | Sequence[Study],
    *,
    target: TargetType | None = None,
    target_name: str = DEFAULT_TARGET_NAME,
) -> Axes:
    """Plot, for each study, the fraction of its COMPLETE trials whose target is at most x.

    Args:
        study: A study, or several to compare (one curve each, named after the study in the legend).
        target: The value to plot (required for a multi-objective study).
        target_name: The x axis label.
    """
    plt = pyplot()
    with ggplot(plt):
        _, ax = plt.subplots()
        ax.set_title("Empirical Distribution Function Plot")
        ax.set_xlabel(target_name)
        ax.set_ylabel("Cumulative Probability")
        ax.set_ylim(0, 1)
        cmap = plt.get_cmap("tab20")
        info = edf_info(as_studies(study), target, target_name)
        for i, (name, y) in enumerate(info.lines):
            ax.plot(info.x, y, color=cmap(i), alpha=0.7, label=name)
        if len(info.lines) >= 2:
            ax.legend()
    return ax
