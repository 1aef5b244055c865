"""`hpo doctor` against real stacks: a healthy cluster passes every check; Redis down, a wrong password, a TLS
mismatch, no coordinator, a queue no worker consumes, an old or Optuna database and an objective that does not
import each fail with their fix; eviction, no persistence, no workers and a refused CONFIG warn."""

from __future__ import annotations

import json
import os
import pathlib
import re
import signal
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from typing import Any

import pytest
import redis
import sqlalchemy
from alembic import command
from cluster import make_stack

import hpo
from hpo.distributed.local_stack import EmbeddedRedis, LocalStack, free_port, redis_server_binary

SECRET = "s3cret-Pa55"
CHECKS = {"broker", "eviction", "persistence", "coordinator", "workers", "storage", "objectives", "clock (Redis)",
          "clock (SQL)"}


def doctor(*args: str, env: dict[str, str], fmt: str = "json") -> tuple[int, Any]:
    """Run `hpo doctor -f FMT ARGS`: its exit status and its findings (JSON) or text (table)."""
    result = subprocess.run([sys.executable, "-m", "hpo.cli", "doctor", "-f", fmt, *args], env=env,
                            capture_output=True, text=True, timeout=120)
    assert "Traceback" not in result.stderr, result.stderr
    return result.returncode, json.loads(result.stdout) if fmt == "json" else result.stdout


def only(findings: list[dict[str, str]], check: str) -> dict[str, str]:
    [finding] = [f for f in findings if f["check"] == check]
    return finding


def bare_env(tmp_path: pathlib.Path) -> dict[str, str]:
    """This process's environment without hpo's settings (and no local stack to fall back on)."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("HPO_") and k != "OPTUNA_STORAGE"}
    return {**env, "HPO_HOME": str(tmp_path / "home")}


@pytest.fixture()
def redis_conf(cluster: LocalStack) -> Iterator[redis.Redis]:
    """The cluster's Redis, its eviction policy and persistence set back after the test."""
    client = cluster.client
    yield client
    client.config_set("maxmemory-policy", "noeviction")
    client.config_set("appendonly", "yes")


def test_a_healthy_cluster_passes_every_check(cluster: LocalStack) -> None:
    status, findings = doctor("--objective", "hpo_test_objectives:conditional", env=cluster.env)
    assert status == 0, findings
    assert {f["check"] for f in findings} == CHECKS
    assert [f for f in findings if f["status"] != "ok" or f["fix"]] == []
    assert "queue cpu: 2 worker(s), 4 slot(s)" in only(findings, "workers")["found"]
    assert "lease held by" in only(findings, "coordinator")["found"]
    objectives = [f["found"] for f in findings if f["check"] == "objectives"]
    assert objectives[0].startswith("hpo_test_objectives:conditional imports")
    assert objectives[1].startswith("hpo_test_objectives imports")  # from HPO_OBJECTIVE_MODULES
    status, table = doctor(env=cluster.env, fmt="table")
    assert status == 0
    assert [line.split()[0] for line in table.splitlines()] == ["ok"] * 9


def test_allkeys_eviction_and_no_persistence_warn(cluster: LocalStack, redis_conf: redis.Redis) -> None:
    redis_conf.config_set("maxmemory-policy", "allkeys-lru")
    redis_conf.config_set("appendonly", "no")
    status, findings = doctor(env=cluster.env)
    assert status == 0, findings
    eviction, persistence = only(findings, "eviction"), only(findings, "persistence")
    assert eviction["status"] == "warn" and "allkeys-lru" in eviction["found"]
    assert "CONFIG SET maxmemory-policy noeviction" in eviction["fix"]
    assert persistence["status"] == "warn" and "CONFIG SET appendonly yes" in persistence["fix"]


