"""Asynchronous successive halving (ASHA): a trial goes on past a rung only when it is in the top
``1 / reduction_factor`` of the values recorded at that rung so far."""

from __future__ import annotations

import bisect
import math
import threading
from collections.abc import Callable
from typing import TYPE_CHECKING

from hpo.pruners._base import ExplainedPruner, PruneReason, is_int
from hpo.pruners._feed import TrialFeed
from hpo.records import StudyDirection, TrialState
from hpo.storages import BaseStorage
from hpo.trial import FrozenTrial

if TYPE_CHECKING:
    from hpo.study import Study


def completed_rung_key(rung: int) -> str:
    """The system attr where a trial records its value at ``rung`` (Optuna's name)."""
    return f"completed_rung_{rung}"


class SuccessiveHalvingPruner(ExplainedPruner):
    """Optuna's asynchronous successive halving, with the same arguments and decisions.

    Rung ``k`` ends at step ``min_resource * reduction_factor ** (min_early_stopping_rate + k)``.
    When a trial's last step reaches it, the trial records its last value in its
    ``completed_rung_{k}`` system attr and goes on only if that value is among the best
    ``max(1, n // reduction_factor)`` of the ``n`` values recorded at the rung so far (by any
    trial, running or finished, itself included); a NaN value is pruned.

    Args:
        min_resource: the first rung's length in steps; ``"auto"``: the largest last step of the
            COMPLETE trials // 100 (at least 1), estimated once, when the first trial has completed.
        reduction_factor: ``eta``; about ``1 / reduction_factor`` of the trials pass each rung.
        min_early_stopping_rate: ``s``; the first rung ends ``reduction_factor ** s`` times later.
        bootstrap_count: while a rung holds at most this many values, each trial reaching it is pruned.

    Decisions come from the rung values kept sorted per study (a :class:`RungBook`): a report
    costs a binary search and a list insert per rung, plus a read of the unfinished trials when
    trials started or ended since the last report, or while some unfinished trial has not been
    judged here (another process may record its rung values); never a pass over the study. The
    ``completed_rung_{k}`` attrs are written as Optuna writes them.

    The reason a pruned trial records: ``rung``, ``value``, ``cutoff`` (the worst value that
    passes) and ``peers`` (the values at the rung, its own included), or ``bootstrap_count``
    while the rung is filling, or ``value: "nan"``.
    """

    def __init__(
        self,
        min_resource: str | int = "auto",
        reduction_factor: int = 4,
        min_early_stopping_rate: int = 0,
        bootstrap_count: int = 0,
    ) -> None:
        check_rung_arguments(min_resource, reduction_factor, bootstrap_count)
        if not is_int(min_early_stopping_rate, 0):
            raise ValueError(f"min_early_stopping_rate must be an integer >= 0, got {min_early_stopping_rate!r}.")
        if bootstrap_count > 0 and min_resource == "auto":
            raise ValueError(
                f"bootstrap_count={bootstrap_count} needs an integer min_resource: with min_resource='auto' "
                "the rungs are unknown until a trial completes."
            )
        self._min_resource = min_resource
        self._reduction_factor = reduction_factor
        self._min_early_stopping_rate = min_early_stopping_rate
        self._bootstrap_count = bootstrap_count
        self._books: dict[tuple[int, int], RungBook] = {}
        self._lock = threading.Lock()

    def __repr__(self) -> str:
        return (
            f"SuccessiveHalvingPruner(min_resource={self._min_resource!r}, reduction_factor={self._reduction_factor}, "
            f"min_early_stopping_rate={self._min_early_stopping_rate}, bootstrap_count={self._bootstrap_count})"
        )

    def __getstate__(self) -> dict[str, object]:
        return {k: v for k, v in self.__dict__.items() if k not in ("_books", "_lock")}

    def __setstate__(self, state: dict[str, object]) -> None:
        self.__dict__.update(state)
        self._books, self._lock = {}, threading.Lock()

    def reason(self, study: Study, trial: FrozenTrial) -> PruneReason | None:
        return self.judge(study, trial, None)

    def judge(self, study: Study, trial: FrozenTrial, includes: Callable[[int], bool] | None) -> PruneReason | None:
        """:meth:`reason`, counting only the trials whose numbers ``includes`` accepts (None: all)."""
        step = trial.last_step
        if step is None:
            return None
        storage, study_id = study.storage, study.study_id
        with self._lock:
            book = self._books.get((id(storage), study_id))
            if book is None:
                book = self._books[(id(storage), study_id)] = RungBook(includes)
            book.sync(storage, study_id)
            if book.min_resource is None:
                fixed = self._min_resource if isinstance(self._min_resource, int) else None
                book.min_resource = fixed or estimate_min_resource(storage, study_id)
                if book.min_resource is None:
                    return None
            book.claim(trial)
            return self._climb(study, trial, step, book, book.min_resource)

    def _climb(
        self, study: Study, trial: FrozenTrial, step: int, book: RungBook, min_resource: int
    ) -> PruneReason | None:
        """Record ``trial``'s last value at each rung its last step reached; the reason to prune it at the
        first rung where it does not pass."""
        rung = book.level(trial.trial_id)
        value = trial.intermediate_values[step]
        maximize = study.direction == StudyDirection.MAXIMIZE
        while step >= min_resource * self._reduction_factor ** (self._min_early_stopping_rate + rung):
            if math.isnan(value):
                return {"pruner": "SuccessiveHalving", "step": step, "rung": rung, "value": value}
            study.storage.set_trial_system_attr(trial.trial_id, completed_rung_key(rung), value)
            peers = book.record(trial.trial_id, rung, value)
            reason = {"pruner": "SuccessiveHalving", "step": step, "rung": rung, "value": value}
            if peers <= self._bootstrap_count:
                return {**reason, "bootstrap_count": self._bootstrap_count, "peers": peers}
            cutoff = book.cutoff(rung, self._reduction_factor, maximize)
            if (value < cutoff) if maximize else (value > cutoff):
                return {**reason, "cutoff": cutoff, "peers": peers}
            rung += 1
        return None


