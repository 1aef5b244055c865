"""The contract every sampler exported by ``hpo.samplers`` keeps.

Samplers are discovered from ``hpo.samplers.__all__``, so a new sampler is tested as soon as it is
exported. One that needs constructor arguments gets them from ``SPECIAL``; the test fails until it
does, so that no sampler escapes the contract.
"""

from __future__ import annotations

import dataclasses
import inspect
import math
from collections.abc import Callable
from typing import Any

import pytest

import hpo
import hpo.samplers
from hpo.distributions import BaseDistribution, CategoricalDistribution, FloatDistribution, IntDistribution
from hpo.samplers import BaseSampler, RandomSampler
from hpo.trial import BaseTrial, Trial, TrialState

hpo.logging.set_verbosity(hpo.logging.ERROR)


@dataclasses.dataclass
class Entry:
    """How to build a sampler for the contract tests, and how to exercise it."""

    make: Callable[[int | None], BaseSampler]  # seed -> sampler
    seeded: bool = True  # the seed makes runs reproducible
    n_trials: int = 30
    finite_only: bool = False  # searches finite spaces only (no continuous float)
    slow: bool = False  # only the value-range test runs by default; the others are marked slow


def _exported(name: str) -> Any:
    return getattr(hpo.samplers, name)


SKIPPED = {"GridSampler": "needs the grid of each objective; tested in test_grid_sampler.py"}
SPECIAL: dict[str, Entry] = {
    "PartialFixedSampler": Entry(lambda seed: _exported("PartialFixedSampler")({}, RandomSampler(seed=seed))),
    "BruteForceSampler": Entry(lambda seed: _exported("BruteForceSampler")(seed=seed), finite_only=True),
    "GPSampler": Entry(lambda seed: _exported("GPSampler")(seed=seed, n_startup_trials=2), n_trials=4, slow=True),
}


def _discover() -> list[Any]:
    params = []
    for name in hpo.samplers.__all__:
        cls = getattr(hpo.samplers, name)
        if not isinstance(cls, type) or not issubclass(cls, BaseSampler) or inspect.isabstract(cls):
            continue
        if name in SKIPPED:
            params.append(pytest.param(name, marks=pytest.mark.skip(reason=SKIPPED[name]), id=name))
        else:
            params.append(pytest.param(name, id=name))
    return params


SAMPLERS = _discover()


def entry(name: str) -> Entry:
    if name in SPECIAL:
        return SPECIAL[name]
    cls = _exported(name)
    if "seed" in inspect.signature(cls).parameters:
        return Entry(lambda seed: cls(seed=seed))
    return Entry(lambda seed: cls(), seeded=False)


def slow_for_some(params: list[Any]) -> list[Any]:
    """The sampler params, with the slow samplers marked slow."""
    return [
        pytest.param(*p.values, marks=[*p.marks, pytest.mark.slow], id=p.id) if entry(p.values[0]).slow else p
        for p in params
    ]


def make_study(name: str, seed: int | None = 0, **kwargs: Any) -> hpo.Study:
    return hpo.create_study(sampler=entry(name).make(seed), **kwargs)


# --- the search space ----------------------------------------------------------------------------

CHOICES = [None, True, False, 0, 1, 2.5, "x"]
SPACE: dict[str, BaseDistribution] = {
    "float": FloatDistribution(-3.0, 5.0),
    "float_log": FloatDistribution(1e-4, 10.0, log=True),
    "float_step": FloatDistribution(-1.0, 1.0, step=0.25),
    "int": IntDistribution(-5, 5),
    "int_log": IntDistribution(1, 1000, log=True),
    "int_step": IntDistribution(0, 20, step=4),
    "categorical": CategoricalDistribution(CHOICES),
}


def space_for(name: str) -> dict[str, BaseDistribution]:
    if entry(name).finite_only:
        return {k: d for k, d in SPACE.items() if not (isinstance(d, FloatDistribution) and d.step is None)}
    return SPACE


