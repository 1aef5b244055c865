"""The runtime panel (``hpo dashboard --broker``) against a real stack: Redis, a coordinator and a Celery
worker running a slow study, seen in a real headless Chromium."""

from __future__ import annotations

import signal
from pathlib import Path
from typing import Any

import pytest

import hpo
from hpo.distributed.local_stack import LocalStack

DISTRIBUTED_TESTS = Path(__file__).parent.parent / "distributed"
#: Seconds each trial sleeps: the first two are still running while the test looks.
SLEEP_S = 20


def _until(page: Any, condition: str, timeout_s: float) -> None:
    """Wait for ``condition`` (JavaScript); on timeout, fail showing the panel."""
    try:
        page.wait_for_function(condition, timeout=timeout_s * 1000)
    except Exception:
        pytest.fail(f"{condition} not within {timeout_s} s; the panel: {page.inner_text('#runtime')}")


def _cell(page: Any, queue: str, column: int) -> str:
    return str(page.inner_text(f"#queues tr[data-queue={queue}] td:nth-child({column})"))


def test_the_runtime_panel_shows_a_real_stack(serve: Any, browser: Any, tmp_path: Path, screenshots: Path,
                                              monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("HPO_HOME", str(tmp_path / "home"))
    stack = LocalStack(storage_url=f"sqlite:///{tmp_path / 'hpo.db'}", n_workers=0,
                       objective_modules=["hpo_test_objectives"], pythonpath=[str(DISTRIBUTED_TESTS)],
                       log_dir=str(tmp_path))
    try:
        stack.start()
        # One worker, 2 slots, announcing two GPUs (stand-ins: the slow objective never touches them).
        host = stack.add_worker(2, env={"HPO_GPUS": "0,1", "HPO_TEST_SLEEP": str(SLEEP_S)})
        # 6 trials: 2 run on the worker's slots, 2 more are published ahead of free slots and wait in the queue.
        hpo.submit_study("hpo_test_objectives:sleepy", 6, study_name="slow", broker_url=stack.broker_url,
                         storage=stack.storage_url)
        with serve(stack.storage_url, "--broker", stack.broker_url) as base:
            page = browser.new_context(viewport={"width": 1400, "height": 900}).new_page()
            errors: list[str] = []
            page.on("pageerror", lambda error: errors.append(str(error)))
            page.goto(base + "/")
            page.wait_for_selector("#runtime:not([hidden]) #queues tr[data-queue=cpu]", timeout=30_000)
            assert page.inner_text("#coordinator-state") == "up"
            assert _cell(page, "cpu", 2) == "1"  # workers
            assert _cell(page, "cpu", 3) == "2"  # slots
            assert _cell(page, "cpu", 4) == "0, 1"  # GPUs
            assert host in _cell(page, "cpu", 6)
            _until(page, "document.querySelector('#running').textContent.endsWith(': slow: 2')", 30)
            assert page.inner_text("#waiting").endswith(": slow: 2")
            depth = int(stack.client.llen("cpu"))
            assert depth == 2
            _until(page, f"document.querySelector('#queues tr[data-queue=cpu] td:nth-child(5)').textContent === "
                   f"'{depth}'", 10)
            page.screenshot(path=str(screenshots / "runtime.png"), full_page=True)

            # Killed, the coordinator keeps its lease until it expires (30 s): the panel sees it not renewed.
            stack.kill_coordinator(signal.SIGKILL)
            _until(page, "document.querySelector('#coordinator-state').textContent === 'down'", 20)
            assert "not renewed" in page.inner_text("#runtime")
            page.screenshot(path=str(screenshots / "runtime-down.png"), full_page=True)
            assert errors == []
    finally:
        stack.stop(grace_s=1)
