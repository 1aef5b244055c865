"""How a trial ends: running the objective, and checking what it returns and reports.

``Study.optimize`` and the distributed worker both run objectives with :func:`run_objective`, so
a trial ends the same way (state, fail reason) wherever it ran.
"""

from __future__ import annotations

import dataclasses
import math
import numbers
import traceback
from collections.abc import Callable, Mapping, Sequence
from typing import Any

from hpo.exceptions import TrialPruned
from hpo.records import TrialState

__all__ = ["FAIL_REASON_KEY", "Outcome", "check_values", "run_objective", "validate_report"]

#: System attr of a FAIL trial: why it failed (the objective's exception and traceback, or what was
#: wrong with its return value).
FAIL_REASON_KEY = "fail_reason"


@dataclasses.dataclass(frozen=True)
class Outcome:
    """What running an objective on a trial came to."""

    state: TrialState  # COMPLETE, PRUNED or FAIL
    values: list[float] | None  # the checked values of a COMPLETE trial; None otherwise
    fail_reason: str | None  # why a FAIL trial failed
    error: BaseException | None  # what the objective raised (Exception or KeyboardInterrupt)
    returned: Any  # what the objective returned, unchecked


def run_objective(func: Callable[[Any], Any], trial: Any, n_objectives: int) -> Outcome:
    """Call ``func(trial)``: PRUNED on :class:`~hpo.exceptions.TrialPruned`, FAIL on an exception or
    a return value that is not ``n_objectives`` numbers, else COMPLETE."""
    try:
        returned = func(trial)
    except TrialPruned:
        return Outcome(TrialState.PRUNED, None, None, None, None)
    except (Exception, KeyboardInterrupt) as e:
        if is_optunas_trial_pruned(e):
            return Outcome(TrialState.PRUNED, None, None, None, None)
        return Outcome(TrialState.FAIL, None, f"{e!r}\n{traceback.format_exc()}", e, None)
    values, reason = check_values(returned, n_objectives)
    if reason is not None:
        return Outcome(TrialState.FAIL, None, reason, None, returned)
    return Outcome(TrialState.COMPLETE, values, None, None, returned)


def is_optunas_trial_pruned(error: BaseException) -> bool:
    """True for Optuna's ``TrialPruned`` (raised by code written against optuna or optuna-integration
    when Optuna happens to be installed): such a trial is pruned, as with hpo's own."""
    return any(
        cls.__name__ == "TrialPruned" and cls.__module__.split(".")[0] in ("optuna", "optuna_integration")
        for cls in type(error).__mro__
    )


def check_values(values: Any, n_objectives: int) -> tuple[list[float] | None, str | None]:
    """Turn an objective's return value into floats, or explain why it is not acceptable."""
    expected = "a float" if n_objectives == 1 else f"a sequence of {n_objectives} floats"
    if values is None:
        return None, f"The objective returned None; it must return {expected}."
    if isinstance(values, (str, bytes)):
        return None, f"The objective returned the string {values!r}; it must return {expected}."
    if isinstance(values, Mapping):
        return None, f"The objective returned a {type(values).__name__} ({values!r}); it must return {expected}."
    if isinstance(values, Sequence) or (hasattr(values, "__len__") and getattr(values, "ndim", 1) > 0):
        seq = list(values)
    else:
        seq = [values]
    if len(seq) != n_objectives:
        return None, (
            f"The objective returned {len(seq)} value(s) {seq!r} but the study has {n_objectives} "
            f"direction(s); it must return {expected}."
        )
    floats = []
    for v in seq:
        if isinstance(v, (str, bytes)):
            return None, f"The objective returned the string {v!r}; it must return {expected}."
        try:
            f = float(v)
        except (TypeError, ValueError):
            return None, f"The objective returned {v!r} of type {type(v).__name__}, not {expected}."
        if math.isnan(f):
            return None, f"The objective returned NaN ({seq!r}); it must return {expected} that is not NaN."
        floats.append(f)
    return floats, None


def validate_report(value: Any, step: Any, n_objectives: int) -> tuple[float, int]:
    """Check ``report(value, step)`` arguments; return them as float and int."""
    if n_objectives > 1:
        raise NotImplementedError("Trial.report is not supported for multi-objective studies: pruners need one value.")
    try:
        value = float(value)
    except (TypeError, ValueError) as e:
        raise TypeError(
            f"The reported value must be a float (or convertible to one), got {type(value).__name__} {value!r}."
        ) from e
    if isinstance(step, bool) or not isinstance(step, numbers.Integral):
        raise TypeError(f"The step must be an integer, got {type(step).__name__} {step!r}.")
    if step < 0:
        raise ValueError(f"The step must be >= 0, got {step}.")
    return value, int(step)
