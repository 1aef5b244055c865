"""``hpo dashboard`` in a real headless Chromium: pages, charts, the trials table, live updates, auth, scale."""

from __future__ import annotations

import base64
import random
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.request
from pathlib import Path
from typing import Any

import pytest

import hpo
from hpo.distributions import CategoricalDistribution, FloatDistribution
from hpo.storages import RDBStorage

#: Every visible chart holds a plotly SVG with drawn marks (points, lines, bars, contour paths) or a canvas.
CHARTS_DRAWN = """() => [...document.querySelectorAll('.chart')].filter(f => !f.hidden).map(f => {
    const plot = f.querySelector('.plot');
    const marks = plot.querySelectorAll('svg.main-svg .trace, canvas').length;
    return [f.dataset.kind, f.dataset.drawn || '', plot.querySelectorAll('svg.main-svg').length, marks];
})"""
HISTORY_DRAWN = """(() => {
    const plot = document.querySelector('.chart[data-kind=history][data-drawn="1"] .plot');
    return plot && plot.querySelectorAll('svg.main-svg .trace, canvas').length > 0;
})()"""


def _draw_all(page: Any) -> None:
    """Scroll to each chart (charts are drawn when they come near the screen) and wait until it is drawn."""
    for index, chart in enumerate(page.query_selector_all(".chart")):
        if chart.is_hidden():
            continue
        chart.scroll_into_view_if_needed()
        page.wait_for_function(f"(f => f.hidden || f.dataset.drawn)(document.querySelectorAll('.chart')[{index}])",
                               timeout=60_000)


def _open(browser: Any, **context: Any) -> tuple[Any, list[str]]:
    """A new page, and the list its JavaScript console errors and uncaught exceptions go to."""
    page = browser.new_context(viewport={"width": 1400, "height": 1000}, **context).new_page()
    errors: list[str] = []
    page.on("console", lambda message: errors.append(message.text) if message.type == "error" else None)
    page.on("pageerror", lambda error: errors.append(str(error)))
    return page, errors


def _column(page: Any, header: str) -> list[str]:
    index = page.eval_on_selector_all("#trials thead th", "(ths, h) => ths.findIndex(th => th.textContent === h)",
                                      header)
    assert index >= 0, header
    return page.eval_on_selector_all("#trials tbody tr", "(rows, i) => rows.map(r => r.cells[i].textContent)",
                                     index)


def test_pages_load_and_every_chart_draws(serve: Any, browser: Any, studies_url: str, screenshots: Path) -> None:
    with serve(studies_url) as base:
        page, errors = _open(browser)
        page.goto(base + "/")
        page.wait_for_selector("#studies tbody tr")
        names = page.eval_on_selector_all("#studies tbody tr td:first-child", "cells => cells.map(c => c.textContent)")
        assert names == ["demo", "multi"]
        page.fill("#study-filter", "mul")
        page.wait_for_function("document.querySelectorAll('#studies tbody tr').length === 1")
        page.screenshot(path=str(screenshots / "studies.png"), full_page=True)

        for name, kinds in (("demo", {"history", "intermediate", "importance", "parallel", "slice", "contour",
                                      "timeline"}),
                            ("multi", {"history", "intermediate", "importance", "parallel", "slice", "contour",
                                       "pareto", "timeline"})):
            page.goto(f"{base}/study?study={name}")
            _draw_all(page)
            charts = page.evaluate(CHARTS_DRAWN)
            assert {c[0] for c in charts} == kinds
            for kind, drawn, svgs, marks in charts:
                if name == "multi" and kind == "intermediate":  # a multi-objective study reports none
                    assert drawn == "empty"
                    continue
                assert drawn == "1" and svgs > 0 and marks > 0, (name, kind, drawn, svgs, marks)
            page.screenshot(path=str(screenshots / f"study-{name}.png"), full_page=True)

        # The failed trial's view shows its traceback; a pruned one its pruning reason.
        page.goto(f"{base}/study?study=demo")
        page.wait_for_selector("#trials tbody tr")
        page.fill("#trial-filter", "state=FAIL")
        page.wait_for_function("document.querySelector('#trials tbody tr td:nth-child(2)')?.textContent === 'FAIL'")
        page.click("#trials tbody tr")
        page.wait_for_selector("#trial:not([hidden])")
        assert "RuntimeError: diverged at x > 4.6" in page.inner_text("#trial")
        assert "Traceback" in page.inner_text("#trial")
        page.fill("#trial-filter", "state=PRUNED")
        page.wait_for_function("document.querySelector('#trials tbody tr td:nth-child(2)')?.textContent === 'PRUNED'")
        page.click("#trials tbody tr")
        page.wait_for_function("document.querySelector('#trial').innerText.includes('Pruning reason')")
        page.screenshot(path=str(screenshots / "trial.png"), full_page=True)
        assert errors == []


