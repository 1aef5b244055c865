"""``hpo.testing`` itself: the contracts fail on a broken sampler or storage, and pytest stays optional."""

from __future__ import annotations

import subprocess
import sys

import pytest

pytest_plugins = ["pytester"]

BROKEN_SAMPLERS = """
import random

from hpo.distributions import FloatDistribution
from hpo.samplers import RandomSampler
from hpo.testing import SamplerContract


class IgnoresItsSeed(RandomSampler):
    def __init__(self, seed=None):
        super().__init__(seed=None)


class IgnoresSteps(RandomSampler):
    def __init__(self, seed=None):
        super().__init__(seed=seed)
        self.rng = random.Random(seed)

    def sample_independent(self, study, trial, name, dist):
        if isinstance(dist, FloatDistribution) and dist.step is not None:
            return self.rng.uniform(dist.low, dist.high)
        return super().sample_independent(study, trial, name, dist)


class TestIgnoresItsSeed(SamplerContract):
    def make_sampler(self, seed):
        return IgnoresItsSeed(seed=seed)


class TestIgnoresSteps(SamplerContract):
    def make_sampler(self, seed):
        return IgnoresSteps(seed=seed)
"""

BROKEN_STORAGES = """
from hpo.storages import InMemoryStorage
from hpo.testing import StorageContract


class IgnoresStates(InMemoryStorage):
    def get_all_trials(self, study_id, deepcopy=True, states=None):
        return super().get_all_trials(study_id, deepcopy=deepcopy)


class TestIgnoresStates(StorageContract):
    def make_storage(self):
        return IgnoresStates()


class TestLosesItsWrites(StorageContract):
    def make_storage(self):
        return InMemoryStorage()

    def reopen(self, storage):
        return InMemoryStorage()  # a view of nothing: as if no write reached the database
"""


def _failures(result: pytest.RunResult) -> dict[str, str]:
    """The tests that failed: ``Class::test`` -> the phase (setup, call, teardown) that failed."""
    return {
        report.nodeid.split("::", 1)[1]: report.when
        for report in result.reprec.getreports("pytest_runtest_logreport")
        if report.failed
    }


def test_sampler_contract_fails_broken_samplers(pytester: pytest.Pytester) -> None:
    pytester.makepyfile(test_broken=BROKEN_SAMPLERS)
    result = pytester.runpytest_inprocess("-p", "no:cacheprovider")
    off_grid = [
        "values_stay_inside_their_distributions",
        "conditional_search_space",
        "works_with_two_threads",
        "works_with_pruned_failed_and_running_trials_in_history",
        "enqueued_params_are_used",
    ]
    assert _failures(result) == {
        "TestIgnoresItsSeed::test_reproducible_with_a_seed": "call",
        **{f"TestIgnoresSteps::test_{name}": "call" for name in off_grid},
    }
    result.assert_outcomes(passed=8, failed=6)


def test_storage_contract_fails_broken_storages(pytester: pytest.Pytester) -> None:
    pytester.makepyfile(test_broken=BROKEN_STORAGES)
    result = pytester.runpytest_inprocess("-p", "no:cacheprovider")
    failures = _failures(result)
    assert {name: when for name, when in failures.items() if name.startswith("TestIgnoresStates::")} == {
        "TestIgnoresStates::test_get_all_trials_filters_by_state_in_number_order": "call"
    }
    lost = {name: when for name, when in failures.items() if name.startswith("TestLosesItsWrites::")}
    n_tests = len([i for i in result.reprec.getcalls("pytest_itemcollected") if "TestLosesItsWrites" in i.item.nodeid])
    assert len(lost) == n_tests and set(lost.values()) == {"call"}  # every test, by its closing check


def test_import_hpo_loads_neither_hpo_testing_nor_pytest() -> None:
    code = "import sys, hpo; print(sorted({'hpo.testing', 'pytest'} & set(sys.modules)))"
    assert subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout == "[]\n"