def suggest(trial: BaseTrial, name: str, dist: BaseDistribution) -> Any:
    """The public suggest_* call that creates ``dist``."""
    if isinstance(dist, FloatDistribution):
        return trial.suggest_float(name, dist.low, dist.high, log=dist.log, step=dist.step)
    if isinstance(dist, IntDistribution):
        return trial.suggest_int(name, dist.low, dist.high, log=dist.log, step=dist.step)
    assert isinstance(dist, CategoricalDistribution)
    return trial.suggest_categorical(name, list(dist.choices))


def objective_over(space: dict[str, BaseDistribution]) -> Callable[[Trial], float]:
    def objective(trial: Trial) -> float:
        total = 0.0
        for name, dist in space.items():
            value = suggest(trial, name, dist)
            total += CHOICES.index(value) if name == "categorical" else abs(float(value) - 0.3)
        return total

    return objective


def assert_inside(name: str, value: Any, dist: BaseDistribution) -> None:
    if isinstance(dist, CategoricalDistribution):
        assert any(type(value) is type(c) and value == c for c in dist.choices), (name, value)
        return
    expected_type = float if isinstance(dist, FloatDistribution) else int
    assert type(value) is expected_type, (name, value)
    assert math.isfinite(value) and dist._contains(dist.to_internal_repr(value)), (name, value, dist)


def assert_trials_inside(study: hpo.Study, space: dict[str, BaseDistribution]) -> None:
    for trial in study.trials:
        for name, value in trial.params.items():
            assert_inside(name, value, space[name])


# --- the contract ------------------------------------------------------------------------------


@pytest.mark.parametrize("name", SAMPLERS)
def test_values_stay_inside_their_distributions(name: str) -> None:
    space = space_for(name)
    study = make_study(name)
    study.optimize(objective_over(space), n_trials=entry(name).n_trials)
    assert len(study.trials) >= min(entry(name).n_trials, 4)
    assert all(t.state == TrialState.COMPLETE for t in study.trials)
    assert all(set(t.params) == set(space) for t in study.trials)
    assert_trials_inside(study, space)
    if not entry(name).finite_only and entry(name).n_trials >= 30:  # not stuck on one point
        assert len({t.params["float"] for t in study.trials}) > 5


CONDITIONAL: dict[str, BaseDistribution] = {
    "kind": CategoricalDistribution(["linear", "tree", "none"]),
    "C": FloatDistribution(1e-3, 1e3, log=True),
    "degree": IntDistribution(1, 5),
    "depth": IntDistribution(1, 32, log=True),
    "rate": FloatDistribution(0.0, 1.0, step=0.1),
}


def conditional(trial: Trial) -> float:
    kind = trial.suggest_categorical("kind", ["linear", "tree", "none"])
    if kind == "linear":
        c = trial.suggest_float("C", 1e-3, 1e3, log=True)
        if c > 1.0:
            return math.log(c) + trial.suggest_int("degree", 1, 5)
        return -math.log(c)
    if kind == "tree":
        return trial.suggest_int("depth", 1, 32, log=True) * trial.suggest_float("rate", 0.0, 1.0, step=0.1)
    return 5.0


def branch_of(params: dict[str, Any]) -> set[str]:
    kind = params["kind"]
    if kind == "linear":
        return {"kind", "C", "degree"} if params["C"] > 1.0 else {"kind", "C"}
    return {"kind", "depth", "rate"} if kind == "tree" else {"kind"}


@pytest.mark.parametrize("name", slow_for_some(SAMPLERS))
def test_conditional_search_space(name: str) -> None:
    study = make_study(name)
    if entry(name).finite_only:
        pytest.skip("the conditional space has a continuous parameter")
    study.optimize(conditional, n_trials=entry(name).n_trials)
    assert all(t.state == TrialState.COMPLETE for t in study.trials)
    assert all(set(t.params) == branch_of(t.params) for t in study.trials)
    assert_trials_inside(study, CONDITIONAL)


