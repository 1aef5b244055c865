"""Objectives the LightGBM integration test runs on real Celery workers (allowlisted by module name)."""

from __future__ import annotations

import lightgbm as lgb
from sklearn.datasets import load_breast_cancer

import hpo
from hpo.integration.lightgbm import LightGBMPruningCallback

N_ROUNDS = 20


def lightgbm_pruned(trial: hpo.trial.BaseTrial) -> float:
    """Binary log loss of a booster on breast cancer; the callback reports it every boosting round."""
    X, y = load_breast_cancer(return_X_y=True)
    dtrain, dvalid = lgb.Dataset(X[::2], y[::2]), lgb.Dataset(X[1::2], y[1::2])
    params = {
        "objective": "binary",
        "metric": "binary_logloss",
        "verbosity": -1,
        "num_threads": 1,
        "learning_rate": trial.suggest_float("learning_rate", 1e-4, 0.5, log=True),
    }
    booster = lgb.train(
        params, dtrain, N_ROUNDS, valid_sets=[dvalid], callbacks=[LightGBMPruningCallback(trial, "binary_logloss")]
    )
    return float(booster.best_score["valid_0"]["binary_logloss"])
