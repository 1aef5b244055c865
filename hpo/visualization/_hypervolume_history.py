"""``plot_hypervolume_history``: the hypervolume of the feasible COMPLETE trials so far, trial by trial."""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING

import numpy as np

from hpo.records import TrialState
from hpo.study import Study
from hpo.visualization._pareto import hypervolume_history, losses
from hpo.visualization._utils import feasible_mask, logger

if TYPE_CHECKING:
    import plotly.graph_objects as go


def hypervolume_history_info(study: Study, reference_point: Sequence[float]) -> tuple[np.ndarray, np.ndarray]:
    """The COMPLETE trials' numbers and the hypervolume after each (checking the arguments first)."""
    if len(study.directions) < 2:
        raise ValueError(
            "Study must be multi-objective. For single-objective optimization, "
            "please use plot_optimization_history instead."
        )
    if len(reference_point) != len(study.directions):
        raise ValueError("The dimension of the reference point must be the same as the number of objectives.")
    trials = study.get_trials(deepcopy=False, states=(TrialState.COMPLETE,))
    if not trials:
        logger.warning("Your study does not have any completed trials.")
    values = np.array([t.values for t in trials], dtype=float).reshape(len(trials), len(study.directions))
    feasible = feasible_mask(trials)
    reference = losses(np.asarray(reference_point, dtype=float)[None, :], study.directions)[0]
    loss = losses(values, study.directions)
    history = hypervolume_history(loss, feasible, reference)
    if not (feasible & np.all(loss <= reference, axis=1)).any():  # no trial was ever counted
        logger.warning("Your study does not have any feasible trials.")
    return np.fromiter((t.number for t in trials), dtype=int, count=len(trials)), history


def plot_hypervolume_history(study: Study, reference_point: Sequence[float]) -> go.Figure:
    """Plot the hypervolume dominated by the feasible COMPLETE trials up to each one.

    Args:
        study: A study with 2 or more objectives.
        reference_point: The corner of the measured box, one value per objective (in the
            objectives' own directions); trials beyond it add nothing.
    """
    import plotly.graph_objects as go

    numbers, history = hypervolume_history_info(study, reference_point)
    layout = go.Layout(title="Hypervolume History Plot", xaxis={"title": "Trial"}, yaxis={"title": "Hypervolume"})
    return go.Figure(data=go.Scatter(x=numbers, y=history, mode="lines+markers"), layout=layout)
