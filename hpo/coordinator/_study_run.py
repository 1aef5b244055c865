"""One submitted study hosted by the coordinator: publishing its trials, answering its workers."""

from __future__ import annotations

import dataclasses
import logging
import time
import uuid
from collections.abc import Callable
from typing import Any

from hpo.artifacts import ArtifactMeta, artifact_attr
from hpo.coordinator._job import Job, JobStatus, store_job
from hpo.coordinator._lane import SerialLane
from hpo.coordinator._mirror import MirroredStorage
from hpo.coordinator._sampler_process import SamplerProcess
from hpo.coordinator._slots import Slots
from hpo.distributed import wire
from hpo.distributions import distribution_to_json, json_to_distribution
from hpo.pruners import PRUNE_REASON_KEY
from hpo.study import Study
from hpo.trial import Trial, TrialState

_logger = logging.getLogger(__name__)

#: The states a job counts as finished trials.
FINISHED = (TrialState.COMPLETE, TrialState.PRUNED, TrialState.FAIL)
ATTEMPT_KEY = "hpo:attempt"
#: System attr of a retried trial: each lost attempt, the worker that ran it and why it ended.
ATTEMPTS_KEY = "hpo:attempts"
RELATIVE_KEY = "hpo:relative"
WORKER_KEY = "hpo:worker"

#: Publishes a task to a queue, off the caller's thread; calls back with the error if the broker refuses it.
Publish = Callable[[wire.TrialTask, str, Callable[[Exception], None]], None]
#: Stops the running deliveries of these Celery task ids (their processes are killed and replaced).
Revoke = Callable[[list[str]], None]


def task_id(study_name: str, number: int, attempt: int, token: str) -> str:
    """The Celery task id of an attempt: readable in Flower, unique by its token."""
    return f"{study_name}-trial{number}-a{attempt}-{token[:8]}"


@dataclasses.dataclass
class Attempt:
    """A published attempt of a running trial."""

    trial: Trial
    number: int
    token: str
    attempt: int = 0  # 0, then n for the n-th retry of the trial after a lost attempt
    started_by: str | None = None
    started_at: float = 0.0  # time.monotonic() when a worker started it (or when it was adopted)
    reported: set[int] = dataclasses.field(default_factory=set)  # steps stored (a redelivered report is not)


