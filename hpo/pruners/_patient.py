"""Prune a trial whose best value has not improved for ``patience`` steps (and that a wrapped pruner prunes)."""

from __future__ import annotations

import math
from collections.abc import Iterable
from typing import TYPE_CHECKING

from hpo.pruners._base import BasePruner, ExplainedPruner, PruneReason, is_int
from hpo.records import StudyDirection
from hpo.trial import FrozenTrial

if TYPE_CHECKING:
    from hpo.study import Study


class PatientPruner(ExplainedPruner):
    """Optuna's patient pruner: once the best of the last ``patience + 1`` values is no better (by more
    than ``min_delta``) than the best before them, ask ``wrapped_pruner`` (None: prune).

    Args:
        wrapped_pruner: the pruner that decides once patience has run out, or None.
        patience: how many steps without improvement are tolerated (>= 0).
        min_delta: the least change that counts as an improvement (>= 0).

    A pruned trial records ``patience``, ``min_delta``, ``best_before`` and ``best_within`` (the
    best values before and within the window) and ``wrapped``: the wrapped pruner's reason (for a
    pruner that gives none, its name), or None.
    """

    def __init__(self, wrapped_pruner: BasePruner | None, patience: int, min_delta: float = 0.0) -> None:
        if wrapped_pruner is not None and not isinstance(wrapped_pruner, BasePruner):
            raise ValueError(f"wrapped_pruner must be a pruner or None, got {wrapped_pruner!r}.")
        if not is_int(patience, 0):
            raise ValueError(f"patience must be an integer >= 0, got {patience!r}.")
        if not min_delta >= 0:
            raise ValueError(f"min_delta must be >= 0, got {min_delta!r}.")
        self._wrapped_pruner = wrapped_pruner
        self._patience = patience
        self._min_delta = min_delta

    def __repr__(self) -> str:
        return f"PatientPruner({self._wrapped_pruner!r}, patience={self._patience}, min_delta={self._min_delta})"

    def filter_study(self, study: Study, trial: FrozenTrial) -> Study:
        """The wrapped pruner's view (e.g. a Hyperband bracket's trials)."""
        return study if self._wrapped_pruner is None else self._wrapped_pruner.filter_study(study, trial)

    def reason(self, study: Study, trial: FrozenTrial) -> PruneReason | None:
        step = trial.last_step
        values = trial.intermediate_values
        if step is None or len(values) <= self._patience + 1:
            return None
        steps = sorted(values)
        window = len(steps) - self._patience - 1
        maximize = study.direction == StudyDirection.MAXIMIZE
        before = _nanbest((values[s] for s in steps[:window]), maximize)
        within = _nanbest((values[s] for s in steps[window:]), maximize)
        stalled = before - self._min_delta > within if maximize else before + self._min_delta < within
        if not stalled:
            return None
        reason = {
            "pruner": "Patient",
            "step": step,
            "patience": self._patience,
            "min_delta": self._min_delta,
            "best_before": before,
            "best_within": within,
            "wrapped": None,
        }
        if isinstance(self._wrapped_pruner, ExplainedPruner):
            wrapped = self._wrapped_pruner.reason(study, trial)
            return None if wrapped is None else {**reason, "wrapped": wrapped}
        if self._wrapped_pruner is not None:
            pruned = self._wrapped_pruner.prune(study, trial)
            return {**reason, "wrapped": {"pruner": type(self._wrapped_pruner).__name__}} if pruned else None
        return reason


def _nanbest(values: Iterable[float], maximize: bool) -> float:
    """``numpy.nanmax``/``nanmin``: the best non-NaN value, NaN when there is none."""
    numbers = [v for v in values if not math.isnan(v)]
    if not numbers:
        return math.nan
    return max(numbers) if maximize else min(numbers)
