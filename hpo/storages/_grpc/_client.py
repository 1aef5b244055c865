"""``GrpcStorageProxy``: a storage whose every call runs on a :func:`run_grpc_proxy_server` server."""

from __future__ import annotations

import copy
import threading
from collections.abc import Container, Sequence
from dataclasses import dataclass, field
from typing import Any

import grpc

from hpo.distributions import BaseDistribution
from hpo.exceptions import StorageInternalError, StudyNotFoundError, WireError
from hpo.records import FrozenStudy, StudyDirection, TrialState
from hpo.storages._base import BaseStorage
from hpo.storages._grpc._protocol import (
    ERROR_KEY,
    ERRORS,
    MAX_REPLY_BYTES,
    MAX_REQUEST_BYTES,
    METHODS,
    SERVICE,
    decode_result,
    dumps,
    encode_args,
    loads,
)
from hpo.trial import FrozenTrial

# After the server went away, reconnect within about a second of its return (gRPC's default backoff grows to 2 min).
_CHANNEL_OPTIONS = [
    ("grpc.max_receive_message_length", MAX_REPLY_BYTES),
    ("grpc.max_send_message_length", MAX_REQUEST_BYTES),
    ("grpc.initial_reconnect_backoff_ms", 100),
    ("grpc.min_reconnect_backoff_ms", 100),
    ("grpc.max_reconnect_backoff_ms", 1000),
]


