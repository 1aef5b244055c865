"""Prune a trial whose best intermediate value is worse than a percentile of other trials' at that step."""

from __future__ import annotations

import math
import threading
from collections.abc import Iterable
from typing import TYPE_CHECKING

from hpo.pruners._base import ExplainedPruner, PruneReason
from hpo.pruners._step_values import StepValues
from hpo.records import StudyDirection
from hpo.trial import FrozenTrial

if TYPE_CHECKING:
    from hpo.study import Study


class PercentilePruner(ExplainedPruner):
    """Prune when the trial's best value so far is worse than ``percentile`` of COMPLETE trials at its step.

    Args:
        percentile: 0-100; 50 is the median. Lower values prune more.
        n_startup_trials: no pruning until this many trials have completed.
        n_warmup_steps: no pruning before this step of a trial.
        interval_steps: judge only at every ``interval_steps``-th step after the warm-up.
        n_min_trials: no pruning at a step that fewer completed trials have reported.
        compare_running: also count the values that other RUNNING trials reported at the step
            (not Optuna's: it counts COMPLETE trials only), so that the first wave of a wide
            parallel study is pruned as a sequential study would be. Then ``n_startup_trials``
            and ``n_min_trials`` count the trials that reported a value at the judged step,
            COMPLETE or RUNNING, the judged trial left out. A report then also costs a look at
            each running trial's number of values (not a pass over the study).

    The reason a pruned trial records (:data:`~hpo.pruners.PRUNE_REASON_KEY`): ``value`` (the
    trial's best so far), ``percentile``, ``cutoff`` (that percentile of the others' values) and
    ``peers`` (how many trials reported the step); a trial whose values are all NaN records
    ``value: "nan"`` and no cutoff.
    """

    def __init__(
        self,
        percentile: float,
        n_startup_trials: int = 5,
        n_warmup_steps: int = 0,
        interval_steps: int = 1,
        *,
        n_min_trials: int = 1,
        compare_running: bool = False,
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
        if not isinstance(compare_running, bool):
            raise ValueError(f"compare_running must be True or False, got {compare_running!r}.")
        self._percentile = percentile
        self._n_startup_trials = n_startup_trials
        self._n_warmup_steps = n_warmup_steps
        self._interval_steps = interval_steps
        self._n_min_trials = n_min_trials
        self._compare_running = compare_running
        self._values: dict[tuple[int, int], StepValues] = {}
        self._lock = threading.Lock()

    def __repr__(self) -> str:
        return (
            f"{type(self).__name__}(percentile={self._percentile}, n_startup_trials={self._n_startup_trials}, "
            f"n_warmup_steps={self._n_warmup_steps}, interval_steps={self._interval_steps}, "
            f"n_min_trials={self._n_min_trials}, compare_running={self._compare_running})"
        )

    def __getstate__(self) -> dict[str, object]:
        return {k: v for k, v in self.__dict__.items() if k not in ("_values", "_lock")}

    def __setstate__(self, state: dict[str, object]) -> None:
        self.__dict__.update(state)
        self._values, self._lock = {}, threading.Lock()

    def reason(self, study: Study, trial: FrozenTrial) -> PruneReason | None:
        step = trial.last_step
        if step is None or step < self._n_warmup_steps:
            return None
        if not is_first_in_interval_step(step, trial.intermediate_values, self._n_warmup_steps, self._interval_steps):
            return None
        direction = study.direction
        percentile = 100 - self._percentile if direction == StudyDirection.MAXIMIZE else self._percentile
        exclude = trial.trial_id if self._compare_running else None
        with self._lock:
            values = self._values.setdefault((id(study.storage), study.study_id), StepValues(self._compare_running))
            values.refresh(study.storage, study.study_id)
            cutoff, peers = values.percentile(step, percentile, self._n_min_trials, exclude)
            n_trials = peers if self._compare_running else values.n_complete
        if n_trials == 0 or n_trials < self._n_startup_trials:
            return None
        name = type(self).__name__.removesuffix("Pruner")
        best = best_intermediate_value(trial, direction)
        if math.isnan(best):
            return {"pruner": name, "step": step, "value": best}
        if math.isnan(cutoff) or not (best < cutoff if direction == StudyDirection.MAXIMIZE else best > cutoff):
            return None
        return {
            "pruner": name,
            "step": step,
            "value": best,
            "percentile": self._percentile,
            "cutoff": cutoff,
            "peers": peers,
        }


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
