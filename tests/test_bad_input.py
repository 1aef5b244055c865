"""Bad input gets an error that names the problem and the fix, and loses nothing already stored.

Each test starts from a study that already holds finished trials, on every storage backend
(``storage`` from conftest.py), and checks afterwards that those trials are still there, unchanged,
as read by a fresh connection.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

import hpo
from hpo.exceptions import DuplicatedStudyError, StorageURLError, StudyNotFoundError, UpdateFinishedTrialError
from hpo.storages import BaseStorage, RDBStorage
from hpo.trial import Trial, TrialState

hpo.logging.set_verbosity(hpo.logging.ERROR)

STUDY = "existing"


def good_objective(trial: Trial) -> float:
    x = trial.suggest_float("x", -5, 5)
    n = trial.suggest_int("n", 1, 100, log=True)
    c = trial.suggest_categorical("c", ["a", "b"])
    return x * x + n + (c == "a")


Snapshot = list[tuple[int, TrialState, Any, dict[str, Any], dict[str, Any]]]


def snapshot(storage: BaseStorage) -> Snapshot:
    """The study's trials as read through a fresh connection (the storage's caches are bypassed)."""
    fresh = RDBStorage(storage.url) if isinstance(storage, RDBStorage) else storage
    try:
        study = hpo.load_study(study_name=STUDY, storage=fresh)
        return [(t.number, t.state, t.values, t.params, t.system_attrs) for t in study.trials]
    finally:
        if fresh is not storage:
            fresh.close()


@pytest.fixture
def study(storage: BaseStorage) -> Iterator[hpo.Study]:
    study = hpo.create_study(study_name=STUDY, storage=storage)
    study.optimize(good_objective, n_trials=3)
    before = snapshot(storage)
    yield study
    after = snapshot(storage)
    assert after[: len(before)] == before, "trials stored before the bad input changed"


def failing_in_optimize(study: hpo.Study, objective: Callable[[Trial], Any], match: str) -> str:
    """Run a bad objective: the error propagates, the trial ends FAIL with the reason, then the study goes on."""
    n_before = len(study.trials)
    with pytest.raises(ValueError, match=match) as info:
        study.optimize(objective, n_trials=1)
    failed = study.trials[n_before]
    assert failed.state == TrialState.FAIL
    assert str(info.value) in failed.system_attrs["fail_reason"]
    study.optimize(good_objective, n_trials=1)
    assert study.trials[-1].state == TrialState.COMPLETE
    return str(info.value)


# --- distributions ---------------------------------------------------------------------------------


INVALID_DISTRIBUTIONS: list[tuple[Callable[[Trial], Any], str, str]] = [
    (lambda t: t.suggest_float("y", 5.0, 1.0), "low=5.0 > high=1.0", "Swap them"),
    (lambda t: t.suggest_int("k", 10, 2), "low=10 > high=2", "Swap them"),
    (lambda t: t.suggest_float("lr", 0.0, 1.0, log=True), "log=True needs low > 0", "positive low bound or log=False"),
    (lambda t: t.suggest_float("lr", -1.0, 1.0, log=True), "log=True needs low > 0", "positive low bound"),
    (lambda t: t.suggest_int("units", 0, 64, log=True), "log=True needs low >= 1", "Use low >= 1 or log=False"),
    (lambda t: t.suggest_float("y", 0.1, 1.0, log=True, step=0.1), "both log=True and a step", "Use either"),
    (lambda t: t.suggest_float("y", 0.0, 1.0, step=0.0), "step must be a positive number", "step=0.0"),
    (lambda t: t.suggest_categorical("opt", []), "at least one choice", "suggest_categorical('x', ['a', 'b'])"),
    (lambda t: t.suggest_categorical("opt", "adam"), "must be a list or tuple", "Wrap the values in a list"),
    (lambda t: t.suggest_categorical("layers", [[64, 32], [128]]), "Choice [64, 32] of type list", "Store a key"),
    (lambda t: t.suggest_categorical("cfg", [{"lr": 0.1}]), "type dict is not supported", "Store a key"),
    (lambda t: t.suggest_float("y", 0.0, math.inf), "must be a finite number", "inf"),
]


def test_invalid_distributions(study: hpo.Study) -> None:
    for objective, problem, fix in INVALID_DISTRIBUTIONS:
        message = failing_in_optimize(study, objective, ".")
        assert problem in message and fix in message, message


def test_step_that_does_not_divide_the_range_is_adjusted_with_a_warning(study: hpo.Study) -> None:
    with pytest.warns(UserWarning, match=r"\[0.0, 1.0\] is not divisible by step=0.3; high was adjusted to 0.9"):
        study.optimize(lambda t: t.suggest_float("y", 0.0, 1.0, step=0.3), n_trials=1)
    with pytest.warns(UserWarning, match=r"Choose high = low \+ k \* step"):
        study.optimize(lambda t: t.suggest_int("k", 0, 10, step=4), n_trials=1)
    assert [t.state for t in study.trials[-2:]] == [TrialState.COMPLETE] * 2
    assert study.trials[-2].params["y"] <= 0.9 and study.trials[-1].params["k"] in (0, 4, 8)


# --- one name, two distributions ---------------------------------------------------------------


def test_one_name_with_another_distribution_than_earlier_trials(study: hpo.Study) -> None:
    cases: list[tuple[Callable[[Trial], Any], str]] = [
        (lambda t: t.suggest_int("x", -5, 5), "kind of parameter 'x' from FloatDistribution to IntDistribution"),
        (lambda t: t.suggest_categorical("x", [1.0, 2.0]), "kind of parameter 'x' from FloatDistribution to CategoricalDistribution"),
        (lambda t: t.suggest_float("n", 1, 100), "kind of parameter 'n' from IntDistribution to FloatDistribution"),
        (lambda t: t.suggest_int("n", 1, 100), "parameter 'n' from log=True to log=False"),
        (lambda t: t.suggest_categorical("c", ["a", "b", "z"]), "choices of parameter 'c' from ['a', 'b'] to ['a', 'b', 'z']"),
        (lambda t: t.suggest_categorical("c", ["b", "a"]), "choices of parameter 'c' from ['a', 'b'] to ['b', 'a']"),
    ]
    for second, problem in cases:
        message = failing_in_optimize(study, second, "parameter '[xnc]'")
        assert problem in message and "Use a different parameter name" in message, message


def test_one_name_with_two_distributions_in_one_trial(study: hpo.Study) -> None:
    cases: list[tuple[Callable[[Trial], Any], Callable[[Trial], Any], str]] = [
        (lambda t: t.suggest_float("z", 0, 1), lambda t: t.suggest_int("z", 0, 1), "kind"),
        (lambda t: t.suggest_float("w", 0.1, 1), lambda t: t.suggest_float("w", 0.1, 1, log=True), "log"),
        (lambda t: t.suggest_categorical("v", [1, 2]), lambda t: t.suggest_categorical("v", [1, 3]), "choices"),
    ]
    for first, second, problem in cases:

        def objective(trial: Trial) -> float:
            first(trial)
            second(trial)
            return 0.0

        message = failing_in_optimize(study, objective, "parameter '[zwv]'")
        assert problem in message and "Use a different parameter name" in message, message
    assert [sorted(t.params) for t in study.trials[3::2]] == [["z"], ["w"], ["v"]]  # the first suggestions kept


# --- what the objective returns ------------------------------------------------------------------


def test_bad_return_values_fail_the_trial_and_the_study_goes_on(study: hpo.Study) -> None:
    cases: list[tuple[Any, str]] = [
        (None, "returned None; it must return a float"),
        (math.nan, "returned NaN"),
        ("0.5", "returned the string '0.5'"),
        ([1.0, 2.0], "returned 2 value(s) [1.0, 2.0] but the study has 1 direction(s)"),
        ([], "returned 0 value(s)"),
        (object(), "of type object, not a float"),
        ({"loss": 1.0}, "it must return a float"),
    ]

    def objective(trial: Trial) -> Any:
        good_objective(trial)
        return cases[(trial.number - 3) // 2][0] if trial.number % 2 == 0 else 1.0

    study.optimize(objective, n_trials=2 * len(cases))  # no exception: the study goes on
    trials = study.trials[3:]
    assert [t.state for t in trials] == [TrialState.COMPLETE, TrialState.FAIL] * len(cases)
    for trial, (returned, reason) in zip(trials[1::2], cases):
        assert reason in trial.system_attrs["fail_reason"], (returned, trial.system_attrs["fail_reason"])
        assert trial.values is None and set(trial.params) == {"x", "n", "c"}


def test_bad_return_values_of_a_multi_objective_study(tmp_path: Path) -> None:
    cases: list[tuple[Any, str]] = [
        (1.0, "returned 1 value(s) [1.0] but the study has 2 direction(s); it must return a sequence of 2 floats"),
        ((1.0, 2.0, 3.0), "returned 3 value(s)"),
        ((1.0, math.nan), "NaN"),
        ((1.0, None), "returned None of type NoneType"),
    ]
    study = hpo.create_study(directions=["minimize", "maximize"], storage=f"sqlite:///{tmp_path / 'm.db'}")
    study.optimize(lambda t: (1.0, 2.0), n_trials=1)
    study.optimize(lambda t: cases[t.number - 1][0], n_trials=len(cases))
    assert [t.state for t in study.trials] == [TrialState.COMPLETE] + [TrialState.FAIL] * len(cases)
    for trial, (_, reason) in zip(study.trials[1:], cases):
        assert reason in trial.system_attrs["fail_reason"], trial.system_attrs["fail_reason"]
    assert study.trials[0].values == [1.0, 2.0]


def test_bad_value_told_with_ask_and_tell(study: hpo.Study) -> None:
    trial = study.ask()
    frozen = study.tell(trial, "high")
    assert frozen.state == TrialState.FAIL and "string 'high'" in frozen.system_attrs["fail_reason"]


# --- studies and storages --------------------------------------------------------------------


def test_unknown_study_name_lists_the_existing_ones(study: hpo.Study, storage: BaseStorage) -> None:
    hpo.create_study(study_name="other", storage=storage)
    with pytest.raises(StudyNotFoundError) as info:
        hpo.load_study(study_name="existng", storage=storage)
    message = str(info.value)
    assert "No study named 'existng'" in message and "'existing', 'other'" in message
    assert "create it with create_study()" in message
    with pytest.raises(KeyError):  # as in Optuna, code that catches KeyError still works
        hpo.load_study(study_name="existng", storage=storage)


def test_duplicate_study_name_without_load_if_exists(study: hpo.Study, storage: BaseStorage) -> None:
    with pytest.raises(DuplicatedStudyError, match="'existing' already exists. Pass load_if_exists=True"):
        hpo.create_study(study_name=STUDY, storage=storage, direction="maximize")
    assert hpo.load_study(study_name=STUDY, storage=storage).direction == hpo.study.StudyDirection.MINIMIZE
    assert hpo.get_all_study_names(storage).count(STUDY) == 1


MALFORMED_URLS = [
    ("sqlite//hpo.db", "is not a database URL", "note the '://'"),
    ("sqlite:/hpo.db", "is not a database URL", "sqlite:///hpo.db"),
    ("mongodb://localhost/db", "uses the database 'mongodb', which hpo does not support", "Use SQLite"),
    ("postgresql+psycopg://user:pw@localhost", "names no database", "add '/dbname'"),
    ("sqlite:////no/such/directory/hpo.db", "which does not exist", "Create the directory first"),
]


def test_malformed_storage_urls(study: hpo.Study) -> None:
    for url, problem, fix in MALFORMED_URLS:
        with pytest.raises(StorageURLError) as info:
            hpo.create_study(study_name="new", storage=url)
        message = str(info.value)
        assert problem in message and fix in message, message
        assert "pw" not in message  # passwords are not echoed
        with pytest.raises(ValueError):  # StorageURLError is a ValueError
            hpo.load_study(study_name=STUDY, storage=url)


def test_storage_of_the_wrong_type(study: hpo.Study) -> None:
    with pytest.raises(TypeError, match="storage must be a URL string.*sqlite:///hpo.db"):
        hpo.create_study(storage=42)  # type: ignore[arg-type]


# --- finished trials ---------------------------------------------------------------------------


def test_tell_on_a_finished_trial(study: hpo.Study) -> None:
    trial = study.ask()
    study.tell(trial, 1.0)
    for again in (lambda: study.tell(trial, 2.0), lambda: study.tell(trial.number, state=TrialState.FAIL)):
        with pytest.raises(UpdateFinishedTrialError) as info:
            again()
        message = str(info.value)
        assert f"Trial {trial.number} is already finished (COMPLETE)" in message
        assert "skip_if_finished=True" in message
    assert study.trials[-1].value == 1.0 and study.trials[-1].state == TrialState.COMPLETE


def test_tell_on_a_trial_that_does_not_exist(study: hpo.Study) -> None:
    with pytest.raises(KeyError, match="no trial number 99"):
        study.tell(99, 1.0)


def test_tell_with_a_state_that_does_not_finish(study: hpo.Study) -> None:
    trial = study.ask()
    with pytest.raises(ValueError, match="COMPLETE, PRUNED or FAIL, not RUNNING"):
        study.tell(trial, state=TrialState.RUNNING)
    assert study.tell(trial, 0.5).state == TrialState.COMPLETE


def test_finished_trials_cannot_be_changed_through_the_storage(study: hpo.Study, storage: BaseStorage) -> None:
    finished = study.trials[0]
    changes: list[Callable[[], Any]] = [
        lambda: storage.set_trial_user_attr(finished._trial_id, "k", 1),
        lambda: storage.set_trial_intermediate_value(finished._trial_id, 0, 1.0),
        lambda: storage.set_trial_state_values(finished._trial_id, TrialState.FAIL),
    ]
    for change in changes:
        with pytest.raises(UpdateFinishedTrialError, match="cannot be updated"):
            change()
