"""``JournalStorage``: every write is a log entry; every process replays the log into memory."""

from __future__ import annotations

import copy
import datetime
import threading
import uuid
from collections.abc import Callable, Container, Sequence
from typing import Any

from hpo.distributions import BaseDistribution, distribution_to_json, json_to_distribution
from hpo.exceptions import HpoError
from hpo.records import FrozenStudy, StudyDirection, TrialState
from hpo.storages._base import BaseStorage
from hpo.storages._in_memory import DEFAULT_STUDY_NAME_PREFIX, InMemoryStorage
from hpo.storages.journal._base import BaseJournalBackend
from hpo.trial import FrozenTrial


class _Replica(InMemoryStorage):
    """The state the log describes, built by applying its entries in order."""

    def set_trial_state_values_at(
        self, trial_id: int, state: TrialState, values: Sequence[float] | None, at: datetime.datetime
    ) -> bool:
        """``set_trial_state_values`` at the time the entry was written, the same in every replica."""
        with self._lock:
            if not self.set_trial_state_values(trial_id, state, values):
                return False
            trial = copy.copy(self._trial(trial_id))
            if state == TrialState.RUNNING:
                trial.datetime_start = at
            if state.is_finished():
                trial.datetime_complete = at
            self._replace(trial_id, trial)
            return True


def _datetime(value: str | None) -> datetime.datetime | None:
    return None if value is None else datetime.datetime.fromisoformat(value)


def _isoformat(value: datetime.datetime | None) -> str | None:
    return None if value is None else value.isoformat()


def _trial_to_json(trial: FrozenTrial) -> dict[str, Any]:
    return {
        "state": int(trial.state),
        "values": trial.values,
        "datetime_start": _isoformat(trial.datetime_start),
        "datetime_complete": _isoformat(trial.datetime_complete),
        "params": [
            [name, dist.to_internal_repr(trial.params[name]), distribution_to_json(dist)]
            for name, dist in trial.distributions.items()
        ],
        "user_attrs": trial.user_attrs,
        "system_attrs": trial.system_attrs,
        "intermediate_values": list(trial.intermediate_values.items()),
    }


def _trial_from_json(data: dict[str, Any]) -> FrozenTrial:
    distributions = {name: json_to_distribution(dist) for name, _, dist in data["params"]}
    return FrozenTrial(
        number=-1,
        state=TrialState(data["state"]),
        value=None,
        values=data["values"],
        datetime_start=_datetime(data["datetime_start"]),
        datetime_complete=_datetime(data["datetime_complete"]),
        params={name: distributions[name].to_external_repr(value) for name, value, _ in data["params"]},
        distributions=distributions,
        user_attrs=data["user_attrs"],
        system_attrs=data["system_attrs"],
        intermediate_values={step: value for step, value in data["intermediate_values"]},
        trial_id=-1,
    )


#: How each kind of entry is applied to a replica: (replica, the entry's arguments) -> result.
_APPLY: dict[str, Callable[[_Replica, list[Any]], Any]] = {
    "create_new_study": lambda r, a: r.create_new_study([StudyDirection(d) for d in a[0]], a[1]),
    "delete_study": lambda r, a: r.delete_study(a[0]),
    "set_study_user_attr": lambda r, a: r.set_study_user_attr(*a),
    "set_study_system_attr": lambda r, a: r.set_study_system_attr(*a),
    "create_new_trial": lambda r, a: r.create_new_trial(a[0], _trial_from_json(a[1])),
    "set_trial_param": lambda r, a: r.set_trial_param(a[0], a[1], a[2], json_to_distribution(a[3])),
    "set_trial_state_values": lambda r, a: r.set_trial_state_values_at(
        a[0], TrialState(a[1]), a[2], datetime.datetime.fromisoformat(a[3])
    ),
    "set_trial_intermediate_value": lambda r, a: r.set_trial_intermediate_value(*a),
    "set_trial_user_attr": lambda r, a: r.set_trial_user_attr(*a),
    "set_trial_system_attr": lambda r, a: r.set_trial_system_attr(*a),
}


