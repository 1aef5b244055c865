"""The storage contract: what every :class:`~hpo.storages.BaseStorage` must do, as a pytest suite."""

from __future__ import annotations

import datetime
import functools
import math
import threading
from collections.abc import Callable, Iterator
from typing import Any, ClassVar

import pytest

from hpo.distributions import CategoricalDistribution, FloatDistribution, IntDistribution
from hpo.exceptions import DuplicatedStudyError, StudyNotFoundError, TrialNotFoundError, UpdateFinishedTrialError
from hpo.storages import BaseStorage
from hpo.study import StudyDirection
from hpo.trial import FrozenTrial, TrialState, create_trial

MIN = [StudyDirection.MINIMIZE]
MAX = [StudyDirection.MAXIMIZE]
FINISHED = (TrialState.COMPLETE, TrialState.PRUNED, TrialState.FAIL)
X = FloatDistribution(-10.0, 10.0)


def finish(storage: BaseStorage, trial_id: int, state: TrialState = TrialState.COMPLETE, value: float = 1.0) -> None:
    """End a trial in ``state`` (with ``value`` if COMPLETE)."""
    assert storage.set_trial_state_values(trial_id, state, [value] if state == TrialState.COMPLETE else None)


def add_waiting_trial(storage: BaseStorage, study_id: int) -> int:
    """A WAITING trial, as ``enqueue_trial`` makes them; its id."""
    template = FrozenTrial(
        number=-1,
        state=TrialState.WAITING,
        value=None,
        datetime_start=None,
        datetime_complete=None,
        params={},
        distributions={},
        user_attrs={},
        system_attrs={"fixed_params": {"x": 1.0}},
        intermediate_values={},
        trial_id=-1,
    )
    return storage.create_new_trial(study_id, template_trial=template)


