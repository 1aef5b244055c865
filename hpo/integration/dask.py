"""``DaskStorage``: an hpo storage that lives on a Dask cluster's scheduler, as optuna-integration's.

The real storage (memory, or a URL) is held by the scheduler; every ``DaskStorage`` method, on the
client or on any worker, is one RPC to the scheduler's ``hpo_storage`` handler. Each request and
each answer is a single JSON string (studies and trials as JSON objects, distributions as their
JSON, errors as ``[type name, message]``), so nothing this module sends is unpickled by the other
side; optuna-integration pickles attributes and trials (``distributed.protocol.pickle``) both ways.
What Dask itself pickles is unchanged: registering the storage uses ``Client.run_on_scheduler``
(the function and its arguments travel pickled from the client to the scheduler, Dask's trusted
direction), a ``DaskStorage`` sent to workers is rebuilt from its name (``__reduce__``), and a
Dask-level failure of the RPC itself (no scheduler, no handler) comes back as Dask's error.
"""

from __future__ import annotations

import asyncio
import datetime
import json
import uuid
import warnings
from collections.abc import Callable, Container, Generator, Sequence
from typing import Any

from hpo import exceptions
from hpo.distributions import BaseDistribution, CategoricalDistribution, distribution_to_json, json_to_distribution
from hpo.exceptions import ExperimentalWarning
from hpo.integration._imports import try_import
from hpo.records import FrozenStudy, StudyDirection, TrialState
from hpo.storages import BaseStorage, InMemoryStorage, get_storage
from hpo.study import copy_study
from hpo.trial import FrozenTrial

with try_import("distributed") as _imports:
    import distributed
    from distributed.utils import thread_state
    from distributed.worker import get_client

__all__ = ["DaskStorage"]

_HANDLER = "hpo_storage"
_EXTENSION = "hpo"
#: Exception types an answer may name; any other becomes RuntimeError naming the original type.
_ERRORS: dict[str, type[Exception]] = {
    **{cls.__name__: cls for cls in (ValueError, TypeError, KeyError, RuntimeError, NotImplementedError)},
    **{
        name: cls
        for name, cls in vars(exceptions).items()
        if isinstance(cls, type) and issubclass(cls, Exception) and not name.startswith("_")
    },
}


# --- plain-data forms of the records ------------------------------------------------------------
def _isoformat(value: datetime.datetime | None) -> str | None:
    return None if value is None else value.isoformat()


def _datetime(value: str | None) -> datetime.datetime | None:
    return None if value is None else datetime.datetime.fromisoformat(value)


def _trial_to_data(trial: FrozenTrial) -> dict[str, Any]:
    return {
        "number": trial.number,
        "trial_id": trial.trial_id,
        "state": int(trial.state),
        "values": trial.values,
        "datetime_start": _isoformat(trial.datetime_start),
        "datetime_complete": _isoformat(trial.datetime_complete),
        "params": [[name, _param_to_data(trial.params[name], dist), distribution_to_json(dist)]
                   for name, dist in trial.distributions.items()],
        "user_attrs": trial.user_attrs,
        "system_attrs": trial.system_attrs,
        "intermediate_values": [[step, value] for step, value in trial.intermediate_values.items()],
    }


def _param_to_data(value: Any, dist: BaseDistribution) -> Any:
    """A numeric value as it is; a choice as its index (the choice object itself comes back)."""
    return dist.to_internal_repr(value) if isinstance(dist, CategoricalDistribution) else value


def _param_from_data(value: Any, dist: BaseDistribution) -> Any:
    return dist.to_external_repr(value) if isinstance(dist, CategoricalDistribution) else value


def _trial_from_data(data: dict[str, Any]) -> FrozenTrial:
    distributions = {name: json_to_distribution(dist) for name, _, dist in data["params"]}
    return FrozenTrial(
        number=data["number"],
        state=TrialState(data["state"]),
        value=None,
        values=data["values"],
        datetime_start=_datetime(data["datetime_start"]),
        datetime_complete=_datetime(data["datetime_complete"]),
        params={name: _param_from_data(value, distributions[name]) for name, value, _ in data["params"]},
        distributions=distributions,
        user_attrs=data["user_attrs"],
        system_attrs=data["system_attrs"],
        intermediate_values={int(step): value for step, value in data["intermediate_values"]},
        trial_id=data["trial_id"],
    )


