"""A real ``hpo dashboard`` process over real SQLite studies, driven by Debian's headless Chromium.

The browser is never downloaded: Playwright launches /usr/bin/chromium (``apt-get install chromium``;
``.ci/run`` installs it). Without it the tests skip, except in CI (``CI`` set), where they fail.
"""

from __future__ import annotations

import contextlib
import math
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

import hpo

START_TIMEOUT_S = 120.0


@pytest.fixture(scope="session")
def screenshots(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Where the tests keep screenshots of the pages (a temporary folder, printed, never committed)."""
    folder = tmp_path_factory.mktemp("dashboard-screenshots")
    print(f"dashboard screenshots: {folder}")
    return folder


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@contextlib.contextmanager
def dashboard(storage_url: str, *options: str) -> Iterator[str]:
    """``hpo dashboard`` serving ``storage_url`` on a free port; yields its base URL."""
    port = free_port()
    process = subprocess.Popen([sys.executable, "-m", "hpo.cli", "dashboard", "--storage", storage_url,
                                "--port", str(port), *options], stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                               text=True)
    try:
        deadline = time.monotonic() + START_TIMEOUT_S
        while True:
            if process.poll() is not None:
                pytest.fail(f"hpo dashboard exited with {process.returncode}: {process.stdout.read()}")  # type: ignore[union-attr]
            with contextlib.suppress(OSError), socket.create_connection(("127.0.0.1", port), timeout=1):
                break
            if time.monotonic() > deadline:
                pytest.fail("hpo dashboard did not listen within 120 s")
            time.sleep(0.1)
        yield f"http://127.0.0.1:{port}"
    finally:
        process.terminate()
        process.wait(timeout=30)


@pytest.fixture
def serve() -> Any:
    """:func:`dashboard`, for the tests: ``with serve(url, *options) as base_url: ...``."""
    return dashboard


def objective(trial: hpo.Trial) -> float:
    """Three parameters (one log, one categorical), intermediate values, pruning, and a failure."""
    x = trial.suggest_float("x", -5, 5)
    lr = trial.suggest_float("lr", 1e-5, 1e-1, log=True)
    optimizer = trial.suggest_categorical("optimizer", ["adam", "sgd"])
    trial.set_user_attr("optimizer_note", optimizer.upper())
    if x > 4.6:
        raise RuntimeError("diverged at x > 4.6")
    value = 0.0
    for step in range(8):
        value = (x - 1) ** 2 + math.log10(lr) ** 2 / 10 + 1 / (step + 1)
        trial.report(value, step)
        if trial.should_prune():
            raise hpo.TrialPruned()
    return value


@pytest.fixture(scope="session")
def studies_url(tmp_path_factory: pytest.TempPathFactory) -> str:
    """A SQLite database with a single-objective study (complete, pruned and failed trials) and a
    two-objective one."""
    url = f"sqlite:///{tmp_path_factory.mktemp('dashboard') / 'studies.db'}"
    hpo.logging.set_verbosity(hpo.logging.WARNING)
    study = hpo.create_study(study_name="demo", storage=url, sampler=hpo.samplers.RandomSampler(seed=1))
    study.optimize(objective, n_trials=60, catch=(RuntimeError,))
    study.enqueue_trial({"x": 4.9, "lr": 1e-3, "optimizer": "sgd"})
    study.optimize(objective, n_trials=1, catch=(RuntimeError,))
    multi = hpo.create_study(study_name="multi", storage=url, directions=["minimize", "maximize"],
                             sampler=hpo.samplers.RandomSampler(seed=2))
    multi.optimize(lambda t: (t.suggest_float("a", 0, 1), t.suggest_float("b", 0, 1) ** 2), n_trials=30)
    return url