def _comparable(value: Any) -> Any:
    """``value`` with NaN, which equals nothing, replaced by a marker."""
    if isinstance(value, float) and math.isnan(value):
        return "NaN"
    if isinstance(value, dict):
        return {k: _comparable(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_comparable(v) for v in value]
    return value


def _close_in_time(a: datetime.datetime | None, b: datetime.datetime | None, tolerance: datetime.timedelta) -> bool:
    if a is None or b is None:
        return a is b
    return abs(a - b) <= tolerance


def assert_same_contents(
    storage: BaseStorage, other: BaseStorage, datetime_tolerance: datetime.timedelta = datetime.timedelta(0)
) -> None:
    """``storage`` and ``other`` hold the same studies and trials (datetimes up to ``datetime_tolerance``)."""
    studies = sorted(storage.get_all_studies(), key=lambda s: s.study_id)
    assert sorted(other.get_all_studies(), key=lambda s: s.study_id) == studies
    for study in studies:
        trials = storage.get_all_trials(study.study_id, deepcopy=False)
        others = other.get_all_trials(study.study_id, deepcopy=False)
        assert [t.trial_id for t in others] == [t.trial_id for t in trials], study.study_name
        for mine, theirs in zip(trials, others):
            where = f"{study.study_name}, trial {mine.number}"
            assert (theirs.number, theirs.state, theirs.values) == (mine.number, mine.state, mine.values), where
            assert (theirs.params, theirs.distributions) == (mine.params, mine.distributions), where
            assert (theirs.user_attrs, theirs.system_attrs) == (mine.user_attrs, mine.system_attrs), where
            assert _comparable(theirs.intermediate_values) == _comparable(mine.intermediate_values), where
            for name in ("datetime_start", "datetime_complete"):
                mine_at, theirs_at = getattr(mine, name), getattr(theirs, name)
                assert _close_in_time(mine_at, theirs_at, datetime_tolerance), (where, name, mine_at, theirs_at)


def _then_check_reopened(contract: type[StorageContract]) -> type[StorageContract]:
    """``contract`` with each of its tests ending in :meth:`StorageContract.check_reopened`."""

    def checked(test: Callable[..., None]) -> Callable[..., None]:
        @functools.wraps(test)  # keeps the signature pytest reads and the parametrize marks
        def run(self: StorageContract, storage: BaseStorage, **kwargs: Any) -> None:
            test(self, storage, **kwargs)
            self.check_reopened(storage)

        return run

    for name, test in list(vars(contract).items()):
        if name.startswith("test_"):
            setattr(contract, name, checked(test))
    return contract


@_then_check_reopened
class StorageContract:
    """The contract every storage keeps; subclass it as ``Test...`` and implement :meth:`make_storage`.

    Each test gets a new storage from the ``storage`` fixture, which calls :meth:`make_storage` and
    closes the storage afterwards; override the fixture itself when the storage needs other fixtures
    (``tmp_path``) or parameters. When :meth:`reopen` gives a second view of the same data, every
    test ends by checking that this view holds the same studies and trials.
    """

    #: How far the reopened view's datetimes may be from the storage's (one that writes behind
    #: stamps its copy's times itself).
    datetime_tolerance: ClassVar[datetime.timedelta] = datetime.timedelta(0)

    def make_storage(self) -> BaseStorage:
        """A new storage with no studies."""
        raise NotImplementedError(f"{type(self).__name__} must implement make_storage() or the storage fixture.")

    def reopen(self, storage: BaseStorage) -> BaseStorage | None:
        """A new storage on the data of ``storage`` once all its writes are visible (e.g. a fresh
        ``get_storage(url)`` after a flush), or None where there is no such view (memory)."""
        return None

    @pytest.fixture
    def storage(self) -> Iterator[BaseStorage]:
        made = self.make_storage()
        yield made
        made.close()

    def check_reopened(self, storage: BaseStorage) -> None:
        """Unless :meth:`reopen` gives None: its view of ``storage`` holds the same studies and trials."""
        reopened = self.reopen(storage)
        if reopened is None:
            return
        try:
            assert_same_contents(storage, reopened, self.datetime_tolerance)
        finally:
            reopened.close()

    # --- studies ----------------------------------------------------------------------------------
    def test_create_study_and_look_it_up(self, storage: BaseStorage) -> None:
        a = storage.create_new_study(MIN, "a")
        b = storage.create_new_study(MAX)
        assert a != b
        assert storage.get_study_name_from_id(a) == "a"
        assert storage.get_study_id_from_name("a") == a
        generated = storage.get_study_name_from_id(b)
        assert generated.startswith("no-name-")
        assert storage.get_study_id_from_name(generated) == b

    def test_duplicate_study_name_raises_and_changes_nothing(self, storage: BaseStorage) -> None:
        study_id = storage.create_new_study(MIN, "dup")
        with pytest.raises(DuplicatedStudyError, match="load_if_exists"):
            storage.create_new_study(MAX, "dup")
        assert [s.study_name for s in storage.get_all_studies()] == ["dup"]
        assert storage.get_study_directions(study_id) == MIN

    def test_unknown_study_name_lists_existing_names(self, storage: BaseStorage) -> None:
        storage.create_new_study(MIN, "alpha")
        storage.create_new_study(MIN, "beta")
        with pytest.raises(StudyNotFoundError) as info:
            storage.get_study_id_from_name("gamma")
        assert "'gamma'" in str(info.value) and "'alpha'" in str(info.value) and "'beta'" in str(info.value)

    @pytest.mark.parametrize(
        "call",
        [
            lambda s, i: s.get_study_name_from_id(i),
            lambda s, i: s.get_study_directions(i),
            lambda s, i: s.get_study_user_attrs(i),
            lambda s, i: s.get_study_system_attrs(i),
            lambda s, i: s.set_study_user_attr(i, "k", 1),
            lambda s, i: s.set_study_system_attr(i, "k", 1),
            lambda s, i: s.delete_study(i),
            lambda s, i: s.create_new_trial(i),
            lambda s, i: s.get_all_trials(i),
            lambda s, i: s.get_n_trials(i),
            lambda s, i: s.get_trial_id_from_study_id_trial_number(i, 0),
            lambda s, i: s.get_best_trial(i),
        ],
    )
    def test_unknown_study_id_raises(self, storage: BaseStorage, call: Callable[[BaseStorage, int], Any]) -> None:
        study_id = storage.create_new_study(MIN, "only")
        with pytest.raises(StudyNotFoundError):
            call(storage, study_id + 1000)

    def test_directions(self, storage: BaseStorage) -> None:
        single = storage.create_new_study(MAX, "single")
        multi = storage.create_new_study([StudyDirection.MINIMIZE, StudyDirection.MAXIMIZE, StudyDirection.MINIMIZE])
        assert storage.get_study_directions(single) == MAX
        assert storage.get_study_directions(multi) == [
            StudyDirection.MINIMIZE,
            StudyDirection.MAXIMIZE,
            StudyDirection.MINIMIZE,
        ]

    @pytest.mark.parametrize("kind", ["user", "system"])
    def test_study_attrs_hold_json_values_and_are_copies(self, storage: BaseStorage, kind: str) -> None:
        study_id = storage.create_new_study(MIN, "attrs")
        set_attr = getattr(storage, f"set_study_{kind}_attr")
        get_attrs = getattr(storage, f"get_study_{kind}_attrs")
        assert get_attrs(study_id) == {}
        values: dict[str, Any] = {"none": None, "bool": True, "int": 3, "float": 0.5, "str": "s", "list": [1, "a"]}
        values["dict"] = {"a": [1, {}]}
        for key, value in values.items():
            set_attr(study_id, key, value)
        set_attr(study_id, "int", 4)
        assert get_attrs(study_id) == {**values, "int": 4}
        got = get_attrs(study_id)
        got["dict"]["a"].append(2)
        assert get_attrs(study_id)["dict"] == {"a": [1, {}]}

    def test_get_all_studies(self, storage: BaseStorage) -> None:
        assert storage.get_all_studies() == []
        a = storage.create_new_study(MIN, "a")
        b = storage.create_new_study([StudyDirection.MAXIMIZE, StudyDirection.MINIMIZE], "b")
        storage.set_study_user_attr(b, "u", [1])
        storage.set_study_system_attr(b, "s", {"k": "v"})
        studies = {s.study_name: s for s in storage.get_all_studies()}
        assert set(studies) == {"a", "b"}
        assert studies["a"].study_id == a and studies["a"].directions == MIN
        assert studies["a"].user_attrs == {} and studies["a"].system_attrs == {}
        assert studies["b"].study_id == b
        assert studies["b"].directions == [StudyDirection.MAXIMIZE, StudyDirection.MINIMIZE]
        assert studies["b"].user_attrs == {"u": [1]} and studies["b"].system_attrs == {"s": {"k": "v"}}

    def test_delete_study_removes_its_trials_only(self, storage: BaseStorage) -> None:
        doomed = storage.create_new_study(MIN, "doomed")
        kept = storage.create_new_study(MIN, "kept")
        doomed_trial = storage.create_new_trial(doomed)
        storage.set_trial_param(doomed_trial, "x", 1.0, X)
        storage.set_trial_user_attr(doomed_trial, "u", 1)
        storage.set_trial_intermediate_value(doomed_trial, 0, 1.0)
        finish(storage, doomed_trial)
        storage.set_study_user_attr(doomed, "u", 1)
        storage.get_all_trials(doomed)  # fills any cache
        kept_trial = storage.create_new_trial(kept)

        storage.delete_study(doomed)

        with pytest.raises(StudyNotFoundError):
            storage.get_study_id_from_name("doomed")
        with pytest.raises(StudyNotFoundError):
            storage.get_all_trials(doomed)
        with pytest.raises(TrialNotFoundError):
            storage.get_trial(doomed_trial)
        assert [t.trial_id for t in storage.get_all_trials(kept)] == [kept_trial]
        again = storage.create_new_study(MAX, "doomed")  # the name is free again, and the new study is empty
        assert storage.get_all_trials(again) == [] and storage.get_study_user_attrs(again) == {}

    # --- trials -----------------------------------------------------------------------------------
    def test_new_trial_is_running_and_numbered_per_study(self, storage: BaseStorage) -> None:
        a = storage.create_new_study(MIN, "a")
        b = storage.create_new_study(MIN, "b")
        before = datetime.datetime.now()
        a_ids = [storage.create_new_trial(a) for _ in range(3)]
        b_id = storage.create_new_trial(b)
        assert [storage.get_trial(i).number for i in a_ids] == [0, 1, 2]
        assert storage.get_trial(b_id).number == 0
        trial = storage.get_trial(a_ids[0])
        assert trial.state == TrialState.RUNNING and trial.trial_id == a_ids[0]
        assert trial.datetime_start is not None and before - datetime.timedelta(seconds=1) <= trial.datetime_start
        assert trial.datetime_complete is None and trial.values is None
        assert trial.params == {} and trial.distributions == {} and trial.intermediate_values == {}
        assert trial.user_attrs == {} and trial.system_attrs == {}
        for number, trial_id in enumerate(a_ids):
            assert storage.get_trial_id_from_study_id_trial_number(a, number) == trial_id
            assert storage.get_trial_number_from_id(trial_id) == number

    def test_unknown_trial_raises(self, storage: BaseStorage) -> None:
        study_id = storage.create_new_study(MIN, "s")
        trial_id = storage.create_new_trial(study_id)
        missing = trial_id + 1000
        with pytest.raises(TrialNotFoundError):
            storage.get_trial_id_from_study_id_trial_number(study_id, 1)
        for call in (
            lambda: storage.get_trial(missing),
            lambda: storage.get_trial_number_from_id(missing),
            lambda: storage.set_trial_param(missing, "x", 1.0, X),
            lambda: storage.set_trial_state_values(missing, TrialState.COMPLETE, [1.0]),
            lambda: storage.set_trial_intermediate_value(missing, 0, 1.0),
            lambda: storage.set_trial_user_attr(missing, "k", 1),
            lambda: storage.set_trial_system_attr(missing, "k", 1),
        ):
            with pytest.raises(TrialNotFoundError):
                call()

    def test_params_round_trip(self, storage: BaseStorage) -> None:
        study_id = storage.create_new_study(MIN, "s")
        trial_id = storage.create_new_trial(study_id)
        cat = CategoricalDistribution([None, True, 2, 2.5, "s"])
        storage.set_trial_param(trial_id, "x", 0.25, X)
        storage.set_trial_param(trial_id, "n", 3.0, IntDistribution(1, 8, log=True))
        storage.set_trial_param(trial_id, "c", 4.0, cat)
        storage.set_trial_param(trial_id, "none", 0.0, cat)
        trial = storage.get_trial(trial_id)
        assert trial.params == {"x": 0.25, "n": 3, "c": "s", "none": None}
        assert isinstance(trial.params["n"], int)
        assert list(trial.params) == ["x", "n", "c", "none"]  # in the order they were suggested
        assert trial.distributions == {"x": X, "n": IntDistribution(1, 8, log=True), "c": cat, "none": cat}
        assert storage.get_trial_param(trial_id, "c") == 4.0
        assert storage.get_trial_params(trial_id) == trial.params

    @pytest.mark.parametrize(
        "first, second",
        [
            (FloatDistribution(0, 1), IntDistribution(0, 1)),
            (FloatDistribution(1, 2), FloatDistribution(1, 2, log=True)),
            (CategoricalDistribution(["a", "b"]), CategoricalDistribution(["a", "c"])),
        ],
    )
    def test_incompatible_distribution_raises_and_stores_nothing(
        self, storage: BaseStorage, first: Any, second: Any
    ) -> None:
        study_id = storage.create_new_study(MIN, "s")
        old = storage.create_new_trial(study_id)
        storage.set_trial_param(old, "p", 1.0, first)
        new = storage.create_new_trial(study_id)
        with pytest.raises(ValueError, match="(?i)cannot change"):
            storage.set_trial_param(new, "p", 0.0, second)
        with pytest.raises(ValueError, match="(?i)cannot change"):  # same trial too
            storage.set_trial_param(old, "p", 0.0, second)
        assert storage.get_trial(new).params == {}
        assert storage.get_trial(old).params == {"p": first.to_external_repr(1.0)}
        other_study = storage.create_new_study(MIN, "other")  # another study may use its own distribution
        storage.set_trial_param(storage.create_new_trial(other_study), "p", 0.0, second)

    def test_compatible_distribution_with_other_range_is_accepted(self, storage: BaseStorage) -> None:
        study_id = storage.create_new_study(MIN, "s")
        storage.set_trial_param(storage.create_new_trial(study_id), "x", 0.5, FloatDistribution(0, 1))
        trial_id = storage.create_new_trial(study_id)
        storage.set_trial_param(trial_id, "x", 5.0, FloatDistribution(0, 10))
        assert storage.get_trial(trial_id).distributions["x"] == FloatDistribution(0, 10)

    @pytest.mark.parametrize("values", [[1.5], [math.inf], [-math.inf], [0.0, -math.inf, math.inf, -2.5]])
    def test_values_round_trip(self, storage: BaseStorage, values: list[float]) -> None:
        study_id = storage.create_new_study([StudyDirection.MINIMIZE] * len(values), "s")
        trial_id = storage.create_new_trial(study_id)
        before = datetime.datetime.now() - datetime.timedelta(seconds=1)
        assert storage.set_trial_state_values(trial_id, TrialState.COMPLETE, values)
        trial = storage.get_trial(trial_id)
        assert trial.values == values and trial.state == TrialState.COMPLETE
        assert trial.datetime_complete is not None and trial.datetime_complete >= before
        assert storage.get_all_trials(study_id)[0].values == values

    def test_intermediate_values_round_trip(self, storage: BaseStorage) -> None:
        study_id = storage.create_new_study(MIN, "s")
        trial_id = storage.create_new_trial(study_id)
        reported = {0: 1.0, 3: math.inf, 1: -math.inf, 2: math.nan, 7: -0.5}
        for step, value in reported.items():
            storage.set_trial_intermediate_value(trial_id, step, value)
        storage.set_trial_intermediate_value(trial_id, 0, 0.75)  # overwrite
        got = storage.get_trial(trial_id).intermediate_values
        assert set(got) == {0, 1, 2, 3, 7}
        assert got[0] == 0.75 and got[1] == -math.inf and math.isnan(got[2]) and got[3] == math.inf and got[7] == -0.5

    @pytest.mark.parametrize("kind", ["user", "system"])
    def test_trial_attrs_hold_json_values(self, storage: BaseStorage, kind: str) -> None:
        study_id = storage.create_new_study(MIN, "s")
        trial_id = storage.create_new_trial(study_id)
        set_attr = getattr(storage, f"set_trial_{kind}_attr")
        values = {"none": None, "float": 1.5, "str": "s", "nested": {"a": [1, 2, {"b": None}]}}
        for key, value in values.items():
            set_attr(trial_id, key, value)
        set_attr(trial_id, "str", "t")
        assert getattr(storage.get_trial(trial_id), f"{kind}_attrs") == {**values, "str": "t"}

    @pytest.mark.parametrize("state", FINISHED)
    def test_finished_trial_is_immutable(self, storage: BaseStorage, state: TrialState) -> None:
        study_id = storage.create_new_study(MIN, "s")
        trial_id = storage.create_new_trial(study_id)
        storage.set_trial_param(trial_id, "x", 1.0, X)
        storage.set_trial_intermediate_value(trial_id, 0, 2.0)
        storage.set_trial_user_attr(trial_id, "u", 1)
        storage.set_trial_system_attr(trial_id, "s", 1)
        finish(storage, trial_id, state)
        before = storage.get_trial(trial_id)
        for call in (
            lambda: storage.set_trial_param(trial_id, "y", 1.0, X),
            lambda: storage.set_trial_param(trial_id, "x", 2.0, X),
            lambda: storage.set_trial_state_values(trial_id, TrialState.COMPLETE, [3.0]),
            lambda: storage.set_trial_state_values(trial_id, TrialState.RUNNING),
            lambda: storage.set_trial_state_values(trial_id, TrialState.FAIL),
            lambda: storage.set_trial_intermediate_value(trial_id, 1, 1.0),
            lambda: storage.set_trial_intermediate_value(trial_id, 0, 1.0),
            lambda: storage.set_trial_user_attr(trial_id, "u", 2),
            lambda: storage.set_trial_system_attr(trial_id, "s", 2),
        ):
            with pytest.raises(UpdateFinishedTrialError, match="Trial#0"):
                call()
        assert storage.get_trial(trial_id) == before
        assert storage.get_all_trials(study_id) == [before]

    def test_popping_a_waiting_trial_succeeds_once(self, storage: BaseStorage) -> None:
        study_id = storage.create_new_study(MIN, "s")
        trial_id = add_waiting_trial(storage, study_id)
        waiting = storage.get_trial(trial_id)
        assert waiting.state == TrialState.WAITING and waiting.datetime_start is None
        assert storage.set_trial_state_values(trial_id, TrialState.RUNNING)
        assert not storage.set_trial_state_values(trial_id, TrialState.RUNNING)
        running = storage.get_trial(trial_id)
        assert running.state == TrialState.RUNNING and running.datetime_start is not None
        assert running.system_attrs == {"fixed_params": {"x": 1.0}}
        plain = storage.create_new_trial(study_id)  # RUNNING from the start: not poppable either
        assert not storage.set_trial_state_values(plain, TrialState.RUNNING)

    def test_popping_a_waiting_trial_is_atomic_across_threads(self, storage: BaseStorage) -> None:
        study_id = storage.create_new_study(MIN, "s")
        trial_ids = [add_waiting_trial(storage, study_id) for _ in range(3)]
        barrier = threading.Barrier(6)
        wins: list[int] = []

        def pop() -> None:
            barrier.wait()
            for trial_id in trial_ids:
                if storage.set_trial_state_values(trial_id, TrialState.RUNNING):
                    wins.append(trial_id)

        threads = [threading.Thread(target=pop) for _ in range(6)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        assert sorted(wins) == sorted(trial_ids)

    def test_get_all_trials_filters_by_state_in_number_order(self, storage: BaseStorage) -> None:
        study_id = storage.create_new_study(MIN, "s")
        states = [TrialState.COMPLETE, TrialState.RUNNING, TrialState.PRUNED, TrialState.FAIL, TrialState.WAITING]
        for state in states:
            if state == TrialState.WAITING:
                add_waiting_trial(storage, study_id)
                continue
            trial_id = storage.create_new_trial(study_id)
            if state != TrialState.RUNNING:
                finish(storage, trial_id, state)
        trials = storage.get_all_trials(study_id)
        assert [t.number for t in trials] == [0, 1, 2, 3, 4]
        assert [t.state for t in trials] == states
        assert [t.number for t in storage.get_all_trials(study_id, states=(TrialState.COMPLETE,))] == [0]
        assert [t.number for t in storage.get_all_trials(study_id, states=FINISHED)] == [0, 2, 3]
        unfinished = storage.get_all_trials(study_id, states=[TrialState.WAITING, TrialState.RUNNING])
        assert [t.number for t in unfinished] == [1, 4]
        assert storage.get_all_trials(study_id, states=()) == []

    def test_get_all_trials_sees_updates_of_unfinished_trials(self, storage: BaseStorage) -> None:
        study_id = storage.create_new_study(MIN, "s")
        first = storage.create_new_trial(study_id)
        assert storage.get_all_trials(study_id)[0].params == {}
        storage.set_trial_param(first, "x", 1.0, X)
        storage.set_trial_intermediate_value(first, 0, 0.5)
        second = storage.create_new_trial(study_id)
        trials = storage.get_all_trials(study_id)
        assert [t.trial_id for t in trials] == [first, second]
        assert trials[0].params == {"x": 1.0} and trials[0].intermediate_values == {0: 0.5}
        finish(storage, first, value=4.0)
        trials = storage.get_all_trials(study_id, deepcopy=False)
        assert trials[0].state == TrialState.COMPLETE and trials[0].value == 4.0
        assert trials[1].state == TrialState.RUNNING

    def test_returned_trials_are_copies(self, storage: BaseStorage) -> None:
        study_id = storage.create_new_study(MIN, "s")
        trial_id = storage.create_new_trial(study_id)
        storage.set_trial_param(trial_id, "x", 1.0, X)
        storage.set_trial_user_attr(trial_id, "u", [1])
        finish(storage, trial_id)
        stored = storage.get_trial(trial_id)

        got = storage.get_trial(trial_id)
        got.params["x"] = 99.0
        got.user_attrs["u"].append(2)
        copied = storage.get_all_trials(study_id)[0]
        copied.params["x"] = 98.0
        copied.user_attrs["u"].append(3)
        copied.state = TrialState.FAIL
        assert storage.get_trial(trial_id) == stored
        shared = storage.get_all_trials(study_id, deepcopy=False)
        assert shared == [stored]
        assert storage.get_all_trials(study_id, deepcopy=False) == shared

    @pytest.mark.parametrize("directions", [MIN, MAX])
    def test_best_trial(self, storage: BaseStorage, directions: list[StudyDirection]) -> None:
        study_id = storage.create_new_study(directions, "s")
        for value in (3.0, -1.0, 7.0, -1.0, 2.0):
            finish(storage, storage.create_new_trial(study_id), value=value)
        pruned = storage.create_new_trial(study_id)
        storage.set_trial_state_values(pruned, TrialState.PRUNED, [-100.0])  # only COMPLETE trials count
        storage.create_new_trial(study_id)  # RUNNING
        best = storage.get_best_trial(study_id)
        if directions == MIN:
            assert best.number == 1 and best.value == -1.0  # the first of two equal values
        else:
            assert best.number == 2 and best.value == 7.0

    @pytest.mark.parametrize("directions, expected", [(MIN, -math.inf), (MAX, math.inf)])
    def test_best_trial_with_infinities(
        self, storage: BaseStorage, directions: list[StudyDirection], expected: float
    ) -> None:
        study_id = storage.create_new_study(directions, "s")
        for value in (1.0, math.inf, -math.inf, 0.0):
            finish(storage, storage.create_new_trial(study_id), value=value)
        assert storage.get_best_trial(study_id).value == expected

    def test_best_trial_errors(self, storage: BaseStorage) -> None:
        study_id = storage.create_new_study(MIN, "s")
        with pytest.raises(ValueError, match="No trial is completed"):
            storage.get_best_trial(study_id)
        finish(storage, storage.create_new_trial(study_id), TrialState.FAIL)
        with pytest.raises(ValueError, match="No trial is completed"):
            storage.get_best_trial(study_id)
        multi = storage.create_new_study([StudyDirection.MINIMIZE, StudyDirection.MAXIMIZE], "m")
        trial_id = storage.create_new_trial(multi)
        storage.set_trial_state_values(trial_id, TrialState.COMPLETE, [1.0, 2.0])
        with pytest.raises(RuntimeError, match="best_trials"):
            storage.get_best_trial(multi)

    def test_n_trials(self, storage: BaseStorage) -> None:
        study_id = storage.create_new_study(MIN, "s")
        other = storage.create_new_study(MIN, "other")
        assert storage.get_n_trials(study_id) == 0
        storage.create_new_trial(other)
        for state in (TrialState.COMPLETE, TrialState.COMPLETE, TrialState.FAIL, TrialState.RUNNING):
            trial_id = storage.create_new_trial(study_id)
            if state != TrialState.RUNNING:
                finish(storage, trial_id, state)
        assert storage.get_n_trials(study_id) == 4
        assert storage.get_n_trials(study_id, TrialState.COMPLETE) == 2
        assert storage.get_n_trials(study_id, (TrialState.COMPLETE, TrialState.FAIL)) == 3
        assert storage.get_n_trials(study_id, TrialState.WAITING) == 0

    def test_template_trial_is_copied_with_a_new_number(self, storage: BaseStorage) -> None:
        study_id = storage.create_new_study([StudyDirection.MINIMIZE, StudyDirection.MAXIMIZE], "s")
        storage.create_new_trial(study_id)
        template = create_trial(
            values=[1.0, -math.inf],
            params={"x": 2.5, "c": "b", "n": 4},
            distributions={"x": X, "c": CategoricalDistribution(["a", "b"]), "n": IntDistribution(0, 10)},
            user_attrs={"u": {"a": 1}},
            system_attrs={"s": [1, 2]},
            intermediate_values={0: 1.0, 1: math.inf},
        )
        trial_id = storage.create_new_trial(study_id, template_trial=template)
        trial = storage.get_trial(trial_id)
        assert trial.number == 1 and trial.trial_id == trial_id
        assert trial.state == TrialState.COMPLETE and trial.values == [1.0, -math.inf]
        assert trial.params == template.params and trial.distributions == template.distributions
        assert trial.user_attrs == template.user_attrs and trial.system_attrs == template.system_attrs
        assert trial.intermediate_values == template.intermediate_values
        assert trial.datetime_start == template.datetime_start
        assert trial.datetime_complete == template.datetime_complete
        assert template.number == -1  # the template itself is untouched

    def test_template_trial_with_incompatible_distribution_is_refused(self, storage: BaseStorage) -> None:
        study_id = storage.create_new_study(MIN, "s")
        storage.set_trial_param(storage.create_new_trial(study_id), "x", 1.0, X)
        template = create_trial(value=1.0, params={"x": 1}, distributions={"x": IntDistribution(0, 5)})
        with pytest.raises(ValueError, match="(?i)cannot change"):
            storage.create_new_trial(study_id, template_trial=template)
        assert storage.get_n_trials(study_id) == 1
        assert storage.create_new_trial(study_id) is not None
        assert [t.number for t in storage.get_all_trials(study_id)] == [0, 1]  # no number was lost

    def test_threads_creating_trials_get_unique_consecutive_numbers(self, storage: BaseStorage) -> None:
        study_id = storage.create_new_study(MIN, "s")
        n_threads, per_thread = 6, 8
        barrier = threading.Barrier(n_threads)
        errors: list[BaseException] = []

        def work() -> None:
            try:
                barrier.wait()
                for _ in range(per_thread):
                    trial_id = storage.create_new_trial(study_id)
                    storage.set_trial_param(trial_id, "x", 1.0, X)
                    storage.get_all_trials(study_id, deepcopy=False)
                    finish(storage, trial_id)
            except BaseException as e:  # reported below
                errors.append(e)

        threads = [threading.Thread(target=work) for _ in range(n_threads)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        assert errors == []
        trials = storage.get_all_trials(study_id)
        assert [t.number for t in trials] == list(range(n_threads * per_thread))
        assert all(t.state == TrialState.COMPLETE and t.params == {"x": 1.0} for t in trials)
