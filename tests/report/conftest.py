"""Real SQLite studies, real ``hpo report`` files, opened via file:// in Debian's headless Chromium.

The browser is never downloaded: Playwright launches /usr/bin/chromium (``apt-get install chromium``;
``.ci/run`` installs it). Without it the browser tests skip, except in CI (``CI`` set), where they fail.
Every page is opened with the network cut: any http(s) or ws(s) request is recorded and aborted.
"""

from __future__ import annotations

import math
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest

import hpo

DRAWN_TIMEOUT_MS = 30_000


@pytest.fixture(scope="session")
def screenshots(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Where the tests keep screenshots of the reports (a temporary folder, printed, never committed)."""
    folder = tmp_path_factory.mktemp("report-screenshots")
    print(f"report screenshots: {folder}")
    return folder


@dataclass
class OpenedReport:
    """A report open in the browser, with what it asked of the network and what its console reported."""

    page: Any
    requests: list[str] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)


@pytest.fixture
def open_report(browser: Any) -> Iterator[Any]:
    """``open_report(path)``: the report at ``path`` opened via file:// with the network cut, once every
    figure reports it is drawn."""
    contexts = []

    def opener(path: Path) -> OpenedReport:
        context = browser.new_context(viewport={"width": 1280, "height": 900})
        contexts.append(context)
        opened = OpenedReport(page=None)

        def route(route: Any) -> None:
            if route.request.url.startswith("file:"):
                route.continue_()
            else:
                route.abort()  # recorded by the "request" listener below

        context.route("**/*", route)
        page = context.new_page()
        page.on("console", lambda message: opened.errors.append(message.text) if message.type == "error" else None)
        page.on("pageerror", lambda error: opened.errors.append(f"uncaught: {error}"))
        page.on("request", lambda request: None if request.url.startswith(("file:", "data:"))
                else opened.requests.append(request.url))
        page.goto(path.resolve().as_uri())
        page.wait_for_function("() => [...document.querySelectorAll('.plot')].every(e => e.dataset.drawn === '1')",
                               timeout=DRAWN_TIMEOUT_MS)
        opened.page = page
        return opened

    yield opener
    for context in contexts:
        context.close()


def objective(trial: hpo.Trial) -> float:
    """Three parameters (one log, one categorical), a user attr, intermediate values, pruning, failures."""
    x = trial.suggest_float("x", -5, 5)
    lr = trial.suggest_float("lr", 1e-5, 1e-1, log=True)
    optimizer = trial.suggest_categorical("optimizer", ["adam", "sgd"])
    trial.set_user_attr("optimizer_note", optimizer.upper())
    if x > 4.5:
        raise RuntimeError("diverged at x > 4.5")
    value = 0.0
    for step in range(6):
        value = (x - 1) ** 2 + math.log10(lr) ** 2 / 10 + 1 / (step + 1)
        trial.report(value, step)
        if step >= 3 and trial.should_prune():
            raise hpo.TrialPruned()
    return value


@pytest.fixture(scope="session")
def studies_url(tmp_path_factory: pytest.TempPathFactory) -> str:
    """A SQLite database with ``demo`` (complete, pruned and failed trials), ``multi`` (two objectives with
    metric names and user attrs), ``failed`` (no complete trial) and ``empty`` (no trial)."""
    url = f"sqlite:///{tmp_path_factory.mktemp('report') / 'studies.db'}"
    hpo.logging.set_verbosity(hpo.logging.ERROR)
    study = hpo.create_study(study_name="demo", storage=url, sampler=hpo.samplers.RandomSampler(seed=1),
                             pruner=hpo.pruners.MedianPruner(n_startup_trials=10))
    study.optimize(objective, n_trials=130, catch=(RuntimeError,))
    study.set_user_attr("dataset", "synthetic <quadratic>")

    def two(trial: hpo.Trial) -> tuple[float, float]:
        a, b = trial.suggest_float("a", 0, 1), trial.suggest_float("b", 0, 1)
        trial.set_user_attr("sum", a + b)
        return a, (1 - a) * b + trial.suggest_int("c", 0, 3) / 10

    multi = hpo.create_study(study_name="multi", storage=url, directions=["minimize", "maximize"],
                             sampler=hpo.samplers.RandomSampler(seed=2))
    multi.set_metric_names(["loss", "accuracy"])
    multi.optimize(two, n_trials=40)

    def fails(trial: hpo.Trial) -> float:
        trial.suggest_float("x", 0, 1)
        raise RuntimeError("always fails")

    hpo.create_study(study_name="failed", storage=url).optimize(fails, n_trials=3, catch=(RuntimeError,))
    hpo.create_study(study_name="empty", storage=url)
    return url
