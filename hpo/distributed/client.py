"""Submitting studies to the coordinator: ``hpo.submit_study`` and the handle it returns."""

from __future__ import annotations

import dataclasses
import logging
import threading
import time
import uuid
from collections.abc import Sequence
from typing import Any

import redis

from hpo import specs
from hpo.distributed import wire
from hpo.distributed.broker import redis_client, unreachable
from hpo.distributed.config import Settings, masked_url
from hpo.distributed.objectives import registered
from hpo.distributed.outage import Outage
from hpo.distributed.redis_round import Round
from hpo.exceptions import (
    CoordinatorUnavailableError,
    DuplicatedStudyError,
    HpoError,
    SpecError,
    StudyFailedError,
    StudyNotFoundError,
)
from hpo.pruners import BasePruner
from hpo.samplers import BaseSampler
from hpo.study import Study, StudyDirection, load_study

__all__ = ["DeadLetter", "StudyHandle", "get_study_handle", "read_dead_letters", "submit_study"]

_logger = logging.getLogger(__name__)

#: The coordinator's error types a client raises again by name.
_ERROR_TYPES: dict[str, type[Exception]] = {
    "DuplicatedStudyError": DuplicatedStudyError,
    "ValueError": ValueError,
    "SpecError": SpecError,
    "KeyError": StudyNotFoundError,
    "StudyNotFoundError": StudyNotFoundError,
}


class _ControlClient:
    def __init__(self, broker_url: str, timeout_s: float) -> None:
        self.broker_url = broker_url
        self._client = redis_client(broker_url)
        self._line = Round(self._client)  # waits for replies longer than the client's socket timeout
        self._line_lock = threading.Lock()
        self._timeout_s = timeout_s

    @property
    def timeout_s(self) -> float:
        return self._timeout_s

    def request(self, message: wire.Submit | wire.Cancel | wire.Status) -> dict[str, Any]:
        try:
            alive = self._client.exists(wire.coordinator_key())
        except redis.RedisError as e:
            raise CoordinatorUnavailableError(unreachable(
                self.broker_url, e, "Start Redis there, or point this client at yours with HPO_BROKER_URL or "
                "broker_url=."
            )) from e
        if not alive:
            raise CoordinatorUnavailableError(
                f"No coordinator is running on {masked_url(self.broker_url)}. Start one with `hpo coordinator start`, "
                "or run everything locally with `hpo run FILE:FUNCTION --workers K`."
            )
        try:
            self._client.xadd(wire.CONTROL, {"m": message.to_json()})
            with self._line_lock:
                popped = self._line.execute([("BLPOP", wire.reply_key(message.request_id), self._timeout_s)],
                                            blocking_s=self._timeout_s)[0]
        except redis.RedisError as e:
            raise CoordinatorUnavailableError(f"Lost the broker at {masked_url(self.broker_url)}: {e}.") from e
        if isinstance(popped, Exception):
            raise popped
        if popped is None:
            raise CoordinatorUnavailableError(f"The coordinator did not answer within {self._timeout_s:g} s.")
        reply = wire.parse(popped[1], wire.ControlReply)
        if not reply.ok:
            raise _ERROR_TYPES.get(reply.error_type or "", HpoError)(reply.error)
        return reply.body


