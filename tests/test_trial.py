"""Trial, FrozenTrial, FixedTrial and create_trial: suggestion paths, reporting and validation."""

from __future__ import annotations

import datetime
import math
import warnings
from typing import Any

import numpy as np
import pytest

import hpo
from hpo.distributions import BaseDistribution, CategoricalDistribution, FloatDistribution
from hpo.samplers import BaseSampler, RandomSampler
from hpo.study import Study
from hpo.trial import FixedTrial, FrozenTrial, Trial, TrialState, create_trial


class SpySampler(BaseSampler):
    """Samples ``relative`` jointly and everything else with a RandomSampler, recording every call."""

    def __init__(self, relative_space: dict[str, BaseDistribution], relative: dict[str, Any]) -> None:
        self.relative_space = relative_space
        self.relative = relative
        self.calls: list[tuple[Any, ...]] = []
        self._random = RandomSampler(seed=0)

    def before_trial(self, study: Study, trial: FrozenTrial) -> None:
        self.calls.append(("before_trial", trial.number))
        study._storage.set_trial_system_attr(trial._trial_id, "spy", trial.number)

    def infer_relative_search_space(self, study: Study, trial: FrozenTrial) -> dict[str, BaseDistribution]:
        self.calls.append(("infer_relative_search_space", trial.number))
        return self.relative_space

    def sample_relative(
        self, study: Study, trial: FrozenTrial, search_space: dict[str, BaseDistribution]
    ) -> dict[str, Any]:
        self.calls.append(("sample_relative", trial.number, sorted(search_space)))
        return dict(self.relative)

    def sample_independent(
        self, study: Study, trial: FrozenTrial, param_name: str, param_distribution: BaseDistribution
    ) -> Any:
        self.calls.append(("sample_independent", param_name, trial.system_attrs.get("spy")))
        return self._random.sample_independent(study, trial, param_name, param_distribution)

    def after_trial(self, study: Study, trial: FrozenTrial, state: TrialState, values: Any) -> None:
        self.calls.append(("after_trial", trial.number, state, values))

    def names(self, kind: str) -> list[Any]:
        return [c for c in self.calls if c[0] == kind]


def spy_study(relative: dict[str, Any] | None = None) -> tuple[Study, SpySampler]:
    relative = {"x": 0.25} if relative is None else relative
    sampler = SpySampler({"x": FloatDistribution(0.0, 1.0)}, relative)
    return hpo.create_study(sampler=sampler), sampler


# --- suggestion paths ---------------------------------------------------------------------------


def test_relative_params_come_from_sample_relative_others_from_sample_independent() -> None:
    study, spy = spy_study()
    trial = study.ask()
    assert spy.names("sample_relative") == [("sample_relative", 0, ["x"])]
    assert trial.suggest_float("x", 0.0, 1.0) == 0.25
    y = trial.suggest_int("y", 0, 10)
    assert 0 <= y <= 10
    assert spy.names("sample_independent") == [("sample_independent", "y", 0)]
    assert trial.params == {"x": 0.25, "y": y}


def test_system_attrs_stored_in_before_trial_are_visible_to_sample_independent() -> None:
    study, spy = spy_study()
    for number in range(3):
        trial = study.ask()
        trial.suggest_float("z", 0, 1)
        study.tell(trial, 0.0)
        assert spy.names("sample_independent")[-1] == ("sample_independent", "z", number)


def test_relative_value_outside_the_suggested_distribution_falls_back_to_independent() -> None:
    study, spy = spy_study({"x": 0.9})
    trial = study.ask()
    x = trial.suggest_float("x", 0.0, 0.5)
    assert 0.0 <= x <= 0.5
    assert spy.names("sample_independent") == [("sample_independent", "x", 0)]


def test_relative_param_missing_from_the_relative_space_is_a_sampler_bug() -> None:
    study, _ = spy_study({"w": 0.5})
    trial = study.ask()
    with pytest.raises(ValueError, match="not in the relative search space"):
        trial.suggest_float("w", 0.0, 1.0)


def test_relative_param_with_incompatible_distribution_raises() -> None:
    study, _ = spy_study()
    trial = study.ask()
    with pytest.raises(ValueError, match="kind"):
        trial.suggest_int("x", 0, 1)


