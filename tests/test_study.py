"""Study: ask/tell, optimize (n_jobs, timeout, stop, callbacks, catch, gc), enqueue/add, best_*, dataframes."""

from __future__ import annotations

import gc
import threading
import time
from typing import Any

import pandas as pd
import pytest

import hpo
from hpo.distributions import CategoricalDistribution, FloatDistribution, IntDistribution
from hpo.exceptions import UpdateFinishedTrialError
from hpo.storages import InMemoryStorage
from hpo.study import MaxTrialsCallback, Study, StudyDirection
from hpo.trial import FrozenTrial, Trial, TrialState, create_trial

hpo.logging.set_verbosity(hpo.logging.WARNING)


def quadratic(trial: Trial) -> float:
    x = trial.suggest_float("x", -10, 10)
    return (x - 2) ** 2


# --- create / directions -------------------------------------------------------------------------


def test_create_study_defaults() -> None:
    study = hpo.create_study()
    assert study.direction == StudyDirection.MINIMIZE
    assert study.directions == [StudyDirection.MINIMIZE]
    assert study.study_name.startswith("no-name-")
    assert isinstance(study.sampler, hpo.samplers.BaseSampler)
    assert isinstance(study.pruner, hpo.pruners.MedianPruner)
    assert study.trials == []


def test_directions() -> None:
    assert hpo.create_study(direction="maximize").direction == StudyDirection.MAXIMIZE
    assert hpo.create_study(direction=StudyDirection.MAXIMIZE).direction == StudyDirection.MAXIMIZE
    study = hpo.create_study(directions=["minimize", "MAXIMIZE"])
    assert study.directions == [StudyDirection.MINIMIZE, StudyDirection.MAXIMIZE]
    with pytest.raises(RuntimeError, match="directions"):
        _ = study.direction


@pytest.mark.parametrize(
    "kwargs",
    [
        {"direction": "up"},
        {"direction": StudyDirection.NOT_SET},
        {"directions": []},
        {"directions": "minimize"},
        {"directions": ["minimize", "sideways"]},
        {"direction": "minimize", "directions": ["minimize"]},
    ],
)
def test_bad_directions(kwargs: dict[str, Any]) -> None:
    with pytest.raises(ValueError, match="minimize|not both"):
        hpo.create_study(**kwargs)


def test_studies_in_one_storage_by_name() -> None:
    storage = InMemoryStorage()
    a = hpo.create_study(storage=storage, study_name="a")
    a.optimize(quadratic, n_trials=2)
    hpo.create_study(storage=storage, study_name="b", direction="maximize")
    assert sorted(hpo.get_all_study_names(storage)) == ["a", "b"]
    loaded = hpo.load_study(study_name="a", storage=storage)
    assert len(loaded.trials) == 2
    resumed = hpo.create_study(storage=storage, study_name="a", load_if_exists=True)
    resumed.optimize(quadratic, n_trials=1)
    assert [t.number for t in loaded.trials] == [0, 1, 2]
    summaries = {s.study_name: s for s in hpo.get_all_study_summaries(storage)}
    assert summaries["a"].n_trials == 3 and summaries["a"].best_trial is not None
    assert summaries["b"].n_trials == 0 and summaries["b"].best_trial is None
    assert summaries["b"].direction == StudyDirection.MAXIMIZE
    hpo.delete_study(study_name="a", storage=storage)
    assert hpo.get_all_study_names(storage) == ["b"]


def test_load_study_without_name_when_storage_holds_one() -> None:
    storage = InMemoryStorage()
    hpo.create_study(storage=storage, study_name="only")
    assert hpo.load_study(study_name=None, storage=storage).study_name == "only"
    hpo.create_study(storage=storage, study_name="second")
    with pytest.raises(ValueError, match="pass the name"):
        hpo.load_study(study_name=None, storage=storage)


def test_load_if_exists_with_other_direction_raises() -> None:
    storage = InMemoryStorage()
    hpo.create_study(storage=storage, study_name="s", direction="minimize")
    with pytest.raises(ValueError, match="MINIMIZE"):
        hpo.create_study(storage=storage, study_name="s", direction="maximize", load_if_exists=True)
    assert hpo.create_study(storage=storage, study_name="s", load_if_exists=True).direction == StudyDirection.MINIMIZE