def test_an_objective_that_does_not_import_fails(cluster: LocalStack, tmp_path: pathlib.Path) -> None:
    (tmp_path / "needs_torch.py").write_text("import torch_that_is_not_installed\n")
    (tmp_path / "raises.py").write_text("raise RuntimeError('no GPU here')\n")
    env = {**cluster.env, "PYTHONPATH": os.pathsep.join([str(tmp_path), cluster.env["PYTHONPATH"]])}
    status, findings = doctor("--objective", "needs_torch", "--objective", "raises", "--objective", "nowhere", env=env)
    assert status == 1
    needs, raises, nowhere, allowed = [f for f in findings if f["check"] == "objectives"]
    assert needs["status"] == "FAIL" and "torch_that_is_not_installed" in needs["fix"]
    assert raises["status"] == "FAIL" and "RuntimeError: no GPU here" in raises["found"]
    assert "raises.py:1" in raises["found"]
    assert nowhere["status"] == "FAIL" and "PYTHONPATH" in nowhere["fix"]
    assert allowed["status"] == "ok"
    assert {f["status"] for f in findings if f["check"] != "objectives"} == {"ok"}


def test_redis_down_fails_with_the_fix(tmp_path: pathlib.Path) -> None:
    status, findings = doctor("--broker", f"redis://:{SECRET}@127.0.0.1:{free_port()}/0", env=bare_env(tmp_path))
    assert status == 1
    broker = only(findings, "broker")
    assert broker["status"] == "FAIL" and "Connection refused" in broker["found"]
    assert "start Redis there" in broker["fix"] and "HPO_BROKER_URL" in broker["fix"]
    assert SECRET not in json.dumps(findings) and ":***@" in broker["found"]
    assert {"coordinator", "workers", "eviction", "clock (Redis)"}.isdisjoint(f["check"] for f in findings)
    assert only(findings, "storage")["status"] == "warn"  # none given


def test_a_tls_mismatch_is_named(cluster: LocalStack) -> None:
    tls_url = cluster.broker_url.replace("redis://", "rediss://") + "?ssl_cert_reqs=none"
    status, findings = doctor("--broker", tls_url, env=cluster.env)
    assert status == 1
    broker = only(findings, "broker")
    assert broker["status"] == "FAIL" and "without TLS, write redis://" in broker["fix"]


@pytest.mark.parametrize("user", [None, "hpo"], ids=["requirepass", "acl-user"])
def test_a_wrong_password_fails_masked(tmp_path: pathlib.Path, user: str | None) -> None:
    server = EmbeddedRedis(tmp_path, user=user, password=SECRET)
    server.start()
    try:
        wrong = server.url.replace(SECRET, "wrong-one")
        status, findings = doctor("--broker", wrong, env=bare_env(tmp_path))
        assert status == 1
        broker = only(findings, "broker")
        assert broker["status"] == "FAIL" and "refused the" in broker["found"] and ":***@" in broker["found"]
        assert "wrong-one" not in json.dumps(findings) and "requirepass" in broker["fix"]
        if user is None:
            status, findings = doctor("--broker", server.url.replace(f":{SECRET}@", ""), env=bare_env(tmp_path))
            assert "requires a password and the URL gives none" in only(findings, "broker")["found"]
        status, findings = doctor("--broker", server.url, env=bare_env(tmp_path))
        assert only(findings, "broker")["status"] == "ok" and SECRET not in json.dumps(findings)
    finally:
        server.stop()


def test_a_refused_config_command_warns(tmp_path: pathlib.Path) -> None:
    port = free_port()
    server = subprocess.Popen([redis_server_binary(), "--port", str(port), "--bind", "127.0.0.1", "--save", "",
                               "--rename-command", "CONFIG", "", "--dir", str(tmp_path)], stdout=subprocess.DEVNULL)
    try:
        client = redis.Redis(port=port)
        deadline = time.monotonic() + 10
        while True:
            try:
                client.ping()
                break
            except redis.ConnectionError:
                assert time.monotonic() < deadline, "redis-server did not start"
                time.sleep(0.05)
        status, findings = doctor("--broker", f"redis://127.0.0.1:{port}/0", env=bare_env(tmp_path))
        config = only(findings, "redis config")
        assert config["status"] == "warn" and "CONFIG GET is refused" in config["found"]
        assert "maxmemory-policy noeviction" in config["fix"]
        assert only(findings, "broker")["status"] == "ok"
        assert status == 1  # no coordinator there
    finally:
        server.terminate()
        server.wait(10)


