"""``hpo report``: real SQLite studies, real files opened offline in headless Chromium, the real CLI."""

from __future__ import annotations

import base64
import hashlib
import json
import re
import subprocess
import sys
from html import unescape
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from click.testing import CliRunner

import hpo
from hpo.cli import main
from hpo.report import build_report, write_report
from hpo.trial import TrialState

ROOT = Path(__file__).resolve().parents[2]
#: An address a browser would fetch: in a src or href attribute (or protocol-relative), or any http(s) URL.
EXTERNAL = re.compile(r"""(?:src|href)\s*=\s*["']?\s*(?:[a-z]+:)?//|https?://""", re.IGNORECASE)
PLOTS = """() => [...document.querySelectorAll('.plot')].map(e => [
    e.id, e.querySelectorAll('svg.main-svg').length, e.querySelectorAll('svg.main-svg .trace, canvas').length])"""
ROWS = "rows => rows.map(r => [...r.cells].map(c => c.textContent))"


def cli(*args: str, **kwargs: Any) -> Any:
    return CliRunner().invoke(main, list(args), catch_exceptions=False, **kwargs)


def report_of(url: str, name: str, folder: Path) -> Path:
    path = folder / f"{name}.html"
    result = cli("report", name, "--storage", url, "-o", str(path))
    assert result.exit_code == 0, result.output
    assert f"Wrote the report of study {name!r} to {path}" in result.output
    return path


def embedded(html: str, script_id: str) -> Any:
    match = re.search(f'<script type="application/json" id="{script_id}">(.*?)</script>', html, re.S)
    assert match is not None
    return json.loads(match.group(1))


def array(value: Any) -> list[Any]:
    """A figure's array as a list: plotly writes numpy arrays as ``{"dtype": ..., "bdata": base64}``."""
    if isinstance(value, dict):
        return np.frombuffer(base64.b64decode(value["bdata"]), dtype=value["dtype"]).tolist()
    return list(value)


def table(page: Any) -> list[list[str]]:
    return page.eval_on_selector_all("#trials-table tbody tr", ROWS)


def filtered(page: Any, text: str) -> list[int]:
    page.fill("#trials-filter", text)
    return [int(row[0]) for row in table(page)]


def test_single_objective_report_offline(studies_url: str, tmp_path: Path, open_report: Any,
                                         screenshots: Path) -> None:
    path = report_of(studies_url, "demo", tmp_path)
    html = path.read_text(encoding="utf-8")
    assert EXTERNAL.search(html) is None
    assert len(html) < 7_000_000

    opened = open_report(path)
    page = opened.page
    page.screenshot(path=str(screenshots / "demo.png"), full_page=True)
    assert opened.requests == [] and opened.errors == []
    plots = page.evaluate(PLOTS)
    assert [p[0] for p in plots] == ["fig-importances", "fig-history", "fig-intermediate", "fig-parallel",
                                     "fig-slice", "fig-contour", "fig-timeline", "fig-edf"]
    assert all(svgs > 0 and marks > 0 for _, svgs, marks in plots), plots

    study = hpo.load_study(study_name="demo", storage=studies_url)
    trials = study.get_trials()
    best = study.best_trial
    assert page.inner_text("#best-number") == str(best.number)
    assert page.inner_text("#best-value") == repr(best.value)
    assert "synthetic <quadratic>" in page.inner_text("#study-attrs")
    importances = hpo.importance.get_param_importances(study)
    rows = page.eval_on_selector_all("#importance-table tbody tr", ROWS)
    assert [r[0] for r in rows] == list(importances)
    assert [float(r[1]) for r in rows] == pytest.approx(list(importances.values()), abs=5e-4)
    assert page.inner_text("#section-contour h2").endswith(", ".join(list(importances)[:2]))

    # The table: 100 rows a page, sorted by number; a column's header sorts by it (twice: descending).
    assert len(trials) > 100
    assert [int(r[0]) for r in table(page)] == list(range(100))
    page.click("#trials-next")
    assert [int(r[0]) for r in table(page)] == list(range(100, len(trials)))
    assert page.inner_text("#trials-status").startswith(f"Rows 101\u2013{len(trials)} of {len(trials)}")
    page.click("#trials-table th >> text=Objective Value")  # pruned trials have their last reported value
    with_value = sorted((t for t in trials if t.value is not None), key=lambda t: (t.value, t.number))
    assert [int(r[0]) for r in table(page)[:3]] == [t.number for t in with_value[:3]]
    page.click("#trials-table th >> text=Objective Value")
    assert [int(r[0]) for r in table(page)[:3]] == [t.number for t in with_value[::-1][:3]]
    page.click("#trials-next")
    assert table(page)[-1][2] == ""  # failed trials, without a value, last either way
    page.click("#trials-table th >> text=Number")

    # Filters: NAME OP VALUE terms and words, all of which must hold; the state menu.
    failed = [t.number for t in trials if t.state == TrialState.FAIL]
    assert failed and filtered(page, "state=FAIL") == failed
    assert filtered(page, "optimizer=sgd x<0") == [
        t.number for t in trials if t.params["optimizer"] == "sgd" and t.params["x"] < 0]
    assert filtered(page, "adam value>=2") == [
        t.number for t in trials if t.params["optimizer"] == "adam" and t.value is not None and t.value >= 2][:100]
    filtered(page, "nosuch<1")
    assert "no column nosuch" in page.inner_text("#trials-filter-error")
    page.fill("#trials-filter", "")
    page.select_option("#trials-state", "PRUNED")
    pruned = [t.number for t in trials if t.state == TrialState.PRUNED]
    assert pruned and [int(r[0]) for r in table(page)] == pruned[:100]
    assert opened.errors == []


