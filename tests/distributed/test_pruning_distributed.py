"""The pruners on real Celery workers: exactly n_trials, every pruned trial says why, and the sampler
(in its own process in the coordinator) sees only the trials of a Hyperband trial's bracket."""

from __future__ import annotations

import binascii
import math

import pytest
from hpo_test_samplers import BracketRecordingSampler

import hpo
from hpo.distributed.local_stack import LocalStack
from hpo.pruners import PRUNE_REASON_KEY, BasePruner, HyperbandPruner, MedianPruner, SuccessiveHalvingPruner
from hpo.trial import TrialState

pytestmark = pytest.mark.usefixtures("broker_env")


def _bracket(study_name: str, number: int, min_resource: int, max_resource: int, reduction_factor: int) -> int:
    """Optuna's Hyperband bracket of a trial, computed here independently of hpo's code."""
    n_brackets = math.floor(math.log(max_resource / min_resource, reduction_factor)) + 1
    budgets = [math.ceil(n_brackets * reduction_factor ** (n_brackets - 1 - b) / (n_brackets - b))
               for b in range(n_brackets)]
    n = binascii.crc32(f"{study_name}_{number}".encode()) % sum(budgets)
    for bracket, budget in enumerate(budgets):
        n -= budget
        if n < 0:
            return bracket
    raise AssertionError("unreachable")


def test_hyperband_on_workers_samples_from_the_trials_own_bracket(cluster: LocalStack) -> None:
    name = "hyperband-brackets"
    handle = hpo.submit_study("hpo_test_objectives:curve", 40, study_name=name, sampler=BracketRecordingSampler(seed=1),
                              pruner=HyperbandPruner(min_resource=1, max_resource=9, reduction_factor=3))
    study = handle.wait(progress=False, timeout=300)
    trials = study.get_trials(deepcopy=False)
    assert len(trials) == 40 and {t.state for t in trials} <= {TrialState.COMPLETE, TrialState.PRUNED}
    assert any(t.state == TrialState.PRUNED for t in trials)
    for trial in trials:
        if trial.state == TrialState.PRUNED:
            reason = trial.system_attrs[PRUNE_REASON_KEY]
            assert reason["pruner"] == "Hyperband" and reason["step"] == trial.last_step
            assert reason["bracket"] == _bracket(name, trial.number, 1, 9, 3)
    filtered = [t for t in trials if t.system_attrs["seen"]["filtered"]]
    assert len(filtered) >= 20, "once the first decision is made, the sampler sees bracket views"
    for trial in filtered:
        own = _bracket(name, trial.number, 1, 9, 3)
        seen = trial.system_attrs["seen"]["numbers"]
        assert {_bracket(name, n, 1, 9, 3) for n in seen} <= {own}, f"trial {trial.number} saw other brackets"
    assert sum(bool(t.system_attrs["seen"]["numbers"]) for t in filtered) >= 10, "views hold earlier trials"


@pytest.mark.parametrize(
    "pruner",
    [SuccessiveHalvingPruner(min_resource=1), MedianPruner(n_startup_trials=2, compare_running=True)],
    ids=["successive-halving", "median-compare-running"],
)
def test_pruners_on_workers_end_with_exactly_n_trials(cluster: LocalStack, pruner: BasePruner) -> None:
    study = hpo.submit_study("hpo_test_objectives:curve", 24, pruner=pruner).wait(progress=False, timeout=300)
    trials = study.get_trials(deepcopy=False)
    assert len(trials) == 24 and {t.state for t in trials} <= {TrialState.COMPLETE, TrialState.PRUNED}
    pruned = [t for t in trials if t.state == TrialState.PRUNED]
    assert pruned, "something was pruned"
    assert all(t.system_attrs[PRUNE_REASON_KEY]["step"] == t.last_step for t in pruned)
