"""``compare_running=True``: the values of RUNNING trials count, so a wide first wave prunes like a
sequential study; the per-step values stay right as trials start, report and end."""

from __future__ import annotations

import random

import pytest

import hpo
from hpo.pruners import MedianPruner, PercentilePruner
from hpo.pruners._step_values import StepValues
from hpo.trial import Trial, TrialState


def _curves(seed: int, n_trials: int, n_steps: int) -> list[list[float]]:
    rng = random.Random(seed)
    return [[round(rng.uniform(0, 1) + 1 / (s + 1), 1) for s in range(n_steps)] for _ in range(n_trials)]


def _sequential(pruner: MedianPruner, curves: list[list[float]]) -> list[tuple[int, int, bool]]:
    """Each trial runs to its end before the next starts: the others it meets are COMPLETE."""
    study = hpo.create_study(pruner=pruner)
    decisions = []
    for i, curve in enumerate(curves):
        trial = study.ask()
        for step, value in enumerate(curve):
            trial.report(value, step)
            decisions.append((i, step, trial.should_prune()))
            if decisions[-1][2]:
                study.tell(trial, state=TrialState.PRUNED)
                break
        else:
            study.tell(trial, curve[-1])
    return decisions


def _wave(pruner: MedianPruner, curves: list[list[float]]) -> list[tuple[int, int, bool]]:
    """Every trial starts at once, then step by step each live trial reports, in trial order."""
    study = hpo.create_study(pruner=pruner)
    trials = [study.ask() for _ in curves]
    live = dict(enumerate(trials))
    decisions = []
    for step in range(len(curves[0])):
        for i, trial in list(live.items()):
            trial.report(curves[i][step], step)
            decisions.append((i, step, trial.should_prune()))
            if decisions[-1][2]:
                study.tell(trial, state=TrialState.PRUNED)
                del live[i]
    for i, trial in live.items():
        study.tell(trial, curves[i][-1])
    return sorted(decisions)


@pytest.mark.parametrize("seed", range(5))
@pytest.mark.parametrize("kwargs", [{}, {"n_startup_trials": 1, "n_warmup_steps": 2}, {"interval_steps": 3}])
def test_a_wide_wave_prunes_about_as_a_sequential_study(seed: int, kwargs: dict[str, int]) -> None:
    """At step s trial i meets the trials before it that reported step s: in a sequential study the
    COMPLETE ones, in the wave the RUNNING ones (including some pruned later, so not the same set).
    The wave then spends about the steps of the sequential study; without compare_running it
    prunes nothing (nobody has completed)."""
    curves = _curves(seed, 30, 8)
    sequential = len(_sequential(MedianPruner(**kwargs), curves))
    assert sequential < 0.7 * 30 * 8
    assert abs(len(_wave(MedianPruner(compare_running=True, **kwargs), curves)) - sequential) <= 0.25 * sequential
    assert not any(d for *_, d in _wave(MedianPruner(**kwargs), curves))


def test_startup_counts_the_trials_that_reported_the_step() -> None:
    study = hpo.create_study(pruner=MedianPruner(n_startup_trials=3, compare_running=True))
    trials = [study.ask() for _ in range(5)]
    for i, trial in enumerate(trials[:3]):
        trial.report(float(i), 0)
    trials[3].report(10.0, 1)  # another step: not a peer at step 0
    trials[4].report(10.0, 0)
    assert trials[4].should_prune() is True  # 3 peers at step 0
    trials[3].report(10.0, 0)
    assert trials[3].should_prune() is False  # its step 1 is the judged one: nobody else reported it


def test_pruned_and_failed_trials_leave_complete_ones_stay() -> None:
    pruner = PercentilePruner(50.0, n_startup_trials=0, compare_running=True)
    study = hpo.create_study(pruner=pruner)
    low, high, judged = study.ask(), study.ask(), study.ask()
    low.report(0.0, 0)
    high.report(1.0, 0)
    judged.report(0.6, 0)
    assert judged.should_prune() is True  # median of 0.0 and 1.0 is 0.5
    study.tell(low, state=TrialState.FAIL)
    assert judged.should_prune() is False  # only 1.0 is left
    study.tell(high, 1.0)
    assert judged.should_prune() is False  # COMPLETE now, counted once
    late = study.ask()
    late.report(0.0, 0)
    assert judged.should_prune() is True  # median of 1.0 and 0.0


def _peers_from_scratch(study: hpo.Study, step: int, exclude: int) -> tuple[float, int]:
    fresh = StepValues(include_running=True)
    fresh.refresh(study.storage, study.study_id)
    return fresh.percentile(step, 30.0, 1, exclude)


@pytest.mark.parametrize("seed", range(6))
def test_incremental_values_equal_a_fresh_count(seed: int) -> None:
    """After any sequence of asks, reports and ends (including trials that report without being
    judged), the kept values equal values counted afresh from the storage."""
    rng = random.Random(seed)
    study = hpo.create_study(pruner=PercentilePruner(30.0, compare_running=True))
    kept = StepValues(include_running=True)
    running: list[Trial] = []
    steps: dict[int, int] = {}
    for _ in range(400):
        move = rng.random()
        if move < 0.15 or not running:
            running.append(study.ask())
            steps[running[-1].trial_id] = 0
        elif move < 0.25:
            trial = running.pop(rng.randrange(len(running)))
            state = rng.choice([TrialState.COMPLETE, TrialState.PRUNED, TrialState.FAIL])
            study.tell(trial, 0.0) if state == TrialState.COMPLETE else study.tell(trial, state=state)
        else:
            trial = rng.choice(running)
            step = steps[trial.trial_id] = steps[trial.trial_id] + rng.choice([1, 1, 2])
            trial.report(rng.choice([round(rng.random(), 1), float("nan")]), step)
            if rng.random() < 0.7:
                kept.refresh(study.storage, study.study_id)
                assert kept.percentile(step, 30.0, 1, trial.trial_id) == pytest.approx(
                    _peers_from_scratch(study, step, trial.trial_id), nan_ok=True
                )
