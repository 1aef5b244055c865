"""``hpo dashboard`` against Optuna's optuna-dashboard on the same study, in Debian's headless Chromium.

    python benchmarks/dashboard/vs_optuna.py --optuna-python .venv-optuna/bin/python --trials 20000 100000

The study (``_optuna_study.py``, written by real Optuna 5 into an Optuna SQLite database: three
parameters, COMPLETE trials with 8 intermediate values, PRUNED and FAIL ones) is copied into an hpo
database with ``hpo storage import``, so both dashboards read the same trials. Each dashboard runs as
its own process (``hpo dashboard``; ``optuna-dashboard`` from the Optuna venv, Bottle on wsgiref), one
at a time, and is timed:

- from the process's start to its port accepting connections;
- pages in Chromium, from navigation start (``performance.now()``) to the first animation frame at which
  a condition holds (a ``requestAnimationFrame`` loop injected before the page's own scripts, the same on
  both sides, so the stamp is when the page can paint it):

  - hpo's study page (``/study?study=big``): ``table``, the trials table has rows; ``usable``, the page's
    own ready stamp (the rows and the history's first drawing, from points the server thinned);
    ``history``, the history drawn by plotly.js;
  - optuna-dashboard's study page (``/dashboard/studies/1``, its History tab): ``history``, the history
    plot (plotly.js, SVG) has its points; its trials (``/dashboard/studies/1/trials``, "Trials (List)"):
    ``table``, the list shows a trial;
  - the study list (``/`` and ``/dashboard``): the study is listed.

  The first study page after the server's start (optuna-dashboard reads the trials then; hpo at start),
  then ``--loads`` loads (fewer, one at least, once a kind's loads took ``--budget`` seconds) cold (a
  fresh browser context each: empty cache) and warm (loads again in one context, from about:blank so
  the previous page's unload is not timed). The server's resident memory is read at the end.

Prints a table of medians (min-max) and writes every figure to --out as JSON.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import socket
import statistics
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from playwright.sync_api import TimeoutError as PlaywrightTimeout
from run import CHROMIUM, CHROMIUM_ARGS

HERE = Path(__file__).resolve().parent
SEED = 20_000  # _optuna_study.SEED_TRIALS: larger studies start from this one's copy
# Each side's pages: (path, {stamp name: a JavaScript condition}).
PAGES = {
    "hpo": {
        "study": ("/study?study=big", {"table": "document.querySelector('#trials tbody tr')",
                                       "usable": "document.body.dataset.readyMs",
                                       "history": "document.body.dataset.plotlyMs"}),
        "list": ("/", {"list": "document.querySelector('#studies tbody tr')"}),
    },
    "optuna": {
        "study": ("/dashboard/studies/1", {"history": "document.querySelector('#plot-history .scatterlayer .point')"}),
        "trials": ("/dashboard/studies/1/trials",
                   {"table": "[...document.querySelectorAll('.MuiListItemButton-root .MuiListItemText-primary')]"
                             ".some(e => /^Trial \\d+$/.test(e.textContent))"}),
        "list": ("/dashboard", {"list": "document.querySelector('a[href$=\"/dashboard/studies/1\"]')"}),
    },
}
STAMPER = """
window.__stamps = {};
const checks = Object.entries(%s).map(([name, body]) => [name, new Function("return " + body)]);
function tick() {
  for (const [name, check] of checks) {
    if (!(name in window.__stamps)) { try { if (check()) window.__stamps[name] = performance.now(); } catch (e) {} }
  }
  if (Object.keys(window.__stamps).length < checks.length) requestAnimationFrame(tick);
}
requestAnimationFrame(tick);
"""
# Counted once stamped: what each side drew.
DRAWN = {"hpo": "document.querySelector('.chart[data-kind=history]').dataset.points",
         "optuna": "document.querySelectorAll('#plot-history .scatterlayer .point').length"}


def build(db_dir: Path, n: int, optuna_python: str) -> tuple[Path, Path]:
    """The study of ``n`` trials in an Optuna database and its import into an hpo one (kept in ``db_dir``)."""
    optuna_db, hpo_db = db_dir / f"optuna-{n}.db", db_dir / f"hpo-{n}.db"
    if not optuna_db.exists():
        started = time.monotonic()
        seed = db_dir / f"optuna-{SEED}.db"
        command = [optuna_python, str(HERE / "_optuna_study.py"), str(optuna_db) + ".tmp", str(n)]
        subprocess.run(command + ([str(seed)] if n > SEED and seed.exists() else []), check=True)
        (db_dir / f"optuna-{n}.db.tmp").rename(optuna_db)
        print(f"wrote {n:,} trials with Optuna in {time.monotonic() - started:.0f} s: {optuna_db}")
    if not hpo_db.exists():
        subprocess.run([sys.executable, "-m", "hpo.cli", "storage", "import", "--from", f"sqlite:///{optuna_db}",
                        "--to", f"sqlite:///{hpo_db}.tmp", "--quiet"], check=True, stdout=subprocess.DEVNULL)
        (db_dir / f"hpo-{n}.db.tmp").rename(hpo_db)
    return optuna_db, hpo_db


@contextlib.contextmanager
def serve(command: list[str], port: int) -> Iterator[tuple[str, float, subprocess.Popen[bytes]]]:
    """Runs ``command`` until its server takes connections on ``port``: (base URL, seconds, process)."""
    started = time.monotonic()
    process = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        while True:
            if process.poll() is not None:
                raise RuntimeError(f"{command[0]} exited with {process.returncode}")
            with contextlib.suppress(OSError), socket.create_connection(("127.0.0.1", port), timeout=1):
                break
            time.sleep(0.02)
        yield f"http://127.0.0.1:{port}", time.monotonic() - started, process
    finally:
        process.terminate()
        process.wait(30)


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def rss_mib(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return float("nan")


def load(page: Any, url: str, checks: dict[str, str], side: str, timeout_s: float) -> dict[str, Any]:
    """Navigates ``page`` (its context carries the stamper) and waits for every check: seconds each
    (printed as they come, for long runs)."""
    page.goto(url, wait_until="commit", timeout=timeout_s * 1000)
    page.wait_for_function(f"window.__stamps && Object.keys(window.__stamps).length === {len(checks)}",
                           timeout=timeout_s * 1000)
    out: dict[str, Any] = {name: ms / 1000 for name, ms in page.evaluate("window.__stamps").items()}
    if "history" in checks:
        out["points"] = page.evaluate(DRAWN[side])
    print(f"    {side} /{url.split('/', 3)[3]}: {out}", flush=True)
    return out


def new_context(browser: Any, checks: dict[str, str]) -> Any:
    context = browser.new_context(viewport={"width": 1400, "height": 1000})
    context.add_init_script(STAMPER % json.dumps(checks))
    return context


def measure(browser: Any, side: str, base: str, pages: list[str], loads: int, budget_s: float, timeout_s: float,
            figures: dict[str, Any]) -> None:
    """Into ``figures``: each page cold and warm, ``loads`` times each, or fewer (one at least) once a
    kind's loads took ``budget_s``. A page that takes over ``timeout_s`` is given up (its screenshot is
    kept in $TMPDIR) and the next page measured."""
    for page_name, (path, checks) in PAGES[side].items():
        if page_name not in pages:
            continue
        context = new_context(browser, checks)
        page = context.new_page()
        try:
            if page_name == "study":
                figures["first study page after start"] = load(page, base + path, checks, side, timeout_s)
                context.close()
                context = new_context(browser, checks)
                page = context.new_page()
            cold: list[dict[str, Any]] = []
            started = time.monotonic()
            while len(cold) < loads and (not cold or time.monotonic() - started < budget_s):
                if cold:
                    context.close()
                    context = new_context(browser, checks)
                    page = context.new_page()
                cold.append(load(page, base + path, checks, side, timeout_s))
            figures[f"{page_name}, cold"] = cold
            context.close()
            context = new_context(browser, checks)
            page = context.new_page()
            started = time.monotonic()
            load(page, base + path, checks, side, timeout_s)  # fills the cache
            warm: list[dict[str, Any]] = []
            while len(warm) < loads and (not warm or time.monotonic() - started < budget_s):
                page.goto("about:blank")  # the last page unloads here, off the clock, whatever it still draws
                warm.append(load(page, base + path, checks, side, timeout_s))
            figures[f"{page_name}, warm"] = warm
        except PlaywrightTimeout:
            shot = Path(os.environ.get("TMPDIR", "/tmp")) / f"gave-up-{side}-{page_name}.png"
            with contextlib.suppress(Exception):
                page.screenshot(path=str(shot), timeout=60_000)
            figures[f"{page_name}: gave up"] = {"after_s": timeout_s, "screenshot": str(shot)}
            print(f"    {side} {path}: nothing after {timeout_s:.0f} s, given up ({shot})", flush=True)
        finally:
            context.close()


def spread(values: list[float]) -> str:
    return f"{statistics.median(values):.2f} s ({min(values):.2f}-{max(values):.2f})"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--optuna-python", default=os.environ.get("OPTUNA_PYTHON", ".venv-optuna/bin/python"),
                        help="interpreter of a venv with optuna==5.0.0 and optuna-dashboard (default: $OPTUNA_PYTHON)")
    parser.add_argument("--trials", type=int, nargs="+", default=[20_000, 100_000])
    parser.add_argument("--loads", type=int, default=5, help="page loads per kind (cold, warm)")
    parser.add_argument("--budget", type=float, default=120,
                        help="seconds of loads per page and kind after which no more are started (one at least)")
    parser.add_argument("--timeout", type=float, default=300, help="seconds a page may take before giving up")
    parser.add_argument("--sides", nargs="+", choices=["hpo", "optuna"], default=["hpo", "optuna"])
    parser.add_argument("--pages", nargs="+", choices=["study", "trials", "list"], default=["study", "trials", "list"],
                        help="which pages to time (trials: optuna-dashboard's; hpo's table is on its study page)")
    parser.add_argument("--db-dir", type=Path,
                        default=Path(os.environ.get("TMPDIR", "/tmp")) / "hpo-dashboard-vs-optuna")
    parser.add_argument("--out", type=Path, default=Path("dashboard-vs-optuna.json"))
    args = parser.parse_args()
    optuna_python = os.path.abspath(args.optuna_python) if os.sep in args.optuna_python else args.optuna_python
    optuna_dashboard = str(Path(optuna_python).parent / "optuna-dashboard")
    from playwright.sync_api import sync_playwright

    args.db_dir.mkdir(parents=True, exist_ok=True)
    report: dict[str, Any] = {"sizes": {}}
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        for n in args.trials:
            optuna_db, hpo_db = build(args.db_dir, n, optuna_python)
            report["sizes"][n] = {}
            for side in args.sides:
                port = free_port()
                command = ([sys.executable, "-m", "hpo.cli", "dashboard", "--storage", f"sqlite:///{hpo_db}",
                            "--port", str(port)] if side == "hpo" else
                           [optuna_dashboard, f"sqlite:///{optuna_db}", "--host", "127.0.0.1", "--port", str(port),
                            "--quiet"])
                load_before = os.getloadavg()[0]
                figures: dict[str, Any] = {}
                try:
                    with serve(command, port) as (base, listen_s, process):
                        figures["listen_s"] = listen_s
                        try:
                            measure(browser, side, base, args.pages, args.loads, args.budget, args.timeout, figures)
                        finally:
                            figures["server_rss_mib"] = rss_mib(process.pid)
                except Exception as e:  # a side that gives up is reported with what it did, the other measured
                    figures["error"] = f"{type(e).__name__}: {str(e)[:300]}"
                figures["load_average"] = [load_before, os.getloadavg()[0]]
                report["sizes"][n][side] = figures
                args.out.write_text(json.dumps(report, indent=1))
                print_side(n, side, figures)
        browser.close()
    print(f"\nfigures in {args.out}")


def print_side(n: int, side: str, figures: dict[str, Any]) -> None:
    print(f"\n{n:,} trials, {side} (load average {figures['load_average'][0]:.1f} -> {figures['load_average'][1]:.1f})")
    if "error" in figures:
        print(f"  gave up: {figures['error']}")
    if "listen_s" in figures:
        print(f"  listening after {figures['listen_s']:.2f} s; server RSS {figures.get('server_rss_mib', 0):.0f} MiB")
    for key, value in figures.items():
        if isinstance(value, dict):
            print(f"  {key}: " + ", ".join(f"{k} {v:.2f} s" if isinstance(v, float) else f"{k} {v}"
                                          for k, v in value.items()))
        elif isinstance(value, list) and value and isinstance(value[0], dict):
            stamps = [k for k in value[0] if k != "points"]
            print(f"  {key} ({len(value)}): " + ", ".join(f"{k} {spread([r[k] for r in value])}" for k in stamps))


if __name__ == "__main__":
    main()