def test_copy_study() -> None:
    source, target = InMemoryStorage(), InMemoryStorage()
    study = hpo.create_study(storage=source, study_name="s", direction="maximize")
    study.set_user_attr("owner", "me")
    study.optimize(quadratic, n_trials=3)
    study.ask()  # running trials are not copied
    hpo.copy_study(from_study_name="s", from_storage=source, to_storage=target, to_study_name="t")
    copied = hpo.load_study(study_name="t", storage=target)
    assert copied.direction == StudyDirection.MAXIMIZE
    assert copied.user_attrs == {"owner": "me"}
    assert [(t.params, t.value) for t in copied.trials] == [(t.params, t.value) for t in study.trials[:3]]


# --- ask / tell ----------------------------------------------------------------------------------


def test_ask_tell_round_trip() -> None:
    study = hpo.create_study()
    trial = study.ask()
    assert trial.number == 0
    x = trial.suggest_float("x", 0, 1)
    frozen = study.tell(trial, x * 2)
    assert frozen.state == TrialState.COMPLETE and frozen.value == pytest.approx(x * 2)
    assert frozen.params == {"x": x} and frozen.datetime_complete is not None
    assert study.best_trial.number == 0


def test_ask_with_fixed_distributions() -> None:
    study = hpo.create_study()
    fixed = {"x": FloatDistribution(0, 1), "n": IntDistribution(1, 3), "c": CategoricalDistribution(["a", "b"])}
    trial = study.ask(fixed)
    assert set(trial.params) == {"x", "n", "c"}
    assert trial.suggest_int("n", 1, 3) == trial.params["n"]


def test_tell_by_trial_number_and_multiple_values() -> None:
    study = hpo.create_study(directions=["minimize", "maximize"])
    study.ask()
    study.ask()
    study.tell(1, [1.0, 2.0])
    study.tell(0, (3, 4))
    assert [t.values for t in study.trials] == [[3.0, 4.0], [1.0, 2.0]]


def test_tell_with_states() -> None:
    study = hpo.create_study()
    pruned, failed, pruned_with_report = study.ask(), study.ask(), study.ask()
    pruned_with_report.report(0.7, 3)
    assert study.tell(pruned, state=TrialState.PRUNED).state == TrialState.PRUNED
    assert study.tell(failed, state=TrialState.FAIL).state == TrialState.FAIL
    assert study.tell(pruned_with_report, state=TrialState.PRUNED).value == 0.7
    assert study.trials[0].value is None and study.trials[1].value is None
    with pytest.raises(ValueError, match="COMPLETE, PRUNED or FAIL"):
        study.tell(study.ask(), state=TrialState.WAITING)


def test_tell_without_values_fails_the_trial_like_optuna() -> None:
    study = hpo.create_study()
    frozen = study.tell(study.ask())
    assert frozen.state == TrialState.FAIL
    assert "None" in frozen.system_attrs["fail_reason"]


def test_tell_a_finished_trial() -> None:
    study = hpo.create_study()
    trial = study.ask()
    study.tell(trial, 1.0)
    with pytest.raises(UpdateFinishedTrialError, match="skip_if_finished"):
        study.tell(trial, 2.0)
    skipped = study.tell(trial, 2.0, skip_if_finished=True)
    assert skipped.value == 1.0 and study.trials[0].value == 1.0


def test_tell_rejects_something_that_is_not_a_trial() -> None:
    study = hpo.create_study()
    with pytest.raises(TypeError, match="Trial or a trial number"):
        study.tell("0", 1.0)  # type: ignore[arg-type]


# --- optimize ------------------------------------------------------------------------------------


def test_optimize_counts_trials_per_call() -> None:
    study = hpo.create_study()
    study.optimize(quadratic, n_trials=3)
    study.optimize(quadratic, n_trials=2)
    assert [t.number for t in study.trials] == [0, 1, 2, 3, 4]
    assert all(t.state == TrialState.COMPLETE for t in study.trials)
    study.optimize(quadratic, n_trials=0)
    assert len(study.trials) == 5


