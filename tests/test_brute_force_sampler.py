"""BruteForceSampler: every combination once (conditional spaces too), then stop; seeding; parallel trials."""

from __future__ import annotations

import json

import pytest

import hpo
from hpo import specs
from hpo.samplers import BruteForceSampler, RandomSampler
from hpo.trial import TrialState

hpo.logging.set_verbosity(hpo.logging.ERROR)

# {"c": "float", "x": 1.0 .. 3.0 by 0.5} gives 5 combinations; {"c": "int", 1 <= a <= b <= 3} gives 6.
N_COMBINATIONS = 11


def conditional(trial: hpo.Trial) -> float:
    c = trial.suggest_categorical("c", ["float", "int"])
    if c == "float":
        return trial.suggest_float("x", 1, 3, step=0.5)
    a = trial.suggest_int("a", 1, 3)
    b = trial.suggest_int("b", a, 3)
    return a + b


def combinations(study: hpo.Study) -> list[tuple[tuple[str, object], ...]]:
    return [tuple(sorted(t.params.items())) for t in study.trials]


def test_every_combination_once_then_optimize_stops() -> None:
    study = hpo.create_study(sampler=BruteForceSampler(seed=0))
    study.optimize(conditional, n_trials=100)
    assert len(study.trials) == N_COMBINATIONS
    assert len(set(combinations(study))) == N_COMBINATIONS
    assert study.best_value == 1.0


def test_failed_and_pruned_trials_count_as_tried() -> None:
    def objective(trial: hpo.Trial) -> float:
        x = trial.suggest_int("x", 0, 5)
        if x == 1:
            raise hpo.TrialPruned()
        if x == 2:
            raise RuntimeError("boom")
        return x

    study = hpo.create_study(sampler=BruteForceSampler(seed=0))
    study.optimize(objective, catch=(RuntimeError,))
    assert sorted(t.params["x"] for t in study.trials) == [0, 1, 2, 3, 4, 5]
    assert {t.state for t in study.trials} == {TrialState.COMPLETE, TrialState.PRUNED, TrialState.FAIL}


def test_same_seed_same_order() -> None:
    def order(seed: int) -> list[tuple[tuple[str, object], ...]]:
        study = hpo.create_study(sampler=BruteForceSampler(seed=seed))
        study.optimize(conditional)
        return combinations(study)

    assert order(1) == order(1)
    assert order(1) != order(2)


@pytest.mark.parametrize("avoid_premature_stop", [False, True])
def test_parallel_trials_cover_the_space(avoid_premature_stop: bool) -> None:
    study = hpo.create_study(sampler=BruteForceSampler(seed=0, avoid_premature_stop=avoid_premature_stop))
    study.optimize(conditional, n_trials=100, n_jobs=2)
    if avoid_premature_stop:  # otherwise the study may stop while the last combinations are running
        assert len(set(combinations(study))) == N_COMBINATIONS
    assert len(study.trials) < 2 * N_COMBINATIONS  # a few duplicates while the last combinations run


def test_interleaved_ask_tell_prefers_combinations_no_running_trial_has() -> None:
    study = hpo.create_study(sampler=BruteForceSampler(seed=0))
    trials = [study.ask() for _ in range(4)]
    values = [t.suggest_int("x", 0, 3) for t in trials]
    assert sorted(values) == [0, 1, 2, 3]
    for trial, value in zip(trials, values):
        study.tell(trial, value)  # outside optimize(): exhausting the space does not raise


def test_enqueued_values_count_and_off_grid_values_are_ignored() -> None:
    study = hpo.create_study(sampler=BruteForceSampler(seed=0))
    study.enqueue_trial({"x": 2})
    study.enqueue_trial({"x": 2.5})  # not a grid point: neither crashes nor counts
    with pytest.warns(UserWarning, match="out of"):
        study.optimize(lambda t: t.suggest_float("x", 0, 3, step=1))
    assert sorted(t.params["x"] for t in study.trials) == [0.0, 1.0, 2.0, 2.5, 3.0]


def test_a_continuous_float_is_refused_with_a_fix() -> None:
    study = hpo.create_study(sampler=BruteForceSampler())
    with pytest.raises(ValueError, match="step="):
        study.optimize(lambda t: t.suggest_float("x", 0, 1), n_trials=1)


def test_spec_round_trip_is_json() -> None:
    sampler = BruteForceSampler(seed=3, avoid_premature_stop=True)
    rebuilt = specs.from_spec(json.loads(json.dumps(specs.to_spec(sampler))))
    assert repr(rebuilt) == repr(sampler)


def test_finds_the_exact_optimum_where_random_search_repeats_itself() -> None:
    def grid(trial: hpo.Trial) -> float:
        return abs(trial.suggest_int("a", 0, 5) - 4) + abs(trial.suggest_int("b", 0, 5) - 1)

    brute = hpo.create_study(sampler=BruteForceSampler(seed=0))
    brute.optimize(grid, n_trials=36)
    rand = hpo.create_study(sampler=RandomSampler(seed=0))
    rand.optimize(grid, n_trials=36)
    assert len(set(combinations(brute))) == 36 > len(set(combinations(rand)))
    assert brute.best_value == 0
