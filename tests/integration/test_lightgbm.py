"""``hpo.integration.lightgbm`` with real LightGBM on scikit-learn's breast cancer data: the stepwise tuner
(optuna-integration 5.0.0's trial counts and search spaces per step), its CV variant, the pruning callback
in-process and on real Celery workers, and the errors for bad metrics and arguments."""

from __future__ import annotations

import json
import os
import pickle
import subprocess
import sys
import warnings
from pathlib import Path
from typing import Any

import lightgbm
import numpy as np
import pytest
from sklearn.datasets import load_breast_cancer, load_diabetes

import hpo as optuna
import hpo.integration.lightgbm as lgb
from hpo.pruners import PRUNE_REASON_KEY
from hpo.trial import TrialState

STEP = "lightgbm_tuner:step_name"
#: optuna-integration 5.0.0's steps and trial counts (measured: 68 trials on this data, best fraction 0.8);
#: feature_fraction_stage2 tries the best fraction +- 0.08 in 6 points, those within [0.4, 1.0].
STEPS = {"feature_fraction": 7, "num_leaves": 20, "bagging": 10, "regularization_factors": 20, "min_child_samples": 5}
PARAMS = {"objective": "binary", "metric": "binary_logloss", "verbosity": -1, "num_threads": 1, "deterministic": True,
          "force_row_wise": True}


@pytest.fixture(autouse=True)
def quiet() -> Any:
    verbosity = optuna.logging.get_verbosity()
    optuna.logging.set_verbosity(optuna.logging.WARNING)
    yield
    optuna.logging.set_verbosity(verbosity)


def datasets() -> tuple[lightgbm.Dataset, lightgbm.Dataset]:
    X, y = load_breast_cancer(return_X_y=True)
    return lgb.Dataset(X[::2], y[::2]), lgb.Dataset(X[1::2], y[1::2])


def stage2_count(best_fraction: float) -> int:
    return sum(0.4 <= v <= 1.0 for v in np.linspace(best_fraction - 0.08, best_fraction + 0.08, 6))


def step_counts(study: optuna.Study) -> dict[str, int]:
    counts: dict[str, int] = {}
    for trial in study.trials:
        counts[trial.system_attrs[STEP]] = counts.get(trial.system_attrs[STEP], 0) + 1
    return counts


def test_namespace_is_lightgbms_with_the_tuners_train() -> None:
    assert lgb.Dataset is lightgbm.Dataset and lgb.cv is lightgbm.cv and lgb.Booster is lightgbm.Booster
    assert lgb.early_stopping is lightgbm.early_stopping and lgb.log_evaluation is lightgbm.log_evaluation
    assert lgb.train is not lightgbm.train
    assert optuna.integration.LightGBMTuner is lgb.LightGBMTuner
    assert optuna.integration.LightGBMPruningCallback is lgb.LightGBMPruningCallback
    assert {"LightGBMTuner", "LightGBMTunerCV", "LightGBMPruningCallback", "train", "Dataset"} <= set(lgb.__all__)
    with pytest.warns(UserWarning, match="doesn't support sklearn API"):
        model = lgb.LGBMClassifier(n_estimators=2, verbosity=-1)
    assert isinstance(model, lightgbm.LGBMClassifier)