def _study_to_data(study: FrozenStudy) -> dict[str, Any]:
    return {
        "study_name": study.study_name,
        "directions": [int(d) for d in study.directions],
        "user_attrs": study.user_attrs,
        "system_attrs": study.system_attrs,
        "study_id": study.study_id,
    }


def _states(states: Any) -> list[int] | None:
    if states is None:
        return None
    if isinstance(states, TrialState):
        return [int(states)]
    return [int(s) for s in TrialState if s in states]


# --- the scheduler side -------------------------------------------------------------------------
#: Per method: how the scheduler calls the storage with the request's arguments, and encodes the result.
_METHODS: dict[str, Callable[[BaseStorage, dict[str, Any]], Any]] = {
    "create_new_study": lambda s, a: s.create_new_study([StudyDirection(d) for d in a["directions"]],
                                                        a["study_name"]),
    "delete_study": lambda s, a: s.delete_study(a["study_id"]),
    "set_study_user_attr": lambda s, a: s.set_study_user_attr(a["study_id"], a["key"], a["value"]),
    "set_study_system_attr": lambda s, a: s.set_study_system_attr(a["study_id"], a["key"], a["value"]),
    "get_study_id_from_name": lambda s, a: s.get_study_id_from_name(a["study_name"]),
    "get_study_name_from_id": lambda s, a: s.get_study_name_from_id(a["study_id"]),
    "get_study_directions": lambda s, a: [int(d) for d in s.get_study_directions(a["study_id"])],
    "get_study_user_attrs": lambda s, a: s.get_study_user_attrs(a["study_id"]),
    "get_study_system_attrs": lambda s, a: s.get_study_system_attrs(a["study_id"]),
    "get_all_studies": lambda s, a: [_study_to_data(study) for study in s.get_all_studies()],
    "create_new_trial": lambda s, a: s.create_new_trial(
        a["study_id"], _trial_from_data(a["template"]) if a["template"] is not None else None),
    "set_trial_param": lambda s, a: s.set_trial_param(
        a["trial_id"], a["param_name"], a["param_value_internal"], json_to_distribution(a["distribution"])),
    "get_trial_id_from_study_id_trial_number": lambda s, a: s.get_trial_id_from_study_id_trial_number(
        a["study_id"], a["trial_number"]),
    "get_trial_number_from_id": lambda s, a: s.get_trial_number_from_id(a["trial_id"]),
    "get_trial_param": lambda s, a: s.get_trial_param(a["trial_id"], a["param_name"]),
    "set_trial_state_values": lambda s, a: s.set_trial_state_values(
        a["trial_id"], TrialState(a["state"]), a["values"]),
    "set_trial_intermediate_value": lambda s, a: s.set_trial_intermediate_value(
        a["trial_id"], a["step"], a["intermediate_value"]),
    "set_trial_user_attr": lambda s, a: s.set_trial_user_attr(a["trial_id"], a["key"], a["value"]),
    "set_trial_system_attr": lambda s, a: s.set_trial_system_attr(a["trial_id"], a["key"], a["value"]),
    "get_trial": lambda s, a: _trial_to_data(s.get_trial(a["trial_id"])),
    "get_all_trials": lambda s, a: [
        _trial_to_data(t) for t in s.get_all_trials(
            a["study_id"], deepcopy=False,
            states=tuple(TrialState(x) for x in a["states"]) if a["states"] is not None else None)
    ],
    "get_n_trials": lambda s, a: s.get_n_trials(
        a["study_id"], tuple(TrialState(x) for x in a["states"]) if a["states"] is not None else None),
    "get_best_trial": lambda s, a: _trial_to_data(s.get_best_trial(a["study_id"])),
}


