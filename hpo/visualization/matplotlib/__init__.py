"""Optuna's plots drawn with matplotlib: ``hpo.visualization.matplotlib.plot_*`` with Optuna's names and arguments.

Each function returns a matplotlib ``Axes`` (or, for a matrix or a row of subplots, a numpy
array of them, as Optuna does), drawn from the same data as the plotly figure of
:mod:`hpo.visualization` (one read of the trials). matplotlib is imported when a figure is
drawn, not with this package: install it with ``pip install matplotlib`` (or ``hpo[matplotlib]``).
As in Optuna, each call warns that the function is experimental (``hpo.exceptions.ExperimentalWarning``).
"""

from hpo.visualization.matplotlib._contour import plot_contour
from hpo.visualization.matplotlib._edf import plot_edf
from hpo.visualization.matplotlib._hypervolume_history import plot_hypervolume_history
from hpo.visualization.matplotlib._intermediate_values import plot_intermediate_values
from hpo.visualization.matplotlib._optimization_history import plot_optimization_history
from hpo.visualization.matplotlib._parallel_coordinate import plot_parallel_coordinate
from hpo.visualization.matplotlib._param_importances import plot_param_importances
from hpo.visualization.matplotlib._pareto_front import plot_pareto_front
from hpo.visualization.matplotlib._rank import plot_rank
from hpo.visualization.matplotlib._slice import plot_slice
from hpo.visualization.matplotlib._timeline import plot_timeline
from hpo.visualization.matplotlib._utils import is_available

__all__ = [
    "is_available",
    "plot_contour",
    "plot_edf",
    "plot_hypervolume_history",
    "plot_intermediate_values",
    "plot_optimization_history",
    "plot_parallel_coordinate",
    "plot_param_importances",
    "plot_pareto_front",
    "plot_rank",
    "plot_slice",
    "plot_timeline",
]
