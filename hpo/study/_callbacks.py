"""Callbacks for ``Study.optimize``."""

from __future__ import annotations

from collections.abc import Container
from typing import TYPE_CHECKING

from hpo.trial import FrozenTrial, TrialState

if TYPE_CHECKING:
    from hpo.study._study import Study


class MaxTrialsCallback:
    """Stop the study once it holds ``n_trials`` trials in ``states``, counted across all processes."""

    def __init__(self, n_trials: int, states: Container[TrialState] | None = (TrialState.COMPLETE,)) -> None:
        self._n_trials = n_trials
        self._states = states

    def __call__(self, study: Study, trial: FrozenTrial) -> None:
        states = None if self._states is None else tuple(s for s in TrialState if s in self._states)
        if study._storage.get_n_trials(study._study_id, states) >= self._n_trials:
            study.stop()