class _SchedulerExtension:
    """The storages registered on a scheduler, by name, and the handler that serves them."""

    def __init__(self, scheduler: Any) -> None:
        self.storages: dict[str, BaseStorage] = {}
        scheduler.handlers[_HANDLER] = self.handle
        scheduler.extensions[_EXTENSION] = self

    def handle(self, request: str) -> str:
        """Run one JSON request ``{"storage", "method", "args"}``; the JSON answer ``{"result"}`` or ``{"error"}``."""
        try:
            fields = json.loads(request)
            storage = self.storages.get(fields["storage"])
            if storage is None:
                raise KeyError(f"No DaskStorage named {fields['storage']!r} is registered on this scheduler; "
                               "make the DaskStorage with a client of this cluster (register=True).")
            method = _METHODS.get(fields["method"])
            if method is None:
                raise ValueError(f"DaskStorage has no method {fields['method']!r}.")
            return json.dumps({"result": method(storage, fields["args"])})
        except Exception as e:  # the client raises it again from the answer
            message = e.args[0] if len(e.args) == 1 and isinstance(e.args[0], str) else str(e)  # KeyError quotes
            return json.dumps({"error": [type(e).__name__, message]})


def _register(dask_scheduler: Any, storage: None | str | BaseStorage, name: str) -> None:
    extension = dask_scheduler.extensions.get(_EXTENSION) or _SchedulerExtension(dask_scheduler)
    if name not in extension.storages:
        extension.storages[name] = get_storage(storage)