@pytest.mark.parametrize("n_jobs", [2, 4, -1])
def test_optimize_in_threads(n_jobs: int) -> None:
    study = hpo.create_study()
    threads: set[int] = set()

    def objective(trial: Trial) -> float:
        threads.add(threading.get_ident())
        time.sleep(0.002)
        return quadratic(trial)

    study.optimize(objective, n_trials=20, n_jobs=n_jobs)
    assert sorted(t.number for t in study.trials) == list(range(20))
    assert all(t.state == TrialState.COMPLETE for t in study.trials)
    assert threading.get_ident() not in threads


@pytest.mark.parametrize(
    ("kwargs", "match"),
    [
        ({"n_trials": -1}, "n_trials"),
        ({"n_trials": 1.5}, "n_trials"),
        ({"n_trials": True}, "n_trials"),
        ({"timeout": -1}, "timeout"),
        ({"n_trials": 1, "n_jobs": 0}, "n_jobs"),
        ({"n_trials": 1, "n_jobs": -2}, "n_jobs"),
    ],
)
def test_optimize_rejects_bad_arguments(kwargs: dict[str, Any], match: str) -> None:
    study = hpo.create_study()
    with pytest.raises(ValueError, match=match):
        study.optimize(quadratic, **kwargs)
    assert study.trials == []


def test_timeout_ends_an_unbounded_loop() -> None:
    study = hpo.create_study()

    def objective(trial: Trial) -> float:
        time.sleep(0.01)
        return quadratic(trial)

    study.optimize(objective, timeout=0.1)
    assert len(study.trials) >= 1
    assert all(t.state == TrialState.COMPLETE for t in study.trials)


def test_timeout_zero_runs_nothing() -> None:
    study = hpo.create_study()
    study.optimize(quadratic, n_trials=10, timeout=0)
    assert study.trials == []


def test_stop_from_the_objective() -> None:
    study = hpo.create_study()

    def objective(trial: Trial) -> float:
        if trial.number == 2:
            trial.study.stop()
        return quadratic(trial)

    study.optimize(objective)
    assert len(study.trials) == 3 and study.trials[-1].state == TrialState.COMPLETE


def test_stop_from_a_callback_with_threads() -> None:
    study = hpo.create_study()

    def callback(study: Study, trial: FrozenTrial) -> None:
        if trial.number >= 5:
            study.stop()

    study.optimize(quadratic, n_jobs=2, callbacks=[callback])
    assert 6 <= len(study.trials) <= 8
    assert all(t.state.is_finished() for t in study.trials)


def test_stop_outside_optimize_raises() -> None:
    study = hpo.create_study()
    with pytest.raises(RuntimeError, match="inside optimize"):
        study.stop()
    study.optimize(quadratic, n_trials=1)
    with pytest.raises(RuntimeError):
        study.stop()


def test_a_stopped_study_can_optimize_again() -> None:
    study = hpo.create_study()
    study.optimize(quadratic, callbacks=[lambda s, t: s.stop()])
    study.optimize(quadratic, n_trials=2)
    assert len(study.trials) == 3


def test_callbacks_get_each_finished_trial_in_order() -> None:
    seen: list[tuple[int, TrialState]] = []
    study = hpo.create_study()

    def objective(trial: Trial) -> float:
        if trial.number == 1:
            raise hpo.TrialPruned()
        return quadratic(trial)

    study.optimize(
        objective,
        n_trials=3,
        callbacks=[lambda s, t: seen.append((t.number, t.state)), lambda s, t: seen.append((-1, t.state))],
    )
    assert seen == [
        (0, TrialState.COMPLETE),
        (-1, TrialState.COMPLETE),
        (1, TrialState.PRUNED),
        (-1, TrialState.PRUNED),
        (2, TrialState.COMPLETE),
        (-1, TrialState.COMPLETE),
    ]


def test_max_trials_callback_counts_the_whole_study() -> None:
    study = hpo.create_study()
    study.optimize(quadratic, n_trials=2)
    study.optimize(quadratic, n_trials=50, callbacks=[MaxTrialsCallback(5)])
    assert len(study.trials) == 5
    study.optimize(lambda t: 1 / 0, n_trials=10, catch=ZeroDivisionError, callbacks=[MaxTrialsCallback(7, None)])
    assert len(study.trials) == 7


