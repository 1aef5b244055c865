"""A study's sampler in a child process of the coordinator: same suggestions as in-process, its writes
come back, its errors cross, its death is reported."""

from __future__ import annotations

import os
import pathlib
import signal
from collections.abc import Iterator
from typing import Any

import pytest

import hpo
from hpo import specs
from hpo.exceptions import SpecError
from hpo.coordinator._mirror import MirroredStorage
from hpo.coordinator._sampler_process import SamplerProcess, SamplerProcessError
from hpo.samplers import BaseSampler
from hpo.study import StudyDirection
from hpo.trial import TrialState

from hpo_test_samplers import FailingSampler, x_above_one


@pytest.fixture()
def mirror(tmp_path: pathlib.Path) -> Iterator[MirroredStorage]:
    storage = MirroredStorage(f"sqlite:///{tmp_path / 's.db'}")
    yield storage
    storage.close()


def _in_process_of_its_own(mirror: MirroredStorage, sampler: BaseSampler, n_objectives: int = 1) -> hpo.Study:
    study_id = mirror.create_new_study([StudyDirection.MINIMIZE] * n_objectives, "replica")
    spec = specs.to_spec(sampler)
    process = mirror.start_sampler(study_id, mirror.build_sampler(spec, n_objectives, ("hpo_test_samplers",)))
    return hpo.Study("replica", mirror, sampler=process)


def conditional(trial: hpo.Trial) -> float:
    """A relative part (x, kind) and a conditional part sampled independently, with reports."""
    x = trial.suggest_float("x", -5, 5)
    kind = trial.suggest_categorical("kind", ["int", "float"])
    y = trial.suggest_int("y_int", 0, 10) if kind == "int" else trial.suggest_float("y_float", 0, 1, log=False)
    for step in range(3):
        trial.report(x * x + step, step)
    trial.set_user_attr("kind", kind)
    return (x - 0.5) ** 2 + y


def two_objectives(trial: hpo.Trial) -> tuple[float, float]:
    x = trial.suggest_float("x", 0, 1)
    y = trial.suggest_float("y", 0, 1)
    return x + y, (1 - x) ** 2 + y


@pytest.mark.parametrize(
    "sampler",
    [
        hpo.samplers.TPESampler(seed=3, n_startup_trials=5),
        hpo.samplers.TPESampler(seed=4, n_startup_trials=5, constraints_func=x_above_one),  # after_trial writes
        hpo.samplers.CmaEsSampler(seed=5, n_startup_trials=3),  # writes trial and study system attrs
        hpo.samplers.RandomSampler(seed=6),  # overrides no hook: no round trip after a trial
    ],
    ids=["tpe", "tpe-constraints", "cmaes", "random"],
)
def test_a_sampler_process_suggests_what_the_same_sampler_suggests_in_process(
    mirror: MirroredStorage, sampler: BaseSampler
) -> None:
    spec = specs.to_spec(sampler)
    remote = _in_process_of_its_own(mirror, sampler)
    remote.optimize(conditional, n_trials=25)
    local = hpo.create_study(sampler=specs.from_spec(spec))
    local.optimize(conditional, n_trials=25)

    assert [t.params for t in remote.trials] == [t.params for t in local.trials]
    assert [t.values for t in remote.trials] == [t.values for t in local.trials]
    # What the sampler wrote in its process is in the coordinator's memory and in SQL.
    written = [{k: v for k, v in t.system_attrs.items()} for t in local.trials]
    assert [t.system_attrs for t in remote.trials] == written
    assert mirror.get_study_system_attrs(remote._study_id) == local._storage.get_study_system_attrs(local._study_id)
    assert mirror.flush(30)
    assert [t.system_attrs for t in mirror.backend.get_all_trials(remote._study_id)] == written


