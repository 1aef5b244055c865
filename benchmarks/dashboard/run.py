"""``hpo dashboard`` on large SQLite studies: how soon the study page is usable, and the trials table's speed.

    python benchmarks/dashboard/run.py --trials 20000 100000 --loads 7

For each size it builds (once, kept in --db-dir) a study of COMPLETE trials with three parameters (the
browser test's: x, log lr, a categorical), serves it with a real ``hpo dashboard`` process and times:

- the JSON API (urllib, first call and median of 5): the summary, a page of the trials table, the
  next page, a sort by a parameter, a filter, the thinned history chart;
- the study page in Debian's headless Chromium (Playwright), ``--loads`` times cold (a fresh browser
  context each: empty cache) and warm (reloads in one context: plotly.js from the browser's cache).
  ``ready``: the page's own stamp when the table's rows and the history's first (light) drawing are
  in, from navigation start; ``plotly``: when plotly.js has drawn the interactive history;
- in the page: sorting the table by a parameter, filtering it, paging, each until the rows change,
  right after the history is drawn (the charts below it still drawing) and once every chart is drawn.

Prints a table of medians (min-max) and writes every figure to --out as JSON.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import random
import socket
import statistics
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from typing import Any

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
                 "--disable-component-update", "--no-first-run"]
READY = "document.body.dataset.readyMs && document.body.dataset.plotlyMs"


def build(path: Path, n_trials: int) -> None:
    """A study ``big`` of ``n_trials`` COMPLETE trials, written in one transaction."""
    import hpo
    from hpo.distributions import CategoricalDistribution, FloatDistribution
    from hpo.storages import RDBStorage

    storage = RDBStorage(f"sqlite:///{path}")
    hpo.create_study(study_name="big", storage=storage)
    rng = random.Random(0)
    distributions = {"x": FloatDistribution(-5, 5), "lr": FloatDistribution(1e-5, 1e-1, log=True),
                     "optimizer": CategoricalDistribution(["adam", "sgd"])}
    trials = []
    for _ in range(n_trials):
        params = {"x": rng.uniform(-5, 5), "lr": 10 ** rng.uniform(-5, -1), "optimizer": rng.choice(["adam", "sgd"])}
        trials.append(hpo.trial.create_trial(params=params, distributions=distributions,
                                             value=(params["x"] - 1) ** 2 + rng.random()))
    study_id = storage.get_study_id_from_name("big")
    storage.apply_batch([("create_new_trial", (study_id, t)) for t in trials])
    storage.close()


@contextlib.contextmanager
def dashboard(db: Path) -> Iterator[tuple[str, float]]:
    """A real ``hpo dashboard`` on a free port: (its base URL, seconds until it listened)."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = int(sock.getsockname()[1])
    started = time.monotonic()
    process = subprocess.Popen([sys.executable, "-m", "hpo.cli", "dashboard", "--storage", f"sqlite:///{db}",
                                "--port", str(port)], stdout=subprocess.DEVNULL)
    try:
        while True:
            if process.poll() is not None:
                raise RuntimeError(f"hpo dashboard exited with {process.returncode}")
            with contextlib.suppress(OSError), socket.create_connection(("127.0.0.1", port), timeout=1):
                break
            time.sleep(0.05)
        yield f"http://127.0.0.1:{port}", time.monotonic() - started
    finally:
        process.terminate()
        process.wait(30)


def timed_get(url: str) -> float:
    started = time.perf_counter()
    with urllib.request.urlopen(url, timeout=120) as response:
        response.read()
    return time.perf_counter() - started


def api_figures(base: str) -> dict[str, dict[str, float]]:
    q = base + "/api/trials?study=big&limit=50"
    paths = {
        "summary": base + "/api/study?study=big",
        "first page (newest first)": q + "&offset=0&sort=number&order=desc",
        "next page": q + "&offset=50&sort=number&order=desc",
        "sort by a parameter (lr)": q + "&offset=0&sort=param:lr&order=asc",
        "filter x<0, optimizer=adam": q + "&offset=0&sort=number&order=desc&filter=x%3C0%2Coptimizer%3Dadam",
        "history, thinned (440x280 px)": base + "/api/chart?study=big&kind=history&width=440&height=280",
    }
    out = {}
    for name, url in paths.items():
        first = timed_get(url)
        repeats = [timed_get(url) for _ in range(5)]
        out[name] = {"first_s": first, "median_s": statistics.median(repeats)}
    return out


