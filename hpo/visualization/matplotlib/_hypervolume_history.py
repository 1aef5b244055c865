"""``plot_hypervolume_history`` drawn with matplotlib."""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING

from hpo.study import Study
from hpo.visualization._hypervolume_history import hypervolume_history_info
from hpo.visualization.matplotlib._utils import experimental, ggplot, pyplot

if TYPE_CHECKING:
    from matplotlib.axes import Axes


@experimental("3.3.0")
def plot_hypervolume_history(study: Study, reference_point: Sequence[float]) -> Axes:
    """Plot the hypervolume dominated by the feasible COMPLETE trials up to each one.

    Args:
        study: A study with 2 or more objectives.
        reference_point: The corner of the measured box, one value per objective (in the
            objectives' own directions); trials beyond it add nothing.
    """
    plt = pyplot()
    numbers, history = hypervolume_history_info(study, reference_point)
    with ggplot(plt):
        _, ax = plt.subplots()
        ax.set_title("Hypervolume History Plot")
        ax.set_xlabel("Trial")
        ax.set_ylabel("Hypervolume")
        ax.plot(numbers, history, marker="o", color=plt.get_cmap("tab10")(0), alpha=0.5)
    return ax