def test_trials_table_sorts_and_filters_on_the_server(serve: Any, browser: Any, studies_url: str) -> None:
    with serve(studies_url) as base:
        page, errors = _open(browser)
        page.goto(f"{base}/study?study=demo")
        page.wait_for_selector("#trials tbody tr")
        assert _column(page, "#")[:3] == ["60", "59", "58"]  # newest first

        page.click("#trials thead th:text-is('Value')")
        page.wait_for_selector("#trials thead th.sorted-asc:text-is('Value')")
        values = [float(v) for v in _column(page, "Value") if v]
        assert values == sorted(values) and len(values) > 10
        page.click("#trials thead th:text-is('Value')")
        page.wait_for_selector("#trials thead th.sorted-desc:text-is('Value')")
        values = [float(v) for v in _column(page, "Value") if v]
        assert values == sorted(values, reverse=True)

        page.fill("#trial-filter", "x<0, optimizer=adam")
        page.wait_for_function("!document.querySelector('#page-info').textContent.startsWith('1-50 of 61')")
        xs = [float(v) for v in _column(page, "x")]
        assert xs and all(x < 0 for x in xs)
        assert set(_column(page, "optimizer")) == {"adam"}
        total = int(page.get_attribute("#trials", "data-total"))
        study = hpo.load_study(study_name="demo", storage=studies_url)
        assert total == sum(1 for t in study.trials if t.params["x"] < 0 and t.params["optimizer"] == "adam")

        assert errors == []
        page.fill("#trial-filter", "x is small")  # answered 400 with the reason, shown next to the filter
        page.wait_for_function("document.querySelector('#filter-error').textContent.includes('Cannot read')")


def test_a_finishing_trial_appears_within_2_s(serve: Any, browser: Any, tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'live.db'}"
    study = hpo.create_study(study_name="live", storage=url)
    study.optimize(lambda t: t.suggest_float("x", 0, 1), n_trials=3)
    running = study.ask()
    running.report(0.5, 0)
    with serve(url) as base:
        page, errors = _open(browser)
        page.goto(f"{base}/study?study=live")
        page.wait_for_function(HISTORY_DRAWN, timeout=60_000)
        assert _column(page, "State")[0] == "RUNNING"
        started = time.monotonic()
        study.tell(running, 0.123)
        page.wait_for_function("document.querySelector('#trials tbody tr td:nth-child(2)')?.textContent === 'COMPLETE'",
                               timeout=2_000)
        appeared = time.monotonic() - started
        # A new trial too, from another process's study object.
        added = hpo.load_study(study_name="live", storage=url)
        started = time.monotonic()
        added.optimize(lambda t: t.suggest_float("x", 0, 1), n_trials=1)
        page.wait_for_function("document.querySelector('#trials tbody tr td')?.textContent === '4'", timeout=2_000)
        print(f"finished trial shown after {appeared:.2f} s, new trial after {time.monotonic() - started:.2f} s")
        assert errors == []


def _status(url: str, headers: dict[str, str] | None = None) -> int:
    try:
        with urllib.request.urlopen(urllib.request.Request(url, headers=headers or {}), timeout=30) as response:
            return int(response.status)
    except urllib.error.HTTPError as e:
        return e.code


def test_credentials_are_required_when_set(serve: Any, browser: Any, studies_url: str) -> None:
    basic = "Basic " + base64.b64encode(b"ana:s3cret").decode()
    with serve(studies_url, "--auth", "ana:s3cret") as base:
        for path in ("/", "/api/studies", "/api/trials?study=demo", "/plotly.min.js"):
            assert _status(base + path) == 401
            assert _status(base + path, {"Authorization": "Basic " + base64.b64encode(b"ana:wrong").decode()}) == 401
            assert _status(base + path, {"Authorization": basic}) == 200
        page, errors = _open(browser, http_credentials={"username": "ana", "password": "s3cret"})
        page.goto(f"{base}/study?study=demo")
        page.wait_for_selector("#trials tbody tr")
        assert errors == []
    with serve(studies_url, "--token", "t0ken") as base:
        assert _status(base + "/api/studies") == 401
        assert _status(base + "/api/studies", {"Authorization": "Bearer t0ken"}) == 200
        page, errors = _open(browser)
        page.goto(f"{base}/?token=t0ken")  # sets a cookie: the page's own requests need no token
        page.wait_for_selector("#studies tbody tr")
        assert errors == []


def test_binding_another_host_needs_auth(serve: Any, studies_url: str) -> None:
    result = subprocess.run([sys.executable, "-m", "hpo.cli", "dashboard", "--storage", studies_url,
                             "--host", "0.0.0.0"], capture_output=True, text=True, timeout=120)
    assert result.returncode != 0
    assert "--auth" in result.stderr and "--token" in result.stderr


