"""Prune a trial whose best intermediate value is worse than a percentile of finished trials' at that step."""

from __future__ import annotations

import bisect
import math
import threading
from collections.abc import Iterable, Sequence
from typing import TYPE_CHECKING

from hpo.pruners._base import BasePruner
from hpo.records import StudyDirection, TrialState
from hpo.trial import FrozenTrial

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
        self._completed: dict[tuple[int, int], CompletedValues] = {}
        self._lock = threading.Lock()

    def __repr__(self) -> str:
        return (
            f"{type(self).__name__}(percentile={self._percentile}, n_startup_trials={self._n_startup_trials}, "
            f"n_warmup_steps={self._n_warmup_steps}, interval_steps={self._interval_steps}, "
            f"n_min_trials={self._n_min_trials})"
        )

    def __getstate__(self) -> dict[str, object]:
        return {k: v for k, v in self.__dict__.items() if k not in ("_completed", "_lock")}

    def __setstate__(self, state: dict[str, object]) -> None:
        self.__dict__.update(state)
        self._completed, self._lock = {}, threading.Lock()

    def _completed_values(self, study: Study) -> CompletedValues:
        """The study's COMPLETE trials' values by step, updated only when trials completed since."""
        storage, study_id = study.storage, study.study_id
        n_completed = storage.get_n_trials(study_id, TrialState.COMPLETE)
        key = (id(storage), study_id)
        with self._lock:
            cached = self._completed.get(key)
            if cached is None or cached.n_trials != n_completed:
                trials = storage.get_all_trials(study_id, deepcopy=False, states=(TrialState.COMPLETE,))
                if cached is None or len(trials) < cached.n_trials:
                    cached = CompletedValues()
                cached.add_new(trials)
                self._completed[key] = cached
            return cached

    def prune(self, study: Study, trial: FrozenTrial) -> bool:
        step = trial.last_step
        if step is None or step < self._n_warmup_steps:
            return False
        if not is_first_in_interval_step(step, trial.intermediate_values, self._n_warmup_steps, self._interval_steps):
            return False
        completed = self._completed_values(study)
        if completed.n_trials == 0 or completed.n_trials < self._n_startup_trials:
            return False
        direction = study.direction
        best = best_intermediate_value(trial, direction)
        if math.isnan(best):
            return True
        percentile = 100 - self._percentile if direction == StudyDirection.MAXIMIZE else self._percentile
        threshold = completed.percentile(step, percentile, self._n_min_trials)
        if math.isnan(threshold):
            return False
        return best < threshold if direction == StudyDirection.MAXIMIZE else best > threshold


def is_first_in_interval_step(step: int, steps: Iterable[int], n_warmup_steps: int, interval_steps: int) -> bool:
    """True when ``step`` is the first reported step at or after the latest pruning point."""
    nearest_pruning_step = (step - n_warmup_steps) // interval_steps * interval_steps + n_warmup_steps
    previous = max((s for s in steps if s != step), default=-1)
    return previous < nearest_pruning_step


def best_intermediate_value(trial: FrozenTrial, direction: StudyDirection) -> float:
    values = [v for v in trial.intermediate_values.values() if not math.isnan(v)]
    if not values:
        return math.nan
    return float(max(values) if direction == StudyDirection.MAXIMIZE else min(values))


class CompletedValues:
    """Each step's values of COMPLETE trials, sorted, so that a percentile costs O(1) per report.

    Finished trials never change, so trials already added are skipped by id and the structure
    only grows as trials complete.
    """

    def __init__(self) -> None:
        self._seen: set[int] = set()
        self._by_step: dict[int, list[float]] = {}
        self._n_nan: dict[int, int] = {}

    @property
    def n_trials(self) -> int:
        return len(self._seen)

    def add_new(self, trials: Sequence[FrozenTrial]) -> None:
        for trial in trials:
            if trial.trial_id in self._seen:
                continue
            self._seen.add(trial.trial_id)
            for step, value in trial.intermediate_values.items():
                if math.isnan(value):
                    self._n_nan[step] = self._n_nan.get(step, 0) + 1
                else:
                    bisect.insort(self._by_step.setdefault(step, []), value)

    def percentile(self, step: int, percentile: float, n_min_trials: int) -> float:
        """``numpy.nanpercentile`` (linear interpolation) of the values at ``step``; NaN when fewer than
        ``n_min_trials`` trials reported that step or all their values are NaN."""
        values = self._by_step.get(step, [])
        if len(values) + self._n_nan.get(step, 0) < n_min_trials or not values:
            return math.nan
        rank = percentile / 100 * (len(values) - 1)
        low = math.floor(rank)
        high = min(low + 1, len(values) - 1)
        fraction, a, b = rank - low, values[low], values[high]
        # numpy's lerp, so that decisions equal nanpercentile's to the last bit
        return b - (b - a) * (1 - fraction) if fraction >= 0.5 else a + (b - a) * fraction
