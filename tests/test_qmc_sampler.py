"""QMCSampler: options, valid values, the Sobol'/Halton sequence itself, seeding, distinct points in parallel."""

from __future__ import annotations

import json
from typing import Any

import numpy as np
import pytest
from scipy.stats import qmc

import hpo
from hpo import specs
from hpo.samplers import QMCSampler, RandomSampler
from hpo.trial import Trial

hpo.logging.set_verbosity(hpo.logging.ERROR)


def mixed(trial: hpo.Trial) -> float:
    x = trial.suggest_float("x", -3, 3)
    lr = trial.suggest_float("lr", 1e-5, 1e-1, log=True)
    n = trial.suggest_int("n", 1, 9, step=2)
    k = trial.suggest_int("k", 1, 100, log=True)
    c = trial.suggest_categorical("c", ["a", "b", "c"])
    return x**2 + lr + n + k + (c == "b")


def unit_square(trial: hpo.Trial) -> float:
    return trial.suggest_float("a", 0, 1) + trial.suggest_float("b", 0, 1)


def test_bad_options_raise() -> None:
    with pytest.raises(ValueError, match="qmc_type"):
        QMCSampler(qmc_type="random")
    with pytest.raises(TypeError, match="seed"):
        QMCSampler(seed=1.5)  # type: ignore[arg-type]
    with pytest.raises(TypeError, match="independent_sampler"):
        QMCSampler(independent_sampler="random")  # type: ignore[arg-type]


@pytest.mark.parametrize("kwargs", [{}, {"qmc_type": "halton"}, {"scramble": True, "seed": 0}])
def test_values_lie_inside_their_distributions(kwargs: dict[str, Any]) -> None:
    study = hpo.create_study(sampler=QMCSampler(**kwargs))
    study.optimize(mixed, n_trials=33)
    for trial in study.trials:
        for name, value in trial.params.items():
            dist = trial.distributions[name]
            assert dist._contains(dist.to_internal_repr(value)), (name, value, dist)
    assert {t.params["c"] for t in study.trials} == {"a", "b", "c"}


@pytest.mark.parametrize("qmc_type", ["sobol", "halton"])
def test_trials_follow_the_sequence(qmc_type: str) -> None:
    study = hpo.create_study(sampler=QMCSampler(qmc_type=qmc_type))
    study.optimize(unit_square, n_trials=9)
    engine = qmc.Sobol(2, scramble=False) if qmc_type == "sobol" else qmc.Halton(2, scramble=False)
    expected = engine.random(8)
    got = np.array([[t.params["a"], t.params["b"]] for t in study.trials[1:]])  # trial 0 is sampled independently
    np.testing.assert_allclose(got, expected)


def test_scrambled_sequence_depends_on_the_seed_only() -> None:
    def points(seed: int) -> list[dict[str, Any]]:
        study = hpo.create_study(sampler=QMCSampler(scramble=True, seed=seed))
        study.optimize(unit_square, n_trials=8)
        return [t.params for t in study.trials]

    assert points(1) == points(1)
    assert points(1)[1:] != points(2)[1:]


def test_interleaved_trials_get_distinct_points() -> None:
    study = hpo.create_study(sampler=QMCSampler())
    first = study.ask()
    study.tell(first, unit_square(first))
    running: list[Trial] = [study.ask() for _ in range(4)]
    values = [unit_square(t) for t in running]
    for trial, value in zip(running, values):
        study.tell(trial, value)
    points = {(t.params["a"], t.params["b"]) for t in study.trials[1:]}
    assert len(points) == 4
    assert list(study.system_attrs.values()) == [3]  # the counter of the last sample index


def test_parallel_optimize_gets_distinct_points() -> None:
    study = hpo.create_study(sampler=QMCSampler(scramble=True, seed=0))
    study.optimize(unit_square, n_trials=32, n_jobs=2)
    points = {(t.params["a"], t.params["b"]) for t in study.trials}
    assert len(points) == 32


def test_parameters_outside_the_first_trials_space_are_sampled_independently() -> None:
    def objective(t: hpo.Trial) -> float:
        x = t.suggest_float("x", 0, 1)
        return x + (t.suggest_float("late", 0, 1) if t.number >= 2 else 0.0)

    sampler = QMCSampler(independent_sampler=RandomSampler(seed=0), warn_independent_sampling=False)
    study = hpo.create_study(sampler=sampler)
    study.optimize(objective, n_trials=6)
    assert sampler.infer_relative_search_space(study, study.trials[-1]) == {"x": study.trials[0].distributions["x"]}
    assert len({t.params["late"] for t in study.trials[2:]}) == 4


def test_spec_round_trip_is_json() -> None:
    sampler = QMCSampler(qmc_type="halton", scramble=True, seed=3)
    rebuilt = specs.from_spec(json.loads(json.dumps(specs.to_spec(sampler))))
    assert isinstance(rebuilt, QMCSampler) and repr(rebuilt) == repr(sampler)


def test_covers_the_space_more_evenly_than_random_search() -> None:
    def discrepancy(sampler: hpo.samplers.BaseSampler) -> float:
        study = hpo.create_study(sampler=sampler)
        study.optimize(unit_square, n_trials=65)
        return float(qmc.discrepancy(np.array([[t.params["a"], t.params["b"]] for t in study.trials[1:]])))

    assert discrepancy(QMCSampler(scramble=True, seed=0)) < discrepancy(RandomSampler(seed=0)) / 5
