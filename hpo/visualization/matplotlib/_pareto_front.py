"""``plot_pareto_front`` drawn with matplotlib."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING, Any

from hpo.study import Study
from hpo.trial import FrozenTrial
from hpo.visualization._pareto_front import pareto_front_info
from hpo.visualization._utils import INFEASIBLE_COLOR
from hpo.visualization.matplotlib._utils import experimental, ggplot, pyplot

if TYPE_CHECKING:
    from matplotlib.axes import Axes


@experimental("2.8.0")
def plot_pareto_front(
    study: Study,
    *,
    target_names: list[str] | None = None,
    include_dominated_trials: bool = True,
    constraints_func: Callable[[FrozenTrial], Sequence[float]] | None = None,
    targets: Callable[[FrozenTrial], Sequence[float]] | None = None,
) -> Axes:
    """Plot the COMPLETE trials by their objective values (or ``targets``), the best trials in red.

    Two targets give a 2D scatter plot, three a 3D one. The best trials are the Pareto front of
    the feasible trials; with constraints, infeasible trials are gray.

    Args:
        study: A study with 2 or 3 objectives (or any number with ``targets``).
        target_names: Axis labels (``"Objective <i>"`` by default).
        include_dominated_trials: Also draw the feasible trials off the front (blue).
        constraints_func: Deprecated: a trial's constraint values (feasible when all are <= 0).
        targets: The 2 or 3 values to plot per trial.
    """
    plt = pyplot()
    info = pareto_front_info(study, target_names, include_dominated_trials, constraints_func, targets)
    n = info.n_targets
    with ggplot(plt):
        if n == 2:
            _, ax = plt.subplots()
        else:
            ax = plt.figure().add_subplot(projection="3d")
        ax.set_title("Pareto-front Plot")
        cmap = plt.get_cmap("tab10")
        ax.set_xlabel(info.target_names[0])
        ax.set_ylabel(info.target_names[1])
        if n == 3:
            ax.set_zlabel(info.target_names[2])

        def scatter(values: Any, color: Any, label: str) -> None:
            columns = {"x": values[:, 0], "y": values[:, 1]} if n == 2 else {"xs": values[:, 0], "ys": values[:, 1]}
            if n == 3:
                columns["zs"] = values[:, 2]
            ax.scatter(**columns, color=color, label=label)

        trial_label = "Trial"
        if len(info.infeasible.trials):
            scatter(info.infeasible.values, INFEASIBLE_COLOR, "Infeasible Trial")
            trial_label = "Feasible Trial"
        if len(info.others.trials):
            scatter(info.others.values, cmap(0), trial_label)
        if len(info.best.trials):
            scatter(info.best.values, cmap(3), "Best Trial")
        if ax.has_data():
            ax.legend()
    return ax
