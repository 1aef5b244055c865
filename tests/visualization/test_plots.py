"""hpo.visualization's figures on studies built here: axes, values, errors, and what large studies need.

``test_optuna_figures.py`` compares with Optuna's figures; this file checks the data of the
figures against values computed here (log and categorical axes, best values, Pareto ranks,
hypervolumes, binned contours, hover texts), the errors and warnings, one read of the trials per
figure (SQL statements counted on SQLite), and the bounded trace counts
that keep 100,000-trial studies drawable.
"""

from __future__ import annotations

import datetime
import json
import subprocess
import sys
import warnings
from typing import Any

import numpy as np
import pytest
from figure_data import figure_json, logged

import hpo
from hpo.distributions import CategoricalDistribution, FloatDistribution, IntDistribution
from hpo.importance import BaseImportanceEvaluator
from hpo.trial import TrialState, create_trial
from hpo.visualization import (
    is_available,
    plot_contour,
    plot_edf,
    plot_hypervolume_history,
    plot_intermediate_values,
    plot_optimization_history,
    plot_parallel_coordinate,
    plot_param_importances,
    plot_pareto_front,
    plot_rank,
    plot_slice,
    plot_timeline,
)

X = FloatDistribution(-10, 10)
LR = FloatDistribution(1e-5, 1.0, log=True)
N = IntDistribution(1, 16, log=True)
C = CategoricalDistribution(["adam", "sgd", None])


def study_of(trials: list[dict[str, Any]], directions: tuple[str, ...] = ("minimize",), name: str = "s") -> hpo.Study:
    study = hpo.create_study(study_name=name, directions=list(directions))
    for t in trials:
        t = dict(t)
        params = t.pop("params", {})
        distributions = {k: {"x": X, "lr": LR, "n": N, "c": C}[k] for k in params}
        study.add_trial(create_trial(params=params, distributions=distributions, **t))
    return study


def seeded(n: int, seed: int = 0) -> list[dict[str, Any]]:
    rng = np.random.default_rng(seed)
    trials = []
    for i in range(n):
        params = {"x": float(rng.uniform(-10, 10)), "lr": float(10 ** rng.uniform(-5, 0)),
                  "n": int(2 ** rng.integers(0, 5)), "c": ["adam", "sgd", None][int(rng.integers(0, 3))]}
        trials.append({"params": params, "value": params["x"] ** 2 + params["n"],
                       "intermediate_values": {s: float(s + i) for s in range(int(rng.integers(0, 4)))}})
    return trials


@pytest.fixture(scope="module")
def study() -> hpo.Study:
    trials = seeded(60)
    trials[7] = {**trials[7], "state": TrialState.PRUNED, "value": None}
    trials[8] = {"state": TrialState.FAIL, "params": {"x": 1.0}}
    trials.append({"state": TrialState.RUNNING, "params": {"x": 2.0}, "intermediate_values": {0: 5.0}})
    return study_of(trials)


@pytest.fixture(scope="module")
def multi() -> hpo.Study:
    rng = np.random.default_rng(3)
    points = np.round(rng.uniform(0, 1, (80, 2)), 2)
    trials = [{"values": p.tolist(), "params": {"x": float(p[0])}} for p in points]
    return study_of(trials, ("minimize", "maximize"))


def test_is_available_and_import_hpo_does_not_import_plotly() -> None:
    assert is_available()
    code = "import sys, hpo, hpo.visualization; assert 'plotly' not in sys.modules; print(hpo.visualization.__all__)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert "plot_contour" in out.stdout


def test_optimization_history_numbers_values_and_best(study: hpo.Study) -> None:
    trials = study.get_trials(deepcopy=False)
    fig = figure_json(plot_optimization_history(study))
    values, best, infeasible = fig["data"]
    complete = [t for t in trials if t.state == TrialState.COMPLETE]
    assert values["x"] == [t.number for t in complete] and values["y"] == pytest.approx([t.value for t in complete])
    assert best["x"] == [t.number for t in trials]  # pruned, failed and running trials keep their place
    running = float("inf")
    for t, b in zip(trials, best["y"]):
        if t.state == TrialState.COMPLETE:
            running = min(running, t.value)
        assert b == pytest.approx(running)
    assert infeasible["x"] == [] and infeasible["marker"]["color"] == "#cccccc"
    assert fig["layout"]["yaxis"]["title"]["text"] == "Objective Value"
    assert fig["layout"]["title"]["text"] == "Optimization History Plot"