def test_multi_objective_report(studies_url: str, tmp_path: Path, open_report: Any, screenshots: Path) -> None:
    path = report_of(studies_url, "multi", tmp_path)
    assert EXTERNAL.search(path.read_text(encoding="utf-8")) is None
    opened = open_report(path)
    page = opened.page
    page.screenshot(path=str(screenshots / "multi.png"), full_page=True)
    assert opened.requests == [] and opened.errors == []
    plots = page.evaluate(PLOTS)
    assert [p[0] for p in plots] == ["fig-importances", "fig-pareto", "fig-hypervolume", "fig-history0",
                                     "fig-history1", "fig-parallel", "fig-slice", "fig-contour", "fig-timeline",
                                     "fig-edf"]
    assert all(svgs > 0 and marks > 0 for _, svgs, marks in plots), plots

    study = hpo.load_study(study_name="multi", storage=studies_url)
    assert "loss (minimize), accuracy (maximize)" in page.inner_text("header")
    best = page.eval_on_selector_all("#best-trials tbody tr", ROWS)
    assert sorted(int(r[0]) for r in best) == sorted(t.number for t in study.best_trials)
    assert [float(r[1]) for r in best] == sorted(t.values[0] for t in study.best_trials)
    assert page.eval_on_selector_all("#best-trials th", "hs => hs.map(h => h.textContent)")[1:3] == [
        "loss (minimize)", "accuracy (maximize)"]
    assert page.eval_on_selector_all("#importance-table th", "hs => hs.map(h => h.textContent)") == [
        "Parameter", "Pareto front", "loss", "accuracy"]
    assert page.inner_text("#section-history1 h2") == "Optimization history: accuracy"
    page.click("#trials-table th >> text=accuracy")
    page.click("#trials-table th >> text=accuracy")
    assert int(table(page)[0][0]) == max(study.trials, key=lambda t: t.values[1]).number
    assert filtered(page, "loss<0.2 c=1") == [t.number for t in study.trials if t.values[0] < 0.2
                                             and t.params["c"] == 1]
    assert opened.errors == []


def test_studies_without_complete_trials_still_get_a_report(studies_url: str, tmp_path: Path,
                                                            open_report: Any) -> None:
    failed = open_report(report_of(studies_url, "failed", tmp_path))
    assert "No trial of this study completed" in failed.page.inner_text(".notice")
    assert "no best trial yet" in failed.page.inner_text("#best")
    assert [p[0] for p in failed.page.evaluate(PLOTS)] == ["fig-timeline"]
    assert len(table(failed.page)) == 3
    assert failed.requests == [] and failed.errors == []
    empty = report_of(studies_url, "empty", tmp_path).read_text(encoding="utf-8")
    assert "The study has no trials yet." in empty and 'class="plot"' not in empty
    assert embedded(empty, "hpo-figures") == {} and embedded(empty, "hpo-trials")["rows"] == []


