"""``hpo.outcome``: running an objective and checking what it returns and reports."""

from __future__ import annotations

import math
from typing import Any

import numpy as np
import pytest

import hpo
from hpo.outcome import FAIL_REASON_KEY, check_values, run_objective, validate_report
from hpo.trial import BaseTrial, FixedTrial, TrialState

hpo.logging.set_verbosity(hpo.logging.ERROR)


def quadratic(trial: BaseTrial) -> float:
    return trial.suggest_float("x", -5, 5) ** 2


def pruned_at_step_one(trial: BaseTrial) -> float:
    trial.report(1.0, 1)
    raise hpo.TrialPruned()


def failing(trial: BaseTrial) -> float:
    raise RuntimeError("boom")


def interrupted(trial: BaseTrial) -> float:
    raise KeyboardInterrupt


def test_a_float_completes() -> None:
    outcome = run_objective(quadratic, FixedTrial({"x": 3.0}), 1)
    assert outcome.state == TrialState.COMPLETE
    assert outcome.values == [9.0]
    assert outcome.returned == 9.0
    assert outcome.fail_reason is None and outcome.error is None


def test_numpy_values_complete_as_floats() -> None:
    outcome = run_objective(lambda t: np.array([np.float32(1.5), 2]), FixedTrial({}), 2)
    assert outcome.state == TrialState.COMPLETE
    assert outcome.values == [1.5, 2.0] and all(type(v) is float for v in outcome.values)


def test_trial_pruned_prunes() -> None:
    outcome = run_objective(pruned_at_step_one, FixedTrial({}), 1)
    assert outcome.state == TrialState.PRUNED
    assert outcome.values is None and outcome.fail_reason is None and outcome.error is None


@pytest.mark.parametrize("objective, error_type", [(failing, RuntimeError), (interrupted, KeyboardInterrupt)])
def test_an_exception_fails_with_its_traceback(objective: Any, error_type: type[BaseException]) -> None:
    outcome = run_objective(objective, FixedTrial({}), 1)
    assert outcome.state == TrialState.FAIL
    assert isinstance(outcome.error, error_type)
    assert outcome.fail_reason is not None
    assert outcome.fail_reason.startswith(repr(outcome.error) + "\nTraceback")
    assert objective.__name__ in outcome.fail_reason
    assert outcome.values is None


@pytest.mark.parametrize(
    "returned, n_objectives, reason",
    [
        (None, 1, "The objective returned None; it must return a float."),
        ("a", 1, "The objective returned the string 'a'; it must return a float."),
        ({"a": 1.0}, 1, "The objective returned a dict ({'a': 1.0}); it must return a float."),
        ({"a": 1.0, "b": 2.0}, 2, "The objective returned a dict ({'a': 1.0, 'b': 2.0}); it must return a sequence"),
        (float("nan"), 1, "The objective returned NaN ([nan]); it must return a float that is not NaN."),
        ((1.0, 2.0), 1, "The objective returned 2 value(s) [1.0, 2.0] but the study has 1 direction(s)"),
        ([1.0, object], 2, "The objective returned <class 'object'> of type type, not a sequence of 2 floats."),
    ],
)
def test_bad_return_values_fail_with_the_reason(returned: Any, n_objectives: int, reason: str) -> None:
    outcome = run_objective(lambda t: returned, FixedTrial({}), n_objectives)
    assert outcome.state == TrialState.FAIL
    assert outcome.fail_reason is not None and outcome.fail_reason.startswith(reason)
    assert outcome.error is None and outcome.values is None
    assert outcome.returned is returned
    assert check_values(returned, n_objectives) == (None, outcome.fail_reason)


def test_optimize_ends_trials_as_run_objective_does() -> None:
    """The same objective ends the same way, with the same fail reason, in Study.optimize."""
    for objective, params in [(quadratic, {"x": 2.0}), (lambda t: {"x": t.suggest_float("x", 0, 1)}, {"x": 0.5})]:
        expected = run_objective(objective, FixedTrial(params), 1)
        study = hpo.create_study()
        study.enqueue_trial(params)
        study.optimize(objective, n_trials=1)
        trial = study.trials[0]
        assert trial.state == expected.state
        assert trial.values == expected.values
        assert trial.system_attrs.get(FAIL_REASON_KEY) == expected.fail_reason


def test_optimize_reraises_what_run_objective_caught_unless_listed_in_catch() -> None:
    study = hpo.create_study()
    with pytest.raises(RuntimeError, match="boom"):
        study.optimize(failing, n_trials=3)
    study.optimize(failing, n_trials=2, catch=(RuntimeError,))
    assert [t.state for t in study.trials] == [TrialState.FAIL] * 3
    assert all(t.system_attrs[FAIL_REASON_KEY].startswith("RuntimeError('boom')") for t in study.trials)


def test_validate_report() -> None:
    assert validate_report(np.float64(0.5), np.int64(3), 1) == (0.5, 3)
    assert math.isnan(validate_report(float("nan"), 0, 1)[0])
    with pytest.raises(TypeError, match="reported value must be a float"):
        validate_report("high", 0, 1)
    with pytest.raises(TypeError, match="step must be an integer"):
        validate_report(1.0, True, 1)
    with pytest.raises(ValueError, match="step must be >= 0"):
        validate_report(1.0, -1, 1)
    with pytest.raises(NotImplementedError, match="multi-objective"):
        validate_report(1.0, 0, 2)