class GrpcStorageProxy(BaseStorage):
    """A client of :func:`~hpo.storages.run_grpc_proxy_server` at ``host:port`` (Optuna's ``GrpcStorageProxy``).

    Every storage call is one RPC to the server, which runs it on its storage; a study's finished
    trials are cached here (they never change), so ``get_all_trials`` fetches only trials that are
    new or were unfinished. Refusals raise what the storage raised (``StudyNotFoundError``,
    ``DuplicatedStudyError``, ``UpdateFinishedTrialError``, ``ValueError``...); a server that cannot
    be reached raises ``ConnectionError`` naming the address. The channel reconnects by itself once
    the server is back. Replies are JSON checked field by field; nothing is unpickled.

    Example::

        import hpo
        from hpo.storages import GrpcStorageProxy

        storage = GrpcStorageProxy(host="localhost", port=13000)
        study = hpo.create_study(study_name="shared", storage=storage, load_if_exists=True)
    """

    def __init__(self, *, host: str = "localhost", port: int = 13000) -> None:
        if not isinstance(host, str) or not host:
            raise ValueError(f"host must be a non-empty string, got {host!r}.")
        if isinstance(port, bool) or not isinstance(port, int) or not 0 < port < 65536:
            raise ValueError(f"port must be an integer from 1 to 65535, got {port!r}.")
        self._host = host
        self._port = port
        self._setup()

    def _setup(self) -> None:
        self._channel = grpc.insecure_channel(f"{self._host}:{self._port}", options=_CHANNEL_OPTIONS)
        self._stubs = {name: self._channel.unary_unary(f"/{SERVICE}/{name}") for name in METHODS}
        self._studies: dict[int, _CachedTrials] = {}
        self._cache_lock = threading.Lock()

    def __repr__(self) -> str:
        return f"GrpcStorageProxy(host={self._host!r}, port={self._port})"

    def __getstate__(self) -> dict[str, Any]:
        return {"_host": self._host, "_port": self._port}

    def __setstate__(self, state: dict[str, Any]) -> None:
        self.__dict__.update(state)
        self._setup()

    def wait_server_ready(self, timeout: float | None = None) -> None:
        """Block until the server answers, at most ``timeout`` seconds (None: forever; then ``ConnectionError``)."""
        try:
            grpc.channel_ready_future(self._channel).result(timeout=timeout)
        except grpc.FutureTimeoutError:
            raise ConnectionError(
                f"The gRPC storage proxy at {self._host}:{self._port} did not answer within {timeout} s."
            ) from None

    def close(self) -> None:
        self._channel.close()

    # --- the RPCs ---------------------------------------------------------------------------------
    def _call(self, method: str, **args: Any) -> Any:
        body = dumps(encode_args(method, args))
        if len(body) > MAX_REQUEST_BYTES:
            raise ValueError(
                f"The {method} request is {len(body)} bytes, over the proxy's limit of {MAX_REQUEST_BYTES}; "
                "store smaller attributes (e.g. a path to a file instead of its contents)."
            )
        try:
            reply = self._stubs[method](body)
        except grpc.RpcError as e:
            raise self._error(method, e) from None
        return decode_result(method, loads(reply, MAX_REPLY_BYTES))

    def _error(self, method: str, error: grpc.RpcError) -> Exception:
        code, details = error.code(), error.details() or ""
        named = dict(error.trailing_metadata() or ()).get(ERROR_KEY)
        if isinstance(named, str) and named in ERRORS:
            return ERRORS[named](details)
        where = f"the gRPC storage proxy at {self._host}:{self._port}"
        if code == grpc.StatusCode.UNAVAILABLE:
            return ConnectionError(
                f"Cannot reach {where} ({details}). Start it there with "
                "hpo.storages.run_grpc_proxy_server(storage, host=..., port=...), or check the host and port."
            )
        if code == grpc.StatusCode.UNIMPLEMENTED:
            return WireError(f"{where} does not serve hpo's storage protocol ({SERVICE}): is it hpo's proxy server?")
        if code == grpc.StatusCode.RESOURCE_EXHAUSTED:
            return WireError(f"{method}: a message to or from {where} is over the size limit ({details}).")
        return StorageInternalError(f"{method} on {where} failed: {code.name}: {details}")

    # --- studies ----------------------------------------------------------------------------------
    def create_new_study(self, directions: Sequence[StudyDirection], study_name: str | None = None) -> int:
        return self._call("create_new_study", directions=list(directions), study_name=study_name)

    def delete_study(self, study_id: int) -> None:
        self._call("delete_study", study_id=study_id)
        with self._cache_lock:
            self._studies.pop(study_id, None)

    def set_study_user_attr(self, study_id: int, key: str, value: Any) -> None:
        self._call("set_study_user_attr", study_id=study_id, key=key, value=value)

    def set_study_system_attr(self, study_id: int, key: str, value: Any) -> None:
        self._call("set_study_system_attr", study_id=study_id, key=key, value=value)

    def get_study_id_from_name(self, study_name: str) -> int:
        return self._call("get_study_id_from_name", study_name=study_name)

    def get_study_name_from_id(self, study_id: int) -> str:
        return self._call("get_study_name_from_id", study_id=study_id)

    def get_study_directions(self, study_id: int) -> list[StudyDirection]:
        return self._call("get_study_directions", study_id=study_id)

    def get_study_user_attrs(self, study_id: int) -> dict[str, Any]:
        return self._call("get_study_user_attrs", study_id=study_id)

    def get_study_system_attrs(self, study_id: int) -> dict[str, Any]:
        return self._call("get_study_system_attrs", study_id=study_id)

    def get_all_studies(self) -> list[FrozenStudy]:
        return self._call("get_all_studies")

    # --- trials -----------------------------------------------------------------------------------
    def create_new_trial(self, study_id: int, template_trial: FrozenTrial | None = None) -> int:
        return self._call("create_new_trial", study_id=study_id, template_trial=template_trial)

    def set_trial_param(
        self, trial_id: int, param_name: str, param_value_internal: float, distribution: BaseDistribution
    ) -> None:
        self._call(
            "set_trial_param", trial_id=trial_id, param_name=param_name,
            param_value_internal=param_value_internal, distribution=distribution,
        )

    def get_trial_id_from_study_id_trial_number(self, study_id: int, trial_number: int) -> int:
        return self._call("get_trial_id_from_study_id_trial_number", study_id=study_id, trial_number=trial_number)

    def set_trial_state_values(self, trial_id: int, state: TrialState, values: Sequence[float] | None = None) -> bool:
        return self._call("set_trial_state_values", trial_id=trial_id, state=state, values=values)

    def set_trial_intermediate_value(self, trial_id: int, step: int, intermediate_value: float) -> None:
        self._call("set_trial_intermediate_value", trial_id=trial_id, step=step, intermediate_value=intermediate_value)

    def set_trial_user_attr(self, trial_id: int, key: str, value: Any) -> None:
        self._call("set_trial_user_attr", trial_id=trial_id, key=key, value=value)

    def set_trial_system_attr(self, trial_id: int, key: str, value: Any) -> None:
        self._call("set_trial_system_attr", trial_id=trial_id, key=key, value=value)

    def get_trial(self, trial_id: int) -> FrozenTrial:
        return self._call("get_trial", trial_id=trial_id)

    def get_all_trials(
        self, study_id: int, deepcopy: bool = True, states: Container[TrialState] | None = None
    ) -> list[FrozenTrial]:
        with self._cache_lock:
            trials = self._refreshed(study_id)
        if states is not None:
            trials = [t for t in trials if t.state in states]
        return copy.deepcopy(trials) if deepcopy else trials

    def _refreshed(self, study_id: int) -> list[FrozenTrial]:
        """The study's trials in number order: the cached finished ones and the rest fetched now."""
        cached = self._studies.setdefault(study_id, _CachedTrials())
        try:
            fetched, n_trials = self._call("get_trials", study_id=study_id, skip=cached.finished_ranges())
            if len(cached.trials) > n_trials:  # the study was deleted and its id reused
                cached = self._studies[study_id] = _CachedTrials()
                fetched, n_trials = self._call("get_trials", study_id=study_id, skip=[])
        except StudyNotFoundError:
            self._studies.pop(study_id, None)
            raise
        for trial in fetched:
            cached.add(trial)
        if len(cached.trials) == n_trials:
            return [cached.trials[number] for number in range(n_trials)]
        return [cached.trials[number] for number in sorted(cached.trials)]


@dataclass
class _CachedTrials:
    """One study's trials as last fetched; the finished ones (all numbers below ``prefix``, and
    ``finished_above``) are never fetched again."""

    trials: dict[int, FrozenTrial] = field(default_factory=dict)
    prefix: int = 0
    finished_above: set[int] = field(default_factory=set)

    def add(self, trial: FrozenTrial) -> None:
        self.trials[trial.number] = trial
        if trial.state.is_finished() and trial.number >= self.prefix:
            self.finished_above.add(trial.number)
            while self.prefix in self.finished_above:
                self.finished_above.remove(self.prefix)
                self.prefix += 1

    def finished_ranges(self) -> list[tuple[int, int]]:
        ranges = [(0, self.prefix - 1)] if self.prefix else []
        return ranges + [(n, n) for n in sorted(self.finished_above)]