def test_uncaught_exception_fails_the_trial_and_propagates() -> None:
    study = hpo.create_study()
    study.optimize(quadratic, n_trials=1)

    def objective(trial: Trial) -> float:
        trial.suggest_float("x", 0, 1)
        raise KeyError("missing")

    with pytest.raises(KeyError, match="missing"):
        study.optimize(objective, n_trials=5)
    assert [t.state for t in study.trials] == [TrialState.COMPLETE, TrialState.FAIL]
    assert "KeyError('missing')" in study.trials[1].system_attrs["fail_reason"]
    assert "x" in study.trials[1].params


@pytest.mark.parametrize("catch", [ValueError, (ValueError,), [KeyError, ValueError], (Exception,)])
def test_caught_exceptions_fail_the_trial_and_the_study_goes_on(catch: Any) -> None:
    study = hpo.create_study()

    def objective(trial: Trial) -> float:
        if trial.number % 2 == 0:
            raise ValueError(f"bad {trial.number}")
        return quadratic(trial)

    study.optimize(objective, n_trials=4, catch=catch)
    assert [t.state for t in study.trials] == [TrialState.FAIL, TrialState.COMPLETE] * 2
    assert "bad 2" in study.trials[2].system_attrs["fail_reason"]


def test_keyboard_interrupt_fails_the_trial_and_propagates() -> None:
    study = hpo.create_study()

    def objective(trial: Trial) -> float:
        raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        study.optimize(objective, n_trials=3, catch=(Exception,))
    assert [t.state for t in study.trials] == [TrialState.FAIL]


def test_exception_in_a_thread_stops_the_other_threads() -> None:
    study = hpo.create_study()

    def objective(trial: Trial) -> float:
        if trial.number == 3:
            raise RuntimeError("stop everything")
        time.sleep(0.001)
        return 0.0

    with pytest.raises(RuntimeError, match="stop everything"):
        study.optimize(objective, n_trials=1000, n_jobs=2)
    assert len(study.trials) < 1000
    assert all(t.state.is_finished() for t in study.trials)


@pytest.mark.parametrize("gc_after_trial", [True, False])
def test_gc_after_trial(gc_after_trial: bool) -> None:
    collections: list[int] = []

    def on_gc(phase: str, info: dict[str, int]) -> None:
        if phase == "start" and info["generation"] == 2:
            collections.append(1)

    study = hpo.create_study()
    gc.callbacks.append(on_gc)
    gc_was_enabled = gc.isenabled()
    gc.disable()  # only the collections optimize() asks for are counted
    try:
        study.optimize(quadratic, n_trials=3, gc_after_trial=gc_after_trial)
    finally:
        gc.callbacks.remove(on_gc)
        if gc_was_enabled:
            gc.enable()
    assert len(collections) == (3 if gc_after_trial else 0)


def test_progress_bar_does_not_break_optimize(capsys: pytest.CaptureFixture[str]) -> None:
    study = hpo.create_study()
    study.optimize(quadratic, n_trials=3, show_progress_bar=True)
    assert len(study.trials) == 3


# --- enqueue / add -------------------------------------------------------------------------------


def test_enqueued_trials_run_first_in_order() -> None:
    study = hpo.create_study()
    study.enqueue_trial({"x": 1.0})
    study.enqueue_trial({"x": 2.0}, user_attrs={"source": "expert"})
    assert [t.state for t in study.trials] == [TrialState.WAITING, TrialState.WAITING]
    study.optimize(quadratic, n_trials=3)
    trials = study.trials
    assert [t.params["x"] for t in trials[:2]] == [1.0, 2.0]
    assert trials[1].user_attrs == {"source": "expert"}
    assert all(t.state == TrialState.COMPLETE for t in trials)


def test_enqueue_partial_params_samples_the_rest() -> None:
    study = hpo.create_study()
    study.enqueue_trial({"x": 0.5})
    trial = study.ask()
    assert trial.suggest_float("x", 0, 1) == 0.5
    assert 0 <= trial.suggest_float("y", 0, 1) <= 1