def check_rung_arguments(min_resource: str | int, reduction_factor: int, bootstrap_count: int) -> None:
    """Refuse, with a clear message, rung arguments that Optuna's successive halving refuses."""
    if min_resource != "auto" and not is_int(min_resource, 1):
        raise ValueError(f"min_resource must be an integer >= 1 or 'auto', got {min_resource!r}.")
    if not is_int(reduction_factor, 2):
        raise ValueError(f"reduction_factor must be an integer >= 2, got {reduction_factor!r}.")
    if not is_int(bootstrap_count, 0):
        raise ValueError(f"bootstrap_count must be an integer >= 0, got {bootstrap_count!r}.")



def estimate_min_resource(storage: BaseStorage, study_id: int) -> int | None:
    """Optuna's ``min_resource="auto"``: the largest last step of the COMPLETE trials // 100, at
    least 1; None while no trial has completed with a report."""
    if storage.get_n_trials(study_id, TrialState.COMPLETE) == 0:
        return None
    steps = [
        t.last_step
        for t in storage.get_all_trials(study_id, deepcopy=False, states=(TrialState.COMPLETE,))
        if t.last_step is not None
    ]
    return max(max(steps) // 100, 1) if steps else None


class RungBook:
    """The values trials recorded at each rung of one study (or of the trials ``includes`` accepts),
    sorted per rung, so that a decision costs a binary search per rung, not a pass over the trials.

    The storage is read through a :class:`TrialFeed`: each trial once it is finished, and at each
    sync, until it finishes, each unfinished trial that this book has not judged (a trial is judged
    by one process only, so the rung values of a judged trial are those this book records). A
    report thus reads the unfinished trials at most, never the whole study. ``min_resource`` is
    the first rung's length once known.
    """

    def __init__(self, includes: Callable[[int], bool] | None) -> None:
        self._includes = includes
        self._feed = TrialFeed()
        self._clear()

    def _clear(self) -> None:
        self.min_resource: int | None = None
        self._rungs: list[list[float]] = []
        self._levels: dict[int, int] = {}  # trial id -> how many rungs it recorded
        self._watched: set[int] = set()  # unfinished trials not judged here: another process may record
        self._judged: set[int] = set()

    def sync(self, storage: BaseStorage, study_id: int) -> None:
        """Take in the rung values recorded in the storage since the last call."""
        changes = self._feed.poll(storage, study_id, want_unfinished=bool(self._watched))
        if changes.restarted:  # not the study this book was filled from
            self._clear()
        for trial in changes.unfinished:
            if trial.trial_id not in self._judged and (self._includes is None or self._includes(trial.number)):
                self._watched.add(trial.trial_id)
                self.merge(trial)
        for trial in changes.finished:
            if self._includes is None or self._includes(trial.number):
                self._watched.discard(trial.trial_id)
                self.merge(trial)

    def claim(self, trial: FrozenTrial) -> None:
        """Note that this book judges ``trial`` from now on (and take in the rung values it holds)."""
        self.merge(trial)
        self._judged.add(trial.trial_id)
        self._watched.discard(trial.trial_id)

    def merge(self, trial: FrozenTrial) -> None:
        """Take in the rung values in ``trial``'s system attrs that the book does not hold yet."""
        attrs = trial.system_attrs
        while (value := attrs.get(completed_rung_key(self.level(trial.trial_id)))) is not None:
            if isinstance(value, (int, float)) and not math.isnan(value):
                self.record(trial.trial_id, self.level(trial.trial_id), float(value))
            else:
                self._levels[trial.trial_id] = self.level(trial.trial_id) + 1

    def level(self, trial_id: int) -> int:
        """How many rungs the trial has recorded a value at (its current rung)."""
        return self._levels.get(trial_id, 0)

    def record(self, trial_id: int, rung: int, value: float) -> int:
        """Add the trial's value at ``rung`` (its current one); the number of values at the rung."""
        while len(self._rungs) <= rung:
            self._rungs.append([])
        bisect.insort(self._rungs[rung], value)
        self._levels[trial_id] = rung + 1
        return len(self._rungs[rung])

    def cutoff(self, rung: int, reduction_factor: int, maximize: bool) -> float:
        """The worst value at ``rung`` that is among its best ``max(1, n // reduction_factor)``."""
        values = self._rungs[rung]
        index = max(len(values) // reduction_factor - 1, 0)
        return values[-1 - index] if maximize else values[index]
