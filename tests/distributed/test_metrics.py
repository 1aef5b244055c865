"""``hpo coordinator start --metrics-port``: Prometheus metrics and a health check, scraped from a real
coordinator while a study runs on a real worker."""

from __future__ import annotations

import pathlib
import signal
import socket
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.request
from collections.abc import Iterator

import pytest
from cluster import make_stack
from prometheus_client.parser import text_string_to_metric_families

import hpo
from hpo.distributed import wire
from hpo.distributed.local_stack import LocalStack


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@pytest.fixture(scope="module")
def metrics_stack(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[LocalStack, int]]:
    """A stack whose coordinator is the CLI's, serving metrics on a free port; one worker, 2 slots."""
    tmp = tmp_path_factory.mktemp("metrics")
    with make_stack(tmp) as stack:
        stack.kill_coordinator(signal.SIGTERM)
        stack.client.delete(wire.coordinator_key())
        port = _free_port()
        log = open(tmp / "cli-coordinator.log", "ab")
        process = subprocess.Popen(
            [sys.executable, "-m", "hpo.cli", "coordinator", "start", "--storage", stack.storage_url,
             "--broker", stack.broker_url, "--metrics-port", str(port)],
            env=stack.env, stdout=log, stderr=subprocess.STDOUT,
        )
        try:
            _wait(lambda: _get(port, "/healthz")[0] == 200, "the coordinator's health check")
            stack.add_worker(2)
            yield stack, port
        finally:
            process.send_signal(signal.SIGTERM)
            assert process.wait(60) == 0, (tmp / "cli-coordinator.log").read_text()[-3000:]


def _get(port: int, path: str) -> tuple[int, str]:
    try:
        with urllib.request.urlopen(f"http://127.0.0.1:{port}{path}", timeout=5) as response:
            return response.status, response.read().decode()
    except urllib.error.HTTPError as e:
        return e.code, e.read().decode()
    except OSError:
        return 0, ""


def _wait(ready, what: str, timeout: float = 60) -> None:  # type: ignore[no-untyped-def]
    deadline = time.monotonic() + timeout
    while not ready():
        assert time.monotonic() < deadline, f"{what} did not come up within {timeout} s"
        time.sleep(0.2)


def _samples(port: int) -> dict[tuple[str, tuple[tuple[str, str], ...]], float]:
    status, text = _get(port, "/metrics")
    assert status == 200
    return {
        (sample.name, tuple(sorted(sample.labels.items()))): sample.value
        for family in text_string_to_metric_families(text)
        for sample in family.samples
    }


def test_health_and_metrics_follow_a_study(metrics_stack: tuple[LocalStack, int], tmp_path: pathlib.Path) -> None:
    stack, port = metrics_stack
    assert _get(port, "/healthz") == (200, "ok\n")
    _wait(lambda: _samples(port).get(("hpo_workers_alive", (("queue", "cpu"),))) == 1, "the worker's announcement")
    before = _samples(port)
    assert before[("hpo_coordinator_up", ())] == 1
    assert before[("hpo_worker_slots", (("queue", "cpu"),))] == 2

    handle = hpo.submit_study("hpo_test_objectives:quadratic", 6, study_name="metered", broker_url=stack.broker_url,
                              storage=stack.storage_url, pruner=hpo.pruners.NopPruner())
    handle.wait(progress=False, timeout=120)
    after = _samples(port)
    reports = after[("hpo_reports_total", ())] - before.get(("hpo_reports_total", ()), 0)
    assert reports == 6 * 10, "every report counted once"
    assert after[("hpo_report_decision_seconds_count", ())] >= reports
    assert 0 < after[("hpo_report_decision_seconds_sum", ())] / after[("hpo_report_decision_seconds_count", ())] < 1
    assert after[("hpo_trials", (("state", "COMPLETE"),))] == 6
    assert after[("hpo_trials", (("state", "RUNNING"),))] == 0
    assert after[("hpo_queue_depth", (("queue", "cpu"),))] == 0
    assert after[("hpo_sql_writer_lag_seconds", ())] < 5
    assert after[("hpo_studies_running", ())] == 0


def test_metrics_answer_while_redis_is_down(metrics_stack: tuple[LocalStack, int]) -> None:
    """Scraped during a Redis outage: /metrics still answers (without queue depths), /healthz stays ok
    (the lanes wait Redis out), and the queue depths come back with Redis."""
    stack, port = metrics_stack
    outage = threading.Thread(target=stack.restart_redis, kwargs={"down_s": 4.0})
    outage.start()
    try:
        time.sleep(1.5)
        samples = _samples(port)
        assert samples[("hpo_coordinator_up", ())] == 1
        assert not any(name == "hpo_queue_depth" for name, _ in samples)
        assert _get(port, "/healthz")[0] == 200
    finally:
        outage.join()
    _wait(lambda: ("hpo_queue_depth", (("queue", "cpu"),)) in _samples(port), "the queue depths")


def test_a_queue_without_workers_shows_zero_slots(metrics_stack: tuple[LocalStack, int]) -> None:
    stack, port = metrics_stack
    handle = hpo.submit_study("hpo_test_objectives:quadratic", 2, study_name="nobody-listens", queue="idle",
                              broker_url=stack.broker_url, storage=stack.storage_url)
    try:
        _wait(lambda: ("hpo_worker_slots", (("queue", "idle"),)) in _samples(port), "the idle queue", timeout=30)
        samples = _samples(port)
        assert samples[("hpo_worker_slots", (("queue", "idle"),))] == 0
        assert samples[("hpo_workers_alive", (("queue", "idle"),))] == 0
        assert samples[("hpo_studies_running", ())] >= 1
    finally:
        handle.cancel()