class JournalStorage(BaseStorage):
    """Optuna's ``JournalStorage``: each write is appended to a log kept by ``log_storage`` (a
    :class:`~hpo.storages.journal.JournalFileBackend` or
    :class:`~hpo.storages.journal.JournalRedisBackend`), and each call first replays the entries
    it has not read yet into an in-memory copy of the studies. Every process replays the same log
    in the same order, so all reach the same state: a write that fails (a duplicate study name, a
    finished trial) fails in every replica, and raises in the process that wrote it.

    Log entries are JSON objects ``{"id", "op", "args"}``, ``op`` naming the storage method.
    """

    def __init__(self, log_storage: BaseJournalBackend) -> None:
        self._backend = log_storage
        self._replica = _Replica()
        self._n_read = 0
        self._lock = threading.RLock()

    # --- the log ------------------------------------------------------------------------------
    def _sync(self, awaited: str | None = None) -> Any:
        """Apply the entries not read yet; the result of entry ``awaited`` (raised if it failed)."""
        outcome: tuple[Any, Exception | None] = (None, None)
        for log in self._backend.read_logs(self._n_read):
            try:
                result, error = _APPLY[log["op"]](self._replica, log["args"]), None
            except (HpoError, ValueError) as e:  # refused in every replica alike; raised by its writer only
                result, error = None, e
            self._n_read += 1
            if log["id"] == awaited:
                outcome = (result, error)
        if outcome[1] is not None:
            raise outcome[1]
        return outcome[0]

    def _write(self, op: str, *args: Any) -> Any:
        with self._lock:
            entry_id = uuid.uuid4().hex
            self._backend.append_logs([{"id": entry_id, "op": op, "args": list(args)}])
            return self._sync(entry_id)

    def _read(self) -> _Replica:
        with self._lock:
            self._sync()
        return self._replica

    # --- studies ------------------------------------------------------------------------------
    def create_new_study(self, directions: Sequence[StudyDirection], study_name: str | None = None) -> int:
        name = study_name if study_name is not None else DEFAULT_STUDY_NAME_PREFIX + str(uuid.uuid4())
        return self._write("create_new_study", [int(d) for d in directions], name)

    def delete_study(self, study_id: int) -> None:
        self._write("delete_study", study_id)

    def set_study_user_attr(self, study_id: int, key: str, value: Any) -> None:
        self._write("set_study_user_attr", study_id, key, value)

    def set_study_system_attr(self, study_id: int, key: str, value: Any) -> None:
        self._write("set_study_system_attr", study_id, key, value)

    def get_study_id_from_name(self, study_name: str) -> int:
        return self._read().get_study_id_from_name(study_name)

    def get_study_name_from_id(self, study_id: int) -> str:
        return self._read().get_study_name_from_id(study_id)

    def get_study_directions(self, study_id: int) -> list[StudyDirection]:
        return self._read().get_study_directions(study_id)

    def get_study_user_attrs(self, study_id: int) -> dict[str, Any]:
        return self._read().get_study_user_attrs(study_id)

    def get_study_system_attrs(self, study_id: int) -> dict[str, Any]:
        return self._read().get_study_system_attrs(study_id)

    def get_all_studies(self) -> list[FrozenStudy]:
        return self._read().get_all_studies()

    # --- trials -------------------------------------------------------------------------------
    def create_new_trial(self, study_id: int, template_trial: FrozenTrial | None = None) -> int:
        if template_trial is None:
            template_trial = FrozenTrial.new_running()
        return self._write("create_new_trial", study_id, _trial_to_json(template_trial))

    def set_trial_param(
        self, trial_id: int, param_name: str, param_value_internal: float, distribution: BaseDistribution
    ) -> None:
        self._write("set_trial_param", trial_id, param_name, param_value_internal, distribution_to_json(distribution))

    def get_trial_id_from_study_id_trial_number(self, study_id: int, trial_number: int) -> int:
        return self._read().get_trial_id_from_study_id_trial_number(study_id, trial_number)

    def set_trial_state_values(self, trial_id: int, state: TrialState, values: Sequence[float] | None = None) -> bool:
        at = datetime.datetime.now().isoformat()
        return self._write("set_trial_state_values", trial_id, int(state), None if values is None else list(values), at)

    def set_trial_intermediate_value(self, trial_id: int, step: int, intermediate_value: float) -> None:
        self._write("set_trial_intermediate_value", trial_id, step, intermediate_value)

    def set_trial_user_attr(self, trial_id: int, key: str, value: Any) -> None:
        self._write("set_trial_user_attr", trial_id, key, value)

    def set_trial_system_attr(self, trial_id: int, key: str, value: Any) -> None:
        self._write("set_trial_system_attr", trial_id, key, value)

    def get_trial(self, trial_id: int) -> FrozenTrial:
        return self._read().get_trial(trial_id)

    def get_all_trials(
        self, study_id: int, deepcopy: bool = True, states: Container[TrialState] | None = None
    ) -> list[FrozenTrial]:
        return self._read().get_all_trials(study_id, deepcopy=deepcopy, states=states)

    def get_n_trials(self, study_id: int, state: TrialState | Sequence[TrialState] | None = None) -> int:
        return self._read().get_n_trials(study_id, state)

    def get_best_trial(self, study_id: int) -> FrozenTrial:
        return self._read().get_best_trial(study_id)

    def get_trial_number_from_id(self, trial_id: int) -> int:
        return self._read().get_trial_number_from_id(trial_id)