def test_tuner_runs_each_step_with_optuna_integrations_trial_counts(tmp_path: Path) -> None:
    dtrain, dvalid = datasets()
    tuner = lgb.LightGBMTuner(
        {**PARAMS, "reg_alpha": 0.5},  # an alias, renamed to lambda_l1 (then tuned)
        dtrain,
        num_boost_round=10,
        valid_sets=[dtrain, dvalid],  # the score is the last validation set's
        callbacks=[lgb.early_stopping(3, verbose=False), lgb.log_evaluation(0)],
        show_progress_bar=False,
        optuna_seed=0,
        model_dir=str(tmp_path / "boosters"),
    )
    assert tuner.best_score == np.inf and tuner.best_params["lambda_l1"] == 0.0  # defaults before any trial
    tuner.run()
    study = tuner.study
    counts = step_counts(study)
    # The stage-2 grid is centred on the best fraction of the 37 trials of the steps before it.
    first_best = min((t for t in study.trials if t.number < 37), key=lambda t: t.value)
    best_fraction = json.loads(first_best.system_attrs["lightgbm_tuner:lgbm_params"])["feature_fraction"]
    assert counts == {**STEPS, "feature_fraction_stage2": stage2_count(best_fraction)}
    assert [t.system_attrs[STEP] for t in study.trials] == sorted(
        (t.system_attrs[STEP] for t in study.trials), key=list(counts).index
    ), "steps run in order"
    assert {t.state for t in study.trials} == {TrialState.COMPLETE} and study.direction.name == "MINIMIZE"

    # Search spaces: grids for fractions and min_child_samples, TPE ranges for the rest.
    grid = sorted(t.params["feature_fraction"] for t in study.trials if t.system_attrs[STEP] == "feature_fraction")
    assert grid == pytest.approx(np.linspace(0.4, 1.0, 7))
    mcs = sorted(t.params["min_child_samples"] for t in study.trials if t.system_attrs[STEP] == "min_child_samples")
    assert mcs == [5, 10, 25, 50, 100]
    for trial in study.trials:
        assert set(trial.distributions) <= {"feature_fraction", "num_leaves", "bagging_fraction", "bagging_freq",
                                             "lambda_l1", "lambda_l2", "min_child_samples"}
        if "num_leaves" in trial.params:
            assert 2 <= trial.params["num_leaves"] <= 256
        if "lambda_l1" in trial.params:
            assert trial.distributions["lambda_l1"].log and 1e-8 <= trial.params["lambda_l1"] <= 10
        if "bagging_freq" in trial.params:
            assert 1 <= trial.params["bagging_freq"] <= 7 and 0.4 <= trial.params["bagging_fraction"] <= 1.0 + 1e-12
        assert trial.system_attrs["lightgbm_tuner:elapsed_secs"] > 0
        assert trial.system_attrs["lightgbm_tuner:average_iteration_time"] > 0

    # The best: params from the best trial, its booster, the same score.
    best = study.best_trial
    assert tuner.best_score == best.value == study.best_value
    params = tuner.best_params
    assert params == json.loads(best.system_attrs["lightgbm_tuner:lgbm_params"])
    assert params["feature_pre_filter"] is False and "reg_alpha" not in params
    assert set(PARAMS.items()) <= set(params.items())
    booster = tuner.get_best_booster()
    assert booster.best_score["valid_1"]["binary_logloss"] == pytest.approx(tuner.best_score)
    assert booster.params["num_leaves"] == params["num_leaves"]
    X, y = load_breast_cancer(return_X_y=True)
    assert np.mean((booster.predict(X[1::2]) > 0.5) == y[1::2]) > 0.9

    # Every booster is in model_dir: a tuner resumed on the same study finds the best one there, runs no trial.
    assert len(list((tmp_path / "boosters").glob("*.pkl"))) == len(study.trials)
    resumed = lgb.LightGBMTuner(PARAMS, dtrain, valid_sets=[dtrain, dvalid], study=study,
                                model_dir=str(tmp_path / "boosters"), show_progress_bar=False)
    resumed.run()
    assert len(study.trials) == sum(counts.values())
    assert resumed.get_best_booster().params == booster.params
    elsewhere = lgb.LightGBMTuner(PARAMS, dtrain, valid_sets=[dtrain, dvalid], study=study, show_progress_bar=False)
    with pytest.raises(ValueError, match="set the `model_dir` argument"):
        elsewhere.get_best_booster()
    with open(tmp_path / "boosters" / f"{best.number}.pkl", "rb") as f:
        assert pickle.load(f).params == booster.params


def test_train_is_the_tuner_and_optuna_seed_repeats_it() -> None:
    dtrain, dvalid = datasets()
    studies = [optuna.create_study() for _ in range(2)]
    for study in studies:
        booster = lgb.train(PARAMS, dtrain, num_boost_round=5, valid_sets=[dvalid], study=study,
                            show_progress_bar=False, optuna_seed=7, time_budget=60)
        assert isinstance(booster, lightgbm.Booster) and booster.current_iteration() == 5
    first, second = ([t.params for t in s.trials] for s in studies)
    assert len(first) >= 64 and first == second
    assert [t.value for t in studies[0].trials] == [t.value for t in studies[1].trials]


