"""XGBoostPruningCallback with real XGBoost: values and steps reported, pruning, cv, the sklearn API,
the study's direction, a wrong observation key and a missing xgboost."""

from __future__ import annotations

import numpy as np
import pytest
import xgboost as xgb
from integration_helpers_a import error_without, study_with
from sklearn.datasets import make_classification

import hpo
from hpo.integration import XGBoostPruningCallback
from hpo.pruners import MedianPruner, ThresholdPruner
from hpo.trial import TrialState

X, Y = make_classification(n_samples=120, n_features=6, random_state=0)
DTRAIN = xgb.DMatrix(X[:80], label=Y[:80])
DVALID = xgb.DMatrix(X[80:], label=Y[80:])


def _train(trial: hpo.Trial, key: str = "validation-logloss", rounds: int = 6, eta: float = 0.1) -> dict:
    log: dict = {}
    xgb.train({"objective": "binary:logistic", "eval_metric": ["logloss", "error"], "eta": eta, "nthread": 1},
              DTRAIN, rounds, evals=[(DTRAIN, "train"), (DVALID, "validation")], evals_result=log,
              callbacks=[XGBoostPruningCallback(trial, key)], verbose_eval=False)
    return log


def test_reports_each_round_of_the_observed_metric() -> None:
    study = study_with(False)
    logs: list[dict] = []
    study.optimize(lambda trial: (logs.append(_train(trial)), 1.0)[1], n_trials=1)
    trial = study.trials[0]
    assert trial.state == TrialState.COMPLETE and trial.value == 1.0
    assert trial.intermediate_values == dict(enumerate(logs[0]["validation"]["logloss"]))
    assert len(trial.intermediate_values) == 6


def test_pruner_decision_prunes_the_trial_at_that_round() -> None:
    study = study_with(True)
    study.optimize(lambda trial: (_train(trial), 1.0)[1], n_trials=1)
    trial = study.trials[0]
    assert trial.state == TrialState.PRUNED and list(trial.intermediate_values) == [0]

    # ThresholdPruner prunes at the first round after warm-up whose logloss is above the threshold.
    study = hpo.create_study(pruner=ThresholdPruner(upper=0.6, n_warmup_steps=1))
    logs: list[dict] = []

    def objective(trial: hpo.Trial) -> float:
        full: dict = {}
        xgb.train({"objective": "binary:logistic", "eta": 0.05, "nthread": 1}, DTRAIN, 6,
                  evals=[(DVALID, "validation")], evals_result=full, verbose_eval=False)
        logs.append(full)
        _train(trial, eta=0.05)
        return 1.0

    study.optimize(objective, n_trials=1)
    curve = logs[0]["validation"]["logloss"]
    expected = next(step for step, value in enumerate(curve) if step >= 1 and value > 0.6)
    trial = study.trials[0]
    assert trial.state == TrialState.PRUNED and trial.last_step == expected
    assert trial.intermediate_values == dict(enumerate(curve[: expected + 1]))


def test_trial_pruned_message_names_the_iteration() -> None:
    trial = study_with(True).ask()
    with pytest.raises(hpo.TrialPruned, match="Trial was pruned at iteration 0."):
        _train(trial)


@pytest.mark.parametrize(("direction", "pruned"), [("minimize", True), ("maximize", False)])
def test_direction_comes_from_the_study(direction: str, pruned: bool) -> None:
    # Trial 0 learns fast (low logloss), trial 1 slowly: worse than the median only when minimizing.
    study = hpo.create_study(direction=direction, pruner=MedianPruner(n_startup_trials=1, n_warmup_steps=0))
    study.enqueue_trial({"eta": 0.5})
    study.enqueue_trial({"eta": 0.01})
    study.optimize(lambda trial: (_train(trial, eta=trial.suggest_float("eta", 0.01, 0.5)), 0.0)[1], n_trials=2)
    assert study.trials[0].state == TrialState.COMPLETE
    assert (study.trials[1].state == TrialState.PRUNED) == pruned


def test_cv_reports_the_mean_over_folds() -> None:
    study = study_with(False)
    results = []

    def objective(trial: hpo.Trial) -> float:
        results.append(xgb.cv({"objective": "binary:logistic", "eval_metric": "logloss", "nthread": 1},
                              DTRAIN, 4, nfold=2, seed=0,
                              callbacks=[XGBoostPruningCallback(trial, "test-logloss")]))
        return 1.0

    study.optimize(objective, n_trials=1)
    means = results[0]["test-logloss-mean"].tolist()
    assert list(study.trials[0].intermediate_values.values()) == pytest.approx(means)
    assert list(study.trials[0].intermediate_values) == [0, 1, 2, 3]


def test_sklearn_api_with_the_eval_set_index_in_the_key() -> None:
    study = study_with(True)

    def objective(trial: hpo.Trial) -> float:
        model = xgb.XGBClassifier(n_estimators=5, eval_metric="logloss", n_jobs=1,
                                  callbacks=[XGBoostPruningCallback(trial, "validation_0-logloss")])
        model.fit(X[:80], Y[:80], eval_set=[(X[80:], Y[80:])], verbose=False)
        return 1.0

    study.optimize(objective, n_trials=1)
    assert study.trials[0].state == TrialState.PRUNED
    assert np.isfinite(study.trials[0].intermediate_values[0])


def test_wrong_observation_key_names_the_keys_there_are() -> None:
    trial = study_with(False).ask()
    with pytest.raises(KeyError, match=r"'validation-auc'.*\['train-error', 'train-logloss', 'validation-error'"):
        _train(trial, key="validation-auc")


def test_without_xgboost_using_the_callback_names_the_package() -> None:
    message = error_without(["xgboost"], "hpo.integration.XGBoostPruningCallback(trial, 'validation-logloss')")
    assert "pip install xgboost" in message
