"""Prune a trial whose best intermediate value is worse than a percentile of finished trials' at that step."""

from __future__ import annotations

import math
from collections.abc import Iterable, Sequence
from typing import TYPE_CHECKING

import numpy as np

from hpo.pruners._base import BasePruner
from hpo.study._study_direction import StudyDirection
from hpo.trial import FrozenTrial, TrialState

if TYPE_CHECKING:
    from hpo.study import Study


class PercentilePruner(BasePruner):
    """Prune when the trial's best value so far is worse than ``percentile`` of COMPLETE trials at its step.

    Args:
        percentile: 0-100; 50 is the median. Lower values prune more.
        n_startup_trials: no pruning until this many trials have completed.
        n_warmup_steps: no pruning before this step of a trial.
        interval_steps: judge only at every ``interval_steps``-th step after the warm-up.
        n_min_trials: no pruning at a step that fewer completed trials have reported.
    """

    def __init__(
        self,
        percentile: float,
        n_startup_trials: int = 5,
        n_warmup_steps: int = 0,
        interval_steps: int = 1,
        *,
        n_min_trials: int = 1,
    ) -> None:
        if not 0.0 <= percentile <= 100:
            raise ValueError(f"percentile must be in [0, 100], got {percentile}.")
        if n_startup_trials < 0:
            raise ValueError(f"n_startup_trials must be >= 0, got {n_startup_trials}.")
        if n_warmup_steps < 0:
            raise ValueError(f"n_warmup_steps must be >= 0, got {n_warmup_steps}.")
        if interval_steps < 1:
            raise ValueError(f"interval_steps must be >= 1, got {interval_steps}.")
        if n_min_trials < 1:
            raise ValueError(f"n_min_trials must be >= 1, got {n_min_trials}.")
        self._percentile = percentile
        self._n_startup_trials = n_startup_trials
        self._n_warmup_steps = n_warmup_steps
        self._interval_steps = interval_steps
        self._n_min_trials = n_min_trials

    def __repr__(self) -> str:
        return (
            f"{type(self).__name__}(percentile={self._percentile}, n_startup_trials={self._n_startup_trials}, "
            f"n_warmup_steps={self._n_warmup_steps}, interval_steps={self._interval_steps}, "
            f"n_min_trials={self._n_min_trials})"
        )

    def prune(self, study: Study, trial: FrozenTrial) -> bool:
        step = trial.last_step
        if step is None or step < self._n_warmup_steps:
            return False
        if not is_first_in_interval_step(step, trial.intermediate_values, self._n_warmup_steps, self._interval_steps):
            return False
        completed = study.get_trials(deepcopy=False, states=(TrialState.COMPLETE,))
        if not completed or len(completed) < self._n_startup_trials:
            return False
        direction = study.direction
        best = best_intermediate_value(trial, direction)
        if math.isnan(best):
            return True
        threshold = percentile_at_step(completed, direction, step, self._percentile, self._n_min_trials)
        if math.isnan(threshold):
            return False
        return best < threshold if direction == StudyDirection.MAXIMIZE else best > threshold


def is_first_in_interval_step(step: int, steps: Iterable[int], n_warmup_steps: int, interval_steps: int) -> bool:
    """True when ``step`` is the first reported step at or after the latest pruning point."""
    nearest_pruning_step = (step - n_warmup_steps) // interval_steps * interval_steps + n_warmup_steps
    previous = max((s for s in steps if s != step), default=-1)
    return previous < nearest_pruning_step


def best_intermediate_value(trial: FrozenTrial, direction: StudyDirection) -> float:
    values = np.asarray(list(trial.intermediate_values.values()), dtype=float)
    if values.size == 0 or np.isnan(values).all():
        return math.nan
    return float(np.nanmax(values) if direction == StudyDirection.MAXIMIZE else np.nanmin(values))


def percentile_at_step(
    trials: Sequence[FrozenTrial], direction: StudyDirection, step: int, percentile: float, n_min_trials: int
) -> float:
    """The ``percentile`` of the trials' values at ``step`` (mirrored for maximization); NaN if too few."""
    values = [t.intermediate_values[step] for t in trials if step in t.intermediate_values]
    if len(values) < n_min_trials:
        return math.nan
    if direction == StudyDirection.MAXIMIZE:
        percentile = 100 - percentile
    arr = np.asarray(values, dtype=float)
    if np.isnan(arr).all():
        return math.nan
    return float(np.nanpercentile(arr, percentile))