def test_steps_one_by_one_resume_and_callbacks() -> None:
    dtrain, dvalid = datasets()
    seen: list[int] = []
    study = optuna.create_study()
    tuner = lgb.LightGBMTuner({**PARAMS, "lambda_l1": 20}, dtrain, num_boost_round=3, valid_sets=dvalid, study=study,
                              show_progress_bar=False, optuna_callbacks=[lambda s, t: seen.append(t.number)])
    tuner.tune_regularization_factors()
    assert len(study.trials) == 20 and seen == list(range(20))
    assert tuner.best_params["lambda_l1"] != 20 and 1e-8 <= tuner.best_params["lambda_l1"] <= 10
    again = lgb.LightGBMTuner(PARAMS, dtrain, num_boost_round=3, valid_sets=dvalid, study=study,
                              show_progress_bar=False)
    again.tune_regularization_factors()  # the step's 20 trials are there already
    assert len(study.trials) == 20
    with pytest.raises(ValueError, match="cannot be found"):
        again.get_best_booster()  # ran elsewhere, no model_dir
    again.tune_min_data_in_leaf()
    assert len(study.trials) == 25
    assert tuner._create_stepwise_study(study, "min_child_samples").best_trial.number >= 20


def test_time_budget_stops_the_tuning() -> None:
    dtrain, dvalid = datasets()
    tuner = lgb.LightGBMTuner({**PARAMS, "feature_fraction": 1.1}, dtrain, num_boost_round=3, valid_sets=dvalid,
                              time_budget=0, show_progress_bar=False)
    tuner.run()
    assert tuner.study.trials == [] and tuner.lgbm_params["feature_fraction"] == 1.1


def test_tuner_cv_counts_best_cvbooster_and_maximized_metric(tmp_path: Path) -> None:
    X, y = load_breast_cancer(return_X_y=True)
    tuner = lgb.LightGBMTunerCV(
        {**PARAMS, "metric": "auc"},
        lgb.Dataset(X, y),
        num_boost_round=5,
        nfold=3,
        return_cvbooster=True,
        show_progress_bar=False,
        optuna_seed=0,
        model_dir=str(tmp_path),
    )
    assert tuner.study.direction.name == "MAXIMIZE" and tuner.best_score == -np.inf
    tuner.tune_feature_fraction()
    tuner.tune_num_leaves()
    tuner.tune_feature_fraction_stage2()
    best_fraction = json.loads(tuner._create_stepwise_study(tuner.study, "feature_fraction").best_trial.system_attrs[
        "lightgbm_tuner:lgbm_params"])["feature_fraction"]
    counts = step_counts(tuner.study)
    assert counts["feature_fraction"] == 7 and counts["num_leaves"] == 20
    assert counts["feature_fraction_stage2"] == stage2_count(best_fraction)
    assert tuner.best_score == max(t.value for t in tuner.study.trials) > 0.9
    cvbooster = tuner.get_best_booster()
    assert isinstance(cvbooster, lightgbm.CVBooster) and len(cvbooster.boosters) == 3
    assert cvbooster.boosters[0].params["num_leaves"] == tuner.best_params["num_leaves"]
    loaded = lgb.LightGBMTunerCV({**PARAMS, "metric": "auc"}, lgb.Dataset(X, y), study=tuner.study,
                                 model_dir=str(tmp_path), return_cvbooster=True).get_best_booster()
    assert [b.params for b in loaded.boosters] == [b.params for b in cvbooster.boosters]
    no_boosters = lgb.LightGBMTunerCV(PARAMS, lgb.Dataset(X, y), show_progress_bar=False)
    with pytest.raises(ValueError, match="requires `return_cvbooster=True`"):
        no_boosters.get_best_booster()


@pytest.mark.parametrize(
    ("metric", "direction"),
    [("auc", "minimize"), ("mse", "maximize"), (None, "maximize"), ("map", "minimize")],
)
def test_study_direction_must_agree_with_the_metric(metric: str | None, direction: str) -> None:
    dtrain, dvalid = datasets()
    params = {} if metric is None else {"metric": metric}
    with pytest.raises(ValueError, match="Study direction is inconsistent with the metric"):
        lgb.LightGBMTuner(params, dtrain, valid_sets=[dvalid], study=optuna.create_study(direction=direction))


def test_direction_inferred_from_metric_and_aliases() -> None:
    dtrain, dvalid = datasets()
    for metric, direction in [("auc", "MAXIMIZE"), ("ndcg", "MAXIMIZE"), ("mse", "MINIMIZE"), ("binary", "MINIMIZE")]:
        tuner = lgb.LightGBMTuner({"metric": metric}, dtrain, valid_sets=dvalid)
        assert tuner.study.direction.name == direction
    assert lgb.LightGBMTuner({"metric": "mse"}, dtrain, valid_sets=dvalid).lgbm_params["metric"] == "l2"
    assert lgb.LightGBMTuner({"metric": ["auc", "xentropy"]}, dtrain, valid_sets=dvalid).lgbm_params["metric"] == [
        "auc", "cross_entropy"]