@pytest.mark.parametrize("name", slow_for_some(SAMPLERS))
def test_single_value_distributions(name: str) -> None:
    study = make_study(name)
    continuous = not entry(name).finite_only  # BruteForceSampler refuses continuous floats, as Optuna's does

    def objective(trial: Trial) -> float:
        if continuous:
            assert (trial.suggest_float("f", 2.5, 2.5), trial.suggest_float("f_log", 3.0, 3.0, log=True)) == (2.5, 3.0)
        values = (
            trial.suggest_float("f_step", 1.0, 1.0, step=0.5),
            trial.suggest_int("i", -4, -4),
            trial.suggest_int("i_log", 7, 7, log=True),
            trial.suggest_categorical("c", ["only"]),
        )
        assert values == (1.0, -4, 7, "only")
        return float(trial.suggest_int("x", 0, 10))

    study.optimize(objective, n_trials=min(entry(name).n_trials, 12))
    assert all(t.state == TrialState.COMPLETE for t in study.trials)
    assert all(0 <= t.params["x"] <= 10 for t in study.trials)


@pytest.mark.parametrize("name", slow_for_some(SAMPLERS))
def test_reproducible_with_a_seed(name: str) -> None:
    if not entry(name).seeded:
        pytest.skip(f"{name} takes no seed")
    space = space_for(name)
    n_trials = min(entry(name).n_trials, 15)

    def run(seed: int) -> list[dict[str, Any]]:
        study = make_study(name, seed=seed)
        study.optimize(objective_over(space), n_trials=n_trials)
        return [t.params for t in study.trials]

    assert run(3) == run(3)


@pytest.mark.parametrize("name", slow_for_some(SAMPLERS))
def test_works_with_two_threads(name: str) -> None:
    space = space_for(name)
    study = make_study(name, seed=None)
    study.optimize(objective_over(space), n_trials=entry(name).n_trials, n_jobs=2)
    assert all(t.state == TrialState.COMPLETE for t in study.trials)
    assert sorted(t.number for t in study.trials) == list(range(len(study.trials)))
    assert_trials_inside(study, space)


@pytest.mark.parametrize("name", slow_for_some(SAMPLERS))
def test_works_with_pruned_failed_and_running_trials_in_history(name: str) -> None:
    space = space_for(name)
    study = make_study(name)
    inner = objective_over(space)
    abandoned = study.ask()  # a RUNNING trial, e.g. of a worker still busy
    suggest(abandoned, "int", space["int"])

    def objective(trial: Trial) -> float:
        value = inner(trial)
        if trial.number % 4 == 1:
            trial.report(value, 0)
            raise hpo.TrialPruned()
        if trial.number % 4 == 2:
            raise ValueError("this trial fails")
        if trial.number % 4 == 3:
            return math.nan  # ends FAIL as well
        return value

    study.optimize(objective, n_trials=entry(name).n_trials, catch=(ValueError,))
    states = [t.state for t in study.trials[1:]]
    assert TrialState.PRUNED in states and TrialState.FAIL in states
    assert all(t.state.is_finished() for t in study.trials[1:])
    assert_trials_inside(study, space)


@pytest.mark.parametrize("name", slow_for_some(SAMPLERS))
def test_enqueued_params_are_used(name: str) -> None:
    space = space_for(name)
    full = {"float_step": 0.75, "int": -2, "int_log": 17, "int_step": 8, "categorical": None}
    if not entry(name).finite_only:
        full.update({"float": 4.5, "float_log": 0.5})
    study = make_study(name)
    study.optimize(objective_over(space), n_trials=3)  # some history first
    study.enqueue_trial(full)
    study.enqueue_trial({"categorical": False, "int": 5})
    study.optimize(objective_over(space), n_trials=3)
    trials = study.trials
    assert trials[3].params == full
    assert trials[4].params["categorical"] is False and trials[4].params["int"] == 5
    assert_trials_inside(study, space)
