"""PartialFixedSampler: fixed parameters keep their value, the base sampler draws the rest."""

from __future__ import annotations

import json

import pytest

import hpo
from hpo import specs
from hpo.samplers import CmaEsSampler, PartialFixedSampler, RandomSampler, TPESampler

hpo.logging.set_verbosity(hpo.logging.ERROR)


def objective(trial: hpo.Trial) -> float:
    x = trial.suggest_float("x", -5, 5)
    y = trial.suggest_int("y", -5, 5)
    c = trial.suggest_categorical("c", ["a", "b"])
    return (x - 1) ** 2 + (y - 2) ** 2 + (c == "b")


def test_bad_arguments_raise() -> None:
    with pytest.raises(TypeError, match="fixed_params"):
        PartialFixedSampler([("y", 1)], RandomSampler())  # type: ignore[arg-type]
    with pytest.raises(TypeError, match="base_sampler"):
        PartialFixedSampler({"y": 1}, "random")  # type: ignore[arg-type]


@pytest.mark.parametrize(
    "base", [RandomSampler(seed=0), TPESampler(seed=0), CmaEsSampler(seed=0, warn_independent_sampling=False)]
)
def test_fixed_parameters_keep_their_value(base: hpo.samplers.BaseSampler) -> None:
    study = hpo.create_study(sampler=PartialFixedSampler({"y": 2, "c": "a"}, base))
    study.optimize(objective, n_trials=15)
    assert {(t.params["y"], t.params["c"]) for t in study.trials} == {(2, "a")}
    assert len({t.params["x"] for t in study.trials}) == 15
    for trial in study.trials:
        assert -5 <= trial.params["x"] <= 5


def test_fixed_parameters_leave_the_relative_search_space() -> None:
    base = CmaEsSampler(seed=0)
    sampler = PartialFixedSampler({"y": 2}, base)
    study = hpo.create_study(sampler=sampler)
    study.optimize(lambda t: t.suggest_float("x", 0, 1) + t.suggest_int("y", 0, 5), n_trials=3)
    trial = study.trials[-1]
    assert set(base.infer_relative_search_space(study, trial)) == {"x", "y"}
    assert set(sampler.infer_relative_search_space(study, trial)) == {"x"}


def test_a_value_outside_the_distribution_is_used_with_a_warning() -> None:
    study = hpo.create_study(sampler=PartialFixedSampler({"y": 10}, RandomSampler(seed=0)))
    with pytest.warns(UserWarning, match="outside"):
        study.optimize(objective, n_trials=1)
    assert study.trials[0].params["y"] == 10


def test_same_seed_same_trials_and_parallel_trials_work() -> None:
    def params(seed: int, n_jobs: int = 1) -> list[dict[str, object]]:
        study = hpo.create_study(sampler=PartialFixedSampler({"c": "b"}, RandomSampler(seed=seed)))
        study.optimize(objective, n_trials=10, n_jobs=n_jobs)
        return [t.params for t in study.trials]

    assert params(0) == params(0) != params(1)
    assert all(p["c"] == "b" for p in params(0, n_jobs=2))


def test_spec_round_trip_is_json() -> None:
    sampler = PartialFixedSampler({"y": 2}, RandomSampler(seed=0))
    rebuilt = specs.from_spec(json.loads(json.dumps(specs.to_spec(sampler))))
    assert isinstance(rebuilt, PartialFixedSampler) and repr(rebuilt) == repr(sampler)


def test_fixing_known_good_values_beats_plain_random_search() -> None:
    fixed = hpo.create_study(sampler=PartialFixedSampler({"y": 2, "c": "a"}, RandomSampler(seed=0)))
    fixed.optimize(objective, n_trials=30)
    plain = hpo.create_study(sampler=RandomSampler(seed=0))
    plain.optimize(objective, n_trials=30)
    assert fixed.best_value < plain.best_value
