"""Boto3ArtifactStore against a real S3 API server: moto's ``moto_server`` in its own process, over HTTP
(moto, not AWS), through boto3."""

from __future__ import annotations

import io
import subprocess
import sys
import uuid
from pathlib import Path

import pytest
from artifact_helpers import make_bucket

import hpo
from hpo.artifacts import Backoff, Boto3ArtifactStore, download_artifact, get_all_artifact_meta, upload_artifact
from hpo.artifacts.exceptions import ArtifactNotFound


def test_upload_list_download_remove(s3_env: dict[str, str], tmp_path: Path) -> None:
    client = make_bucket("artifacts")
    store = Boto3ArtifactStore("artifacts")  # boto3.client("s3") from the environment
    (tmp_path / "model.pkl.gz").write_bytes(b"\x1f\x8b weights" * 1000)
    study = hpo.create_study()
    ids = []

    def objective(trial: hpo.Trial) -> float:
        ids.append(upload_artifact(artifact_store=store, file_path=str(tmp_path / "model.pkl.gz"),
                                   study_or_trial=trial))
        return 0.0

    study.optimize(objective, n_trials=2)
    assert sorted(o["Key"] for o in client.list_objects_v2(Bucket="artifacts")["Contents"]) == sorted(ids)
    meta, = get_all_artifact_meta(study.trials[1], storage=study.storage)
    assert (meta.artifact_id, meta.filename, meta.encoding) == (ids[1], "model.pkl.gz", "gzip")
    download_artifact(artifact_store=store, file_path=str(tmp_path / "back"), artifact_id=ids[1])
    assert (tmp_path / "back").read_bytes() == (tmp_path / "model.pkl.gz").read_bytes()

    store.remove(ids[0])
    with pytest.raises(ArtifactNotFound, match="artifact_id: .* was not found"):
        store.open_reader(ids[0])
    store.remove(ids[0])  # S3 deletes a missing object silently, as Optuna's store does
    with pytest.raises(ArtifactNotFound):
        download_artifact(artifact_store=store, file_path=str(tmp_path / "gone"), artifact_id=ids[0])
    assert not (tmp_path / "gone").exists()


def test_given_client_avoid_buf_copy_and_backoff(s3_env: dict[str, str]) -> None:
    client = make_bucket("given")
    content = io.BytesIO(b"kept open")
    Boto3ArtifactStore("given", client, avoid_buf_copy=True).write("a", content)
    store = Backoff(Boto3ArtifactStore("given", client), max_retries=2, min_delay=0.01, max_delay=0.02)
    with store.open_reader("a") as reader:
        assert reader.read() == b"kept open"
    store.write("b", io.BytesIO(b"via backoff"))
    assert client.get_object(Bucket="given", Key="b")["Body"].read() == b"via backoff"
    store.remove("b")
    with pytest.raises(ArtifactNotFound):  # not retried
        store.open_reader("b")


def test_errors_other_than_not_found_are_raised(s3_env: dict[str, str]) -> None:
    from botocore.exceptions import ClientError

    store = Boto3ArtifactStore(f"no-such-bucket-{uuid.uuid4().hex[:8]}")
    with pytest.raises(ClientError, match="NoSuchBucket"):
        store.write("a", io.BytesIO(b"x"))


def test_without_boto3_the_error_names_the_package() -> None:
    code = ("import sys; sys.modules['boto3'] = None\n"
            "from hpo.artifacts import Boto3ArtifactStore\n"
            "try:\n    Boto3ArtifactStore('bucket')\nexcept ImportError as e:\n    print(e)\n")
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60)
    assert "Boto3ArtifactStore needs boto3. Install it with `pip install boto3`" in done.stdout, done.stderr
