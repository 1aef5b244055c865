"""A Hyperband study as the sampler of one bracket sees it (imported late: it subclasses ``Study``)."""

from __future__ import annotations

import copy
from collections.abc import Callable, Container

from hpo.records import StudyDirection, TrialState
from hpo.study import Study
from hpo.trial import FrozenTrial


class BracketStudy(Study):
    """``study`` showing only the trials whose numbers ``includes`` accepts, those of ``bracket``.

    A read view for samplers (Optuna's ``_BracketStudy``): ``get_trials``, ``trials`` and
    ``best_trial`` see the bracket's trials; everything else is the study's, and ``stop`` stops it.
    """

    def __init__(self, study: Study, bracket: int, includes: Callable[[int], bool]) -> None:
        super().__init__(study.study_name, study.storage, sampler=study.sampler, pruner=study.pruner)
        self.bracket = bracket
        self._includes = includes
        self._whole_study = study

    def __repr__(self) -> str:
        return f"BracketStudy(study_name={self.study_name!r}, bracket={self.bracket})"

    def get_trials(self, deepcopy: bool = True, states: Container[TrialState] | None = None) -> list[FrozenTrial]:
        trials = [t for t in super().get_trials(deepcopy=False, states=states) if self._includes(t.number)]
        return copy.deepcopy(trials) if deepcopy else trials

    @property
    def best_trial(self) -> FrozenTrial:
        """The bracket's best feasible COMPLETE trial; ``ValueError`` when there is none."""
        trials = [
            t
            for t in self.get_trials(deepcopy=False, states=(TrialState.COMPLETE,))
            if all(c <= 0.0 for c in t.constraints.values()) and t.values is not None
        ]
        if not trials:
            raise ValueError(f"No feasible trial of bracket {self.bracket} is completed yet.")
        pick = max if self.direction == StudyDirection.MAXIMIZE else min
        return copy.deepcopy(pick(trials, key=lambda t: t.values[0] if t.values is not None else 0.0))

    def stop(self) -> None:
        self._whole_study.stop()
