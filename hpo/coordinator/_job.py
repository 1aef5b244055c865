"""A submitted study's job: what to run and how it ends; the one place that creates, changes,
stores and restores it.

A job is stored as a JSON object in the study's system attr :data:`JOB_KEY`, so a restarted
coordinator finds its running jobs in SQL (the truth; Redis only carries messages).
"""

from __future__ import annotations

import dataclasses
import time
from typing import TYPE_CHECKING, Any, Literal

from hpo.exceptions import HpoError

if TYPE_CHECKING:
    from hpo.storages import BaseStorage

JOB_KEY = "hpo:job"

JobStatus = Literal["running", "done", "cancelled", "error"]
_STATUSES = ("running", "done", "cancelled", "error")


class JobRecordError(HpoError, ValueError):
    """A stored job is not the JSON object this version of hpo writes."""


@dataclasses.dataclass(frozen=True)
class Job:
    """``n_trials`` trials of ``objective`` on ``queue``, counted from ``base_finished`` finished trials.

    ``sampler`` and ``pruner`` are JSON specs (None: the defaults); ``timeout_s`` counts from
    ``submitted_at`` (a Unix time); each trial is stopped after ``trial_timeout_s`` (None: never)
    and runs again up to ``max_retries`` times when an attempt is lost (its worker or process died);
    ``ended_at`` is set when ``status`` leaves ``running``.
    """

    objective: str
    n_trials: int
    queue: str
    timeout_s: float | None
    sampler: dict[str, Any] | None
    pruner: dict[str, Any] | None
    base_finished: int
    submitted_at: float
    trial_timeout_s: float | None = None
    max_retries: int = 0
    status: JobStatus = "running"
    error: str | None = None
    ended_at: float | None = None

    @classmethod
    def new(cls, objective: str, n_trials: int, queue: str, timeout_s: float | None, sampler: dict[str, Any] | None,
            pruner: dict[str, Any] | None, base_finished: int, trial_timeout_s: float | None = None,
            max_retries: int = 0) -> Job:
        """A running job submitted now."""
        return cls(objective=objective, n_trials=n_trials, queue=queue, timeout_s=timeout_s, sampler=sampler,
                   pruner=pruner, base_finished=base_finished, submitted_at=time.time(),
                   trial_timeout_s=trial_timeout_s, max_retries=max_retries)

    def ended(self, status: JobStatus, error: str | None = None) -> Job:
        """This job with ``status`` (``done``, ``cancelled`` or ``error``), ended now."""
        return dataclasses.replace(self, status=status, error=error, ended_at=time.time())

    @property
    def running(self) -> bool:
        return self.status == "running"

    def deadline_passed(self) -> bool:
        return self.timeout_s is not None and time.time() >= self.submitted_at + self.timeout_s

    def to_json(self) -> dict[str, Any]:
        """The JSON object stored in the study's :data:`JOB_KEY` system attr."""
        return dataclasses.asdict(self)

    @classmethod
    def from_json(cls, stored: Any) -> Job:
        """The job a study's :data:`JOB_KEY` system attr holds; :class:`JobRecordError` if it is not one."""
        if not isinstance(stored, dict):
            raise JobRecordError(f"A stored job must be a JSON object, got {type(stored).__name__}.")
        fields = {f.name for f in dataclasses.fields(cls)}
        unknown = set(stored) - fields
        if unknown:
            raise JobRecordError(f"The stored job has unknown fields {sorted(unknown)}.")
        try:
            job = cls(**stored)
        except TypeError as e:
            raise JobRecordError(f"The stored job lacks fields: {e}.") from None
        if job.status not in _STATUSES:
            raise JobRecordError(f"The stored job's status {job.status!r} is not one of {_STATUSES}.")
        return job


def store_job(storage: BaseStorage, study_id: int, job: Job) -> None:
    """Write ``job`` to its study (through the coordinator's mirror: to memory now, to SQL behind)."""
    storage.set_study_system_attr(study_id, JOB_KEY, job.to_json())


def stored_job(system_attrs: dict[str, Any]) -> Job | None:
    """The job stored among a study's system attrs; None if it was never submitted to a coordinator."""
    stored = system_attrs.get(JOB_KEY)
    return None if stored is None else Job.from_json(stored)
