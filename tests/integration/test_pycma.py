"""PyCmaSampler with the real ``cma`` package: it optimizes, is reproducible, keeps every kind of
parameter in range, and says what to install when ``cma`` is missing."""

from __future__ import annotations

import importlib.util
import json
import sys
from pathlib import Path

import pytest

import hpo
from hpo.integration import PyCmaSampler
from hpo.trial import TrialState

pytest.importorskip("cma")
hpo.logging.set_verbosity(hpo.logging.ERROR)


def _mixed(trial: hpo.Trial) -> float:
    x = trial.suggest_float("x", -5, 5)
    y = trial.suggest_int("y", -5, 5)
    c = trial.suggest_categorical("c", ["a", "b", "c"])
    lr = trial.suggest_float("lr", 1e-3, 1.0, log=True)
    s = trial.suggest_float("s", 0.0, 1.0, step=0.25)
    n = trial.suggest_int("n", 1, 64, log=True)
    return x**2 + y**2 + (c != "b") + abs(lr - 0.01) + s + abs(n - 8) / 8


def test_every_kind_of_parameter_stays_in_its_distribution_and_cma_beats_random() -> None:
    cma_study = hpo.create_study(sampler=PyCmaSampler(seed=1))
    cma_study.optimize(_mixed, n_trials=60)
    for t in cma_study.trials:
        assert -5 <= t.params["x"] <= 5 and isinstance(t.params["y"], int) and -5 <= t.params["y"] <= 5
        assert t.params["c"] in ("a", "b", "c") and 1e-3 <= t.params["lr"] <= 1.0
        assert t.params["s"] in (0.0, 0.25, 0.5, 0.75, 1.0) and 1 <= t.params["n"] <= 64
    random_best = []
    for seed in range(3):
        study = hpo.create_study(sampler=hpo.samplers.RandomSampler(seed=seed))
        study.optimize(_mixed, n_trials=60)
        random_best.append(study.best_value)
    assert cma_study.best_value < min(random_best)
    assert cma_study.best_value < 1.5


def test_the_same_seed_gives_the_same_trials() -> None:
    runs = []
    for _ in range(2):
        study = hpo.create_study(sampler=PyCmaSampler(seed=7))
        study.optimize(_mixed, n_trials=15)
        runs.append([t.params for t in study.trials])
    assert runs[0] == runs[1]


def test_maximize_climbs() -> None:
    study = hpo.create_study(direction="maximize", sampler=PyCmaSampler(seed=3, n_startup_trials=2))
    study.optimize(lambda t: -(t.suggest_float("x", -3, 3) - 1) ** 2 - t.suggest_float("y", -3, 3) ** 2, n_trials=50)
    assert study.best_value > -0.05


def test_x0_sigma0_and_cma_opts_reach_cma() -> None:
    sampler = PyCmaSampler(x0={"x": 4.0, "y": 4.0}, sigma0=1e-6, cma_opts={"popsize": 4}, seed=0)
    study = hpo.create_study(sampler=sampler)
    study.optimize(lambda t: t.suggest_float("x", -5, 5) + t.suggest_float("y", -5, 5), n_trials=5)
    # the first trial is independent; CMA-ES then samples at x0 with a tiny step size
    for t in study.trials[1:]:
        assert t.params == pytest.approx({"x": 4.0, "y": 4.0}, abs=1e-4)


def test_startup_trials_and_one_dimension_use_the_independent_sampler() -> None:
    study = hpo.create_study(sampler=PyCmaSampler(seed=0, independent_sampler=hpo.samplers.RandomSampler(seed=5)))
    study.optimize(lambda t: t.suggest_float("x", -1, 1) ** 2, n_trials=6)
    expected = hpo.create_study(sampler=hpo.samplers.RandomSampler(seed=5))
    expected.optimize(lambda t: t.suggest_float("x", -1, 1) ** 2, n_trials=6)
    assert [t.params for t in study.trials] == [t.params for t in expected.trials]


def test_trials_outside_the_space_and_unfinished_trials_are_ignored() -> None:
    study = hpo.create_study(sampler=PyCmaSampler(seed=0, n_startup_trials=3))
    study.enqueue_trial({"x": 0.5, "y": 0.5})
    study.optimize(lambda t: t.suggest_float("x", -1, 1) ** 2 + t.suggest_float("y", -1, 1) ** 2, n_trials=4)
    trial = study.ask()
    study.tell(trial, state=TrialState.FAIL)
    study.optimize(lambda t: t.suggest_float("x", -1, 1) ** 2 + t.suggest_float("y", -1, 1) ** 2, n_trials=10)
    assert len(study.get_trials(states=(TrialState.COMPLETE,))) == 14


def test_multi_objective_is_refused() -> None:
    study = hpo.create_study(directions=["minimize", "minimize"], sampler=PyCmaSampler(seed=0))
    with pytest.raises(ValueError, match="single objective"):
        study.optimize(lambda t: (t.suggest_float("x", 0, 1), t.suggest_float("y", 0, 1)), n_trials=2)


def test_without_cma_the_error_names_the_package(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(sys.modules, "cma", None)
    spec = importlib.util.find_spec("hpo.integration.cma")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)  # the module imports without cma
    with pytest.raises(ImportError, match="pip install cma"):
        module.PyCmaSampler()


def test_the_same_trials_as_optuna_integrations_pycma_sampler() -> None:
    """Seeded, after the same first trial, hpo's sampler asks the same 39 points as optuna-integration's
    (recorded by record_pycma_optuna.py with Optuna 5 and cma 4.5.0)."""
    recorded = json.loads((Path(__file__).parent / "pycma_optuna_trials.json").read_text())
    for seed, trials in recorded.items():
        study = hpo.create_study(sampler=PyCmaSampler(seed=int(seed)))
        study.enqueue_trial({"x": 0.5, "y": 2, "c": "a", "lr": 0.1, "s": 0.5, "n": 30})
        study.optimize(_mixed, n_trials=40)
        assert [t.params for t in study.trials] == trials


def test_deprecated_as_in_optuna() -> None:
    with pytest.warns(FutureWarning, match="PyCmaSampler has been deprecated in v4.9.0"):
        PyCmaSampler(seed=0)