def test_bad_arguments() -> None:
    dtrain, dvalid = datasets()
    with pytest.raises(ValueError, match="^`valid_sets` is required.$"):
        lgb.LightGBMTuner(PARAMS, dtrain)
    with pytest.warns(UserWarning, match="feature_pre_filter is given as True but will be set to False"):
        tuner = lgb.LightGBMTuner({**PARAMS, "feature_pre_filter": True}, dtrain, valid_sets=dvalid)
    assert tuner.lgbm_params["feature_pre_filter"] is False
    with pytest.raises(NotImplementedError, match="Parameter `max_bin` is not supported for tuning."):
        tuner._tune_params(["max_bin"], 1, optuna.samplers.RandomSampler(), "max_bin")


def test_a_metric_lightgbm_does_not_evaluate_is_a_clear_error() -> None:
    dtrain, dvalid = datasets()
    tuner = lgb.LightGBMTuner({**PARAMS, "metric": "binary_logloss"}, dtrain, num_boost_round=2, valid_sets=dvalid,
                              show_progress_bar=False)
    tuner.lgbm_params["metric"] = "no_such_metric"  # LightGBM ignores a metric it does not know
    with pytest.raises(ValueError, match="did not evaluate the metric 'no_such_metric'"):
        tuner.tune_feature_fraction()
    X, y = load_breast_cancer(return_X_y=True)
    cv_tuner = lgb.LightGBMTunerCV({**PARAMS, "metric": "l1"}, lgb.Dataset(X, y), num_boost_round=2, nfold=2,
                                   show_progress_bar=False)
    cv_tuner.lgbm_params["metric"] = "no_such_metric"
    with pytest.raises(ValueError, match="did not evaluate the metric 'no_such_metric' on the cross-validation"):
        cv_tuner.tune_min_data_in_leaf()


# --- LightGBMPruningCallback ---------------------------------------------------------------------------------


def pruned_objective(trial: optuna.Trial, **callback_options: Any) -> float:
    dtrain, dvalid = datasets()
    lr = trial.suggest_float("learning_rate", 1e-4, 0.5, log=True)
    booster = lightgbm.train(
        {**PARAMS, "learning_rate": lr}, dtrain, 20, valid_sets=[dtrain, dvalid], valid_names=["train", "valid"],
        callbacks=[lgb.LightGBMPruningCallback(trial, "binary_logloss", **callback_options)],
    )
    return float(booster.best_score["valid"]["binary_logloss"])


def test_pruning_callback_prunes_by_the_validation_metric() -> None:
    study = optuna.create_study(pruner=optuna.pruners.ThresholdPruner(upper=0.5, n_warmup_steps=5))
    for lr in (0.2, 1e-3, 0.1, 5e-4):
        study.enqueue_trial({"learning_rate": lr})
    study.optimize(lambda t: pruned_objective(t, valid_name="valid"), n_trials=4)
    states = {t.params["learning_rate"]: t.state for t in study.trials}
    assert states == {0.2: TrialState.COMPLETE, 1e-3: TrialState.PRUNED, 0.1: TrialState.COMPLETE,
                      5e-4: TrialState.PRUNED}
    for trial in study.trials:
        if trial.state == TrialState.PRUNED:
            assert trial.last_step == 5 and trial.intermediate_values[5] > 0.5
        else:
            assert sorted(trial.intermediate_values) == list(range(20)) and trial.value < 0.5
            assert trial.value == pytest.approx(trial.intermediate_values[19])


def test_pruning_callback_report_interval_and_cv() -> None:
    study = optuna.create_study(pruner=optuna.pruners.NopPruner())
    study.optimize(lambda t: pruned_objective(t, valid_name="valid", report_interval=4), n_trials=1)
    assert sorted(study.trials[0].intermediate_values) == [3, 7, 11, 15, 19]

    X, y = load_breast_cancer(return_X_y=True)
    trial = optuna.create_study(direction="maximize").ask()
    lightgbm.cv({**PARAMS, "metric": "auc"}, lgb.Dataset(X, y), 4, nfold=3,
                callbacks=[lgb.LightGBMPruningCallback(trial, "auc", valid_name="ignored under cv")])
    assert sorted(trial.study.storage.get_trial(trial.trial_id).intermediate_values) == [0, 1, 2, 3]


