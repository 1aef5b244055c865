"""``plot_param_importances`` drawn with matplotlib."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import numpy as np

from hpo.study import Study
from hpo.visualization._param_importances import ImportancesInfo, importances_infos
from hpo.visualization._utils import DEFAULT_TARGET_NAME, TargetType
from hpo.visualization.matplotlib._utils import experimental, ggplot, pyplot

if TYPE_CHECKING:
    from matplotlib.axes import Axes

    from hpo.importance import BaseImportanceEvaluator

#: The x axis reaches this far beyond the end of the longest bar label.
AXES_PADDING_RATIO = 1.05


@experimental("2.2.0")
def plot_param_importances(
    study: Study,
    evaluator: BaseImportanceEvaluator | None = None,
    params: list[str] | None = None,
    *,
    target: TargetType | None = None,
    target_name: str = DEFAULT_TARGET_NAME,
) -> Axes:
    """Plot parameter importances as horizontal bars, most important at the top, each labeled with its value.

    Args:
        study: An optimized study.
        evaluator: An importance evaluator of :mod:`hpo.importance` (its default when None).
        params: The parameters to assess (all by default).
        target: The value whose importances are shown; without it a multi-objective study gets one
            bar series per objective, named ``"<target_name> <index>"`` (or by the study's metric names).
        target_name: The name of the series in the legend (the metric name when the study has one).
    """
    plt = pyplot()
    infos = importances_infos(study, evaluator, params, target, target_name)
    with ggplot(plt):
        fig, ax = plt.subplots()
        ax.set_title("Hyperparameter Importances", loc="left")
        ax.set_xlabel("Hyperparameter Importance")
        ax.set_ylabel("Hyperparameter")
        height = 0.8 / len(infos)  # the series share each parameter's row
        for index, info in enumerate(infos):
            if not info.values:
                continue
            positions = np.arange(len(info.names))
            offset = height * index
            ax.barh(
                positions + offset,
                info.values,
                height=height,
                align="center",
                label=info.target_name,
                color=plt.get_cmap("tab20c")(index),
            )
            _label_bars(info, fig, ax, offset)
            ax.set_yticks(positions + offset / 2, info.names)
        ax.legend(loc="best")
    return ax


def _label_bars(info: ImportancesInfo, fig: Any, ax: Axes, offset: float) -> None:
    """Write each value at the end of its bar, widening the x axis to fit the text."""
    renderer = fig.canvas.get_renderer()
    for row, (value, label) in enumerate(zip(info.values, info.labels)):
        text = ax.text(value, row + offset, label, va="center")
        right = text.get_window_extent(renderer).transformed(ax.transData.inverted()).xmax
        if right > ax.get_xlim()[1]:
            ax.set_xlim(xmax=AXES_PADDING_RATIO * right)