def test_lists_of_studies_and_error_bars() -> None:
    a, b = study_of(seeded(10, 1), name="a"), study_of(seeded(14, 2), name="b")
    fig = figure_json(plot_optimization_history([a, b]))
    assert [t["name"] for t in fig["data"]] == [
        "Objective Value of a", "Best Value of a", "Infeasible Trial",
        "Objective Value of b", "Best Value of b", "Infeasible Trial",
    ]
    bars = figure_json(plot_optimization_history([a, b], error_bar=True))["data"]
    values_a = [t.value for t in a.trials]
    values_b = [t.value for t in b.trials]
    assert bars[0]["x"] == list(range(14))
    assert bars[0]["y"][:10] == pytest.approx([(x + y) / 2 for x, y in zip(values_a, values_b)])
    assert bars[0]["y"][10:] == pytest.approx(values_b[10:])
    assert bars[0]["error_y"]["array"][:10] == pytest.approx([abs(x - y) / 2 for x, y in zip(values_a, values_b)])
    edf = figure_json(plot_edf([a, b]))["data"]
    assert [t["name"] for t in edf] == ["a", "b"]
    x = np.array(edf[0]["x"])
    assert edf[0]["y"] == pytest.approx([(np.array(values_a) <= v).mean() for v in x])
    assert x[0] == min(values_a + values_b) and x[-1] == max(values_a + values_b)


def test_multi_objective_needs_a_target(multi: hpo.Study) -> None:
    for plot in (plot_optimization_history, plot_contour, plot_slice, plot_edf, plot_rank):
        with pytest.raises(ValueError, match="specify the `target`"):
            plot(multi)
    with pytest.warns(UserWarning, match="`target_name` is the default"):
        plot_edf(multi, target=lambda t: t.values[0])
    fig = figure_json(plot_edf(multi, target=lambda t: t.values[1], target_name="B"))
    assert fig["layout"]["xaxis"]["title"]["text"] == "B"


def test_unknown_params_are_refused(study: hpo.Study) -> None:
    for plot in (plot_parallel_coordinate, plot_contour, plot_slice, plot_rank):
        with pytest.raises(ValueError, match="Parameter nope does not exist in your study."):
            plot(study, params=["x", "nope"])


def test_log_and_categorical_axes(study: hpo.Study) -> None:
    complete = study.get_trials(deepcopy=False, states=(TrialState.COMPLETE,))
    contour = figure_json(plot_contour(study, params=["lr", "c"]))
    assert contour["layout"]["xaxis"]["type"] == "category"  # "c" sorts before "lr"
    assert contour["layout"]["yaxis"]["type"] == "log"
    lows = np.log10(min(t.params["lr"] for t in complete)), np.log10(max(t.params["lr"] for t in complete))
    pad = (lows[1] - lows[0]) * 0.05
    assert contour["layout"]["yaxis"]["range"] == pytest.approx([lows[0] - pad, lows[1] + pad])
    assert contour["data"][0]["x"] == ["None", "adam", "sgd"]

    sliced = figure_json(plot_slice(study, params=["c", "lr", "n"]))
    axes = sliced["layout"]
    assert axes["xaxis"]["type"] == "category" and axes["xaxis"]["categoryarray"] == ["'adam'", "'sgd'", "None"]
    assert axes["xaxis2"]["type"] == "log" and axes["xaxis3"]["type"] == "log"  # n is an int on a log scale
    first = sliced["data"][0]
    order = ["'adam'", "'sgd'", "None"]
    assert first["x"] == sorted(first["x"], key=order.index)  # grouped by choice, in the choices' order
    assert sliced["data"][1]["marker"]["showscale"] is False

    rank = figure_json(plot_rank(study, params=["lr", "c"]))
    assert rank["layout"]["xaxis"]["type"] == "log" and rank["layout"]["yaxis"]["type"] == "category"
    assert rank["layout"]["title"]["text"] == "Rank (Objective Value)"


