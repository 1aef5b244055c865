"""Artifacts uploaded by objectives on real Celery workers: bytes in the shared store, metas through the
coordinator into the trial's system attrs (Redis, coordinator, SQLite and worker processes all real;
S3 is moto's server and GCS gcp-storage-emulator, each in its own process)."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest
from artifact_helpers import GCS_BUCKET, make_bucket

import hpo
from hpo.artifacts import (
    Boto3ArtifactStore,
    FileSystemArtifactStore,
    GCSArtifactStore,
    download_artifact,
    get_all_artifact_meta,
)
from hpo.distributed.local_stack import LocalStack
from hpo.exceptions import ExperimentalWarning
from hpo.trial import TrialState

pytestmark = pytest.mark.distributed

HERE = Path(__file__).parent


def _has_google_cloud_storage() -> bool:
    try:
        import google.cloud.storage  # noqa: F401
    except ImportError:
        return bool(os.environ.get("CI"))  # CI installs the test extra: the gcs_env fixture fails there
    return True


def _gcs_store() -> GCSArtifactStore:
    with pytest.warns(ExperimentalWarning):
        return GCSArtifactStore(GCS_BUCKET)


def test_objectives_on_workers_upload_artifacts(
    tmp_path: Path, s3_env: dict[str, str], monkeypatch: pytest.MonkeyPatch, request: pytest.FixtureRequest
) -> None:
    shared = tmp_path / "shared"
    shared.mkdir()
    make_bucket("from-workers")
    monkeypatch.setenv("HPO_TEST_ARTIFACT_DIR", str(shared))
    monkeypatch.setenv("HPO_TEST_ARTIFACT_BUCKET", "from-workers")
    objectives = {"directory": "shared_directory", "s3": "s3_bucket"}
    if _has_google_cloud_storage():
        request.getfixturevalue("gcs_env")
        monkeypatch.setenv("HPO_TEST_GCS_BUCKET", GCS_BUCKET)
        objectives["gcs"] = "gcs_bucket"
    with LocalStack(storage_url=f"sqlite:///{tmp_path / 'hpo.db'}", n_workers=1,
                    objective_modules=["hpo_artifact_objectives"], pythonpath=[str(HERE)],
                    log_dir=str(tmp_path)) as stack:
        monkeypatch.setenv("HPO_BROKER_URL", stack.broker_url)
        monkeypatch.setenv("HPO_STORAGE_URL", stack.storage_url)
        studies = {
            store_name: hpo.submit_study(f"hpo_artifact_objectives:{objective}", n_trials=3,
                                         study_name=store_name).wait(progress=False, timeout=120)
            for store_name, objective in objectives.items()
        }
    stores = {"directory": lambda: FileSystemArtifactStore(shared), "s3": lambda: Boto3ArtifactStore("from-workers"),
              "gcs": _gcs_store}
    for name, study in studies.items():
        trials = study.trials
        assert len(trials) == 3 and all(t.state == TrialState.COMPLETE for t in trials), [t.state for t in trials]
        for trial in trials:
            metas = get_all_artifact_meta(trial, storage=study.storage)
            assert [(m.filename, m.mimetype, m.encoding) for m in metas] == [
                ("curve.csv", "text/csv", None), ("model.json.gz", "application/json", "gzip")]
            for meta in metas:  # Optuna's record, stored by the coordinator
                assert json.loads(trial.system_attrs[f"artifacts:{meta.artifact_id}"]) == {
                    "artifact_id": meta.artifact_id, "filename": meta.filename, "mimetype": meta.mimetype,
                    "encoding": meta.encoding}
            target = tmp_path / f"{name}-{trial.number}.csv"
            download_artifact(artifact_store=stores[name](), file_path=str(target), artifact_id=metas[0].artifact_id)
            assert target.read_text() == f"trial {trial.number}, x={trial.params['x']}\n"
            assert "Leave storage out" in trial.user_attrs["storage_refused"]
    assert len(list(shared.iterdir())) == 6