def test_enqueue_out_of_range_value_is_used_with_a_warning() -> None:
    study = hpo.create_study()
    study.enqueue_trial({"x": 50.0})
    with pytest.warns(UserWarning, match="out of"):
        study.optimize(quadratic, n_trials=1)
    assert study.trials[0].params == {"x": 50.0}


def test_enqueue_skip_if_exists() -> None:
    study = hpo.create_study()
    study.enqueue_trial({"x": 1.0})
    study.enqueue_trial({"x": 1.0}, skip_if_exists=True)  # waiting: skipped
    study.optimize(quadratic, n_trials=1)
    study.enqueue_trial({"x": 1.0}, skip_if_exists=True)  # finished: skipped
    study.enqueue_trial({"x": 3.0}, skip_if_exists=True)
    study.enqueue_trial({"x": 1.0})  # without skip_if_exists: enqueued again
    assert [t.state for t in study.trials] == [TrialState.COMPLETE, TrialState.WAITING, TrialState.WAITING]


def test_each_waiting_trial_is_popped_once_with_threads() -> None:
    study = hpo.create_study()
    for i in range(20):
        study.enqueue_trial({"x": float(i) / 2})
    study.optimize(quadratic, n_trials=20, n_jobs=4)
    assert sorted(t.params["x"] for t in study.trials) == [i / 2 for i in range(20)]


def test_add_trial() -> None:
    study = hpo.create_study()
    study.add_trial(create_trial(value=4.0, params={"x": 0.0}, distributions={"x": FloatDistribution(-10, 10)}))
    study.add_trials(
        [
            create_trial(state=TrialState.PRUNED, intermediate_values={0: 1.0}),
            create_trial(state=TrialState.FAIL),
            create_trial(value=0.5, params={"x": 1.5}, distributions={"x": FloatDistribution(-10, 10)}),
        ]
    )
    assert [t.number for t in study.trials] == [0, 1, 2, 3]
    assert study.best_trial.number == 3 and study.best_params == {"x": 1.5}
    study.optimize(quadratic, n_trials=1)
    assert study.trials[-1].number == 4


def test_add_trial_rejects_inconsistent_trials() -> None:
    study = hpo.create_study()
    study.optimize(quadratic, n_trials=1)
    with pytest.raises(ValueError, match="2 values but the study has 1"):
        study.add_trial(create_trial(values=[1.0, 2.0]))
    with pytest.raises(ValueError, match="kind"):
        study.add_trial(create_trial(value=1.0, params={"x": 1}, distributions={"x": IntDistribution(0, 3)}))
    broken = create_trial(value=1.0)
    broken.state = TrialState.COMPLETE
    broken.values = None
    with pytest.raises(ValueError, match="needs a value"):
        study.add_trial(broken)
    assert len(study.trials) == 1


# --- best_* --------------------------------------------------------------------------------------


def test_best_before_any_complete_trial_raises() -> None:
    study = hpo.create_study()
    for attr in ("best_trial", "best_value", "best_params"):
        with pytest.raises(ValueError, match="No trial is completed"):
            getattr(study, attr)
    study.optimize(lambda t: 1 / 0, n_trials=1, catch=ZeroDivisionError)
    study.tell(study.ask(), state=TrialState.PRUNED)
    with pytest.raises(ValueError):
        _ = study.best_value
    assert study.best_trials == []


@pytest.mark.parametrize(("direction", "expected"), [("minimize", -3.0), ("maximize", 5.0)])
def test_best_follows_the_direction(direction: str, expected: float) -> None:
    study = hpo.create_study(direction=direction)
    for value in (1.0, 5.0, -3.0, 2.0):
        study.add_trial(create_trial(value=value, params={"v": value}, distributions={"v": FloatDistribution(-5, 5)}))
    study.add_trial(create_trial(state=TrialState.PRUNED, intermediate_values={0: -100.0}))
    assert study.best_value == expected
    assert study.best_params == {"v": expected}
    assert study.best_trials[0].value == expected


