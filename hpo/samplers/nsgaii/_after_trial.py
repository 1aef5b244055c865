"""NSGA-II after-trial step: evaluate and store the constraints of a finished trial."""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING, Any

from hpo.records import CONSTRAINTS_KEY, TrialState
from hpo.trial import FrozenTrial

if TYPE_CHECKING:
    from hpo.study import Study

ConstraintsFunc = Callable[[FrozenTrial], Sequence[float]]


class NSGAIIAfterTrialStrategy:
    """Stores ``constraints_func(trial)`` in the trial's ``"constraints"`` system attribute.

    Runs for COMPLETE and PRUNED trials. A value > 0 means a violated constraint; the study's
    ``best_trials`` and NSGA-II's selection read the stored values.
    """

    def __init__(self, *, constraints_func: ConstraintsFunc | None = None) -> None:
        self._constraints_func = constraints_func

    def __call__(self, study: Study, trial: FrozenTrial, state: TrialState, values: Sequence[float] | None) -> None:
        if self._constraints_func is None or state not in (TrialState.COMPLETE, TrialState.PRUNED):
            return
        constraints = check_constraints(self._constraints_func(trial), trial)
        study.storage.set_trial_system_attr(trial.trial_id, CONSTRAINTS_KEY, constraints)


def check_constraints(returned: Any, trial: FrozenTrial) -> list[float]:
    """The constraint values as floats, or a ``ValueError`` that says what was wrong."""
    if isinstance(returned, (str, bytes)) or not hasattr(returned, "__iter__"):
        raise ValueError(
            f"constraints_func must return a sequence of floats, got {returned!r} for trial {trial.number}."
        )
    try:
        constraints = [float(c) for c in returned]
    except (TypeError, ValueError) as e:
        raise ValueError(
            f"constraints_func must return a sequence of floats, got {returned!r} for trial {trial.number}."
        ) from e
    if any(math.isnan(c) for c in constraints):
        raise ValueError(f"constraints_func returned NaN for trial {trial.number}: {constraints}. Return numbers.")
    return constraints