class StudyHandle:
    """A submitted study: ``wait()``, ``status()``, ``cancel()`` and the usual ``study``."""

    def __init__(self, study_name: str, storage_url: str | None, control: _ControlClient) -> None:
        self.study_name = study_name
        self._storage_url = storage_url
        self._control = control

    def __repr__(self) -> str:
        return f"StudyHandle(study_name={self.study_name!r})"

    def status(self) -> dict[str, Any]:
        """``status`` (running, done, cancelled, error), ``n_trials``, ``n_finished``, ``n_running``, best value."""
        return self._control.request(wire.Status(request_id=uuid.uuid4().hex, study_name=self.study_name))

    def cancel(self) -> dict[str, Any]:
        """Publish no more trials; every trial not finished ends FAIL now, and a running trial's
        objective is stopped at its next ``report``/``suggest`` (refused: the attempt is over)."""
        return self._control.request(wire.Cancel(request_id=uuid.uuid4().hex, study_name=self.study_name))

    def wait(self, progress: bool = True, timeout: float | None = None, poll_s: float = 0.1) -> Study:
        """Block until the study ends; return it. Raises :class:`StudyFailedError` if it ended in error.

        While Redis or the coordinator is away (a restart), it waits for them, for up to
        ``HPO_REPLY_TIMEOUT`` seconds at a stretch (with one log line), then raises
        :class:`CoordinatorUnavailableError`.
        """
        deadline = None if timeout is None else time.monotonic() + timeout
        bar = None
        outage = Outage(f"The coordinator of study {self.study_name!r}", _logger, max_s=1.0)
        away_since: float | None = None
        warned = None
        try:
            while True:
                try:
                    status = self.status()
                except CoordinatorUnavailableError as e:
                    away_since = away_since or time.monotonic()
                    if time.monotonic() - away_since > self._control.timeout_s:
                        raise
                    time.sleep(outage.failed(e))
                    continue
                away_since = None
                outage.recovered()
                if status.get("warning") and status["warning"] != warned:
                    warned = status["warning"]
                    _logger.warning("Study %s: %s", self.study_name, warned)
                if progress:
                    if bar is None:
                        from tqdm.auto import tqdm

                        bar = tqdm(total=status["n_trials"], unit="trial", desc=self.study_name)
                    if status.get("best_value") is not None:
                        best = f"Best trial: {status['best_number']}. Best value: {status['best_value']:.6g}"
                        bar.set_description(best, refresh=False)
                    if status.get("n_finished", bar.n) != bar.n:
                        bar.n = status["n_finished"]
                        bar.refresh()
                if status["status"] == "error":
                    raise StudyFailedError(f"Study {self.study_name!r} failed: {status.get('error')}")
                if status["status"] != "running":
                    return self.study
                if deadline is not None and time.monotonic() >= deadline:
                    raise TimeoutError(f"Study {self.study_name!r} still runs after {timeout} s.")
                time.sleep(poll_s)
        finally:
            if bar is not None:
                bar.close()

    @property
    def study(self) -> Study:
        """The study in SQL (read-only use: the coordinator is its writer)."""
        if not self._storage_url:
            raise ValueError(
                "No storage URL is known to read the study: pass storage= to submit_study or set HPO_STORAGE_URL."
            )
        return load_study(study_name=self.study_name, storage=self._storage_url)


