"""CmaEsSampler: options, valid values, seeding, parallel generations, restarts, warm start, quality."""

from __future__ import annotations

import json
import math
from collections import Counter
from typing import Any

import pytest

import hpo
from hpo import specs
from hpo.samplers import CmaEsSampler, RandomSampler
from hpo.trial import Trial, TrialState

hpo.logging.set_verbosity(hpo.logging.ERROR)


def sphere(trial: hpo.Trial) -> float:
    return sum((trial.suggest_float(f"x{i}", -5, 5) - 1.0) ** 2 for i in range(4))


def mixed(trial: hpo.Trial) -> float:
    x = trial.suggest_float("x", -3, 3)
    lr = trial.suggest_float("lr", 1e-5, 1e-1, log=True)
    n = trial.suggest_int("n", 1, 9, step=2)
    k = trial.suggest_int("k", 1, 100, log=True)
    q = trial.suggest_float("q", 0.0, 1.0, step=0.25)
    c = trial.suggest_categorical("c", ["a", "b"])
    return x**2 + math.log10(lr) ** 2 + n + k + q + (c == "b")


@pytest.mark.parametrize(
    ("kwargs", "match"),
    [
        ({"sigma0": 0}, "sigma0"),
        ({"n_startup_trials": -1}, "n_startup_trials"),
        ({"restart_strategy": "ipopp"}, "restart_strategy"),
        ({"popsize": 1}, "popsize"),
        ({"inc_popsize": 0}, "inc_popsize"),
        ({"use_separable_cma": True, "with_margin": True}, "cannot be combined"),
        ({"lr_adapt": True, "with_margin": True}, "lr_adapt"),
        ({"source_trials": [], "sigma0": 0.1}, "source_trials"),
        ({"source_trials": [], "use_separable_cma": True}, "use_separable_cma"),
    ],
)
def test_bad_options_raise_value_error(kwargs: dict[str, Any], match: str) -> None:
    with pytest.raises(ValueError, match=match):
        CmaEsSampler(**kwargs)


@pytest.mark.parametrize(
    "kwargs", [{"x0": [0.0]}, {"seed": "1"}, {"independent_sampler": "random"}, {"source_trials": [1.0]}]
)
def test_bad_option_types_raise_type_error(kwargs: dict[str, Any]) -> None:
    with pytest.raises(TypeError):
        CmaEsSampler(**kwargs)


def test_multi_objective_study_is_refused() -> None:
    study = hpo.create_study(directions=["minimize", "minimize"], sampler=CmaEsSampler())
    with pytest.raises(ValueError, match="single objective"):
        study.optimize(lambda t: (t.suggest_float("x", 0, 1), 0.0), n_trials=1)


@pytest.mark.parametrize(
    "kwargs",
    [
        {},
        {"use_separable_cma": True},
        {"with_margin": True},
        {"lr_adapt": True},
        {"restart_strategy": "ipop", "popsize": 4},
        {"restart_strategy": "bipop", "popsize": 4},
        {"x0": {"x": 2.0, "k": 50}, "sigma0": 0.3},
    ],
)
def test_values_lie_inside_their_distributions(kwargs: dict[str, Any]) -> None:
    study = hpo.create_study(sampler=CmaEsSampler(seed=0, warn_independent_sampling=False, **kwargs))
    study.optimize(mixed, n_trials=40)
    assert all(t.state == TrialState.COMPLETE for t in study.trials)
    for trial in study.trials:
        for name, value in trial.params.items():
            dist = trial.distributions[name]
            assert dist._contains(dist.to_internal_repr(value)), (name, value, dist)
    prefix = "sepcma:" if kwargs.get("use_separable_cma") else ("cmawm:" if kwargs.get("with_margin") else "cma:")
    assert any(prefix + "generation" in t.system_attrs for t in study.trials)