def test_parallel_coordinate_axes_and_missing_values() -> None:
    trials = seeded(30)
    for t in trials[:5]:
        t["params"] = {k: v for k, v in t["params"].items() if k != "lr"}
    fig = figure_json(plot_parallel_coordinate(study_of(trials)))
    layout = fig["layout"]
    assert layout["xaxis"]["ticktext"] == ["Objective Value", "c", "lr", "n", "x"]
    lr_ticks = [a["text"] for a in layout["annotations"] if a["x"] == 2]
    assert lr_ticks[0] == "None"  # trials without lr meet its axis at a None tick below the others
    c_ticks = [a["text"] for a in layout["annotations"] if a["x"] == 1]
    first_seen = list(dict.fromkeys(str(t["params"]["c"]) for t in trials))
    assert c_ticks == first_seen  # one tick per choice, in the order the trials show them
    line = next(t for t in fig["data"] if "text" in t)
    assert line["hovertemplate"] == "%{text}<extra></extra>"
    assert line["text"][0].startswith("Objective Value: ")


def test_parallel_coordinate_multi_objective_colors_by_pareto_rank(multi: hpo.Study) -> None:
    fig = figure_json(plot_parallel_coordinate(multi))
    values = np.array([t.values for t in multi.trials])
    loss = values * [1, -1]
    expected_ranks = np.zeros(len(loss), dtype=int)
    left = list(range(len(loss)))
    rank = 0
    while left:  # brute-force peeling of fronts
        front = [i for i in left if not any(np.all(loss[j] <= loss[i]) and np.any(loss[j] < loss[i]) for j in left)]
        expected_ranks[front] = rank
        left = [i for i in left if i not in front]
        rank += 1
    colorbar = fig["data"][-1]["marker"]
    assert colorbar["colorbar"]["title"]["text"] == "Pareto Rank"
    assert colorbar["colorbar"]["tickvals"] == list(range(expected_ranks.max() + 1))
    assert colorbar["cmin"] == -0.5 and colorbar["cmax"] == expected_ranks.max() + 0.5
    assert fig["layout"]["xaxis"]["ticktext"] == ["Objective 0", "Objective 1", "x"]


def test_large_studies_draw_a_bounded_number_of_traces() -> None:
    trials = seeded(3000, 7)
    study = study_of(trials)
    assert len(plot_parallel_coordinate(study).data) <= 65 + 1
    curves = plot_intermediate_values(study).data
    assert len(curves) == 10
    drawn = sum(int(np.sum(~np.isnan(np.asarray(t.x, dtype=float)))) for t in curves)
    assert drawn == sum(len(t["intermediate_values"]) for t in trials)


def test_contour_bins_axes_with_many_values() -> None:
    trials = seeded(500, 11)
    fig = figure_json(plot_contour(study_of(trials), params=["x", "lr"]))
    contour = fig["data"][0]
    assert len(contour["x"]) == 100 + 2 and len(contour["y"]) == 100 + 2  # lr on y, x on x
    z = np.array(contour["z"], dtype=float)
    xs = np.array([t["params"]["lr"] for t in trials])
    ys = np.array([t["params"]["x"] for t in trials])
    values = np.array([t["value"] for t in trials])
    # Each cell holds the best (lowest) value of its trials; cells are equal in log space for lr.
    lx = np.log10(xs)
    cx = np.minimum(((lx - lx.min()) / (lx.max() - lx.min()) * 100).astype(int), 99) + 1
    cy = np.minimum(((ys - ys.min()) / (ys.max() - ys.min()) * 100).astype(int), 99) + 1
    expected = np.full_like(z, np.nan)
    for i, j, v in zip(cy, cx, values):
        expected[i, j] = v if np.isnan(expected[i, j]) else min(expected[i, j], v)
    np.testing.assert_allclose(z, expected)
    assert contour["x"][1] == pytest.approx(10 ** (lx.min() + (lx.max() - lx.min()) / 200))
    assert fig["data"][1]["x"] == pytest.approx(xs.tolist())  # the trials themselves, unbinned


