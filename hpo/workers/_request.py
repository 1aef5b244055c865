"""What the worker's main process tells the coordinator when a trial's process dies under it.

A child killed by a signal, a segfault or a hard time limit sends nothing itself; Celery's main
process sees it go. :class:`TrialRequest` then sends the attempt's outcome, FAIL with the real
cause (exit code, signal name, time limit), so the coordinator ends the trial within a second
instead of after the heartbeat timeout. A process killed or crashed counts as lost (the trial may
be retried); ``sys.exit`` in the objective and a time limit do not. The outcome names the process:
the coordinator applies it only to an attempt that process started (not to one it was refused).
"""

from __future__ import annotations

import logging
from typing import Any

import redis
from billiard.einfo import ExceptionWithTraceback
from billiard.exceptions import TimeLimitExceeded, WorkerLostError
from celery.worker.request import Request

from hpo.distributed import wire
from hpo.distributed.broker import redis_client
from hpo.exceptions import WireError
from hpo.workers._task import runner_prefix

_logger = logging.getLogger(__name__)

_clients: dict[str, redis.Redis] = {}


class TrialRequest(Request):
    """Celery's request of an ``hpo.trial`` task, with a last word for attempts whose process died."""

    def on_failure(self, exc_info: Any, send_failed_event: bool = True, return_ok: bool = False) -> None:
        error = exc_info.exception
        if isinstance(error, ExceptionWithTraceback):
            error = error.exc
        if isinstance(error, (WorkerLostError, TimeLimitExceeded, SystemExit, KeyboardInterrupt)):
            try:
                self._report_death(error)
            except (redis.RedisError, WireError, ValueError, KeyError, TypeError):
                _logger.exception("Could not report the death of a trial's process.")
        super().on_failure(exc_info, send_failed_event, return_ok)

    def _report_death(self, error: BaseException) -> None:
        task = wire.parse(self.args[0], wire.TrialTask)
        client = _client(self.app.conf.broker_url)
        if isinstance(error, TimeLimitExceeded):
            cause = f"The trial timed out after {task.time_limit_s:g} s and its process was killed."
        elif isinstance(error, SystemExit):
            cause = f"The trial's process exited (exit code {error.code}): sys.exit() in the objective?"
        elif isinstance(error, KeyboardInterrupt):
            cause = "The trial's process was interrupted (SIGINT)."
        else:
            cause = f"The trial's process died: {error}."
        finish = wire.Finish(study_id=task.study_id, trial_id=task.trial_id, attempt=task.attempt, token=task.token,
                             used_params={}, user_attrs={}, state="FAIL", values=None, fail_reason=cause,
                             duration_s=0.0, lost=isinstance(error, WorkerLostError),
                             runner=runner_prefix(self.hostname or "", self.worker_pid))
        client.xadd(wire.INBOX, {"m": finish.to_json()})
        _logger.warning("Trial %s#%d: %s", task.study_name, task.number, cause)


def _client(broker_url: str) -> redis.Redis:
    client = _clients.get(broker_url)
    if client is None:
        client = _clients[broker_url] = redis_client(broker_url)
    return client
