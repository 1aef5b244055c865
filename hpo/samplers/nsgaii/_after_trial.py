"""NSGA-II after-trial step: evaluate and store the constraints of a finished trial."""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING

from hpo.records import TrialState
from hpo.samplers._base import ConstraintsFunc, store_constraints
from hpo.trial import FrozenTrial

if TYPE_CHECKING:
    from hpo.study import Study


class NSGAIIAfterTrialStrategy:
    """Stores ``constraints_func(trial)`` in the trial's ``"constraints"`` system attribute.

    Runs for COMPLETE and PRUNED trials. A value > 0 means a violated constraint; the study's
    ``best_trials`` and NSGA-II's selection read the stored values.
    """

    def __init__(self, *, constraints_func: ConstraintsFunc | None = None) -> None:
        self._constraints_func = constraints_func

    def __call__(self, study: Study, trial: FrozenTrial, state: TrialState, values: Sequence[float] | None) -> None:
        store_constraints(self._constraints_func, study, trial, state)
