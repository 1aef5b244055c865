"""Objectives that upload artifacts, run by real Celery workers in the artifact tests (allowed by module name).

The store comes from the worker's environment: a shared directory (``HPO_TEST_ARTIFACT_DIR``), an S3
bucket (``HPO_TEST_ARTIFACT_BUCKET``, on the server of ``AWS_ENDPOINT_URL``) or a GCS bucket
(``HPO_TEST_GCS_BUCKET``, on the emulator of ``STORAGE_EMULATOR_HOST``).
"""

from __future__ import annotations

import os
import tempfile

import hpo
from hpo.artifacts import (
    ArtifactStore,
    Boto3ArtifactStore,
    FileSystemArtifactStore,
    GCSArtifactStore,
    get_all_artifact_meta,
    upload_artifact,
)


def _upload(trial: hpo.trial.BaseTrial, store: ArtifactStore, name: str, content: str) -> str:
    with tempfile.TemporaryDirectory() as folder:
        path = os.path.join(folder, name)
        with open(path, "w") as f:
            f.write(content)
        return upload_artifact(artifact_store=store, file_path=path, study_or_trial=trial)  # type: ignore[arg-type]


def _with_artifacts(trial: hpo.trial.BaseTrial, store: ArtifactStore) -> float:
    """Uploads one artifact before a report (its meta rides on the report) and one after (on the outcome)."""
    x = trial.suggest_float("x", 0, 1)
    first = _upload(trial, store, "curve.csv", f"trial {trial.number}, x={x}\n")
    trial.report(x, 0)
    second = _upload(trial, store, "model.json.gz", f"model of trial {trial.number}")
    listed = [m.artifact_id for m in get_all_artifact_meta(trial)]  # type: ignore[arg-type]
    assert listed == [first, second], listed
    try:
        upload_artifact(artifact_store=store, file_path=__file__, study_or_trial=trial,  # type: ignore[arg-type]
                        storage=hpo.storages.InMemoryStorage())
    except ValueError as e:
        trial.set_user_attr("storage_refused", str(e))
    return x


def shared_directory(trial: hpo.trial.BaseTrial) -> float:
    return _with_artifacts(trial, FileSystemArtifactStore(os.environ["HPO_TEST_ARTIFACT_DIR"]))


def s3_bucket(trial: hpo.trial.BaseTrial) -> float:
    return _with_artifacts(trial, Boto3ArtifactStore(os.environ["HPO_TEST_ARTIFACT_BUCKET"]))


def gcs_bucket(trial: hpo.trial.BaseTrial) -> float:
    return _with_artifacts(trial, GCSArtifactStore(os.environ["HPO_TEST_GCS_BUCKET"]))