def test_hypervolume_history_against_brute_force() -> None:
    rng = np.random.default_rng(5)
    for n_objectives in (2, 3):
        points = np.round(rng.uniform(0, 1, (40, n_objectives)), 1)  # ties and duplicates
        points[3] = [1.5] * n_objectives  # outside the box
        infeasible = {"constraints": [1.0]}
        trials = [{"values": p.tolist(), "system_attrs": infeasible if i == 5 else {}} for i, p in enumerate(points)]
        directions = ("minimize", "maximize", "minimize")[:n_objectives]
        study = study_of(trials, directions)
        reference = [1.0, 0.0, 1.0][:n_objectives]
        y = figure_json(plot_hypervolume_history(study, reference))["data"][0]["y"]
        loss = points * [1, -1, 1][:n_objectives]
        ref = np.array(reference) * [1, -1, 1][:n_objectives]
        grid = np.stack(np.meshgrid(*[np.linspace(-1, 1.5, 101)[:-1] + 0.0125] * n_objectives, indexing="ij"), -1)
        grid = grid.reshape(-1, n_objectives)
        grid = grid[np.all(grid < ref, axis=1)]
        cell = 0.025**n_objectives
        for i in (0, 10, 20, 39):
            kept = [k for k in range(i + 1) if k != 5 and np.all(loss[k] <= ref)]
            covered = np.zeros(len(grid), dtype=bool)
            for k in kept:
                covered |= np.all(grid >= loss[k], axis=1)
            assert y[i] == pytest.approx(covered.sum() * cell, abs=1e-9)


def test_hypervolume_history_errors(study: hpo.Study, multi: hpo.Study) -> None:
    with pytest.raises(ValueError, match="Study must be multi-objective"):
        plot_hypervolume_history(study, [1.0])
    with pytest.raises(ValueError, match="The dimension of the reference point"):
        plot_hypervolume_history(multi, [1.0, 2.0, 3.0])


def test_pareto_front_best_trials_and_hover_texts(multi: hpo.Study) -> None:
    fig = figure_json(plot_pareto_front(multi))
    dominated, best = fig["data"]
    best_numbers = sorted(t.number for t in multi.best_trials)
    assert best["marker"]["color"] == best_numbers and best["marker"]["colorbar"]["title"]["text"] == "Best Trial"
    assert best["x"] == [t.values[0] for t in sorted(multi.best_trials, key=lambda t: t.number)]
    assert sorted(dominated["marker"]["color"] + best["marker"]["color"]) == list(range(len(multi.trials)))
    assert fig["layout"]["xaxis"]["title"]["text"] == "Objective 0"
    with pytest.raises(ValueError, match="only supports 2 or 3 objective"):
        plot_pareto_front(study_of([{"values": [1, 2, 3, 4]}], ("minimize",) * 4))
    with pytest.warns(FutureWarning, match="constraints_func"):
        plot_pareto_front(multi, constraints_func=lambda t: [t.values[0] - 0.5])


def test_hover_texts_are_optunas_indented_json() -> None:
    trials = [
        {"params": {"x": 1.5, "c": None, "n": 4}, "value": 2.0, "user_attrs": {}},
        {"params": {"c": "sgd", "lr": 1e-5}, "value": float("inf")},
        {"params": {}, "value": -0.0, "user_attrs": {"note": "ünï", "obj": {1, 2}}},
        {"state": TrialState.RUNNING, "params": {"x": -3.25}},
    ]
    study = study_of(trials)
    texts = {}
    for bar in figure_json(plot_timeline(study))["data"]:
        texts.update(zip(bar["y"], bar["text"]))
    for trial in study.trials:
        body: dict[str, Any] = {"number": trial.number, "values": trial.values, "params": trial.params}
        if trial.user_attrs:
            body["user_attrs"] = {k: v if k != "obj" else str(v) for k, v in trial.user_attrs.items()}
        assert texts[trial.number] == json.dumps(body, indent=2).replace("\n", "<br>")


def test_timeline_bars() -> None:
    start = datetime.datetime(2024, 1, 1)
    study = study_of(seeded(3))
    for i, trial in enumerate(study.get_trials(deepcopy=False)):
        trial.datetime_start = start + datetime.timedelta(seconds=i)
        trial.datetime_complete = trial.datetime_start + datetime.timedelta(seconds=2.5)
    fig = figure_json(plot_timeline(study))
    bar = fig["data"][0]
    assert bar["name"] == "COMPLETE" and bar["x"] == [2500.0] * 3 and bar["y"] == [0, 1, 2]
    assert bar["base"] == ["2024-01-01T00:00:00", "2024-01-01T00:00:01", "2024-01-01T00:00:02"]
    assert fig["layout"]["xaxis"]["type"] == "date" and fig["layout"]["showlegend"] is True
    assert [b["y"] for b in figure_json(plot_timeline(study, n_recent_trials=2))["data"]] == [[1, 2]]
    with pytest.raises(ValueError, match="n_recent_trials must be a positive integer"):
        plot_timeline(study, n_recent_trials=0)