def test_no_workers_warns_a_queue_in_use_without_workers_fails_and_so_does_no_coordinator(
    tmp_path: pathlib.Path,
) -> None:
    with make_stack(tmp_path) as stack:  # Redis and a coordinator, no worker
        status, findings = doctor(env=stack.env)
        assert status == 0, findings
        workers = only(findings, "workers")
        assert workers["status"] == "warn" and "no worker announces itself" in workers["found"]
        assert "celery -A hpo.workers worker -Q cpu" in workers["fix"]

        hpo.submit_study("hpo_test_objectives:conditional", n_trials=1, study_name="waits", queue="gpu",
                         broker_url=stack.broker_url, storage=stack.storage_url)
        deadline = time.monotonic() + 60
        while True:  # the coordinator writes the job to SQL behind its reply
            status, findings = doctor(env=stack.env)
            if status == 1:
                break
            assert time.monotonic() < deadline, findings
            time.sleep(0.5)
        workers = only(findings, "workers")
        assert workers["status"] == "FAIL" and workers["found"].startswith("queue gpu: no worker consumes it")
        assert "waits" in workers["found"] and "celery -A hpo.workers worker -Q gpu" in workers["fix"]

        stack.add_worker(2, queues=("gpu",), env={"HPO_GPUS": "0,1"})  # a GPU box: its devices are announced
        deadline = time.monotonic() + 60
        while (status := doctor(env=stack.env)[0]) != 0:
            assert time.monotonic() < deadline, "the GPU worker's announcement"
            time.sleep(0.5)
        found = only(doctor(env=stack.env)[1], "workers")["found"]
        assert "queue gpu: 1 worker(s), 2 slot(s)" in found and re.search(r"; GPUs \S+:0, \S+:1$", found), found

        stack.kill_coordinator(signal.SIGTERM)  # a clean stop gives the lease back
        status, findings = doctor(env=stack.env)
        coordinator = only(findings, "coordinator")
        assert status == 1 and coordinator["status"] == "FAIL" and "hpo coordinator start" in coordinator["fix"]


def test_an_old_schema_fails_naming_the_upgrade(cluster: LocalStack, tmp_path: pathlib.Path) -> None:
    from hpo.storages._sql._migrate import alembic_config  # stamps a database at an older revision

    url = f"sqlite:///{tmp_path / 'old.db'}"
    engine = sqlalchemy.create_engine(url)
    with engine.begin() as conn:
        command.upgrade(alembic_config(conn), "hpo_0001")
    engine.dispose()
    status, findings = doctor("--storage", url, env=cluster.env)
    assert status == 1
    storage = only(findings, "storage")
    assert storage["status"] == "FAIL" and "'hpo_0001'" in storage["found"]
    assert f"hpo storage upgrade --storage '{url}'" in storage["fix"]
    assert "clock (SQL)" not in {f["check"] for f in findings}


def test_an_optuna_database_fails_naming_the_import(cluster: LocalStack, tmp_path: pathlib.Path) -> None:
    from optuna_venv import optuna_python  # tests/, on sys.path for its conftest.py

    url = f"sqlite:///{tmp_path / 'optuna.db'}"
    subprocess.run([str(optuna_python("5.0.0")), "-c", f"import optuna; optuna.create_study(storage={url!r})"],
                   check=True, capture_output=True, timeout=120)
    status, findings = doctor("--storage", url, env=cluster.env)
    assert status == 1
    storage = only(findings, "storage")
    assert storage["status"] == "FAIL" and "written by Optuna" in storage["fix"]
    assert f"hpo storage import --from '{url}'" in storage["fix"]


def test_the_postgresql_server_clock_is_compared(cluster: LocalStack, storage_url_factory: Callable[..., str]) -> None:
    url = storage_url_factory("postgresql")
    status, findings = doctor("--storage", url, env=cluster.env)
    assert status == 0, findings
    clock = only(findings, "clock (SQL)")
    assert clock["status"] == "ok" and clock["found"].startswith("the postgresql server's clock is")
