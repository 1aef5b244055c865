"""Median and percentile pruners decide as Optuna 5's do, on hand-made histories."""

from __future__ import annotations

import math
from typing import Any

import pytest

import hpo
from hpo.pruners import BasePruner, MedianPruner, NopPruner, PercentilePruner
from hpo.trial import Trial, TrialState, create_trial

nan = math.nan
H3 = [{0: 1.0, 1: 0.8, 2: 0.6}, {0: 2.0, 1: 1.5, 2: 1.0}, {0: 3.0, 1: 2.5, 2: 2.0}]
H5 = [{s: v - 0.1 * s for s in range(5)} for v in (1.0, 2.0, 3.0, 4.0, 5.0)]

# (case, pruner, direction, intermediate values of COMPLETE trials, of the judged trial, Optuna's decision).
# The expected decisions were obtained by running the same cases through Optuna 5.0.0's MedianPruner /
# PercentilePruner in /work/optuna-venv (study.add_trial(create_trial(value=0.0, intermediate_values=h))
# for each history, then pruner.prune(study, create_trial(state=RUNNING, intermediate_values=judged))).
CASES: list[tuple[str, dict[str, Any], str, list[dict[int, float]], dict[int, float], bool]] = [
    ("median-worse", {"n_startup_trials": 0}, "minimize", H3, {0: 2.5}, True),
    ("median-better", {"n_startup_trials": 0}, "minimize", H3, {0: 1.5}, False),
    ("median-equal", {"n_startup_trials": 0}, "minimize", H3, {0: 2.0}, False),
    ("median-best-over-steps", {"n_startup_trials": 0}, "minimize", H3, {0: 0.5, 1: 9.0}, False),
    ("median-max-worse", {"n_startup_trials": 0}, "maximize", H3, {0: 1.5}, True),
    ("median-max-better", {"n_startup_trials": 0}, "maximize", H3, {0: 2.5}, False),
    ("median-startup", {"n_startup_trials": 5}, "minimize", H3, {0: 100.0}, False),
    ("median-startup-reached", {"n_startup_trials": 3}, "minimize", H3, {0: 100.0}, True),
    ("median-warmup", {"n_startup_trials": 0, "n_warmup_steps": 2}, "minimize", H3, {0: 9.0, 1: 9.0}, False),
    ("median-warmup-done", {"n_startup_trials": 0, "n_warmup_steps": 2}, "minimize", H3, {0: 9, 1: 9, 2: 9}, True),
    ("median-interval-off", {"n_startup_trials": 0, "interval_steps": 2}, "minimize", H5, {0: 9.0, 1: 9.0}, False),
    ("median-interval-on", {"n_startup_trials": 0, "interval_steps": 2}, "minimize", H5, {0: 9, 1: 9, 2: 9}, True),
    (
        "median-interval-skip",
        {"n_startup_trials": 0, "interval_steps": 3, "n_warmup_steps": 1},
        "minimize",
        H5,
        {0: 9.0, 3: 9.0},
        True,
    ),
    ("median-no-step-data", {"n_startup_trials": 0}, "minimize", H3, {7: 100.0}, False),
    ("median-min-trials", {"n_startup_trials": 0, "n_min_trials": 4}, "minimize", H3, {0: 100.0}, False),
    ("median-min-trials-met", {"n_startup_trials": 0, "n_min_trials": 3}, "minimize", H3, {0: 100.0}, True),
    ("median-no-report", {"n_startup_trials": 0}, "minimize", H3, {}, False),
    ("median-no-completed", {"n_startup_trials": 0}, "minimize", [], {0: 100.0}, False),
    ("median-nan-own", {"n_startup_trials": 0}, "minimize", H3, {0: nan}, True),
    ("median-nan-own-partly", {"n_startup_trials": 0}, "minimize", H3, {0: nan, 1: 0.1}, False),
    ("median-nan-others", {"n_startup_trials": 0}, "minimize", [{0: nan}, {0: 1.0}, {0: 3.0}], {0: 2.5}, True),
    ("median-all-nan-others", {"n_startup_trials": 0}, "minimize", [{0: nan}, {0: nan}], {0: 2.5}, False),
    ("p25-min", {"percentile": 25.0, "n_startup_trials": 0}, "minimize", H5, {0: 2.5}, True),
    ("p75-min", {"percentile": 75.0, "n_startup_trials": 0}, "minimize", H5, {0: 2.5}, False),
    ("p25-max", {"percentile": 25.0, "n_startup_trials": 0}, "maximize", H5, {0: 3.5}, True),
    ("p75-max", {"percentile": 75.0, "n_startup_trials": 0}, "maximize", H5, {0: 3.5}, False),
    ("p0-min", {"percentile": 0.0, "n_startup_trials": 0}, "minimize", H5, {0: 1.5}, True),
    ("p100-min", {"percentile": 100.0, "n_startup_trials": 0}, "minimize", H5, {0: 4.5}, False),
    ("p100-min-worst", {"percentile": 100.0, "n_startup_trials": 0}, "minimize", H5, {0: 5.5}, True),
    ("p40-interpolated", {"percentile": 40.0, "n_startup_trials": 0}, "minimize", H5, {4: 2.5}, True),
]


@pytest.mark.parametrize(
    ("case", "kwargs", "direction", "history", "judged", "expected"), CASES, ids=[c[0] for c in CASES]
)
def test_decisions_match_optuna(
    case: str,
    kwargs: dict[str, Any],
    direction: str,
    history: list[dict[int, float]],
    judged: dict[int, float],
    expected: bool,
) -> None:
    pruner: BasePruner = PercentilePruner(**kwargs) if "percentile" in kwargs else MedianPruner(**kwargs)
    study = hpo.create_study(direction=direction, pruner=pruner)
    for values in history:
        study.add_trial(create_trial(value=0.0, intermediate_values=values))
    trial = create_trial(state=TrialState.RUNNING, intermediate_values=judged)
    assert pruner.prune(study, trial) is expected