class Fixed(BaseImportanceEvaluator):
    """Importances chosen by the test: the plot's job is to draw them."""

    def evaluate(self, study: Any, params: list[str] | None = None, *, target: Any = None) -> dict[str, float]:
        names = params if params is not None else ["x", "lr", "n", "c"]
        return {name: 1.0 / (i + 1) for i, name in enumerate(names)}


def test_param_importances_bars(study: hpo.Study, multi: hpo.Study) -> None:
    fig = figure_json(plot_param_importances(study, evaluator=Fixed()))
    (bars,) = fig["data"]
    total = 1 + 1 / 2 + 1 / 3 + 1 / 4
    assert bars["y"] == ["c", "n", "lr", "x"]  # the most important at the top
    assert bars["x"] == pytest.approx([0.25 / total, 1 / 3 / total, 0.5 / total, 1 / total])
    assert bars["text"] == [f"{v:.2f}" for v in bars["x"]] and bars["orientation"] == "h"
    assert bars["hovertemplate"][0] == f"c (CategoricalDistribution): {bars['x'][0]}<extra></extra>"
    assert fig["layout"]["xaxis"]["title"]["text"] == "Hyperparameter Importance"
    two = figure_json(plot_param_importances(multi, evaluator=Fixed(), params=["x"]))["data"]
    assert [b["name"] for b in two] == ["Objective Value 0", "Objective Value 1"]
    with logged() as lines:
        assert figure_json(plot_param_importances(study_of([])))["data"] == []
    assert lines == ["Study instance does not contain completed trials."]


def test_empty_studies_give_empty_figures_and_say_why() -> None:
    empty = study_of([])
    expected = {
        plot_optimization_history: "There are no complete trials.",
        plot_intermediate_values: "Study instance does not contain trials.",
        plot_parallel_coordinate: "Your study does not have any completed trials.",
        plot_contour: "Your study does not have any completed trials.",
        plot_slice: "Your study does not have any completed trials.",
        plot_edf: "There are no complete trials.",
        plot_timeline: "Your study does not have any trials.",
    }
    for plot, line in expected.items():
        with logged() as lines:
            fig = plot(empty)
        assert list(fig.data) == [] and lines == [line], plot.__name__


def test_figures_serialize(study: hpo.Study, multi: hpo.Study) -> None:
    """Every figure becomes JSON (what fig.show() and write_html do), with or without warnings."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        figures = [
            plot_optimization_history(study), plot_intermediate_values(study), plot_parallel_coordinate(study),
            plot_contour(study), plot_slice(study), plot_edf(study), plot_rank(study), plot_timeline(study),
            plot_param_importances(study), plot_pareto_front(multi), plot_hypervolume_history(multi, [1.0, 0.0]),
        ]
    for fig in figures:
        assert json.loads(fig.to_json())["layout"]["title"]["text"]


def test_each_figure_reads_the_trials_once(tmp_path: Any) -> None:
    """On a SQLite study, the SQL statements a figure runs do not grow with the trials: no per-trial query."""
    from sqlalchemy import event
    from sqlalchemy.engine import Engine

    url = f"sqlite:///{tmp_path}/plots.db"
    for n in (5, 25):
        hpo.create_study(study_name=f"single{n}", storage=url).add_trials(
            create_trial(**t, distributions={k: {"x": X, "lr": LR, "n": N, "c": C}[k] for k in t["params"]})
            for t in seeded(n)
        )
        multi = hpo.create_study(study_name=f"multi{n}", storage=url, directions=["minimize", "minimize"])
        multi.add_trials(create_trial(values=[i / n, 1 - i / n]) for i in range(n))
    plots = {
        "single": [plot_optimization_history, plot_intermediate_values, plot_parallel_coordinate, plot_contour,
                   plot_slice, plot_edf, plot_rank, plot_timeline],
        "multi": [plot_pareto_front, lambda s: plot_hypervolume_history(s, [1.0, 1.0])],
    }
    statements = [0]

    def count(*args: Any) -> None:
        statements[0] += 1

    event.listen(Engine, "before_cursor_execute", count)
    try:
        for kind, functions in plots.items():
            for plot in functions:
                counts = []
                for n in (5, 25):
                    study = hpo.load_study(study_name=f"{kind}{n}", storage=url)
                    statements[0] = 0
                    plot(study)
                    counts.append(statements[0])
                assert counts[0] == counts[1] <= 3, (plot, counts)
    finally:
        event.remove(Engine, "before_cursor_execute", count)
