"""Every trial a built-in pruner prunes records why, as JSON (``hpo:prune_reason``)."""

from __future__ import annotations

import json
import math
from typing import Any

import pytest

import hpo
from hpo.pruners import (
    PRUNE_REASON_KEY,
    BasePruner,
    HyperbandPruner,
    MedianPruner,
    NopPruner,
    PatientPruner,
    PercentilePruner,
    SuccessiveHalvingPruner,
    ThresholdPruner,
    WilcoxonPruner,
)
from hpo.storages import BaseStorage
from hpo.trial import FrozenTrial, TrialState, create_trial


def _judge(study: hpo.Study, values: dict[int, float]) -> tuple[bool, Any]:
    """Report ``values`` in a new trial, asking after each; (last decision, the stored reason)."""
    trial = study.ask()
    pruned = False
    for step, value in values.items():
        trial.report(value, step)
        pruned = trial.should_prune()
    stored = study.storage.get_trial(trial.trial_id).system_attrs.get(PRUNE_REASON_KEY)
    study.tell(trial, state=TrialState.PRUNED) if pruned else study.tell(trial, 0.0)
    return pruned, stored


def _completed(study: hpo.Study, *curves: dict[int, float]) -> None:
    for curve in curves:
        study.add_trial(create_trial(value=0.0, intermediate_values=curve))


def test_median_reason(storage: BaseStorage) -> None:
    study = hpo.create_study(storage=storage, pruner=MedianPruner(n_startup_trials=3))
    _completed(study, {0: 1.0, 1: 0.5}, {0: 2.0, 1: 0.9}, {0: 3.0, 1: 1.2})
    assert _judge(study, {0: 1.5, 1: 1.0}) == (
        True,
        {"pruner": "Median", "step": 1, "value": 1.0, "percentile": 50.0, "cutoff": 0.9, "peers": 3},
    )
    assert _judge(study, {0: 0.1}) == (False, None)


def test_percentile_nan_reason_is_json() -> None:
    study = hpo.create_study(pruner=PercentilePruner(25.0, n_startup_trials=1))
    _completed(study, {0: 1.0})
    pruned, reason = _judge(study, {0: math.nan})
    assert pruned and reason == {"pruner": "Percentile", "step": 0, "value": "nan"}
    json.dumps(reason, allow_nan=False)


def test_successive_halving_reasons() -> None:
    study = hpo.create_study(pruner=SuccessiveHalvingPruner(min_resource=1, reduction_factor=2))
    assert _judge(study, {0: 1.0, 1: 1.0})[0] is False  # alone at rungs 0 (step 1) and 1 (step 2 not reached)
    assert _judge(study, {0: 5.0, 1: 2.0}) == (
        True,
        {"pruner": "SuccessiveHalving", "step": 1, "rung": 0, "value": 2.0, "cutoff": 1.0, "peers": 2},
    )
    bootstrap = hpo.create_study(pruner=SuccessiveHalvingPruner(min_resource=1, bootstrap_count=1))
    assert _judge(bootstrap, {1: 0.0}) == (
        True,
        {"pruner": "SuccessiveHalving", "step": 1, "rung": 0, "value": 0.0, "bootstrap_count": 1, "peers": 1},
    )


def test_hyperband_reason_names_the_bracket() -> None:
    study = hpo.create_study(study_name="reasons", pruner=HyperbandPruner(max_resource=9, reduction_factor=3))
    reasons = []
    for i in range(40):
        pruned, reason = _judge(study, {s: 1.0 + (i % 7) / 10 for s in range(10)})
        if pruned:
            reasons.append(reason)
    assert reasons
    for reason in reasons:
        assert reason["pruner"] == "Hyperband"
        assert set(reason) == {"pruner", "step", "rung", "value", "cutoff", "peers", "bracket"}
        assert reason["value"] > reason["cutoff"]


def test_threshold_reason_with_infinite_bound() -> None:
    study = hpo.create_study(pruner=ThresholdPruner(lower=-math.inf, upper=2.0))
    assert _judge(study, {0: 1.0, 1: 3.0}) == (
        True,
        {"pruner": "Threshold", "step": 1, "value": 3.0, "lower": "-inf", "upper": 2.0},
    )
    only_lower = hpo.create_study(direction="maximize", pruner=ThresholdPruner(lower=0.5))
    assert _judge(only_lower, {0: math.inf, 1: 0.4})[1] == {
        "pruner": "Threshold", "step": 1, "value": 0.4, "lower": 0.5, "upper": None,
    }


def test_patient_reason_holds_the_wrapped_reason() -> None:
    study = hpo.create_study(pruner=PatientPruner(MedianPruner(n_startup_trials=1), patience=1))
    _completed(study, {0: 1.0, 1: 0.5, 2: 0.4})
    pruned, reason = _judge(study, {0: 0.9, 1: 0.95, 2: 0.97})
    assert pruned
    assert reason == {
        "pruner": "Patient", "step": 2, "patience": 1, "min_delta": 0.0, "best_before": 0.9, "best_within": 0.95,
        "wrapped": {"pruner": "Median", "step": 2, "value": 0.9, "percentile": 50.0, "cutoff": 0.4, "peers": 1},
    }


class _AlwaysPrune(BasePruner):
    def prune(self, study: hpo.Study, trial: FrozenTrial) -> bool:
        return True


def test_patient_names_a_wrapped_pruner_that_gives_no_reason() -> None:
    study = hpo.create_study(pruner=PatientPruner(_AlwaysPrune(), patience=0))
    assert _judge(study, {0: 1.0, 1: 2.0})[1]["wrapped"] == {"pruner": "_AlwaysPrune"}
    assert _judge(hpo.create_study(pruner=PatientPruner(None, patience=0)), {0: 1.0, 1: 2.0})[1]["wrapped"] is None


def test_wilcoxon_reason() -> None:
    study = hpo.create_study(pruner=WilcoxonPruner(p_threshold=0.1))
    best = {s: 1.0 + s / 100 for s in range(10)}
    _completed(study, best)
    pruned, reason = _judge(study, {s: v + 1.0 for s, v in best.items()})
    assert pruned
    assert reason["pruner"] == "Wilcoxon" and reason["best_trial"] == 0 and reason["paired_steps"] >= 2
    assert 0.0 <= reason["p_value"] < 0.1 == reason["p_threshold"]


def test_not_pruned_no_reason_and_frozen_trials_outside_the_storage() -> None:
    study = hpo.create_study(pruner=MedianPruner(n_startup_trials=0))
    _completed(study, {0: 0.0})
    outside = create_trial(state=TrialState.RUNNING, intermediate_values={0: 1.0})
    assert study.pruner.prune(study, outside) is True  # decided; nothing to store it on
    assert _judge(hpo.create_study(pruner=NopPruner()), {0: math.nan}) == (False, None)