def test_only_complete_trials_set_the_threshold() -> None:
    study = hpo.create_study(pruner=MedianPruner(n_startup_trials=0))
    study.add_trial(create_trial(value=0.0, intermediate_values={0: 10.0}))
    study.add_trial(create_trial(state=TrialState.PRUNED, intermediate_values={0: 0.0}))
    study.add_trial(create_trial(state=TrialState.FAIL, intermediate_values={0: 0.0}))
    running = study.ask()
    running.report(0.0, 0)
    trial = study.ask()
    trial.report(5.0, 0)
    assert trial.should_prune() is False  # the median of the one COMPLETE trial is 10


def test_median_pruner_in_optimize() -> None:
    study = hpo.create_study(pruner=MedianPruner(n_startup_trials=2, n_warmup_steps=1))
    offsets = [0, 2, -1, 10, -1, 10, -1]

    def objective(trial: Trial) -> float:
        for step in range(5):
            trial.report(offsets[trial.number] + 1.0 / (step + 1), step)
            if trial.should_prune():
                raise hpo.TrialPruned()
        return offsets[trial.number]

    study.optimize(objective, n_trials=len(offsets))
    complete, pruned = TrialState.COMPLETE, TrialState.PRUNED
    assert [t.state for t in study.trials] == [complete, complete, complete, pruned, complete, pruned, complete]
    trial = study.trials[3]
    assert trial.last_step == 1  # judged first after the warm-up step 0
    assert trial.value == trial.intermediate_values[1]


def test_nop_pruner_never_prunes() -> None:
    study = hpo.create_study(pruner=NopPruner())
    study.add_trial(create_trial(value=0.0, intermediate_values={0: 0.0}))
    assert NopPruner().prune(study, create_trial(state=TrialState.RUNNING, intermediate_values={0: nan})) is False


@pytest.mark.parametrize(
    ("make", "match"),
    [
        (lambda: PercentilePruner(-1.0), "percentile"),
        (lambda: PercentilePruner(100.5), "percentile"),
        (lambda: MedianPruner(n_startup_trials=-1), "n_startup_trials"),
        (lambda: MedianPruner(n_warmup_steps=-1), "n_warmup_steps"),
        (lambda: MedianPruner(interval_steps=0), "interval_steps"),
        (lambda: MedianPruner(n_min_trials=0), "n_min_trials"),
    ],
)
def test_invalid_arguments(make: Any, match: str) -> None:
    with pytest.raises(ValueError, match=match):
        make()


def test_repr_names_the_settings() -> None:
    assert "percentile=50.0" in repr(MedianPruner())
    assert "n_warmup_steps=3" in repr(PercentilePruner(25.0, n_warmup_steps=3))


def test_step_values_percentile_equals_numpy() -> None:
    """The incremental per-step percentile equals ``np.nanpercentile`` on the same values, with and
    without the running trials, one trial left out or not."""
    import numpy as np

    from hpo.pruners._step_values import StepValues

    rng = np.random.default_rng(0)
    for n in (1, 2, 3, 10, 101):
        values = rng.normal(size=n).round(1)  # ties
        values[rng.random(n) < 0.2] = nan
        study = hpo.create_study()
        running = []
        for i, v in enumerate(values):
            if i % 3:
                study.add_trial(create_trial(value=0.0, intermediate_values={4: float(v)}))
            else:
                running.append(study.ask())
                running[-1].report(float(v), 4)
        complete = values[[i % 3 != 0 for i in range(n)]]
        only_complete, with_running = StepValues(include_running=False), StepValues(include_running=True)
        for step_values in (only_complete, with_running):
            step_values.refresh(study.storage, study.study_id)
            step_values.refresh(study.storage, study.study_id)  # nothing new: nothing counted twice
        for p in (0.0, 12.5, 50.0, 77.7, 100.0):
            for got, expected in [
                (only_complete.percentile(4, p, 1), complete),
                (with_running.percentile(4, p, 1), values),
                (with_running.percentile(4, p, 1, exclude_trial=running[0].trial_id), values[1:]),
            ]:
                want = nan if np.isnan(expected).all() else float(np.nanpercentile(expected, p))
                assert (math.isnan(got[0]) and math.isnan(want)) or got[0] == want
                assert got[1] == len(expected)
        assert math.isnan(with_running.percentile(4, 50.0, n_min_trials=n + 1)[0])
        assert math.isnan(with_running.percentile(5, 50.0, n_min_trials=1)[0])


def test_pruner_sees_trials_completed_after_its_first_call() -> None:
    """The pruner's per-study cache grows as trials complete: decisions equal a fresh pruner's."""
    pruner = MedianPruner(n_startup_trials=0)
    study = hpo.create_study(pruner=pruner)
    other = hpo.create_study(pruner=pruner)  # one pruner, two studies: separate caches
    judged = create_trial(state=TrialState.RUNNING, intermediate_values={0: 2.5})
    study.add_trial(create_trial(value=0.0, intermediate_values={0: 3.0}))
    other.add_trial(create_trial(value=0.0, intermediate_values={0: 0.0}))
    assert not pruner.prune(study, judged)
    assert pruner.prune(other, judged)
    for v in (1.0, 2.0):
        study.add_trial(create_trial(value=0.0, intermediate_values={0: v}))
    assert pruner.prune(study, judged) == MedianPruner(n_startup_trials=0).prune(study, judged) is True