def submit_study(
    objective_path: str,
    n_trials: int,
    *,
    study_name: str | None = None,
    direction: str | StudyDirection | None = None,
    directions: Sequence[str | StudyDirection] | None = None,
    sampler: BaseSampler | dict[str, Any] | None = None,
    pruner: BasePruner | dict[str, Any] | None = None,
    storage: str | None = None,
    queue: str | None = None,
    timeout: float | None = None,
    load_if_exists: bool = False,
    broker_url: str | None = None,
    trial_timeout: float | None = None,
    max_retries: int = 0,
) -> StudyHandle:
    """Run ``n_trials`` trials of ``objective_path`` ("module:function" or a registered name) on workers.

    The coordinator counts ``n_trials`` across all workers. ``sampler`` and ``pruner`` travel as
    JSON specs; ``queue`` defaults to the registered objective's queue, else ``"cpu"``.
    ``timeout``: publish no trial after this many seconds. ``trial_timeout``: stop each trial after
    this many seconds (the objective gets Celery's ``SoftTimeLimitExceeded``, its process is killed
    and replaced 5 s later if it goes on); it ends FAIL "timed out". ``max_retries``: a trial whose
    attempt is lost (its worker, machine or process died) runs again, with the same params, as a new
    attempt, up to this many times (``trial.attempt`` tells the objective which, to resume from its own
    checkpoint); exceptions the objective raises are not retried. Each lost attempt is recorded in
    the trial's ``hpo:attempts`` system attr.
    """
    if isinstance(n_trials, bool) or not isinstance(n_trials, int) or n_trials < 1:
        raise ValueError(f"n_trials must be a positive integer, got {n_trials!r}.")
    if direction is not None and directions is not None:
        raise ValueError("Pass either direction or directions, not both.")
    settings = Settings.from_env()
    entry = registered(objective_path)
    if entry is None and ":" not in objective_path:
        raise ValueError(
            f"Objective {objective_path!r} must be 'module:function' or a name registered with @hpo.objective."
        )
    dirs = [direction] if direction is not None else list(directions or [])
    message = wire.Submit(
        request_id=uuid.uuid4().hex,
        objective=objective_path,
        n_trials=n_trials,
        study_name=study_name,
        directions=[d.name.lower() if isinstance(d, StudyDirection) else str(d) for d in dirs],
        sampler=_spec(sampler),
        pruner=_spec(pruner),
        queue=queue or (entry.queue if entry else "cpu"),
        timeout_s=timeout,
        load_if_exists=load_if_exists,
        trial_timeout_s=trial_timeout,
        max_retries=max_retries,
    )
    control = _ControlClient(broker_url or settings.broker_url, settings.reply_timeout_s)
    body = control.request(message)  # raises the coordinator's error, e.g. DuplicatedStudyError
    return StudyHandle(body["study_name"], storage or settings.storage_url or body.get("storage_url"), control)


def get_study_handle(study_name: str, *, storage: str | None = None, broker_url: str | None = None) -> StudyHandle:
    """A handle on a study submitted earlier (e.g. from another process)."""
    settings = Settings.from_env()
    control = _ControlClient(broker_url or settings.broker_url, settings.reply_timeout_s)
    return StudyHandle(study_name, storage or settings.storage_url, control)


def _spec(obj: BaseSampler | BasePruner | dict[str, Any] | None) -> dict[str, Any] | None:
    if obj is None or isinstance(obj, dict):
        return obj
    if not isinstance(obj, (BaseSampler, BasePruner)):
        raise SpecError(
            f"Expected a sampler or pruner object (a hpo.samplers.BaseSampler or hpo.pruners.BasePruner) or a "
            f"spec dict, got {obj!r}; e.g. sampler=hpo.samplers.TPESampler()."
        )
    return specs.to_spec(obj)


@dataclasses.dataclass(frozen=True)
class DeadLetter:
    """A message the coordinator refused on arrival and set aside: where it came from and why."""

    entry_id: str  # in the dead-letter stream
    stream: str  # where it arrived: the inbox (workers) or the control stream (clients)
    original_id: str
    reason: str
    message: str  # its first 64 KiB, as text
    size: int  # its whole size in bytes
    at: float  # when it was set aside (Unix time)


def read_dead_letters(limit: int = 100, *, broker_url: str | None = None) -> list[DeadLetter]:
    """The newest ``limit`` messages the coordinator set aside, newest first."""
    url = broker_url or Settings.from_env().broker_url
    client = redis_client(url)
    try:
        entries: Any = client.xrevrange(wire.DEAD_LETTERS, count=limit)
    except redis.RedisError as e:
        raise CoordinatorUnavailableError(unreachable(
            url, e, "Start Redis there, or name yours with HPO_BROKER_URL or broker_url=.",
            action="read the dead letters from",
        )) from e
    finally:
        client.close()

    def text(fields: dict[bytes, bytes], key: bytes) -> str:
        return fields.get(key, b"").decode(errors="replace")

    return [
        DeadLetter(entry_id=entry_id.decode(), stream=text(fields, b"stream"), original_id=text(fields, b"id"),
                   reason=text(fields, b"reason"), message=text(fields, b"message"),
                   size=int(fields.get(b"size", 0)), at=float(fields.get(b"at", 0.0)))
        for entry_id, fields in entries
    ]
