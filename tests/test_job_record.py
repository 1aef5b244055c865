"""The coordinator's typed job record: created, changed, stored and restored in one place."""

from __future__ import annotations

import json

import pytest

import hpo
from hpo.coordinator._job import JOB_KEY, Job, JobRecordError, store_job, stored_job


def _job() -> Job:
    return Job.new(objective="m:f", n_trials=5, queue="cpu", timeout_s=None, sampler=None,
                   pruner={"class": "hpo.pruners:NopPruner", "kwargs": {}}, base_finished=2)


def test_a_job_round_trips_through_a_study_as_json() -> None:
    study = hpo.create_study()
    job = _job()
    store_job(study.storage, study.study_id, job)
    stored = study.system_attrs[JOB_KEY]
    assert json.loads(json.dumps(stored)) == stored
    assert stored_job(study.system_attrs) == job
    ended = job.ended("cancelled")
    assert (ended.status, ended.running, job.running) == ("cancelled", False, True)
    assert ended.ended_at is not None and job.ended_at is None
    store_job(study.storage, study.study_id, ended)
    assert stored_job(study.system_attrs) == ended


def test_a_study_never_submitted_has_no_job() -> None:
    assert stored_job(hpo.create_study().system_attrs) is None


def test_the_deadline_counts_from_submission() -> None:
    assert not _job().deadline_passed()
    job = Job(objective="m:f", n_trials=1, queue="cpu", timeout_s=1.0, sampler=None, pruner=None,
              base_finished=0, submitted_at=0.0)
    assert job.deadline_passed()


@pytest.mark.parametrize(
    "stored, message",
    [
        ("running", "must be a JSON object"),
        ({**_job().to_json(), "colour": "red"}, "unknown fields"),
        ({k: v for k, v in _job().to_json().items() if k != "queue"}, "lacks fields"),
        ({**_job().to_json(), "status": "paused"}, "status 'paused'"),
    ],
)
def test_a_damaged_record_is_refused_with_the_reason(stored: object, message: str) -> None:
    with pytest.raises(JobRecordError, match=message):
        stored_job({JOB_KEY: stored})
