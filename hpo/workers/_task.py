"""The ``hpo.trial`` task: run one attempt of one trial on this worker."""

from __future__ import annotations

import logging
import os
import socket
import time
import traceback
import uuid
from typing import Any

import redis

from hpo import wire
from hpo._redis_round import Round
from hpo.config import Settings
from hpo.exceptions import TrialPruned
from hpo.objectives import ObjectiveNotAllowedError, load_objective
from hpo.study._tell import check_values
from hpo.workers._channel import Channel
from hpo.workers._heartbeat import AttemptHeartbeats, beat
from hpo.workers._remote_trial import RemoteTrial

_logger = logging.getLogger(__name__)


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
            self._line = Round(redis.Redis.from_url(self.settings.broker_url))
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
        channel = Channel(self.line, task)
        header = {"study_id": task.study_id, "trial_id": task.trial_id, "attempt": task.attempt, "token": task.token}
        device = f"gpu:{self.device}" if self.device is not None else None
        # The attempt's heartbeat key exists before the coordinator hears of the start: a coordinator
        # restarting before it stored who started the attempt finds the key and does not publish it again.
        runner = f"{worker_name} pid {os.getpid()} run {uuid.uuid4().hex[:8]}"  # this delivery of the attempt
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

    def _run_started(self, task: wire.TrialTask, channel: Channel, header: dict[str, Any], device: str | None) -> str:
        """Run the objective of an attempt this worker may run; send its outcome."""
        began = time.perf_counter()
        trial: RemoteTrial | None = None
        state, values, reason, refused = "COMPLETE", None, None, False
        try:
            objective = load_objective(task.objective, self.allowed_modules)
            trial = RemoteTrial(task, channel)
            if device is not None:
                trial.set_user_attr("device", device)
            returned = objective(trial)
            values, reason = check_values(returned, task.n_objectives)
            if reason is not None:
                state = "FAIL"
        except TrialPruned:
            state = "PRUNED"
        except ObjectiveNotAllowedError as e:
            state, reason, refused = "FAIL", str(e), True
        except Exception as e:
            state, reason = "FAIL", f"{e!r}\n{traceback.format_exc()}"
        unsent = trial._take_unsent() if trial is not None else {"used_params": {}, "user_attrs": {}}
        channel.send(
            wire.Finish(**header, **unsent, state=state, values=values, fail_reason=reason,
                        duration_s=time.perf_counter() - began, refused=refused)
        )
        return state
