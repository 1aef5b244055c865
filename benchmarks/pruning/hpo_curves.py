"""The benchmark's objectives as hpo's workers import them (allowed through ``HPO_OBJECTIVE_MODULES``)."""

from __future__ import annotations

import curves

import hpo


def mlp_digits(trial: hpo.trial.BaseTrial) -> float:
    return curves.mlp_digits(trial, hpo.TrialPruned)


def gb_breast_cancer(trial: hpo.trial.BaseTrial) -> float:
    return curves.gb_breast_cancer(trial, hpo.TrialPruned)


def sgd_diabetes(trial: hpo.trial.BaseTrial) -> float:
    return curves.sgd_diabetes(trial, hpo.TrialPruned)


def svr_splits(trial: hpo.trial.BaseTrial) -> float:
    return curves.svr_splits(trial, hpo.TrialPruned)
