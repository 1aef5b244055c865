"""The coordinator's job service: submitting, hosting, resuming, cancelling and tending studies' jobs.

It knows nothing of Redis: the lanes (:class:`~hpo.coordinator._coordinator.Coordinator`) hand it
decoded requests and give it two functions, one that publishes a trial and one that tells which
worker's heartbeat says it runs an attempt.
"""

from __future__ import annotations

import functools
import logging
import threading
import time
from collections.abc import Callable
from typing import Any

from hpo.coordinator._job import Job, JobRecordError, store_job, stored_job
from hpo.coordinator._mirror import MirroredStorage
from hpo.coordinator._sampler_process import SamplerProcess, build_pruner
from hpo.coordinator._slots import Slots
from hpo.coordinator._study_run import FINISHED, Publish, Revoke, StudyRun
from hpo.distributed import wire
from hpo.exceptions import DuplicatedStudyError, SpecError, StudyNotFoundError
from hpo.pruners import BasePruner
from hpo.records import StudyDirection, parse_direction
from hpo.study import Study

_logger = logging.getLogger(__name__)

#: Tells, for attempt tokens, the worker whose heartbeat says it runs each (None: no heartbeat).
RunningOn = Callable[[list[str]], list["str | None"]]


class JobService:
    """Hosts every running job's study (a :class:`StudyRun` each) on the coordinator's mirror of SQL."""

    def __init__(self, mirror: MirroredStorage, slots: Slots, publish: Publish, revoke: Revoke,
                 reply_timeout_s: float, heartbeat_timeout_s: float, spec_modules: tuple[str, ...] = ()) -> None:
        self._mirror = mirror
        self._revoke = revoke
        self._spec_modules = spec_modules  # besides hpo's own: where submitted samplers and pruners may come from
        self._slots = slots
        self._publish = publish
        self._reply_timeout_s = reply_timeout_s
        self._heartbeat_timeout_s = heartbeat_timeout_s
        self._runs: dict[int, StudyRun] = {}
        self._lock = threading.Lock()

    # --- lookups (any thread) -----------------------------------------------------------------
    def run_of(self, study_id: int) -> StudyRun | None:
        """The hosted run of a study (the inbox lane's lookup for each message)."""
        return self._runs.get(study_id)

    def runs(self) -> list[StudyRun]:
        with self._lock:
            return list(self._runs.values())

    def _run_named(self, study_name: str) -> StudyRun | None:
        with self._lock:
            return next((r for r in self._runs.values() if r.study.study_name == study_name), None)

    # --- hosting ------------------------------------------------------------------------------
    def resume(self, running_on: RunningOn) -> None:
        """After a (re)start: host every job SQL holds as running and take over its running trials.

        A job that cannot be hosted again (its spec no longer builds, its record is damaged) ends
        ``error`` with the reason; the other jobs resume.
        """
        for frozen in self._mirror.backend.get_all_studies():
            try:
                job = stored_job(frozen.system_attrs)
            except JobRecordError as e:
                _logger.error("Study %s has a damaged job record; not resumed: %s", frozen.study_name, e)
                continue
            if job is None or not job.running:
                continue
            _logger.info("Resuming study %s.", frozen.study_name)
            try:
                pruner = _pruner(job.pruner, self._spec_modules)
                sampler = self._mirror.build_sampler(
                    job.sampler, len(frozen.directions), self._spec_modules, job.pruner
                )
            except SpecError as e:
                _logger.error("Study %s cannot resume: %s", frozen.study_name, e)
                study_id = self._mirror.host(frozen.study_name)
                ended = job.ended("error", f"The coordinator could not resume the study: {e}")
                store_job(self._mirror, study_id, ended)
                continue
            self._host(frozen.study_name, job, sampler, pruner).adopt_running(running_on)

    def _host(self, study_name: str, job: Job, sampler: SamplerProcess, pruner: BasePruner | None) -> StudyRun:
        study_id = self._mirror.host(study_name)
        study = Study(study_name, self._mirror, sampler=self._mirror.start_sampler(study_id, sampler), pruner=pruner)
        run = StudyRun(study, self._mirror, job, self._slots, self._publish, self._revoke, self._reply_timeout_s,
                       self._heartbeat_timeout_s)
        with self._lock:
            previous = self._runs.get(study_id)
            self._runs[study_id] = run
        if previous is not None:  # a finished job of the same study, not yet cleared by tend()
            previous.close(wait=False)
        return run

    def top_up_all(self) -> None:
        for run in self.runs():
            run.lane.submit(run.top_up)

    # --- requests from clients ----------------------------------------------------------------
    def submit(self, message: wire.Submit) -> dict[str, Any]:
        """Create (or, with ``load_if_exists``, reuse) the study, store its job, start publishing."""
        if message.n_trials < 1:
            raise ValueError(f"n_trials must be a positive integer, got {message.n_trials}.")
        if message.max_retries < 0:
            raise ValueError(f"max_retries must be an integer >= 0, got {message.max_retries}.")
        for name, value in (("timeout", message.timeout_s), ("trial_timeout", message.trial_timeout_s)):
            if value is not None and not value > 0:
                raise ValueError(f"{name} must be a number of seconds > 0 or None, got {value!r}.")
        directions = [parse_direction(d) for d in message.directions] or [parse_direction("minimize")]
        pruner = _pruner(message.pruner, self._spec_modules)  # a bad spec is refused before anything is stored
        sampler = self._mirror.build_sampler(message.sampler, len(directions), self._spec_modules, message.pruner)
        try:
            study_id = self._create_or_reuse(message, directions)
        except BaseException:
            sampler.close()
            raise
        name = self._mirror.get_study_name_from_id(study_id)
        job = Job.new(objective=message.objective, n_trials=message.n_trials, queue=message.queue,
                      timeout_s=message.timeout_s, sampler=message.sampler, pruner=message.pruner,
                      base_finished=self._mirror.get_n_trials(study_id, FINISHED),
                      trial_timeout_s=message.trial_timeout_s, max_retries=message.max_retries)
        run = self._host(name, job, sampler, pruner)
        store_job(self._mirror, study_id, job)
        self._mirror.flush()  # the client's "submitted" means stored: a coordinator killed now resumes it
        run.lane.submit(run.top_up)
        _logger.info("Study %s submitted: %d trials of %s on queue %s.", name, job.n_trials, job.objective, job.queue)
        return {"study_name": name, "study_id": study_id}

    def _create_or_reuse(self, message: wire.Submit, directions: list[StudyDirection]) -> int:
        try:
            return self._mirror.create_new_study(directions, message.study_name)
        except DuplicatedStudyError:
            if not message.load_if_exists:
                raise DuplicatedStudyError(
                    f"A study named {message.study_name!r} already exists. Pass load_if_exists=True to add "
                    "trials to it, or choose another name."
                ) from None
        assert message.study_name is not None
        study_id = self._mirror.host(message.study_name)
        existing = self._mirror.get_study_directions(study_id)
        if message.directions and existing != directions:
            raise ValueError(
                f"Study {message.study_name!r} has directions {[d.name for d in existing]}, not "
                f"{[d.name for d in directions]}."
            )
        run = self.run_of(study_id)
        if run is not None and run.job.running:
            raise ValueError(f"Study {message.study_name!r} already has a running job; wait for it or cancel it.")
        return study_id

    def cancel(self, study_name: str) -> dict[str, Any]:
        """Publish nothing more for the study; wait (up to 30 s) until its lane has done so."""
        run = self._run_named(study_name)
        if run is None:
            raise KeyError(
                f"No active study named {study_name!r} on this coordinator. Check the name: `hpo study status "
                f"{study_name}` tells whether it ended already."
            )
        done = threading.Event()

        def cancel() -> None:
            run.cancel()
            done.set()

        run.lane.submit(cancel)
        done.wait(30)
        return self.status(study_name)

    def status(self, study_name: str) -> dict[str, Any]:
        run = self._run_named(study_name)
        if run is not None:
            body = run.summary()
            if not run.job.running:
                self._mirror.flush()  # "done" means every result is in SQL
            return body
        try:
            study_id = self._mirror.backend.get_study_id_from_name(study_name)
        except StudyNotFoundError as e:
            raise KeyError(str(e)) from None
        self._mirror.flush()  # e.g. a job this coordinator ended at its start
        job = stored_job(self._mirror.backend.get_study_system_attrs(study_id))
        if job is None:
            raise KeyError(f"Study {study_name!r} was never submitted to a coordinator.")
        return {"study_name": study_name, "status": job.status, "n_trials": job.n_trials, "error": job.error}

    # --- tending (the dispatch lane, every half second) -----------------------------------------
    def tend(self) -> None:
        """Top running jobs up; stop hosting jobs that ended and have no attempt left."""
        for run in self.runs():
            if run.job.running:
                run.lane.submit(run.top_up)
            elif not run.attempts:
                self._mirror.flush()
                run.close(wait=False)
                with self._lock:
                    if self._runs.get(run.study.study_id) is run:
                        del self._runs[run.study.study_id]

    def redis_lost_data(self) -> None:
        """Redis restarted without its data: each study publishes its unstarted attempts again."""
        for run in self.runs():
            run.lane.submit(run.redis_lost_data)

    def end_lost_attempts(self, running_on: RunningOn) -> None:
        """Have each study lane end its started attempts whose heartbeat expired (their worker died)."""
        now = time.monotonic()
        due = [(run, attempt) for run in self.runs() for attempt in run.heartbeat_due(now)]
        if not due:
            return
        for (run, attempt), worker in zip(due, running_on([attempt.token for _, attempt in due])):
            if worker is None:
                run.lane.submit(functools.partial(run.on_lost, attempt))

    def close(self) -> None:
        for run in self.runs():
            run.close()


def _pruner(spec: dict[str, Any] | None, spec_modules: tuple[str, ...]) -> BasePruner | None:
    """A job's pruner, built from its spec (None: the default) from hpo's modules and ``spec_modules``
    only, once per hosting. (Its sampler is built in its own process: :meth:`MirroredStorage.build_sampler`.)"""
    return None if spec is None else build_pruner(spec, spec_modules)