def test_enqueued_params_win_over_relative_and_independent_sampling() -> None:
    study, spy = spy_study()
    study.enqueue_trial({"x": 0.75, "y": 3})
    trial = study.ask()
    assert trial.suggest_float("x", 0.0, 1.0) == 0.75
    assert trial.suggest_int("y", 0, 10) == 3
    assert spy.names("sample_independent") == []


def test_single_value_distributions_do_not_call_the_sampler() -> None:
    study, spy = spy_study({})
    trial = study.ask()
    assert trial.suggest_float("a", 2.0, 2.0) == 2.0
    assert trial.suggest_int("b", 7, 7) == 7
    assert trial.suggest_categorical("c", ["only"]) == "only"
    assert spy.names("sample_independent") == []


def test_before_and_after_trial_bracket_every_trial() -> None:
    study, spy = spy_study()
    study.optimize(lambda t: t.suggest_float("x", 0, 1), n_trials=2)
    assert spy.names("before_trial") == [("before_trial", 0), ("before_trial", 1)]
    assert spy.names("after_trial") == [
        ("after_trial", 0, TrialState.COMPLETE, [0.25]),
        ("after_trial", 1, TrialState.COMPLETE, [0.25]),
    ]


def test_after_trial_sees_pruned_and_failed_states() -> None:
    study, spy = spy_study()

    def objective(trial: Trial) -> float:
        if trial.number == 0:
            raise hpo.TrialPruned()
        raise RuntimeError("boom")

    study.optimize(objective, n_trials=2, catch=(RuntimeError,))
    assert [c[2] for c in spy.names("after_trial")] == [TrialState.PRUNED, TrialState.FAIL]


# --- suggest caching ----------------------------------------------------------------------------


def test_same_name_twice_returns_the_same_value() -> None:
    study = hpo.create_study(sampler=RandomSampler(seed=1))
    trial = study.ask()
    assert trial.suggest_float("x", 0, 1) == trial.suggest_float("x", 0, 1)
    assert trial.suggest_int("i", 0, 1000) == trial.suggest_int("i", 0, 1000)
    assert trial.suggest_categorical("c", list(range(50))) == trial.suggest_categorical("c", list(range(50)))
    assert len(trial.params) == 3


def test_same_name_with_another_range_warns_and_returns_the_first_value() -> None:
    trial = hpo.create_study().ask()
    x = trial.suggest_float("x", 0, 1)
    with pytest.warns(RuntimeWarning, match="suggested again"):
        assert trial.suggest_float("x", 5, 6) == x


@pytest.mark.parametrize(
    "second",
    [
        lambda t: t.suggest_int("x", 0, 1),
        lambda t: t.suggest_float("x", 0.1, 1, log=True),
        lambda t: t.suggest_categorical("x", [0.5]),
    ],
)
def test_same_name_with_incompatible_distribution_raises(second: Any) -> None:
    trial = hpo.create_study().ask()
    trial.suggest_float("x", 0.1, 1)
    with pytest.raises(ValueError, match="parameter"):
        second(trial)


def test_suggest_return_types() -> None:
    trial = hpo.create_study().ask()
    assert type(trial.suggest_float("f", 0, 1)) is float
    assert type(trial.suggest_float("fs", 0, 10, step=1)) is float
    assert type(trial.suggest_int("i", 0, 10)) is int
    assert type(trial.suggest_int("il", 1, 10, log=True)) is int
    assert trial.suggest_categorical("n", [None]) is None
    assert type(trial.suggest_categorical("b", [True, False])) is bool


def test_deprecated_suggest_methods_warn_and_work() -> None:
    trial = hpo.create_study().ask()
    with pytest.warns(DeprecationWarning, match="suggest_float"):
        assert 0 <= trial.suggest_uniform("u", 0, 1) <= 1
    with pytest.warns(DeprecationWarning, match="log=True"):
        assert 1e-3 <= trial.suggest_loguniform("l", 1e-3, 1) <= 1
    with pytest.warns(DeprecationWarning, match="step=q"):
        assert trial.suggest_discrete_uniform("d", 0, 1, 0.5) in (0.0, 0.5, 1.0)
    assert trial.distributions == {
        "u": FloatDistribution(0, 1),
        "l": FloatDistribution(1e-3, 1, log=True),
        "d": FloatDistribution(0, 1, step=0.5),
    }


