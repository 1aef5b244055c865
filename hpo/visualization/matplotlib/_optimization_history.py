"""``plot_optimization_history`` drawn with matplotlib."""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING

from hpo.study import Study
from hpo.visualization._optimization_history import history_infos
from hpo.visualization._utils import DEFAULT_TARGET_NAME, INFEASIBLE_COLOR, TargetType, as_studies
from hpo.visualization.matplotlib._utils import experimental, ggplot, pyplot

if TYPE_CHECKING:
    from matplotlib.axes import Axes


@experimental("2.2.0")
def plot_optimization_history(
    study: Study | Sequence[Study],
    *,
    target: TargetType | None = None,
    target_name: str = DEFAULT_TARGET_NAME,
    error_bar: bool = False,
) -> Axes:
    """Plot every trial's objective value and the best value so far (Optuna's matplotlib figure).

    Args:
        study: A study, or several to compare their histories.
        target: The value to plot for each COMPLETE trial (required for a multi-objective study); no
            best-value line is drawn for a custom target.
        target_name: The target's name on the y axis and in the legend.
        error_bar: With several studies, plot the mean and standard deviation per trial number.
    """
    plt = pyplot()
    histories = history_infos(as_studies(study), target, target_name, error_bar)
    with ggplot(plt):
        _, ax = plt.subplots(tight_layout=True)
        ax.set_title("Optimization History Plot")
        ax.set_xlabel("Trial")
        ax.set_ylabel(target_name)
        cmap = plt.get_cmap("tab10")
        one = len(histories) == 1
        for i, h in enumerate(histories):
            if h.stds is not None:
                ax.errorbar(x=h.numbers, y=h.values, yerr=h.stds, capsize=5, fmt="o", color="tab:blue")
            ax.scatter(
                x=h.numbers[h.feasible],
                y=h.values[h.feasible],
                color=cmap(0) if one else cmap(2 * i),
                alpha=1,
                label=h.label,
            )
            if h.best is not None:
                ax.plot(h.numbers, h.best, color=cmap(3) if one else cmap(2 * i + 1), alpha=0.5, label=h.best_label)
                if h.best_stds is not None:
                    ax.fill_between(
                        x=h.numbers, y1=h.best - h.best_stds, y2=h.best + h.best_stds, color="tab:red", alpha=0.4
                    )
            ax.scatter(x=h.numbers[h.infeasible], y=h.values[h.infeasible], color=INFEASIBLE_COLOR)
        ax.legend(bbox_to_anchor=(1.05, 1.0), loc="upper left")
    return ax
