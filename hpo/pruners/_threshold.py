"""Prune a trial whose latest intermediate value leaves ``[lower, upper]`` (or is NaN)."""

from __future__ import annotations

import math
from typing import TYPE_CHECKING, Any

from hpo.pruners._base import ExplainedPruner, PruneReason
from hpo.pruners._percentile import is_first_in_interval_step
from hpo.trial import FrozenTrial

if TYPE_CHECKING:
    from hpo.study import Study


class ThresholdPruner(ExplainedPruner):
    """Optuna's threshold pruner: prune when the last value is below ``lower``, above ``upper`` or NaN.

    Args:
        lower: the smallest value allowed (None: no lower bound).
        upper: the largest value allowed (None: no upper bound). At least one bound is needed.
        n_warmup_steps: no pruning before this step of a trial.
        interval_steps: judge only at every ``interval_steps``-th step after the warm-up.

    A pruned trial records ``value``, ``lower`` and ``upper`` (None where not set).
    """

    def __init__(
        self,
        lower: float | None = None,
        upper: float | None = None,
        n_warmup_steps: int = 0,
        interval_steps: int = 1,
    ) -> None:
        if lower is None and upper is None:
            raise TypeError("ThresholdPruner needs a lower or an upper bound (or both); neither was given.")
        self._lower = None if lower is None else _as_float("lower", lower)
        self._upper = None if upper is None else _as_float("upper", upper)
        if self._lower is not None and self._upper is not None and self._lower > self._upper:
            raise ValueError(f"lower ({lower}) must be <= upper ({upper}).")
        if n_warmup_steps < 0:
            raise ValueError(f"n_warmup_steps must be >= 0, got {n_warmup_steps}.")
        if interval_steps < 1:
            raise ValueError(f"interval_steps must be >= 1, got {interval_steps}.")
        self._n_warmup_steps = n_warmup_steps
        self._interval_steps = interval_steps

    def __repr__(self) -> str:
        return (
            f"ThresholdPruner(lower={self._lower}, upper={self._upper}, n_warmup_steps={self._n_warmup_steps}, "
            f"interval_steps={self._interval_steps})"
        )

    def reason(self, study: Study, trial: FrozenTrial) -> PruneReason | None:
        step = trial.last_step
        if step is None or step < self._n_warmup_steps:
            return None
        if not is_first_in_interval_step(step, trial.intermediate_values, self._n_warmup_steps, self._interval_steps):
            return None
        value = trial.intermediate_values[step]
        below = self._lower is not None and value < self._lower
        above = self._upper is not None and value > self._upper
        if not (math.isnan(value) or below or above):
            return None
        return {"pruner": "Threshold", "step": step, "value": value, "lower": self._lower, "upper": self._upper}


def _as_float(name: str, value: Any) -> float:
    try:
        number = float(value)
    except (TypeError, ValueError):
        raise TypeError(f"ThresholdPruner {name} must be a number, got {value!r}.") from None
    if math.isnan(number):
        raise ValueError(f"ThresholdPruner {name} must be a number, not NaN.")
    return number