def test_params_and_distributions_are_copies() -> None:
    trial = hpo.create_study().ask()
    trial.suggest_float("x", 0, 1)
    trial.params["x"] = 99
    trial.distributions.clear()
    trial.user_attrs["a"] = 1
    assert trial.params["x"] != 99 and "x" in trial.distributions and trial.user_attrs == {}


def test_trial_attributes_reach_the_storage() -> None:
    study = hpo.create_study()
    trial = study.ask()
    trial.set_user_attr("note", {"k": [1, 2]})
    trial.set_system_attr("sys", 1)
    trial.suggest_categorical("c", ["a", "b"])
    assert trial.number == 0 and isinstance(trial.datetime_start, datetime.datetime)
    stored = study.trials[0]
    assert stored.user_attrs == {"note": {"k": [1, 2]}}
    assert stored.system_attrs["sys"] == 1
    assert stored.params == trial.params


# --- report / should_prune ----------------------------------------------------------------------


def test_report_stores_intermediate_values() -> None:
    study = hpo.create_study()
    trial = study.ask()
    trial.report(1.5, 0)
    trial.report(np.float32(2.5), np.int64(3))
    trial.report(7, step=10)
    assert study.trials[0].intermediate_values == {0: 1.5, 3: 2.5, 10: 7.0}


def test_duplicate_step_warns_and_keeps_the_first_value() -> None:
    study = hpo.create_study()
    trial = study.ask()
    trial.report(1.0, 2)
    with pytest.warns(UserWarning, match="step 2 was already reported"):
        trial.report(5.0, 2)
    assert study.trials[0].intermediate_values == {2: 1.0}


@pytest.mark.parametrize(
    ("value", "step", "error"),
    [
        ("high", 0, TypeError),
        (None, 0, TypeError),
        ([1.0], 0, TypeError),
        (1.0, "0", TypeError),
        (1.0, 1.5, TypeError),
        (1.0, None, TypeError),
        (1.0, True, TypeError),
        (1.0, -1, ValueError),
    ],
)
def test_report_rejects_bad_values_and_steps(value: Any, step: Any, error: type[Exception]) -> None:
    study = hpo.create_study()
    trial = study.ask()
    with pytest.raises(error):
        trial.report(value, step)
    assert study.trials[0].intermediate_values == {}


def test_report_and_should_prune_are_single_objective_only() -> None:
    trial = hpo.create_study(directions=["minimize", "maximize"]).ask()
    with pytest.raises(NotImplementedError):
        trial.report(1.0, 0)
    with pytest.raises(NotImplementedError):
        trial.should_prune()


def test_should_prune_asks_the_pruner_with_the_reported_values() -> None:
    seen: list[dict[int, float]] = []

    class RecordingPruner(hpo.pruners.BasePruner):
        def prune(self, study: Study, trial: FrozenTrial) -> bool:
            seen.append(dict(trial.intermediate_values))
            return trial.intermediate_values.get(trial.last_step or 0, 0.0) > 1.0

    trial = hpo.create_study(pruner=RecordingPruner()).ask()
    trial.report(0.5, 0)
    assert trial.should_prune() is False
    trial.report(2.0, 1)
    assert trial.should_prune() is True
    assert seen == [{0: 0.5}, {0: 0.5, 1: 2.0}]


def test_pruned_trial_keeps_its_last_intermediate_value() -> None:
    study = hpo.create_study()

    def objective(trial: Trial) -> float:
        trial.report(3.0, 0)
        trial.report(2.0, 1)
        raise hpo.TrialPruned()

    study.optimize(objective, n_trials=1)
    assert study.trials[0].state == TrialState.PRUNED
    assert study.trials[0].value == 2.0


# --- FrozenTrial and create_trial -----------------------------------------------------------------


def test_create_trial_fields() -> None:
    trial = create_trial(
        value=0.5,
        params={"x": 0.1, "c": "a"},
        distributions={"x": FloatDistribution(0, 1), "c": CategoricalDistribution(["a", "b"])},
        user_attrs={"u": 1},
        system_attrs={"s": 2},
        intermediate_values={0: 1.0, 4: 0.6},
    )
    assert trial.state == TrialState.COMPLETE and trial.value == 0.5 and trial.values == [0.5]
    assert trial.last_step == 4
    assert trial.duration is not None and trial.duration >= datetime.timedelta(0)
    assert trial.number == -1