def test_best_trial_is_a_copy() -> None:
    study = hpo.create_study()
    study.optimize(quadratic, n_trials=2)
    best = study.best_trial
    best.params["x"] = 1000.0
    best.user_attrs["k"] = "v"
    assert study.best_trial.params["x"] != 1000.0 and study.best_trial.user_attrs == {}


def test_multi_objective_best_trials_is_the_pareto_front() -> None:
    study = hpo.create_study(directions=["minimize", "maximize"])
    for values in ([1.0, 1.0], [2.0, 3.0], [3.0, 2.0], [1.0, 0.5], [0.5, 0.5]):
        study.add_trial(create_trial(values=values))
    assert sorted(t.values for t in study.best_trials) == [[0.5, 0.5], [1.0, 1.0], [2.0, 3.0]]
    with pytest.raises(RuntimeError, match="best_trials"):
        _ = study.best_trial
    with pytest.raises(RuntimeError):
        _ = study.best_value


# --- attributes and dataframes ---------------------------------------------------------------


def test_study_attributes() -> None:
    study = hpo.create_study()
    study.set_user_attr("dataset", "mnist")
    study.set_user_attr("layers", [1, 2])
    study.set_system_attr("internal", {"a": 1})
    assert study.user_attrs == {"dataset": "mnist", "layers": [1, 2]}
    assert study.system_attrs == {"internal": {"a": 1}}
    study.user_attrs["dataset"] = "changed"
    assert study.user_attrs["dataset"] == "mnist"


def _study_for_dataframe() -> Study:
    study = hpo.create_study()

    def objective(trial: Trial) -> float:
        x = trial.suggest_float("x", -10, 10)
        if trial.number == 1:
            trial.suggest_categorical("kind", ["a", "b"])
            trial.set_user_attr("note", "second")
        trial.report(x, 0)
        return x

    study.optimize(objective, n_trials=3)
    return study


def test_trials_dataframe_default_columns() -> None:
    study = _study_for_dataframe()
    df = study.trials_dataframe()
    assert list(df.columns) == [
        "number",
        "value",
        "datetime_start",
        "datetime_complete",
        "duration",
        "params_kind",
        "params_x",
        "user_attrs_note",
        "state",
    ]
    assert list(df["number"]) == [0, 1, 2]
    assert list(df["state"]) == ["COMPLETE"] * 3
    assert list(df["params_x"]) == [t.params["x"] for t in study.trials]
    assert df["params_kind"].isna().tolist() == [True, False, True]
    assert pd.api.types.is_timedelta64_dtype(df["duration"])
    assert pd.api.types.is_datetime64_any_dtype(df["datetime_start"])


def test_trials_dataframe_attrs_and_multi_index() -> None:
    study = _study_for_dataframe()
    df = study.trials_dataframe(attrs=("number", "value", "intermediate_values", "system_attrs"))
    assert list(df.columns) == ["number", "value", "intermediate_values_0"]
    multi = study.trials_dataframe(attrs=("number", "params", "state"), multi_index=True)
    assert list(multi.columns) == [("number", ""), ("params", "kind"), ("params", "x"), ("state", "")]
    assert list(multi[("params", "x")]) == list(study.trials_dataframe()["params_x"])
    with pytest.raises(ValueError, match="Unknown attrs"):
        study.trials_dataframe(attrs=("number", "colour"))


def test_trials_dataframe_of_an_empty_study() -> None:
    assert hpo.create_study().trials_dataframe().empty


def test_trials_dataframe_multi_objective() -> None:
    study = hpo.create_study(directions=["minimize", "maximize"])
    study.optimize(lambda t: (t.suggest_float("x", 0, 1), 2.0), n_trials=2)
    study.ask()
    df = study.trials_dataframe()
    assert list(df.columns[:3]) == ["number", "values_0", "values_1"]
    assert list(df["values_1"][:2]) == [2.0, 2.0] and pd.isna(df["values_0"][2])
    assert list(study.trials_dataframe(attrs=("number", "value")).columns) == ["number", "values_0", "values_1"]
    multi = study.trials_dataframe(attrs=("values",), multi_index=True)
    assert list(multi.columns) == [("values", 0), ("values", 1)]