def test_with_margin_stores_the_point_to_tell() -> None:
    study = hpo.create_study(sampler=CmaEsSampler(seed=0, with_margin=True))
    study.optimize(lambda t: (t.suggest_int("a", -3, 3) - 1) ** 2 + t.suggest_int("b", 0, 4) ** 2, n_trials=20)
    told = [t.system_attrs["cmawm:x_for_tell"] for t in study.trials if "cmawm:x_for_tell" in t.system_attrs]
    assert len(told) == 19 and all(len(x) == 2 for x in told)


def test_same_seed_same_trials() -> None:
    def params(seed: int) -> list[dict[str, Any]]:
        study = hpo.create_study(sampler=CmaEsSampler(seed=seed, warn_independent_sampling=False))
        study.optimize(mixed, n_trials=25)
        return [t.params for t in study.trials]

    assert params(3) == params(3)
    assert params(3) != params(4)


def test_a_generation_is_told_once_popsize_of_its_trials_finished() -> None:
    study = hpo.create_study(sampler=CmaEsSampler(seed=0, popsize=4, n_startup_trials=1))
    first = study.ask()
    study.tell(first, sphere(first))

    def ask_cma() -> Trial:
        trial = study.ask()
        sphere(trial)  # suggest the parameters (the relative ones come from CMA-ES)
        return trial

    def generation(trial: Trial) -> int:
        return study._storage.get_trial(trial._trial_id).system_attrs["cma:generation"]

    running = [ask_cma() for _ in range(6)]  # more trials than the population: all of generation 0
    assert [generation(t) for t in running] == [0] * 6
    for trial in running[:3]:
        study.tell(trial, sphere(trial))
    assert generation(ask_cma()) == 0  # only 3 of 4 finished
    study.tell(running[3], sphere(running[3]))
    next_trial = ask_cma()
    assert generation(next_trial) == 1
    for trial in running[4:]:  # late members of generation 0 are ignored, not told twice
        study.tell(trial, sphere(trial))
    assert generation(ask_cma()) == 1


def test_parallel_optimize_keeps_generations_consistent() -> None:
    study = hpo.create_study(sampler=CmaEsSampler(seed=0, popsize=5))
    study.optimize(sphere, n_trials=60, n_jobs=2)
    counts = Counter(t.system_attrs.get("cma:generation") for t in study.trials if t.state == TrialState.COMPLETE)
    generations = sorted(g for g in counts if g is not None)
    assert generations == list(range(len(generations))) and len(generations) >= 8
    assert all(counts[g] >= 5 for g in generations[:-1])  # every told generation had a full population


def test_a_new_sampler_rebuilds_the_optimizer_from_history() -> None:
    sampler = CmaEsSampler(seed=0, popsize=4)
    study = hpo.create_study(sampler=sampler)
    study.optimize(sphere, n_trials=30)
    original = next(iter(sampler._runs.values()))

    study.sampler = CmaEsSampler(seed=123, popsize=4)
    study.optimize(sphere, n_trials=1)
    rebuilt = next(iter(study.sampler._runs.values()))
    assert rebuilt.generation == original.generation == study.trials[-1].system_attrs["cma:generation"]
    assert rebuilt.optimizer.mean.tolist() == pytest.approx(original.optimizer.mean.tolist())


def test_one_sampler_on_namesake_studies_in_different_storages_starts_afresh() -> None:
    sampler = CmaEsSampler(seed=0, popsize=4)
    tags = []
    for _ in range(2):
        study = hpo.create_study(study_name="bench", sampler=sampler)  # a new in-memory storage each time
        study.optimize(sphere, n_trials=20)
        tags.append([t.system_attrs.get("cma:generation") for t in study.trials])
    assert tags[0] == tags[1] == [None] + [g for g in range(5) for _ in range(4)][:19]


