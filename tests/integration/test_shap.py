"""ShapleyImportanceEvaluator with real shap and scikit-learn."""

from __future__ import annotations

import importlib.util
import sys

import numpy as np
import pytest

import hpo
from hpo.importance import get_param_importances
from hpo.integration import ShapleyImportanceEvaluator

shap = pytest.importorskip("shap")
hpo.logging.set_verbosity(hpo.logging.ERROR)


def _study(n_trials: int = 40, directions: list[str] | None = None) -> hpo.Study:
    def objective(trial: hpo.Trial) -> float | tuple[float, float]:
        x = trial.suggest_float("x", -3, 3)
        y = trial.suggest_int("y", 0, 3)
        c = trial.suggest_categorical("c", ["a", "b", "c"])
        value = x**2 + 0.01 * y + (2.0 if c == "c" else 0.0)
        return value if directions is None else (value, float(y))

    study = hpo.create_study(directions=directions, sampler=hpo.samplers.RandomSampler(seed=0))
    study.optimize(objective, n_trials=n_trials)
    return study


def test_importances_are_mean_absolute_shap_values_per_parameter() -> None:
    study = _study()
    importances = ShapleyImportanceEvaluator(n_trees=16, seed=0).evaluate(study)
    assert list(importances) == ["x", "c", "y"]  # most important first
    assert all(isinstance(v, float) and v >= 0 for v in importances.values())
    # the same numbers by hand: columns in search-space order (c one-hot, x, y), the one-hot columns'
    # SHAP values summed per trial, then the mean absolute value
    from sklearn.ensemble import RandomForestRegressor

    trials = study.trials
    x = np.array([[t.params["c"] == ch for ch in "abc"] + [t.params["x"], t.params["y"]] for t in trials], float)
    order = {"c": [0, 1, 2], "x": [3], "y": [4]}
    forest = RandomForestRegressor(n_estimators=16, max_depth=64, random_state=0).fit(x, [t.value for t in trials])
    values = np.asarray(shap.TreeExplainer(forest).shap_values(x))
    expected = {name: float(np.abs(values[:, cols].sum(axis=1)).mean()) for name, cols in order.items()}
    assert importances == pytest.approx(expected)


def test_through_get_param_importances_normalized_and_with_params() -> None:
    study = _study()
    evaluator = ShapleyImportanceEvaluator(n_trees=8, seed=1)
    normalized = get_param_importances(study, evaluator=evaluator)
    assert sum(normalized.values()) == pytest.approx(1.0)
    assert list(get_param_importances(study, evaluator=evaluator, params=["y", "x"])) == ["x", "y"]
    with pytest.raises(ValueError, match="not in any completed trial"):
        evaluator.evaluate(study, params=["nope"])


def test_multi_objective_needs_a_target() -> None:
    study = _study(20, directions=["minimize", "minimize"])
    evaluator = ShapleyImportanceEvaluator(n_trees=8, seed=0)
    with pytest.raises(ValueError, match="target"):
        evaluator.evaluate(study)
    assert next(iter(evaluator.evaluate(study, target=lambda t: t.values[1]))) == "y"


def test_fewer_than_two_trials_rate_every_parameter_zero() -> None:
    assert ShapleyImportanceEvaluator().evaluate(_study(1)) == {"c": 0.0, "x": 0.0, "y": 0.0}


def test_without_shap_the_error_names_the_package(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(sys.modules, "shap", None)
    spec = importlib.util.find_spec("hpo.integration.shap")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    with pytest.raises(ImportError, match="pip install shap scikit-learn"):
        module.ShapleyImportanceEvaluator()


def test_experimental_as_in_optuna() -> None:
    with pytest.warns(hpo.exceptions.ExperimentalWarning, match="ShapleyImportanceEvaluator is experimental"):
        ShapleyImportanceEvaluator()
