"""Heartbeats: a running trial's process says it is alive; trials whose process went silent are failed.

A storage that supports them implements :class:`BaseHeartbeat` (``RDBStorage`` does, when given a
``heartbeat_interval``). Then :meth:`Study.ask` starts recording the new trial's heartbeat from a
thread of the asking process until :meth:`Study.tell` ends it, and first fails the study's stale
trials with :func:`fail_stale_trials`, which hands each one to the storage's stale-trial callback
(e.g. :class:`RetryHeartbeatStaleTrialCallback` to run it again). This works the same for
:meth:`Study.optimize` and for ask/tell loops.
"""

from __future__ import annotations

import abc
import copy
import threading
import weakref
from collections.abc import Callable, Collection
from typing import TYPE_CHECKING

from hpo.exceptions import UpdateFinishedTrialError
from hpo.logging import get_logger
from hpo.outcome import FAIL_REASON_KEY
from hpo.records import TrialState
from hpo.storages._base import BaseStorage
from hpo.trial import FrozenTrial

if TYPE_CHECKING:
    from hpo.study import Study

_logger = get_logger(__name__)

StaleTrialCallback = Callable[["Study", FrozenTrial], None]
"""Called with the study and each trial that :func:`fail_stale_trials` failed."""


class BaseHeartbeat(abc.ABC):
    """What a storage offers to keep heartbeats (mixed into a :class:`~hpo.storages.BaseStorage`).

    Contract: :meth:`record_heartbeats` and :meth:`get_stale_trial_ids` judge time by one clock,
    the storage's own, never the clocks of the processes that call them, so machines whose clocks
    or time zones differ never make a live trial look stale. A trial with no recorded heartbeat
    is never stale (it was started by a process that keeps none).
    """

    @abc.abstractmethod
    def record_heartbeats(self, trial_ids: Collection[int]) -> None:
        """Record, in one write, that the processes running these trials are alive now."""

    def record_heartbeat(self, trial_id: int) -> None:
        """Record that the process running ``trial_id`` is alive now."""
        self.record_heartbeats((trial_id,))

    @abc.abstractmethod
    def get_stale_trial_ids(self, study_id: int) -> list[int]:
        """The study's RUNNING trials whose last heartbeat is older than the grace period."""

    @abc.abstractmethod
    def get_heartbeat_interval(self) -> float | None:
        """Seconds between heartbeats; None when heartbeats are off."""

    @abc.abstractmethod
    def get_grace_period(self) -> float:
        """Seconds of silence after which a RUNNING trial is stale."""

    @abc.abstractmethod
    def get_heartbeat_stale_trial_callback(self) -> StaleTrialCallback | None:
        """What to call with each trial failed for a stale heartbeat."""

    def get_failed_trial_callback(self) -> StaleTrialCallback | None:
        """Optuna's older name of :meth:`get_heartbeat_stale_trial_callback`."""
        return self.get_heartbeat_stale_trial_callback()


def is_heartbeat_enabled(storage: BaseStorage) -> bool:
    """True when ``storage`` keeps heartbeats and was given a ``heartbeat_interval``."""
    return isinstance(storage, BaseHeartbeat) and storage.get_heartbeat_interval() is not None


def stale_reason(storage: BaseHeartbeat) -> str:
    """The fail reason stored on a trial failed for a stale heartbeat."""
    return (
        f"its heartbeat stopped: no sign of life for over {storage.get_grace_period():g} s "
        f"(heartbeat_interval={storage.get_heartbeat_interval():g} s); the process running it died, hung "
        "or lost the database"
    )


def fail_stale_trials(study: Study) -> None:
    """Fail the study's RUNNING trials whose heartbeat stopped, then call the stale-trial callback on each.

    Safe when several processes do it at once: each stale trial is failed, and called back, once.
    Does nothing when the study's storage keeps no heartbeats.
    """
    storage = study.storage
    if not is_heartbeat_enabled(storage):
        return
    assert isinstance(storage, BaseHeartbeat)
    reason = stale_reason(storage)
    failed: list[int] = []
    for trial_id in storage.get_stale_trial_ids(study.study_id):
        try:
            storage.set_trial_system_attr(trial_id, FAIL_REASON_KEY, reason)
            if storage.set_trial_state_values(trial_id, TrialState.FAIL):
                failed.append(trial_id)
        except UpdateFinishedTrialError:
            continue  # finished meanwhile, or failed by another process
        _logger.warning(f"Trial {storage.get_trial_number_from_id(trial_id)} failed: {reason}.")
    callback = storage.get_heartbeat_stale_trial_callback()
    if callback is not None:
        for trial_id in failed:
            callback(study, copy.deepcopy(storage.get_trial(trial_id)))


class HeartbeatKeeper:
    """Records the heartbeats of one storage's trials that this process runs, from one daemon thread.

    :meth:`start` records a trial's first heartbeat before returning, so a trial never runs without
    one; then all of them are recorded together every interval until :meth:`stop`. A failed write
    (the database is briefly unreachable or locked) is logged and tried again at the next beat: it
    never stops the thread or the trials. The thread ends when no trial is left.
    """

    def __init__(self, storage: BaseHeartbeat, interval: float) -> None:
        self._storage = storage
        self._interval = interval
        self._lock = threading.Lock()
        self._trial_ids: set[int] = set()
        self._thread: threading.Thread | None = None
        self._wake = threading.Event()
        self._failing = False

    def start(self, trial_id: int) -> None:
        self._storage.record_heartbeat(trial_id)
        with self._lock:
            self._trial_ids.add(trial_id)
            if self._thread is None or not self._thread.is_alive():  # not alive: this is a forked child
                self._thread = threading.Thread(target=self._beat, name="hpo-heartbeat", daemon=True)
                self._thread.start()

    def stop(self, trial_id: int) -> None:
        with self._lock:
            self._trial_ids.discard(trial_id)
            if not self._trial_ids:
                self._wake.set()

    def _beat(self) -> None:
        while True:
            self._wake.wait(self._interval)
            with self._lock:
                self._wake.clear()
                trial_ids = set(self._trial_ids)
                if not trial_ids:
                    self._thread = None
                    return
            try:
                self._storage.record_heartbeats(trial_ids)
            except Exception as e:  # the next beat tries again
                if not self._failing:
                    _logger.warning(f"Could not record trial heartbeats ({type(e).__name__}: {e}); retrying.")
                self._failing = True
            else:
                if self._failing:
                    _logger.warning("Trial heartbeats are recorded again.")
                self._failing = False


_keepers: weakref.WeakKeyDictionary[BaseHeartbeat, HeartbeatKeeper] = weakref.WeakKeyDictionary()
_keepers_lock = threading.Lock()


def heartbeat_keeper(storage: BaseStorage) -> HeartbeatKeeper | None:
    """This process's keeper of ``storage``'s heartbeats; None when ``storage`` keeps none."""
    if not is_heartbeat_enabled(storage):
        return None
    assert isinstance(storage, BaseHeartbeat)
    interval = storage.get_heartbeat_interval()
    assert interval is not None
    with _keepers_lock:
        keeper = _keepers.get(storage)
        if keeper is None:
            keeper = _keepers[storage] = HeartbeatKeeper(storage, interval)
        return keeper
