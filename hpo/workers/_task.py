"""The ``hpo.trial`` task: run one attempt of one trial on this worker."""

from __future__ import annotations

import logging
import os
import socket
import time
import uuid
from typing import Any

from celery.exceptions import SoftTimeLimitExceeded

from hpo.distributed import wire
from hpo.distributed.broker import redis_client
from hpo.distributed.config import Settings
from hpo.distributed.objectives import load_objective
from hpo.distributed.redis_round import Round
from hpo.exceptions import ObjectiveNotAllowedError, WireError
from hpo.outcome import run_objective
from hpo.workers._channel import AttemptChannel
from hpo.workers._heartbeat import AttemptHeartbeats, beat
from hpo.workers._remote_trial import RemoteTrial

_logger = logging.getLogger(__name__)


def runner_prefix(worker_name: str, pid: int | None) -> str:
    """How the deliveries run by one process of a worker name themselves (a run id follows)."""
    return f"{worker_name} pid {pid} run "


class WorkerRuntime:
    """Per-process state of a worker child: its settings, Redis client and device."""

    def __init__(self, settings: Settings, allowed_modules: tuple[str, ...]) -> None:
        self.settings = settings
        self.allowed_modules = allowed_modules
        self.device: str | None = None
        self.hostname = socket.gethostname()
        self._line: Round | None = None
        self._heartbeats: AttemptHeartbeats | None = None

    @property
    def line(self) -> Round:
        """This process's connection to Redis, created lazily, after the prefork pool has forked."""
        if self._line is None:
            self._line = Round(redis_client(self.settings.broker_url))
        return self._line

    @property
    def heartbeats(self) -> AttemptHeartbeats:
        """This process's heartbeat thread, started lazily, after the prefork pool has forked."""
        if self._heartbeats is None:
            self._heartbeats = AttemptHeartbeats(self.settings.broker_url)
        return self._heartbeats

    def run(self, payload: dict[str, Any], worker_name: str) -> str:
        """Run the attempt described by ``payload``; return its final state (or why it was skipped)."""
        task = wire.parse(payload, wire.TrialTask)
        channel = AttemptChannel(self.line, task)
        header: dict[str, Any] = {
            "study_id": task.study_id, "trial_id": task.trial_id, "attempt": task.attempt, "token": task.token
        }
        device = f"gpu:{self.device}" if self.device is not None else None
        # The attempt's heartbeat key exists before the coordinator hears of the start: a coordinator
        # restarting before it stored who started the attempt finds the key and does not publish it again.
        runner = f"{runner_prefix(worker_name, os.getpid())}{uuid.uuid4().hex[:8]}"  # this delivery of the attempt
        start = channel.request(wire.Start(**header, worker=runner, device=device),
                                first=beat(task.token, runner, task.heartbeat_timeout_s))
        if not start.ok:
            _logger.info("Skipping trial %s#%d: %s", task.study_name, task.number, start.error)
            return f"SKIPPED: {start.error}"
        self.heartbeats.track(task.token, runner, task.heartbeat_timeout_s)
        try:
            return self._run_started(task, channel, header, device)
        finally:
            self.heartbeats.untrack(task.token)

    def _run_started(self, task: wire.TrialTask, channel: AttemptChannel, header: dict[str, Any],
                     device: str | None) -> str:
        """Run the objective of an attempt this worker may run; send its outcome."""
        began = time.perf_counter()

        def finish(state: str, values: list[float] | None, fail_reason: str | None, unsent: dict[str, Any],
                   refused: bool = False) -> str:
            def outcome(**changes: Any) -> wire.Finish:
                fields: dict[str, Any] = dict(unsent, state=state, values=values, fail_reason=fail_reason,
                                              duration_s=time.perf_counter() - began, refused=refused)
                return wire.Finish(**header, **{**fields, **changes})

            try:
                channel.send(outcome())
            except WireError as e:  # too large to travel: the trial fails with the reason, without its updates
                state = "FAIL"
                channel.send(outcome(state=state, values=None, fail_reason=str(e), used_params={}, user_attrs={}))
            return state

        nothing: dict[str, Any] = {"used_params": {}, "user_attrs": {}}
        try:
            objective = load_objective(task.objective, self.allowed_modules)
        except ObjectiveNotAllowedError as e:
            return finish("FAIL", None, str(e), nothing, refused=True)
        try:
            trial = RemoteTrial(task, channel)
        except Exception as e:  # the task's presampled params are not what a coordinator sends
            return finish("FAIL", None, f"The trial's task is malformed: {e!r}", nothing)
        if device is not None:
            trial.set_user_attr("device", device)
        outcome = run_objective(objective, trial, task.n_objectives)
        reason = outcome.fail_reason
        if isinstance(outcome.error, SoftTimeLimitExceeded):
            reason = f"The trial timed out after {task.time_limit_s:g} s (trial_timeout) and was stopped."
        state = finish(outcome.state.name, outcome.values, reason, trial.take_unsent())
        if outcome.error is not None and not isinstance(outcome.error, Exception):
            raise outcome.error  # KeyboardInterrupt and the like: the outcome is sent, the process stops
        return state