class StudyRun:
    """Hosts one study's job: ``n_trials`` trials on ``queue``, counted across all workers.

    Sampling work (ask, independent suggestions, tell) runs on the study's own lane; reports are
    answered by the caller's thread (the coordinator's inbox lane) without touching the sampler.
    """

    def __init__(self, study: Study, mirror: MirroredStorage, job: Job, slots: Slots, publish: Publish,
                 revoke: Revoke, reply_timeout_s: float, heartbeat_timeout_s: float) -> None:
        self.study = study
        self._mirror = mirror
        self.job = job
        self._slots = slots
        self._publish = publish
        self._revoke = revoke
        self._reply_timeout_s = reply_timeout_s
        self.heartbeat_timeout_s = heartbeat_timeout_s
        self.attempts: dict[int, Attempt] = {}
        self.lane = SerialLane(f"hpo-study-{study.study_name}")
        self._n_finished = mirror.get_n_trials(study.study_id, FINISHED) - job.base_finished

    # --- state --------------------------------------------------------------------------------
    @property
    def _owner(self) -> int:
        return self.study.study_id

    @property
    def queue(self) -> str:
        return self.job.queue

    @property
    def status(self) -> JobStatus:
        return self.job.status

    @property
    def n_finished(self) -> int:
        return self._n_finished

    def _end_job(self, status: JobStatus, error: str | None = None) -> None:
        self._slots.withdraw(self.queue, self._owner)
        self.job = self.job.ended(status, error)
        store_job(self._mirror, self.study.study_id, self.job)

    def summary(self) -> dict[str, Any]:
        body: dict[str, Any] = {
            "study_name": self.study.study_name,
            "status": self.status,
            "n_trials": self.job.n_trials,
            "n_finished": self._n_finished,
            "n_running": len(self.attempts),
            "error": self.job.error,
        }
        started = any(attempt.started_by for attempt in self.attempts.values())
        if self.job.running and not started and self._slots.capacity(self.queue) == 0:
            body["warning"] = (
                f"No worker consumes queue {self.queue!r}: start one with `celery -A hpo.workers worker -Q "
                f"{self.queue}`, or submit to a queue your workers consume."
            )
        if len(self.study.directions) == 1:
            try:
                best = self.study.best_trial
                body.update(best_value=best.value, best_number=best.number)
            except ValueError:
                pass
        return body

    def close(self, wait: bool = True) -> None:
        """Stop the lane after the work queued on it, then the sampler's process."""
        sampler = self.study.sampler
        if isinstance(sampler, SamplerProcess):
            self.lane.submit(lambda: self._mirror.stop_sampler(sampler))
        self.lane.close(wait)

    # --- publishing (study lane) --------------------------------------------------------------
    def top_up(self) -> None:
        """Publish trials while workers have free slots and the budget allows."""
        while self.job.running:
            if self.job.deadline_passed() or self._n_finished + len(self.attempts) >= self.job.n_trials:
                self._slots.withdraw(self.queue, self._owner)
                self._maybe_end()
                return
            if not self._slots.try_reserve(self.queue, self._owner):
                return
            try:
                self._launch()
            except Exception as e:
                self._slots.release(self.queue, self._owner)
                _logger.exception("Could not start a trial of %s.", self.study.study_name)
                self._end_job("error", f"Could not start a trial: {e!r}")
                return

    def _launch(self) -> None:
        trial = self.study.ask()
        token = uuid.uuid4().hex
        presampled = {
            name: {"value": value, "distribution": distribution_to_json(trial.relative_search_space[name])}
            for name, value in trial.relative_params.items()
            if name in trial.relative_search_space
        }
        trial.set_system_attr(ATTEMPT_KEY, {"n": 0, "token": token})
        trial.set_system_attr(RELATIVE_KEY, presampled)
        attempt = self.attempts[trial.trial_id] = Attempt(trial, trial.number, token)
        # Published at once, before SQL holds the token: a coordinator that restarts without it
        # ends the trial FAIL, and the start handshake then refuses the orphaned task.
        self._send(attempt, presampled)

    def _unpublished(self, attempt: Attempt, error: Exception) -> None:
        """Study lane: a trial that could not be published ends FAIL, and so does the job."""
        if self.attempts.get(attempt.trial.trial_id) is not attempt:
            return
        reason = f"Could not publish the trial: {error!r}"
        self._end_attempt(attempt, TrialState.FAIL, fail_reason=reason)
        self._end_job("error", reason)

    def _send(self, attempt: Attempt, presampled: dict[str, Any]) -> None:
        task = wire.TrialTask(
            study_id=self.study.study_id, study_name=self.study.study_name, trial_id=attempt.trial.trial_id,
            number=attempt.number, attempt=attempt.attempt, token=attempt.token, objective=self.job.objective,
            n_objectives=len(self.study.directions), params=presampled, reply_timeout_s=self._reply_timeout_s,
            heartbeat_timeout_s=self.heartbeat_timeout_s, time_limit_s=self.job.trial_timeout_s,
        )
        self._publish(task, self.queue, lambda e: self.lane.submit(lambda: self._unpublished(attempt, e)))

    def adopt_running(self, running_on: Callable[[list[str]], list[str | None]]) -> None:
        """After a restart: take over the RUNNING trials published before it.

        ``running_on`` tells, for attempt tokens, the worker whose heartbeat says it runs each (or
        None). An attempt that SQL does not know as started and that no worker runs is published
        again with the same token: if the first task still waits in the queue, the start handshake
        lets only one delivery run.
        """
        for frozen in self.study.get_trials(deepcopy=False, states=(TrialState.RUNNING,)):
            attempt = frozen.system_attrs.get(ATTEMPT_KEY)
            presampled = frozen.system_attrs.get(RELATIVE_KEY, {})
            if not attempt:  # its attempt was never stored: a task published for it is refused at its start
                self.study.tell(frozen.number, state=TrialState.FAIL,
                                fail_reason="The coordinator stopped before it stored this trial's attempt; a "
                                            "worker that got the trial is refused, so it does not count.")
                self._n_finished += 1
                continue
            space = {name: json_to_distribution(e["distribution"]) for name, e in presampled.items()}
            params = {name: e["value"] for name, e in presampled.items()}
            trial = Trial.resume(self.study, frozen.trial_id, space, params)
            adopted = Attempt(trial, frozen.number, attempt["token"], attempt.get("n", 0),
                              frozen.system_attrs.get(WORKER_KEY), time.monotonic(), set(frozen.intermediate_values))
            self.attempts[frozen.trial_id] = adopted
            if adopted.started_by is None:
                adopted.started_by = running_on([adopted.token])[0]  # started after SQL last heard
            if adopted.started_by is None:
                self._send(adopted, self._presampled(adopted))
        self._slots.take(self.queue, self._owner, len(self.attempts))

    # --- messages from workers ----------------------------------------------------------------
    def attempt_for(self, message: wire.Start | wire.Suggest | wire.Report | wire.Finish) -> Attempt | None:
        attempt = self.attempts.get(message.trial_id)
        if attempt is None or attempt.token != message.token:
            return None
        return attempt

    def on_start(self, message: wire.Start) -> wire.Reply:
        """Inbox lane: let exactly one delivery of an attempt run."""
        attempt = self.attempt_for(message)
        if attempt is None:
            return wire.Reply(seq=0, ok=False, error="This attempt is unknown or no longer current.")
        if self.status == "cancelled":
            return wire.Reply(seq=0, ok=False, error="The study was cancelled.")
        if attempt.started_by == message.worker:  # its start again, e.g. read again after a restart
            return wire.Reply(seq=0, ok=True)
        if attempt.started_by is not None:
            return wire.Reply(seq=0, ok=False, error=f"This attempt already runs on {attempt.started_by}.")
        attempt.started_by = message.worker
        attempt.started_at = time.monotonic()
        attempt.trial.set_system_attr(WORKER_KEY, message.worker)
        return wire.Reply(seq=0, ok=True)

    def on_report(self, message: wire.Report) -> wire.Reply:
        """Inbox lane: store the intermediate value and return the pruner's decision."""
        attempt = self.attempt_for(message)
        if attempt is None:
            return wire.Reply(seq=message.seq, ok=False, error="This attempt is unknown or no longer current.")
        self._apply_updates(attempt, message)
        if message.step not in attempt.reported:  # else a redelivered report
            attempt.trial.report(message.value, message.step)
            attempt.reported.add(message.step)
        if self.status == "cancelled":
            attempt.trial.set_system_attr(PRUNE_REASON_KEY, {"pruner": "the study was cancelled", "step": message.step})
            return wire.Reply(seq=message.seq, ok=True, prune=True)
        return wire.Reply(seq=message.seq, ok=True, prune=attempt.trial.should_prune())

    def on_suggest(self, message: wire.Suggest) -> wire.Reply:
        """Study lane: sample one parameter outside the relative search space."""
        attempt = self.attempt_for(message)
        if attempt is None:
            return wire.Reply(seq=message.seq, ok=False, error="This attempt is unknown or no longer current.")
        try:
            self._apply_updates(attempt, message)
            value = attempt.trial.suggest(message.name, json_to_distribution(message.distribution))
        except ValueError as e:
            return wire.Reply(seq=message.seq, ok=False, error=str(e))
        except Exception as e:  # the sampler failed: the objective's suggest raises it
            _logger.exception("Sampling %r for trial %d failed.", message.name, attempt.number)
            return wire.Reply(seq=message.seq, ok=False, error=f"The sampler failed: {e!r}")
        return wire.Reply(seq=message.seq, ok=True, value=value)

    def on_finish(self, message: wire.Finish) -> None:
        """Study lane: tell the outcome, free the slot, publish more."""
        attempt = self.attempt_for(message)
        if attempt is None:
            return
        if message.runner is not None and not (attempt.started_by or "").startswith(message.runner):
            return  # the death of a delivery that did not run this attempt
        try:
            self._apply_updates(attempt, message)
        except ValueError as e:
            _logger.warning("Trial %d sent bad updates: %s", attempt.number, e)
        state = TrialState[message.state] if message.state in ("COMPLETE", "PRUNED", "FAIL") else TrialState.FAIL
        values = message.values if state != TrialState.FAIL else None
        if message.lost:
            self._lose(attempt, message.fail_reason or "Its process died.")
        else:
            self._end_attempt(attempt, state, values, message.fail_reason)
        if message.refused:
            self._end_job("error", message.fail_reason)
        self.top_up()
        self._maybe_end()

    def _apply_updates(self, attempt: Attempt, message: wire.Suggest | wire.Report | wire.Finish) -> None:
        for name, entry in message.used_params.items():
            attempt.trial.suggest(name, json_to_distribution(entry["distribution"]))
        for key, value in message.user_attrs.items():
            attempt.trial.set_user_attr(key, value)
        for record in message.artifacts or ():
            attempt.trial.set_system_attr(*artifact_attr(ArtifactMeta(**record)))

    def redis_lost_data(self) -> None:
        """Study lane: Redis restarted empty. Its queued tasks are gone: publish the attempts not yet
        started again (same token: if a task survived after all, the start handshake lets one
        delivery run). Started attempts lost their heartbeat keys too: their workers set them again
        within a fifth of the heartbeat timeout, so they get a whole timeout before they count as lost."""
        now = time.monotonic()
        for attempt in list(self.attempts.values()):
            if attempt.started_by is None:
                self._send(attempt, self._presampled(attempt))
            else:
                attempt.started_at = now

    def heartbeat_due(self, now: float) -> list[Attempt]:
        """Started attempts old enough to have sent a heartbeat (any thread: reads a snapshot)."""
        return [a for a in list(self.attempts.values())
                if a.started_by is not None and now - a.started_at > self.heartbeat_timeout_s]

    def on_lost(self, attempt: Attempt) -> None:
        """Study lane: the attempt's heartbeat expired: its worker died. End it FAIL and go on."""
        if self.attempts.get(attempt.trial.trial_id) is not attempt:
            return  # its outcome arrived meanwhile
        _logger.warning("Trial %d of %s: its worker %s stopped sending heartbeats.",
                        attempt.number, self.study.study_name, attempt.started_by)
        self._lose(attempt, (
            f"The worker running this trial ({attempt.started_by}) sent no heartbeat for "
            f"{self.heartbeat_timeout_s:g} s: it died, or lost its connection to Redis "
            "(HPO_HEARTBEAT_TIMEOUT sets the wait)."
        ))
        self.top_up()
        self._maybe_end()

    def _lose(self, attempt: Attempt, reason: str) -> None:
        """Study lane: an attempt was lost (its worker or process died): run the trial again with
        the same params as a new attempt while ``max_retries`` allows, else end it FAIL."""
        if attempt.attempt >= self.job.max_retries:
            self._end_attempt(attempt, TrialState.FAIL, fail_reason=reason)
            return
        trial = attempt.trial
        history = [*trial.system_attrs.get(ATTEMPTS_KEY, []),
                   {"attempt": attempt.attempt, "worker": attempt.started_by, "ended": reason}]
        trial.set_system_attr(ATTEMPTS_KEY, history)
        retry = Attempt(trial, attempt.number, uuid.uuid4().hex, attempt.attempt + 1,
                        reported=set(attempt.reported))
        trial.set_system_attr(ATTEMPT_KEY, {"n": retry.attempt, "token": retry.token})
        trial.set_system_attr(WORKER_KEY, None)
        self.attempts[trial.trial_id] = retry
        _logger.warning("Trial %d of %s: attempt %d lost (%s); attempt %d published.", attempt.number,
                        self.study.study_name, attempt.attempt, reason, retry.attempt)
        self._send(retry, self._presampled(retry))

    def _presampled(self, attempt: Attempt) -> dict[str, Any]:
        """What a published attempt brings along: the relative params, and every param the trial
        already has (a retry suggests the same values again)."""
        trial = attempt.trial
        presampled = dict(trial.system_attrs.get(RELATIVE_KEY, {}))
        for name, distribution in trial.distributions.items():
            presampled[name] = {"value": trial.params[name], "distribution": distribution_to_json(distribution)}
        return presampled

    # --- ending -------------------------------------------------------------------------------
    def cancel(self) -> None:
        """Study lane: publish nothing more; every trial not finished ends FAIL now, and the
        processes running trials are stopped."""
        if not self.job.running:
            return
        self._end_job("cancelled")
        running = [task_id(self.study.study_name, a.number, a.attempt, a.token)
                   for a in self.attempts.values() if a.started_by]
        if running:
            self._revoke(running)
        for attempt in list(self.attempts.values()):
            reason = "The study was cancelled." if attempt.started_by is None else (
                f"The study was cancelled while this trial ran on {attempt.started_by}."
            )
            self._end_attempt(attempt, TrialState.FAIL, fail_reason=reason)

    def _end_attempt(
        self, attempt: Attempt, state: TrialState, values: list | None = None, fail_reason: str | None = None
    ) -> None:
        """Study lane: tell the trial's outcome, forget the attempt, free its slot, count it finished."""
        self.study.tell(attempt.trial, values, state, fail_reason=fail_reason)
        del self.attempts[attempt.trial.trial_id]
        self._slots.release(self.queue, self._owner)
        self._n_finished += 1

    def _maybe_end(self) -> None:
        if self.job.running and not self.attempts and (
            self._n_finished >= self.job.n_trials or self.job.deadline_passed()
        ):
            self._end_job("done")
