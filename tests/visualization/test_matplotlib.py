"""``hpo.visualization.matplotlib`` draws Optuna 5's matplotlib figures: the same artists from the same trials.

``data/optuna_matplotlib.json`` (made by ``make_optuna_matplotlib.py`` with Optuna 5.0.0 and
matplotlib 3.11.2 in their own environment) holds, for 65 plot calls on the studies of
``optuna_figures.json``, what Optuna's figure shows as ``axes_data.figure_data`` reads it: for
every Axes (subplots, color bars, twin axes) the titles, labels, scales, limits, ticks and tick
labels (log axes, categorical ticks, dates), lines, points (positions, face and edge colors, color
arrays and maps), line segments and their dash styles, contour levels and paths, bars, texts and
legends; and the shape of the returned array of Axes. Each call is drawn here with hpo and compared,
numbers to 1e-9 relative. hpo leaves matplotlib's global style alone (Optuna switches it to
``ggplot`` for good); the figures are drawn in ``ggplot`` all the same.
"""

from __future__ import annotations

import json
import subprocess
import sys
import warnings
from pathlib import Path
from typing import Any

import matplotlib
import numpy as np
import pytest

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
from axes_data import figure_data  # noqa: E402
from figure_data import DATA, TARGET_LISTS, TARGETS, assert_close, build_study  # noqa: E402
from matplotlib.axes import Axes  # noqa: E402

import hpo  # noqa: E402
import hpo.visualization.matplotlib as vis  # noqa: E402

pytestmark = pytest.mark.filterwarnings("ignore::hpo.exceptions.ExperimentalWarning")  # tested once, below
RECORDED = json.loads((Path(__file__).parent / "data" / "optuna_matplotlib.json").read_text())
EXAMPLE = Path(__file__).parents[2] / "examples" / "optuna_style" / "plot_matplotlib.py"


@pytest.fixture(scope="module")
def studies() -> dict[str, Any]:
    return {name: build_study(name) for name in DATA["studies"]}


def draw(call: dict[str, Any], studies: dict[str, Any]) -> Any:
    kwargs = dict(call["kwargs"])
    if "target" in kwargs:
        kwargs["target"] = TARGETS[kwargs["target"]]
    if "targets" in kwargs:
        kwargs["targets"] = TARGET_LISTS[kwargs["targets"]]
    study = call["study"]
    target = [studies[s] for s in study] if isinstance(study, list) else studies[study]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return getattr(vis, call["function"])(target, **kwargs)


@pytest.mark.parametrize("case", sorted(RECORDED["cases"]))
def test_same_axes_as_optuna(case: str, studies: dict[str, Any]) -> None:
    recorded = RECORDED["cases"][case]
    try:
        with plt.style.context("default"):
            result = draw(recorded, studies)
            assert isinstance(result, np.ndarray if recorded["figure"]["shape"] else Axes)
            ours = figure_data(result)
    finally:
        plt.close("all")
    assert_close(ours, recorded["figure"], case)