def test_large_study_is_capped_and_sampled(tmp_path: Path) -> None:
    """1,200 trials with max_trials=400: the table holds the best 200 and the 200 most recent, the plots
    at most 200 trials, the best and every improvement among them; the page says so."""
    study = hpo.create_study(sampler=hpo.samplers.RandomSampler(seed=3))
    study.optimize(lambda t: (t.suggest_float("x", -3, 3) - 1) ** 2 + t.suggest_float("y", 0, 1), n_trials=1200)
    trials = study.trials
    path = write_report(study, tmp_path / "large.html", max_trials=400)
    html = path.read_text(encoding="utf-8")
    assert EXTERNAL.search(html) is None
    text = unescape(html)
    rows = embedded(html, "hpo-trials")["rows"]
    numbers = [r[0] for r in rows]
    best_200 = sorted(trials, key=lambda t: (t.value, t.number))[:200]
    assert len(numbers) == 400 and numbers == sorted(numbers)
    assert {t.number for t in best_200} <= set(numbers) and set(range(1000, 1200)) <= set(numbers)
    assert "The table holds 400 of the study's 1,200 trials: the best 200 (by value) and the 200 most recent" in text

    figures = embedded(html, "hpo-figures")
    plotted = [x for trace in figures["history"]["data"] if trace.get("name") == "Objective Value"
               for x in array(trace["x"])]
    improved, running = [], float("inf")
    for trial in trials:
        if trial.value is not None and trial.value < running:
            running = trial.value
            improved.append(trial.number)
    assert 150 <= len(plotted) <= 200
    assert set(improved) | {t.number for t in best_200[:20]} <= set(plotted)
    assert "The plots draw " in text and "of the study's 1,200 trials" in text
    assert len(array(figures["timeline"]["data"][0]["y"])) == len(plotted)
    assert len(build_report(study)) > len(html)  # uncapped: every trial in the table and the plots


def test_cli_errors_and_read_only(studies_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    db = Path(studies_url[len("sqlite:///"):])
    before = hashlib.sha256(db.read_bytes()).hexdigest()

    unknown = CliRunner().invoke(main, ["report", "nope", "--storage", studies_url])
    assert unknown.exit_code == 1
    assert "No study named 'nope'. Existing studies: 'demo', 'empty', 'failed', 'multi'." in unknown.output
    unnamed = CliRunner().invoke(main, ["report", "--storage", studies_url])
    assert unnamed.exit_code == 1 and "storage holds 4 studies ['demo', 'empty', 'failed', 'multi']" in unnamed.output
    missing = CliRunner().invoke(main, ["report", "demo", "--storage", f"sqlite:///{tmp_path / 'none.db'}"])
    assert missing.exit_code == 1 and f"No SQLite database at {tmp_path / 'none.db'}" in missing.output
    assert not (tmp_path / "none.db").exists()
    monkeypatch.delenv("HPO_STORAGE_URL", raising=False)
    monkeypatch.delenv("OPTUNA_STORAGE", raising=False)
    no_storage = CliRunner().invoke(main, ["report", "demo"])
    assert no_storage.exit_code == 2 and "No storage given" in no_storage.output
    nowhere = CliRunner().invoke(main, ["report", "demo", "--storage", studies_url, "-o",
                                        str(tmp_path / "no" / "r.html")])
    assert nowhere.exit_code == 2 and "does not exist; create it first" in nowhere.output
    too_few = CliRunner().invoke(main, ["report", "demo", "--storage", studies_url, "--max-trials", "5"])
    assert too_few.exit_code == 2 and "--max-trials" in too_few.output

    # The storage from OPTUNA_STORAGE, the default file name <study>-report.html, --title.
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("OPTUNA_STORAGE", studies_url)
    written = cli("report", "multi", "--title", "Ablation <run 3>")
    assert written.exit_code == 0, written.output
    html = (tmp_path / "multi-report.html").read_text(encoding="utf-8")
    assert "<title>Ablation &lt;run 3&gt;</title>" in html and "<h1>Ablation &lt;run 3&gt;</h1>" in html
    assert hashlib.sha256(db.read_bytes()).hexdigest() == before  # the store was only read


def test_readme_path(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """``hpo run examples/quadratic.py:objective --storage sqlite:///hpo.db`` prints the study's generated
    name; ``hpo report NAME --storage sqlite:///hpo.db -o report.html`` (a real process) writes its report."""
    monkeypatch.chdir(tmp_path)
    run = cli("run", str(ROOT / "examples" / "quadratic.py") + ":objective", "--n-trials", "15",
              "--storage", "sqlite:///hpo.db", "--no-progress", "-q")
    assert run.exit_code == 0, run.output
    match = re.search(r"of study '(no-name-[0-9a-f-]+)' in sqlite:///hpo.db", run.output)
    assert match is not None, run.output
    name = match.group(1)
    report = subprocess.run(
        [sys.executable, "-m", "hpo.cli", "report", name, "--storage", "sqlite:///hpo.db", "-o", "report.html"],
        cwd=tmp_path, capture_output=True, text=True, timeout=120,
    )
    assert report.returncode == 0, report.stderr
    assert report.stdout.startswith(f"Wrote the report of study {name!r} to report.html (")
    html = (tmp_path / "report.html").read_text(encoding="utf-8")
    assert f'<b id="study-name">{name}</b>' in html and "15 trials (15 complete)" in html
    assert EXTERNAL.search(html) is None
    # With one study in the file, the name may be left out.
    alone = cli("report", "--storage", "sqlite:///hpo.db")
    assert alone.exit_code == 0, alone.output
    assert (tmp_path / f"{name}-report.html").exists()