def test_create_waiting_and_running_trials() -> None:
    waiting = create_trial(state=TrialState.WAITING)
    assert waiting.datetime_start is None and waiting.datetime_complete is None and waiting.duration is None
    running = create_trial(state=TrialState.RUNNING)
    assert running.datetime_start is not None and running.datetime_complete is None


@pytest.mark.parametrize(
    ("kwargs", "match"),
    [
        ({"state": TrialState.COMPLETE}, "needs a value"),
        ({"value": math.nan}, "NaN"),
        ({"values": [1.0, math.nan]}, "NaN"),
        ({"value": 1.0, "values": [1.0]}, "only one of value and values"),
        ({"value": 1.0, "params": {"x": 0.5}}, "same keys"),
        ({"value": 1.0, "distributions": {"x": FloatDistribution(0, 1)}}, "same keys"),
        ({"value": 1.0, "params": {"x": 5.0}, "distributions": {"x": FloatDistribution(0, 1)}}, "out of"),
        ({"value": 1.0, "params": {"c": "z"}, "distributions": {"c": CategoricalDistribution(["a"])}}, "choices"),
    ],
)
def test_create_trial_validation(kwargs: dict[str, Any], match: str) -> None:
    with pytest.raises(ValueError, match=match):
        create_trial(**kwargs)


def test_frozen_trial_value_of_multi_objective_trial_raises() -> None:
    trial = create_trial(values=[1.0, 2.0])
    assert trial.values == [1.0, 2.0]
    with pytest.raises(RuntimeError, match="values"):
        _ = trial.value


def test_frozen_trial_equality_and_ordering() -> None:
    a = create_trial(value=1.0)
    b = create_trial(value=1.0)
    b.datetime_start, b.datetime_complete = a.datetime_start, a.datetime_complete
    assert a == b
    b.number = 3
    assert a != b and a < b and sorted([b, a]) == [a, b]


def test_frozen_trial_replays_an_objective() -> None:
    study = hpo.create_study()
    study.optimize(lambda t: t.suggest_float("x", -1, 1) ** 2 + t.suggest_int("n", 0, 3), n_trials=5)
    best = study.best_trial
    assert best.suggest_float("x", -1, 1) ** 2 + best.suggest_int("n", 0, 3) == pytest.approx(best.value)
    with pytest.raises(ValueError, match="no parameter 'y'"):
        best.suggest_float("y", 0, 1)
    with pytest.raises(ValueError, match="out of"):
        best.suggest_float("x", 5, 6)
    assert best.should_prune() is False


# --- FixedTrial ---------------------------------------------------------------------------------


def test_fixed_trial_returns_the_given_params() -> None:
    trial = FixedTrial({"x": 0.5, "n": 3, "c": None, "b": True}, number=7)
    assert trial.suggest_float("x", 0, 1) == 0.5
    assert trial.suggest_int("n", 0, 10) == 3
    assert trial.suggest_categorical("c", [None, "a"]) is None
    assert trial.suggest_categorical("b", [True, False]) is True
    assert trial.number == 7
    assert trial.params == {"x": 0.5, "n": 3, "c": None, "b": True}
    trial.report(1.0, 0)
    assert trial.should_prune() is False
    trial.set_user_attr("k", "v")
    assert trial.user_attrs == {"k": "v"}


def test_fixed_trial_missing_param_names_the_known_ones() -> None:
    with pytest.raises(ValueError, match=r"no value for parameter 'y'.*\['x'\]"):
        FixedTrial({"x": 1.0}).suggest_float("y", 0, 1)


def test_fixed_trial_out_of_range_warns() -> None:
    with pytest.warns(UserWarning, match="out of"):
        assert FixedTrial({"x": 5.0}).suggest_float("x", 0, 1) == 5.0


def test_fixed_trial_tests_an_objective_without_a_study() -> None:
    def objective(trial: hpo.trial.BaseTrial) -> float:
        return trial.suggest_float("x", -10, 10) ** 2

    with warnings.catch_warnings():
        warnings.simplefilter("error")  # an in-range value warns nothing
        assert objective(FixedTrial({"x": 3.0})) == 9.0