@pytest.mark.parametrize(
    ("metric", "valid_name", "direction", "message"),
    [
        ("auc", "valid_0", "minimize", 'metric name "auc" is not found'),
        ("binary_logloss", "valid_9", "minimize", 'validation name "valid_9" and the metric name "binary_logloss"'),
        ("binary_logloss", "valid_0", "maximize", "Please specify a metric to be maximized"),
    ],
)
def test_pruning_callback_errors(metric: str, valid_name: str, direction: str, message: str) -> None:
    dtrain, dvalid = datasets()
    trial = optuna.create_study(direction=direction).ask()
    callback = lgb.LightGBMPruningCallback(trial, metric, valid_name=valid_name)
    with pytest.raises(ValueError, match=message):
        lightgbm.train(PARAMS, dtrain, 2, valid_sets=[dvalid], callbacks=[callback])
    auc_trial = optuna.create_study(direction="minimize").ask()
    with pytest.raises(ValueError, match="Please specify a metric to be minimized"):
        lightgbm.train({**PARAMS, "metric": "auc"}, dtrain, 2, valid_sets=[dvalid],
                       callbacks=[lgb.LightGBMPruningCallback(auc_trial, "auc")])


@pytest.mark.distributed
def test_pruning_callback_on_celery_workers(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """LightGBM trains on the workers; the coordinator's ThresholdPruner prunes the slow learning rates."""
    monkeypatch.syspath_prepend(str(Path(__file__).resolve().parent.parent / "distributed"))
    from cluster import make_stack

    stack = make_stack(tmp_path)  # allow this folder's objectives too
    stack.env["HPO_OBJECTIVE_MODULES"] += ",integration_objectives_b"
    stack.env["PYTHONPATH"] = os.pathsep.join([str(Path(__file__).resolve().parent), stack.env["PYTHONPATH"]])
    with stack:
        stack.add_worker(2)
        handle = optuna.submit_study(
            "integration_objectives_b:lightgbm_pruned",
            4,
            sampler=optuna.samplers.GridSampler({"learning_rate": [5e-4, 1e-3, 0.1, 0.2]}),
            pruner=optuna.pruners.ThresholdPruner(upper=0.5, n_warmup_steps=5),
            broker_url=stack.broker_url,
            storage=stack.storage_url,
        )
        study = handle.wait(progress=False, timeout=120)
    states = {t.params["learning_rate"]: t.state for t in study.trials}
    assert states == {5e-4: TrialState.PRUNED, 1e-3: TrialState.PRUNED, 0.1: TrialState.COMPLETE,
                      0.2: TrialState.COMPLETE}
    for trial in study.trials:
        if trial.state == TrialState.PRUNED:
            reason = trial.system_attrs[PRUNE_REASON_KEY]  # written by the coordinator's pruner
            assert reason["pruner"] == "Threshold" and reason["step"] == trial.last_step == 5
            assert reason["value"] == trial.intermediate_values[5] > 0.5
        else:
            assert sorted(trial.intermediate_values) == list(range(20))
            assert trial.value == pytest.approx(trial.intermediate_values[19]) and trial.value < 0.5


def test_regression_metric_on_diabetes_minimizes_l2() -> None:
    X, y = load_diabetes(return_X_y=True)
    dtrain, dvalid = lgb.Dataset(X[::2], y[::2]), lgb.Dataset(X[1::2], y[1::2])
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        tuner = lgb.LightGBMTuner({"objective": "regression", "metric": "l2", "verbosity": -1, "num_threads": 1},
                                  dtrain, num_boost_round=5, valid_sets=dvalid, show_progress_bar=False, optuna_seed=1)
    tuner.tune_min_data_in_leaf()
    assert tuner.study.direction.name == "MINIMIZE"
    assert tuner.best_score == min(t.value for t in tuner.study.trials)
    assert tuner.get_best_booster().best_score["valid_0"]["l2"] == tuner.best_score


def test_without_lightgbm_and_scikit_learn_the_modules_import_and_name_the_package() -> None:
    code = """
import sys
sys.modules["lightgbm"] = None  # as if not installed
sys.modules["sklearn"] = None
import hpo.integration.lightgbm as lgb
from hpo.integration import OptunaSearchCV
assert sorted(lgb.__all__) == ["LightGBMPruningCallback", "LightGBMTuner", "LightGBMTunerCV", "train"]
for make in (lambda: lgb.LightGBMTuner({}, None, valid_sets=[]), lambda: lgb.LightGBMPruningCallback(None, "auc"),
             lambda: OptunaSearchCV(None, {})):
    try:
        make()
    except ImportError as e:
        print(e)
"""
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    lines = done.stdout.splitlines()
    assert len(lines) == 3
    assert all("pip install lightgbm" in line for line in lines[:2]) and "pip install scikit-learn" in lines[2]