def test_figures_save_as_png_and_the_global_style_stays(studies: dict[str, Any], tmp_path: Path) -> None:
    style = dict(plt.rcParams)
    study, multi = studies["single"], studies["multi2"]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        figures = {
            "contour": vis.plot_contour(study, params=["lr", "x"]),
            "slice": vis.plot_slice(study, params=["lr", "c"]),
            "pareto": vis.plot_pareto_front(multi),
        }
    try:
        for name, result in figures.items():
            first = result.ravel()[0] if isinstance(result, np.ndarray) else result
            first.figure.savefig(tmp_path / f"{name}.png", dpi=50)
            assert (tmp_path / f"{name}.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    finally:
        plt.close("all")
    assert dict(plt.rcParams) == style  # ggplot only while drawing
    assert figures["slice"].shape == (2,) and isinstance(figures["contour"], Axes)


def test_is_available_and_a_clear_error_without_matplotlib() -> None:
    code = (
        "import sys; sys.modules['matplotlib'] = None\n"  # as if matplotlib were not installed
        "import hpo\n"
        "from hpo.visualization import matplotlib as vis\n"
        "assert not vis.is_available()\n"
        "study = hpo.create_study()\n"
        "study.optimize(lambda t: t.suggest_float('x', 0, 1), n_trials=3)\n"
        "for plot in (vis.plot_slice, vis.plot_optimization_history, vis.plot_contour):\n"
        "    try:\n"
        "        plot(study)\n"
        "    except ImportError as error:\n"
        "        print(error)\n"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr[-2000:]
    lines = done.stdout.splitlines()
    assert len(lines) == 3 and all("pip install matplotlib" in line for line in lines), done.stdout
    assert vis.is_available()
    done = subprocess.run(
        [sys.executable, "-c", "import sys, hpo; hpo.visualization.matplotlib; print('matplotlib' in sys.modules)"],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.stdout.strip() == "False", done.stderr[-2000:]  # imported when a figure is drawn


def test_contour_of_a_larger_study_stays_quick() -> None:
    """300 trials with 300 distinct values per parameter: the grid is binned (100 cells per axis) and
    each pair is one 100 x 100 sparse solve, so three parameters draw in well under a few seconds."""
    study = hpo.create_study(sampler=hpo.samplers.RandomSampler(seed=0))
    study.optimize(
        lambda t: t.suggest_float("a", 0, 1) + t.suggest_float("b", 1e-3, 1, log=True) ** 2 + t.suggest_int("c", 0, 9),
        n_trials=300,
    )
    axes = vis.plot_contour(study)
    try:
        assert axes.shape == (3, 3)
        filled = [c for ax in axes.ravel() for c in ax.collections if type(c).__name__ == "QuadContourSet"]
        assert len(filled) == 12  # a line and a filled contour set per off-diagonal pair
        assert axes[1, 0].get_yscale() == "log" and axes[2, 0].get_xlabel() == "a"
        points = [c for c in axes[1, 0].collections if type(c).__name__ == "PathCollection"]
        assert sum(len(p.get_offsets()) for p in points) == 300
    finally:
        plt.close("all")


def test_optuna_style_example_saves_every_plot(tmp_path: Path) -> None:
    done = subprocess.run([sys.executable, str(EXAMPLE), str(tmp_path)], capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr[-3000:]
    assert "30 trials" in done.stdout and "11 figures" in done.stdout, done.stdout
    names = sorted(p.stem for p in tmp_path.glob("*.png"))
    assert names == sorted(
        ["contour", "edf", "hypervolume_history", "intermediate_values", "optimization_history",
         "parallel_coordinate", "param_importances", "pareto_front", "rank", "slice", "timeline"]
    )
    for name in names:
        png = (tmp_path / f"{name}.png").read_bytes()
        assert png[:8] == b"\x89PNG\r\n\x1a\n" and len(png) > 5000, name


def test_intermediate_values_of_many_trials_share_a_line_per_color() -> None:
    """Beyond 100 curves the lines of one color are joined (with gaps) and the legend is left out;
    every trial's points are still drawn, in the color Optuna gives it (tab20, then its last color)."""
    study = hpo.create_study(sampler=hpo.samplers.RandomSampler(seed=1), pruner=hpo.pruners.NopPruner())

    def objective(trial: hpo.Trial) -> float:
        x = trial.suggest_float("x", 0, 1)
        for step in range(trial.number % 4 + 1):
            trial.report(x + step, step)
        trial.set_user_attr("unused", 0)
        return x

    study.optimize(objective, n_trials=150)
    ax = vis.plot_intermediate_values(study)
    try:
        lines = ax.get_lines()
        assert len(lines) == 20 and ax.get_legend() is None
        tab20 = plt.get_cmap("tab20")
        for color, line in enumerate(lines):
            assert line.get_color() == tab20(color)
            members = [t for t in study.trials if min(t.number, 19) == color]
            expected = [(s, v) for t in members for s, v in sorted(t.intermediate_values.items())]
            x, y = np.asarray(line.get_xdata(), dtype=float), np.asarray(line.get_ydata(), dtype=float)
            assert np.isnan(x).sum() == len(members) - 1
            assert list(zip(x[~np.isnan(x)].tolist(), y[~np.isnan(y)].tolist())) == expected
    finally:
        plt.close("all")


def test_parallel_coordinate_draw_order_metric_names_and_constraints() -> None:
    """Optuna's own case: trials ordered by a numeric categorical parameter, then by Pareto rank with
    the front drawn last; infeasible trials and those without constraints dotted; the study's metric
    names on the objective axes (in the plotly figure too)."""
    study = hpo.create_study(directions=["minimize", "minimize"])
    study.set_metric_names(["loss", "score"])
    choices = hpo.distributions.CategoricalDistribution((1, 2, 3))
    for values, param, constraint in (([0.0, 0.0], 2, [-1.0]), ([1.0, 1.0], 1, [1.0]), ([2.0, 2.0], 3, None)):
        attrs = {} if constraint is None else {"constraints": constraint}
        trial = hpo.trial.create_trial(values=values, params={"param": param}, distributions={"param": choices},
                                       system_attrs=attrs)
        study.add_trial(trial)
    ax = vis.plot_parallel_coordinate(study)
    try:
        lines = ax.collections[0]
        assert [segment[0, 1] for segment in lines.get_segments()] == [2.0, 1.0, 0.0]  # trials 2, 1, 0
        assert [dashes is None for _, dashes in lines.get_linestyles()] == [False, False, True]
        assert [t.get_text() for t in ax.get_xticklabels()] == ["loss", "score", "param"]
        assert ax.figure.axes[1].get_ylabel() == "Pareto Rank"
        assert [t.get_text() for t in ax.get_legend().get_texts()] == ["Feasible", "Infeasible"]
    finally:
        plt.close("all")
    assert hpo.visualization.plot_parallel_coordinate(study).layout.xaxis.ticktext == ("loss", "score", "param")


@pytest.mark.filterwarnings("ignore:PedAnovaImportanceEvaluator computes")
def test_param_importances_series_take_the_metric_names() -> None:
    study = hpo.create_study(directions=["minimize", "maximize"], sampler=hpo.samplers.RandomSampler(seed=0))
    study.set_metric_names(["loss", "score"])
    study.optimize(lambda t: (t.suggest_float("a", 0, 1), t.suggest_float("b", 0, 1) ** 2), n_trials=20)
    ax = vis.plot_param_importances(study)
    try:
        assert [t.get_text() for t in ax.get_legend().get_texts()] == ["loss", "score"]
        assert len(ax.patches) == 4  # a bar per parameter and objective
    finally:
        plt.close("all")
    assert [bar.name for bar in hpo.visualization.plot_param_importances(study).data] == ["loss", "score"]


def test_each_function_is_experimental_as_in_optuna(studies: dict[str, Any]) -> None:
    experimental = hpo.exceptions.ExperimentalWarning
    with pytest.warns(experimental, match=r"plot_rank is experimental \(supported from v3\.2\.0\)"):
        vis.plot_rank(studies["empty"])
    with pytest.warns(experimental, match=r"is_available is experimental \(supported from v2\.2\.0\)"):
        vis.is_available()
    plt.close("all")