def test_a_multi_objective_sampler_process_matches_in_process(mirror: MirroredStorage) -> None:
    sampler = hpo.samplers.NSGAIISampler(seed=7, population_size=6)
    spec = specs.to_spec(sampler)
    remote = _in_process_of_its_own(mirror, sampler, n_objectives=2)
    remote.optimize(two_objectives, n_trials=24)
    local = hpo.create_study(directions=["minimize", "minimize"], sampler=specs.from_spec(spec))
    local.optimize(two_objectives, n_trials=24)
    assert [t.params for t in remote.trials] == [t.params for t in local.trials]
    assert [t.system_attrs for t in remote.trials] == [t.system_attrs for t in local.trials]


def test_a_sampler_error_crosses_with_its_type_and_message(mirror: MirroredStorage) -> None:
    study = _in_process_of_its_own(mirror, FailingSampler(seed=1))
    trial = study.ask()
    assert 0 <= trial.suggest_float("fine", 0, 1) <= 1
    with pytest.raises(ValueError, match="will not sample 'bad'") as raised:
        trial.suggest_float("bad", 0, 1)
    if hasattr(raised.value, "__notes__"):
        assert "In the sampler process" in raised.value.__notes__[0]
    study.tell(trial, 1.0)
    assert study.trials[0].params.keys() == {"fine"}  # the process lives on


def test_a_dead_sampler_process_is_reported_and_nothing_stored_is_lost(mirror: MirroredStorage) -> None:
    study = _in_process_of_its_own(mirror, hpo.samplers.RandomSampler(seed=2))
    study.optimize(lambda t: t.suggest_float("x", 0, 1), n_trials=3)
    process = study.sampler
    assert isinstance(process, SamplerProcess)
    os.kill(process._process.pid, signal.SIGKILL)
    process._process.join(10)
    with pytest.raises(SamplerProcessError, match="sampler process of study 'replica' exited"):
        study.optimize(lambda t: t.suggest_float("x", 0, 1), n_trials=1)
    finished = study.get_trials(states=(TrialState.COMPLETE,))
    assert len(finished) == 3 and all(0 <= t.params["x"] <= 1 for t in finished)


def test_writes_before_the_process_started_reach_its_replica(mirror: MirroredStorage) -> None:
    """A study with trials already: the replica starts from a snapshot plus every write after it."""
    study_id = mirror.create_new_study([StudyDirection.MINIMIZE], "resumed")
    seeded = hpo.Study("resumed", mirror, sampler=hpo.samplers.RandomSampler(seed=0))
    seeded.optimize(lambda t: t.suggest_float("x", -1, 1) ** 2, n_trials=12)
    sampler = hpo.samplers.TPESampler(seed=9, n_startup_trials=10)
    spec = specs.to_spec(sampler)
    study = hpo.Study("resumed", mirror, sampler=mirror.start_sampler(study_id, mirror.build_sampler(spec, 1)))
    local = hpo.create_study(sampler=specs.from_spec(spec))
    for trial in seeded.trials:
        local.add_trial(trial)
    objective: Any = lambda t: t.suggest_float("x", -1, 1) ** 2  # noqa: E731
    study.optimize(objective, n_trials=10)
    local.optimize(objective, n_trials=10)
    assert [t.params for t in study.trials] == [t.params for t in local.trials]


def test_a_spec_that_does_not_build_is_refused_and_leaves_no_process(mirror: MirroredStorage) -> None:
    """The sampler is built once, in its process; what building raised reaches the caller."""
    with pytest.raises(SpecError, match="not a sampler"):
        mirror.build_sampler({"class": "hpo.pruners:NopPruner", "kwargs": {}}, 1)
    with pytest.raises(SpecError, match="Cannot build"):
        mirror.build_sampler({"class": "hpo.samplers:RandomSampler", "kwargs": {"colour": 1}}, 1)
    study = _in_process_of_its_own(mirror, hpo.samplers.RandomSampler(seed=1))  # the spare still serves
    study.optimize(lambda t: t.suggest_float("x", 0, 1), n_trials=2)
    assert len(study.trials) == 2