def test_ipop_restarts_with_a_larger_population_after_convergence() -> None:
    # A flat objective makes CMA-ES stop (no progress in the recent generations), which triggers a restart.
    study = hpo.create_study(sampler=CmaEsSampler(seed=0, popsize=4, restart_strategy="ipop"))
    study.optimize(lambda t: 0.0 * t.suggest_float("x", 0, 1) + 0.0 * t.suggest_float("y", 0, 1), n_trials=160)
    regime = study.system_attrs["cma:restart:1"]
    assert regime["popsize"] == 8 and regime["poptype"] == "large"
    assert len(regime["mean"]) == 2 and all(0 <= m <= 1 for m in regime["mean"])
    last = study.trials[-1].system_attrs["cma:generation"]
    counts = Counter(t.system_attrs.get("cma:generation") for t in study.trials)
    assert counts[last - 1] == 8  # generations after the restart have the larger population


def test_warm_start_from_source_trials_starts_near_their_optimum() -> None:
    def shifted(t: hpo.Trial) -> float:
        return (t.suggest_float("x", -10, 10) - 7) ** 2 + (t.suggest_float("y", -10, 10) - 7) ** 2

    source = hpo.create_study(sampler=RandomSampler(seed=0))
    source.optimize(shifted, n_trials=100)
    as_dicts = [{"params": t.params, "value": t.value} for t in source.trials]
    for source_trials in (source.trials, as_dicts):
        study = hpo.create_study(sampler=CmaEsSampler(seed=0, source_trials=source_trials, n_startup_trials=0))
        study.optimize(shifted, n_trials=11)
        xs = [t.params["x"] for t in study.trials[1:]]
        assert sum(xs) / len(xs) > 4.0  # the default start would be around 0


def test_warm_start_without_compatible_source_trials_explains() -> None:
    sampler = CmaEsSampler(source_trials=[{"params": {"other": 1.0}, "value": 0.0}])
    study = hpo.create_study(sampler=sampler)
    with pytest.raises(ValueError, match="warm start"):
        study.optimize(sphere, n_trials=3)


def test_categorical_and_new_parameters_go_to_the_independent_sampler() -> None:
    def objective(t: hpo.Trial) -> float:
        x = t.suggest_float("x", -1, 1)
        c = t.suggest_categorical("c", ["a", "b"])
        extra = t.suggest_float("extra", 0, 1) if t.number % 2 else 0.0
        return x**2 + (c == "b") + extra

    sampler = CmaEsSampler(seed=0, independent_sampler=RandomSampler(seed=0), warn_independent_sampling=False)
    study = hpo.create_study(sampler=sampler)
    study.optimize(objective, n_trials=20)
    assert sampler.infer_relative_search_space(study, study.trials[-1]) == {"x": study.trials[0].distributions["x"]}
    assert {t.params["c"] for t in study.trials} == {"a", "b"}


def test_consider_pruned_trials_learns_from_last_intermediate_value() -> None:
    def objective(t: hpo.Trial) -> float:
        value = sphere(t)
        t.report(value, 0)
        if t.number % 2:
            raise hpo.TrialPruned()
        return value

    sampler = CmaEsSampler(seed=0, popsize=4, consider_pruned_trials=True)
    study = hpo.create_study(sampler=sampler)
    study.optimize(objective, n_trials=30)
    told = [t for t in study.trials if t.state == TrialState.PRUNED and "cma:generation" in t.system_attrs]
    assert told and next(iter(sampler._runs.values())).generation >= 5  # 15 COMPLETE trials alone make 3


def test_spec_round_trip_is_json() -> None:
    source_trials = [{"params": {"x": 0.1}, "value": 1.0}]
    sampler = CmaEsSampler(seed=1, popsize=6, restart_strategy="bipop", source_trials=source_trials)
    spec = json.loads(json.dumps(specs.to_spec(sampler)))
    rebuilt = specs.from_spec(spec)
    assert isinstance(rebuilt, CmaEsSampler) and rebuilt._popsize == 6 and rebuilt._restart_strategy == "bipop"


def test_beats_random_search_on_a_sphere() -> None:
    cma = hpo.create_study(sampler=CmaEsSampler(seed=0))
    cma.optimize(sphere, n_trials=150)
    rand = hpo.create_study(sampler=RandomSampler(seed=0))
    rand.optimize(sphere, n_trials=150)
    assert cma.best_value < rand.best_value / 10  # measured: 0.035 vs 1.89