def test_the_dashboard_never_writes_the_store(serve: Any, studies_url: str) -> None:
    path = Path(studies_url[len("sqlite:///"):])
    before = path.stat().st_mtime_ns, path.read_bytes()
    with serve(studies_url) as base:
        for api in ("/api/studies", "/api/study?study=demo", "/api/trials?study=demo", "/api/trial?study=demo&number=1",
                    "/api/chart?study=demo&kind=importance"):
            assert _status(base + api) == 200
        assert _status(base + "/api/studies", {"Content-Type": "application/json"}) == 200
        request = urllib.request.Request(base + "/api/studies", data=b"{}", method="POST")
        with pytest.raises(urllib.error.HTTPError) as refused:
            urllib.request.urlopen(request, timeout=30)
        assert refused.value.code == 405
    assert (path.stat().st_mtime_ns, path.read_bytes()) == before


#: The issue's target: a 20,000-trial study's page is usable (its table's rows and its history drawn) within 2 s.
INTERACTIVE_S = 2.0


@pytest.mark.slow
def test_a_20000_trial_study_is_interactive(serve: Any, browser: Any, tmp_path: Path, screenshots: Path) -> None:
    """Usable within 2 s of navigation (the median of three cold loads, each in a fresh browser context):
    the table's rows and a light drawing of the history (the server thins it to the plot's pixels, the
    best-value line exact) come before plotly.js, which then draws the interactive history; zoomed in,
    the history shows every trial in view. The heavier charts draw a sample of the trials and say so."""
    url = f"sqlite:///{tmp_path / 'big.db'}"
    storage = RDBStorage(url)
    hpo.create_study(study_name="big", storage=storage)

    def add_trials() -> None:
        rng = random.Random(0)
        distributions = {"x": FloatDistribution(-5, 5), "lr": FloatDistribution(1e-5, 1e-1, log=True),
                         "optimizer": CategoricalDistribution(["adam", "sgd"])}
        trials = []
        for _ in range(20_000):
            params = {"x": rng.uniform(-5, 5), "lr": 10 ** rng.uniform(-5, -1),
                      "optimizer": rng.choice(["adam", "sgd"])}
            trials.append(hpo.trial.create_trial(params=params, distributions=distributions,
                                                 value=(params["x"] - 1) ** 2 + rng.random()))
        study_id = storage.get_study_id_from_name("big")
        storage.apply_batch([("create_new_trial", (study_id, t)) for t in trials])  # one transaction
        storage.close()

    adding = threading.Thread(target=add_trials)  # while the dashboard process starts
    adding.start()
    with serve(url) as base:
        adding.join()
        # What the dashboard reads at its start-up (the trials were added after it): the study, its newest
        # trials, its history.
        for api in ("study?study=big", "trials?study=big&order=desc",
                    "chart?study=big&kind=history&width=500&height=280"):
            assert _status(f"{base}/api/{api}") == 200
        usable = []
        page = None
        for _ in range(3):
            if page is not None:
                page.context.close()
            page, errors = _open(browser)
            page.goto(f"{base}/study?study=big")
            # Stamped by the page itself when its rows are in and the history is drawn: from navigation start.
            page.wait_for_function("document.body.dataset.readyMs", timeout=30_000)
            assert page.locator("#trials tbody tr").count() == 50
            assert page.get_attribute(".chart[data-kind=history]", "data-drawn") in ("light", "1")
            usable.append(int(page.get_attribute("body", "data-ready-ms")) / 1000)
        page.wait_for_function(HISTORY_DRAWN, timeout=30_000)
        plotly_s = int(page.get_attribute("body", "data-plotly-ms")) / 1000
        print(f"20,000 trials: table rows and history drawn after {sorted(usable)[1]:.2f} s (median of "
              f"{', '.join(f'{u:.2f}' for u in usable)}); history drawn by plotly.js after {plotly_s:.2f} s")
        thinned = page.get_attribute(".chart[data-kind=history]", "data-points")
        shown, points = map(int, thinned.split("/"))
        assert shown < points // 2

        # Zoomed in, every trial in view is drawn: trials 100 to 199 are 100 markers.
        page.evaluate("Plotly.relayout(document.querySelector('.chart[data-kind=history] .plot'), "
                      "{'xaxis.range': [99.5, 199.5], 'yaxis.range': [-1, 40]})")
        page.wait_for_function(f"document.querySelector('.chart[data-kind=history]').dataset.points !== '{thinned}'",
                               timeout=30_000)
        markers = page.evaluate("values(document.querySelector('.chart[data-kind=history] .plot').data[0].x).length")
        assert markers == 100

        started = time.monotonic()
        page.click("#trials thead th:text-is('lr')")
        page.wait_for_selector("#trials thead th.sorted-asc:text-is('lr')")
        print(f"20,000 trials: sorted by a parameter in {time.monotonic() - started:.2f} s")
        _draw_all(page)
        assert "a sample: 2,001 of 20,000 trials" in page.inner_text(".chart[data-kind=slice] figcaption")
        page.screenshot(path=str(screenshots / "study-20000.png"), full_page=True)
        assert errors == []
        assert sorted(usable)[1] <= INTERACTIVE_S