def page_loads(browser: Any, base: str, loads: int, warm: bool) -> list[dict[str, float]]:
    """``loads`` loads of the study page: each in a fresh context (cold) or reloads in one (warm)."""
    url = base + "/study?study=big"
    results = []
    context = browser.new_context(viewport={"width": 1400, "height": 1000}) if warm else None
    if context is not None:
        page = context.new_page()
        page.goto(url)
        page.wait_for_function(READY, timeout=120_000)  # fills the cache
    for _ in range(loads):
        if context is None:
            fresh = browser.new_context(viewport={"width": 1400, "height": 1000})
            page = fresh.new_page()
        page.goto(url)
        page.wait_for_function(READY, timeout=120_000)
        stamps = page.evaluate("[document.body.dataset.readyMs, document.body.dataset.plotlyMs, "
                               "document.querySelector('.chart[data-kind=history]').dataset.points]")
        results.append({"ready_s": int(stamps[0]) / 1000, "plotly_s": int(stamps[1]) / 1000, "points": stamps[2]})
        if context is None:
            fresh.close()
    if context is not None:
        context.close()
    return results


def table_actions(browser: Any, base: str, settled: bool) -> dict[str, float]:
    """Sort by a parameter, filter, next page: seconds from the action to the rows' change in the page,
    right after the history is drawn by plotly (the charts below still drawing) or, ``settled``, once every
    chart is drawn."""
    context = browser.new_context(viewport={"width": 1400, "height": 1000})
    page = context.new_page()
    page.goto(base + "/study?study=big")
    page.wait_for_function(READY, timeout=120_000)
    if settled:
        for index, chart in enumerate(page.query_selector_all(".chart")):
            if not chart.is_hidden():
                chart.scroll_into_view_if_needed()
                page.wait_for_function(f"document.querySelectorAll('.chart')[{index}].dataset.drawn", timeout=120_000)
        time.sleep(1)
    first_row = "document.querySelector('#trials tbody tr').dataset.number"
    out = {}

    def until_changed(action: Any) -> float:
        before = page.evaluate(first_row)
        started = time.perf_counter()
        action()
        page.wait_for_function(f"{first_row} !== {json.dumps(before)}", timeout=120_000)
        return time.perf_counter() - started

    out["sort by lr"] = until_changed(lambda: page.click("#trials thead th:text-is('lr')"))
    out["sort by lr, descending"] = until_changed(lambda: page.click("#trials thead th:text-is('lr')"))
    out["next page"] = until_changed(lambda: page.click("#next"))
    out["filter x<0 (typed)"] = until_changed(lambda: page.fill("#trial-filter", "x<0"))
    context.close()
    return out


def spread(values: list[float]) -> str:
    return f"{statistics.median(values):.2f} s ({min(values):.2f}-{max(values):.2f})"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--trials", type=int, nargs="+", default=[20_000, 100_000])
    parser.add_argument("--loads", type=int, default=7, help="page loads per kind (cold, warm)")
    parser.add_argument("--db-dir", type=Path, default=Path(os.environ.get("TMPDIR", "/tmp")) / "hpo-dashboard-bench")
    parser.add_argument("--out", type=Path, default=Path("dashboard-benchmark.json"))
    args = parser.parse_args()
    from playwright.sync_api import sync_playwright

    args.db_dir.mkdir(parents=True, exist_ok=True)
    report: dict[str, Any] = {"load_average": os.getloadavg(), "sizes": {}}
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        for n in args.trials:
            db = args.db_dir / f"big-{n}.db"
            if not db.exists():
                started = time.monotonic()
                build(db, n)
                print(f"built {n:,} trials in {time.monotonic() - started:.1f} s: {db}")
            with dashboard(db) as (base, listen_s):
                figures: dict[str, Any] = {"listen_s": listen_s, "api": api_figures(base)}
                figures["cold"] = page_loads(browser, base, args.loads, warm=False)
                figures["warm"] = page_loads(browser, base, args.loads, warm=True)
                figures["table"] = table_actions(browser, base, settled=False)
                figures["table, charts drawn"] = table_actions(browser, base, settled=True)
            report["sizes"][n] = figures
            print(f"\n{n:,} trials (dashboard listening after {listen_s:.1f} s, load {os.getloadavg()[0]:.1f})")
            for kind in ("cold", "warm"):
                loads = figures[kind]
                print(f"  page {kind}: usable {spread([r['ready_s'] for r in loads])}, plotly history "
                      f"{spread([r['plotly_s'] for r in loads])}, history points {loads[0]['points']}")
            for name, f in figures["api"].items():
                print(f"  API {name}: first {f['first_s'] * 1000:.0f} ms, then {f['median_s'] * 1000:.0f} ms")
            for when in ("table", "table, charts drawn"):
                print(f"  in the page ({'right after the history' if when == 'table' else 'the charts drawn'}): "
                      + ", ".join(f"{name} {seconds:.2f} s" for name, seconds in figures[when].items()))
        browser.close()
    args.out.write_text(json.dumps(report, indent=1))
    print(f"\nfigures in {args.out}")


if __name__ == "__main__":
    main()
