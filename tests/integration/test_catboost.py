"""CatBoostPruningCallback with real CatBoost: values and steps reported, training stopped and
check_pruned raising, several eval sets, a wrong metric or eval set, and a missing catboost."""

from __future__ import annotations

import types

import catboost as cb
import numpy as np
import pytest
from integration_helpers_a import error_without, study_with
from sklearn.datasets import make_classification

import hpo
from hpo.exceptions import ExperimentalWarning
from hpo.integration import CatBoostPruningCallback
from hpo.pruners import ThresholdPruner
from hpo.trial import TrialState

pytestmark = pytest.mark.filterwarnings("ignore::hpo.exceptions.ExperimentalWarning")

X, Y = make_classification(n_samples=120, n_features=6, random_state=0)
PARAMS = {"iterations": 8, "learning_rate": 0.1, "thread_count": 1, "verbose": 0, "allow_writing_files": False,
          "random_seed": 0}


def _fit(callback: CatBoostPruningCallback, eval_sets: int = 1, **params: object) -> cb.CatBoostClassifier:
    model = cb.CatBoostClassifier(**{**PARAMS, "eval_metric": "Logloss", "custom_metric": ["AUC"], **params})
    eval_set = [(X[80:], Y[80:]), (X[:40], Y[:40])][:eval_sets]
    model.fit(X[:80], Y[:80], eval_set=eval_set if eval_sets > 1 else eval_set[0], callbacks=[callback])
    return model


def test_reports_each_iteration_and_completes() -> None:
    study = study_with(False)
    models = []

    def objective(trial: hpo.Trial) -> float:
        callback = CatBoostPruningCallback(trial, "Logloss")
        models.append(_fit(callback))
        callback.check_pruned()
        return 1.0

    study.optimize(objective, n_trials=1)
    trial = study.trials[0]
    assert trial.state == TrialState.COMPLETE and trial.value == 1.0
    curve = models[0].get_evals_result()["validation"]["Logloss"]
    assert trial.intermediate_values == pytest.approx(dict(enumerate(curve)))
    assert len(curve) == 8


def test_pruning_stops_training_and_check_pruned_raises() -> None:
    study = study_with(True)
    models = []

    def objective(trial: hpo.Trial) -> float:
        callback = CatBoostPruningCallback(trial, "Logloss")
        models.append(_fit(callback))
        callback.check_pruned()
        return 1.0

    study.optimize(objective, n_trials=1)
    assert study.trials[0].state == TrialState.PRUNED
    assert list(study.trials[0].intermediate_values) == [0]
    assert models[0].tree_count_ == 1, "training stopped after the first iteration"

    callback = CatBoostPruningCallback(study_with(True).ask(), "Logloss")
    _fit(callback)
    with pytest.raises(hpo.TrialPruned, match="Trial was pruned at iteration 0."):
        callback.check_pruned()


def test_threshold_pruner_stops_at_the_first_bad_iteration_after_warmup() -> None:
    full = _fit(CatBoostPruningCallback(study_with(False).ask(), "Logloss"))
    curve = full.get_evals_result()["validation"]["Logloss"]
    upper = curve[3] + 1e-9  # iterations 0..3 are above it
    study = hpo.create_study(pruner=ThresholdPruner(upper=upper, n_warmup_steps=2))

    def objective(trial: hpo.Trial) -> float:
        callback = CatBoostPruningCallback(trial, "Logloss")
        _fit(callback)
        callback.check_pruned()
        return 1.0

    study.optimize(objective, n_trials=1)
    trial = study.trials[0]
    assert trial.state == TrialState.PRUNED and trial.last_step == 2
    assert trial.intermediate_values == pytest.approx(dict(enumerate(curve[:3])))


@pytest.mark.parametrize("eval_set_index", [0, 1])
def test_eval_set_index_picks_the_eval_set(eval_set_index: int) -> None:
    trial = study_with(False).ask()
    model = _fit(CatBoostPruningCallback(trial, "AUC", eval_set_index), eval_sets=2)
    curve = model.get_evals_result()[f"validation_{eval_set_index}"]["AUC"]
    study_trial = trial.study.trials[0]
    assert study_trial.intermediate_values == pytest.approx(dict(enumerate(curve)))


def test_after_iteration_contract() -> None:
    info = types.SimpleNamespace(iteration=1, metrics={"learn": {"Logloss": [1.0]}, "validation": {"Logloss": [0.5]}})
    assert CatBoostPruningCallback(study_with(False).ask(), "Logloss").after_iteration(info) is True
    trial = study_with(True).ask()
    assert CatBoostPruningCallback(trial, "Logloss").after_iteration(info) is False
    assert trial.study.trials[0].intermediate_values == {0: 0.5}


def test_experimental_warning() -> None:
    with pytest.warns(ExperimentalWarning, match="CatBoostPruningCallback is experimental"):
        CatBoostPruningCallback(study_with(False).ask(), "Logloss")


@pytest.mark.parametrize(
    ("metric", "eval_set_index", "problem"),
    [("foo_metric", None, 'metric name "foo_metric"'), ("Logloss", 3, 'validation name "validation_3"')],
)
def test_wrong_metric_or_eval_set_is_an_error(metric: str, eval_set_index: int | None, problem: str) -> None:
    study = study_with(False)

    def objective(trial: hpo.Trial) -> float:
        _fit(CatBoostPruningCallback(trial, metric, eval_set_index))
        return 1.0

    # CatBoost raises the callback's ValueError as a CatBoostError with its message.
    with pytest.raises(cb.CatBoostError, match=f"ValueError: The entry associated with the {problem}"):
        study.optimize(objective, n_trials=1)
    assert study.trials[0].state == TrialState.FAIL
    assert np.isnan(study.trials[0].intermediate_values.get(0, np.nan))


def test_without_catboost_using_the_callback_names_the_package() -> None:
    message = error_without(["catboost"], "hpo.integration.CatBoostPruningCallback(trial, 'Logloss')")
    assert "pip install catboost" in message