# --- the client side ----------------------------------------------------------------------------
class DaskStorage(BaseStorage):
    """A storage held by the scheduler of a Dask cluster, so trials can run on its workers.

    Pass the study to ``client.submit(study.optimize, objective, n_trials=...)``: the storage sent
    along reconnects to the scheduler through the worker's client. All requests are serialized by
    the scheduler, so an in-memory storage is shared safely by every worker. Experimental, as in Optuna.

    Args:
        storage: The storage the scheduler holds: ``None`` (in memory), a URL such as
            ``"sqlite:///example.db"``, or a storage object (sent to the scheduler once, by Dask).
        name: Identifier of this storage on the scheduler; random when ``None``. The same name
            reaches the same storage from any client of the cluster.
        client: The ``distributed.Client`` to use; default ``distributed.get_client()``.
        register: Register the storage with the scheduler now (``False`` when it already is, e.g.
            when rebuilt on a worker).
    """

    def __init__(
        self,
        storage: None | str | BaseStorage = None,
        name: str | None = None,
        client: Any = None,
        register: bool = True,
    ) -> None:
        warnings.warn(
            "DaskStorage is experimental (supported from v3.1.0). The interface can change in the future.",
            ExperimentalWarning,
            stacklevel=2,
        )
        _imports.check()
        self.name = name or f"dask-storage-{uuid.uuid4().hex}"
        self._client = client
        if register:
            if self.client.asynchronous or getattr(thread_state, "on_event_loop_thread", False):

                async def _register_async() -> DaskStorage:
                    await self.client.run_on_scheduler(_register, storage=storage, name=self.name)
                    return self

                self._started: asyncio.Future[DaskStorage] | None = asyncio.ensure_future(_register_async())
            else:
                self.client.run_on_scheduler(_register, storage=storage, name=self.name)
                self._started = None

    @property
    def client(self) -> distributed.Client:
        if self._client is None:
            self._client = get_client()
        return self._client

    def __await__(self) -> Generator[Any, None, DaskStorage]:
        started = getattr(self, "_started", None)
        if started is not None:
            return started.__await__()

        async def ready() -> DaskStorage:
            return self

        return ready().__await__()

    def __reduce__(self) -> tuple[Any, ...]:
        # The scheduler already holds the storage: a copy needs only the name to reach it.
        return (DaskStorage, (None, self.name, None, False))

    def get_base_storage(self) -> BaseStorage:
        """A local in-memory copy of every study the scheduler holds (study and trial ids may differ)."""
        copied = InMemoryStorage()
        for study in self.get_all_studies():
            copy_study(from_study_name=study.study_name, from_storage=self, to_storage=copied)
        return copied

    def _call(self, method: str, **args: Any) -> Any:
        request = json.dumps({"storage": self.name, "method": method, "args": args})
        scheduler = self.client.scheduler
        assert scheduler is not None, "a client is connected to a scheduler"
        answer = json.loads(self.client.sync(scheduler.hpo_storage, request=request))
        if "error" in answer:
            kind, message = answer["error"]
            cls = _ERRORS.get(kind)
            if cls is None:
                raise RuntimeError(f"{kind} on the Dask scheduler: {message}")
            raise cls(message)
        return answer["result"]

    # --- studies ----------------------------------------------------------------------------
    def create_new_study(self, directions: Sequence[StudyDirection], study_name: str | None = None) -> int:
        return self._call("create_new_study", directions=[int(d) for d in directions], study_name=study_name)

    def delete_study(self, study_id: int) -> None:
        self._call("delete_study", study_id=study_id)

    def set_study_user_attr(self, study_id: int, key: str, value: Any) -> None:
        self._call("set_study_user_attr", study_id=study_id, key=key, value=value)

    def set_study_system_attr(self, study_id: int, key: str, value: Any) -> None:
        self._call("set_study_system_attr", study_id=study_id, key=key, value=value)

    def get_study_id_from_name(self, study_name: str) -> int:
        return self._call("get_study_id_from_name", study_name=study_name)

    def get_study_name_from_id(self, study_id: int) -> str:
        return self._call("get_study_name_from_id", study_id=study_id)

    def get_study_directions(self, study_id: int) -> list[StudyDirection]:
        return [StudyDirection(d) for d in self._call("get_study_directions", study_id=study_id)]

    def get_study_user_attrs(self, study_id: int) -> dict[str, Any]:
        return self._call("get_study_user_attrs", study_id=study_id)

    def get_study_system_attrs(self, study_id: int) -> dict[str, Any]:
        return self._call("get_study_system_attrs", study_id=study_id)

    def get_all_studies(self) -> list[FrozenStudy]:
        return [
            FrozenStudy(
                study_name=s["study_name"], directions=[StudyDirection(d) for d in s["directions"]],
                user_attrs=s["user_attrs"], system_attrs=s["system_attrs"], study_id=s["study_id"],
            )
            for s in self._call("get_all_studies")
        ]

    # --- trials -----------------------------------------------------------------------------
    def create_new_trial(self, study_id: int, template_trial: FrozenTrial | None = None) -> int:
        template = _trial_to_data(template_trial) if template_trial is not None else None
        return self._call("create_new_trial", study_id=study_id, template=template)

    def set_trial_param(
        self, trial_id: int, param_name: str, param_value_internal: float, distribution: BaseDistribution
    ) -> None:
        self._call("set_trial_param", trial_id=trial_id, param_name=param_name,
                   param_value_internal=param_value_internal, distribution=distribution_to_json(distribution))

    def get_trial_id_from_study_id_trial_number(self, study_id: int, trial_number: int) -> int:
        return self._call("get_trial_id_from_study_id_trial_number", study_id=study_id, trial_number=trial_number)

    def get_trial_number_from_id(self, trial_id: int) -> int:
        return self._call("get_trial_number_from_id", trial_id=trial_id)

    def get_trial_param(self, trial_id: int, param_name: str) -> float:
        return self._call("get_trial_param", trial_id=trial_id, param_name=param_name)

    def set_trial_state_values(self, trial_id: int, state: TrialState, values: Sequence[float] | None = None) -> bool:
        return self._call("set_trial_state_values", trial_id=trial_id, state=int(state),
                          values=list(values) if values is not None else None)

    def set_trial_intermediate_value(self, trial_id: int, step: int, intermediate_value: float) -> None:
        self._call("set_trial_intermediate_value", trial_id=trial_id, step=step, intermediate_value=intermediate_value)

    def set_trial_user_attr(self, trial_id: int, key: str, value: Any) -> None:
        self._call("set_trial_user_attr", trial_id=trial_id, key=key, value=value)

    def set_trial_system_attr(self, trial_id: int, key: str, value: Any) -> None:
        self._call("set_trial_system_attr", trial_id=trial_id, key=key, value=value)

    def get_trial(self, trial_id: int) -> FrozenTrial:
        return _trial_from_data(self._call("get_trial", trial_id=trial_id))

    def get_all_trials(
        self, study_id: int, deepcopy: bool = True, states: Container[TrialState] | None = None
    ) -> list[FrozenTrial]:
        found = self._call("get_all_trials", study_id=study_id, states=_states(states))
        return [_trial_from_data(t) for t in found]

    def get_n_trials(self, study_id: int, state: TrialState | Sequence[TrialState] | None = None) -> int:
        return self._call("get_n_trials", study_id=study_id, states=_states(state))

    def get_best_trial(self, study_id: int) -> FrozenTrial:
        return _trial_from_data(self._call("get_best_trial", study_id=study_id))
