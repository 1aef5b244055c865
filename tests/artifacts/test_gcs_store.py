"""GCSArtifactStore with the real google-cloud-storage client against ``gcp-storage-emulator`` in its own
process, over HTTP (an emulator of GCS's JSON API, not Google Cloud Storage)."""

from __future__ import annotations

import io
import subprocess
import sys
from pathlib import Path

import pytest
from artifact_helpers import make_gcs_bucket

import hpo
from hpo.artifacts import Backoff, GCSArtifactStore, download_artifact, get_all_artifact_meta, upload_artifact
from hpo.artifacts.exceptions import ArtifactNotFound
from hpo.exceptions import ExperimentalWarning


def test_upload_list_download_remove(gcs_env: dict[str, str], tmp_path: Path) -> None:
    make_gcs_bucket("upload-list")
    with pytest.warns(ExperimentalWarning, match="GCSArtifactStore is experimental"):
        store = GCSArtifactStore("upload-list")  # google.cloud.storage.Client() from the environment
    (tmp_path / "report.html").write_text("<p>trial</p>")
    study = hpo.create_study()
    study.optimize(lambda trial: upload_artifact(artifact_store=store, file_path=str(tmp_path / "report.html"),
                                                 study_or_trial=trial) and 0.0, n_trials=1)
    meta, = get_all_artifact_meta(study.trials[0], storage=study.storage)
    assert (meta.filename, meta.mimetype, meta.encoding) == ("report.html", "text/html", None)
    assert [b.name for b in store.client.list_blobs("upload-list")] == [meta.artifact_id]
    download_artifact(artifact_store=store, file_path=str(tmp_path / "back.html"), artifact_id=meta.artifact_id)
    assert (tmp_path / "back.html").read_text() == "<p>trial</p>"
    store.remove(meta.artifact_id)
    with pytest.raises(ArtifactNotFound, match="was not found"):
        store.open_reader(meta.artifact_id)
    with pytest.raises(ArtifactNotFound):  # google's NotFound, as the protocol's exception: Backoff does not retry it
        Backoff(store, max_retries=3).remove(meta.artifact_id)


def test_a_given_client(gcs_env: dict[str, str]) -> None:
    client = make_gcs_bucket("given")
    with pytest.warns(ExperimentalWarning):
        store = GCSArtifactStore("given", client)
    assert store.client is client and store.bucket_name == "given"
    store.write("given", io.BytesIO(b"bytes"))
    with store.open_reader("given") as reader:
        assert reader.read() == b"bytes"
    assert client.bucket("given").blob("given").download_as_bytes() == b"bytes"


def test_without_google_cloud_storage_the_error_names_the_package() -> None:
    code = ("import sys, warnings; sys.modules['google.cloud.storage'] = None\n"
            "warnings.simplefilter('ignore')\n"
            "from hpo.artifacts import GCSArtifactStore\n"
            "try:\n    GCSArtifactStore('bucket')\nexcept ImportError as e:\n    print(e)\n")
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60)
    assert "GCSArtifactStore needs google-cloud-storage. Install it with `pip install google-cloud-storage`" in (
        done.stdout), done.stderr
