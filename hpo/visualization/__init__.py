"""Optuna's plots (plotly figures) of a study: ``hpo.visualization.plot_*`` with Optuna's names and arguments.

plotly is imported when a figure is drawn, not with this package. Every function reads the
study's trials once, so the figures stay quick on studies of 100,000 trials. The same plots drawn
with matplotlib are in :mod:`hpo.visualization.matplotlib`.
"""

from hpo.visualization import matplotlib
from hpo.visualization._contour import plot_contour
from hpo.visualization._edf import plot_edf
from hpo.visualization._hypervolume_history import plot_hypervolume_history
from hpo.visualization._intermediate_values import plot_intermediate_values
from hpo.visualization._optimization_history import plot_optimization_history
from hpo.visualization._parallel_coordinate import plot_parallel_coordinate
from hpo.visualization._param_importances import plot_param_importances
from hpo.visualization._pareto_front import plot_pareto_front
from hpo.visualization._rank import plot_rank
from hpo.visualization._slice import plot_slice
from hpo.visualization._timeline import plot_timeline
from hpo.visualization._utils import is_available

__all__ = [
    "is_available",
    "matplotlib",
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
