"""``hpo study show`` prints the top importances; ``hpo study plot`` writes Optuna's plots to a file."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
from click.testing import CliRunner

import hpo
from hpo.cli import main
from hpo.cli._study import PLOT_KINDS


@pytest.fixture
def url(tmp_path: Path) -> str:
    url = f"sqlite:///{tmp_path / 'plots.db'}"

    def objective(trial: hpo.Trial) -> float:
        x = trial.suggest_float("x", -10, 10)
        y = trial.suggest_float("y", -1, 1)
        for step in range(3):
            trial.report(x * x + step, step)
        return x * x + 0.01 * y

    study = hpo.create_study(study_name="s", storage=url, sampler=hpo.samplers.RandomSampler(seed=0))
    study.optimize(objective, n_trials=30)
    two = hpo.create_study(study_name="two", storage=url, directions=["minimize", "minimize"])
    two.optimize(lambda t: (t.suggest_float("a", 0, 1), t.suggest_float("b", 0, 1)), n_trials=10)
    return url


def test_show_prints_the_top_importances(url: str) -> None:
    result = CliRunner().invoke(main, ["study", "show", "s", "--storage", url, "--format", "json"])
    assert result.exit_code == 0, result.output
    importances = json.loads(result.output)["importances"]
    assert list(importances) == ["x", "y"] and importances["x"] > 0.9
    result = CliRunner().invoke(main, ["study", "show", "two", "--storage", url, "--format", "json"])
    assert json.loads(result.output)["importances"] is None  # several objectives: none without a target


@pytest.mark.parametrize("kind", [k for k in PLOT_KINDS if k != "pareto"])
def test_each_plot_kind_writes_an_offline_html_file(url: str, tmp_path: Path, kind: str) -> None:
    out = tmp_path / f"{kind}.html"
    result = CliRunner().invoke(main, ["study", "plot", "s", "--kind", kind, "-o", str(out), "--storage", url])
    assert result.exit_code == 0, result.output
    html = out.read_text()
    assert "Plotly.newPlot" in html and re.search(r"plotly\.js v\d", html), "plotly.js is inside the file"


def test_pareto_of_two_objectives_and_params(url: str, tmp_path: Path) -> None:
    out = tmp_path / "pareto.html"
    result = CliRunner().invoke(main, ["study", "plot", "two", "--kind", "pareto", "-o", str(out), "--storage", url])
    assert result.exit_code == 0, result.output
    out = tmp_path / "slice.html"
    result = CliRunner().invoke(
        main, ["study", "plot", "s", "--kind", "slice", "--param", "y", "-o", str(out), "--storage", url]
    )
    assert result.exit_code == 0 and '"y"' in out.read_text()


def test_plot_refusals_name_the_fix(url: str, tmp_path: Path) -> None:
    runner = CliRunner()
    result = runner.invoke(main, ["study", "plot", "s", "-o", str(tmp_path / "fig.svg"), "--storage", url])
    assert result.exit_code != 0 and "must end in .html or .png" in result.output
    result = runner.invoke(main, ["study", "plot", "two", "-o", str(tmp_path / "h.html"), "--storage", url])
    assert result.exit_code == 1 and "target" in result.output  # several objectives need a target
    png = runner.invoke(main, ["study", "plot", "s", "-o", str(tmp_path / "fig.png"), "--storage", url])
    try:
        import kaleido  # noqa: F401
    except ImportError:
        assert png.exit_code == 1 and "pip install kaleido" in png.output
    else:
        assert png.exit_code == 0 and (tmp_path / "fig.png").stat().st_size > 0
