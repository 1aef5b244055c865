"""The gRPC storage proxy's wire protocol: one unary RPC per storage method, JSON bodies, validated on arrival.

A request is the JSON object of the method's named arguments; a reply is ``{"result": ...}``. Both
sides decode every field with the codec of its kind (:data:`METHODS`), so a malformed body, a
wrong type, an unknown field, a value nested deeper than :data:`MAX_DEPTH` or a body over the size
limits raises :class:`~hpo.exceptions.WireError` and nothing else happens; nothing is unpickled.
A refused call travels as a gRPC status whose trailing metadata ``hpo-error`` names the exception
class (one of :data:`ERRORS`), which the client raises with the server's message.
"""

from __future__ import annotations

import dataclasses
import datetime
import json
from collections.abc import Callable
from typing import Any

from hpo.distributions import (
    BaseDistribution,
    CategoricalDistribution,
    IntDistribution,
    distribution_to_json,
    json_to_distribution,
)
from hpo.exceptions import (
    DuplicatedStudyError,
    StorageInternalError,
    StudyNotFoundError,
    TrialNotFoundError,
    UpdateFinishedTrialError,
    WireError,
)
from hpo.records import FrozenStudy, StudyDirection, TrialState
from hpo.trial import FrozenTrial

SERVICE = "hpo.storages.GrpcStorageProxy.v1"
#: The largest request the server reads (a template trial carries its attributes).
MAX_REQUEST_BYTES = 16 * 1024 * 1024
#: The largest reply the client reads (``get_trials`` carries a study's trials).
MAX_REPLY_BYTES = 1024 * 1024 * 1024
#: How deep attribute values may nest.
MAX_DEPTH = 32
#: Metadata key naming the exception class of a refused call.
ERROR_KEY = "hpo-error"
#: The exceptions that cross, by name, most specific first (a server-side exception is sent as the first it is).
ERRORS: dict[str, type[Exception]] = {
    "StudyNotFoundError": StudyNotFoundError,
    "TrialNotFoundError": TrialNotFoundError,
    "DuplicatedStudyError": DuplicatedStudyError,
    "UpdateFinishedTrialError": UpdateFinishedTrialError,
    "WireError": WireError,
    "KeyError": KeyError,
    "ValueError": ValueError,
    "RuntimeError": RuntimeError,
    "StorageInternalError": StorageInternalError,
}


@dataclasses.dataclass(frozen=True)
class Method:
    """A storage method as an RPC: its arguments' names and kinds, and its result's kind."""

    args: tuple[tuple[str, str], ...]
    result: str


_STUDY = (("study_id", "int"),)
_TRIAL = (("trial_id", "int"),)
METHODS: dict[str, Method] = {
    "create_new_study": Method((("directions", "directions"), ("study_name", "str?")), "int"),
    "delete_study": Method(_STUDY, "none"),
    "set_study_user_attr": Method((*_STUDY, ("key", "str"), ("value", "json")), "none"),
    "set_study_system_attr": Method((*_STUDY, ("key", "str"), ("value", "json")), "none"),
    "get_study_id_from_name": Method((("study_name", "str"),), "int"),
    "get_study_name_from_id": Method(_STUDY, "str"),
    "get_study_directions": Method(_STUDY, "directions"),
    "get_study_user_attrs": Method(_STUDY, "attrs"),
    "get_study_system_attrs": Method(_STUDY, "attrs"),
    "get_all_studies": Method((), "studies"),
    "create_new_trial": Method((*_STUDY, ("template_trial", "trial?")), "int"),
    "set_trial_param": Method(
        (*_TRIAL, ("param_name", "str"), ("param_value_internal", "float"), ("distribution", "distribution")), "none"
    ),
    "get_trial_id_from_study_id_trial_number": Method((*_STUDY, ("trial_number", "int")), "int"),
    "set_trial_state_values": Method((*_TRIAL, ("state", "state"), ("values", "floats?")), "bool"),
    "set_trial_intermediate_value": Method((*_TRIAL, ("step", "int"), ("intermediate_value", "float")), "none"),
    "set_trial_user_attr": Method((*_TRIAL, ("key", "str"), ("value", "json")), "none"),
    "set_trial_system_attr": Method((*_TRIAL, ("key", "str"), ("value", "json")), "none"),
    "get_trial": Method(_TRIAL, "trial"),
    # The client's cache of a study's trials asks for those it does not hold finished (``skip``:
    # ranges ``[first, last]`` of trial numbers); ``n_trials`` lets it notice a study it no longer knows.
    "get_trials": Method((*_STUDY, ("skip", "ranges")), "trials"),
}


# --- bodies ------------------------------------------------------------------------------------
def dumps(body: dict[str, Any]) -> bytes:
    return json.dumps(body, separators=(",", ":")).encode()


def loads(raw: bytes, limit: int) -> dict[str, Any]:
    """A JSON object from ``raw``; :class:`WireError` when it is over ``limit`` bytes, not JSON or not an object."""
    if len(raw) > limit:
        raise WireError(f"Message of {len(raw)} bytes is over the limit of {limit}.")
    try:
        body = json.loads(raw)
    except RecursionError:
        raise WireError(f"Message is nested deeper than JSON parsing allows (the limit is {MAX_DEPTH}).") from None
    except ValueError as e:
        raise WireError(f"Message is not valid JSON: {e}.") from None
    if not isinstance(body, dict):
        raise WireError(f"Message must be a JSON object, got {type(body).__name__}.")
    return body


def encode_args(method: str, args: dict[str, Any]) -> dict[str, Any]:
    return {name: _ENCODE[kind](args[name]) for name, kind in METHODS[method].args}


def decode_args(method: str, body: dict[str, Any]) -> dict[str, Any]:
    """The keyword arguments of ``method`` from a request body, each checked and decoded."""
    spec = METHODS[method].args
    unknown = set(body) - {name for name, _ in spec}
    if unknown:
        raise WireError(f"{method} takes no arguments {sorted(unknown)}.")
    decoded = {}
    for name, kind in spec:
        if name not in body:
            raise WireError(f"{method} lacks argument {name!r}.")
        decoded[name] = _decode(kind, body[name], f"{method}.{name}")
    return decoded


def encode_result(method: str, result: Any) -> dict[str, Any]:
    return {"result": _ENCODE[METHODS[method].result](result)}


def decode_result(method: str, body: dict[str, Any]) -> Any:
    if set(body) != {"result"}:
        raise WireError(f"A reply must be {{'result': ...}}, got fields {sorted(body)}.")
    return _decode(METHODS[method].result, body["result"], f"{method} result")


def _decode(kind: str, value: Any, where: str) -> Any:
    try:
        return _DECODE[kind](value)
    except WireError as e:
        raise WireError(f"{where}: {e}") from None
    except (TypeError, ValueError, KeyError, IndexError, OverflowError) as e:
        raise WireError(f"{where} is not a valid {kind}: {e}") from None


# --- codecs of each kind ------------------------------------------------------------------------
def _int(value: Any) -> int:
    if type(value) is not int:
        raise WireError(f"expected an integer, got {type(value).__name__}")
    return value


def _str(value: Any) -> str:
    if not isinstance(value, str):
        raise WireError(f"expected a string, got {type(value).__name__}")
    return value


def _float(value: Any) -> float:
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise WireError(f"expected a number, got {type(value).__name__}")
    return float(value)


def _floats(value: Any) -> list[float] | None:
    if value is None:
        return None
    if not isinstance(value, list):
        raise WireError(f"expected a list of numbers or null, got {type(value).__name__}")
    return [_float(v) for v in value]


def _bool(value: Any) -> bool:
    if not isinstance(value, bool):
        raise WireError(f"expected true or false, got {type(value).__name__}")
    return value


def _none(value: Any) -> None:
    if value is not None:
        raise WireError(f"expected null, got {type(value).__name__}")


def _json(value: Any, depth: int = 0) -> Any:
    """``value`` when it is a JSON value nested at most :data:`MAX_DEPTH` deep."""
    if depth > MAX_DEPTH:
        raise WireError(f"a value is nested deeper than {MAX_DEPTH}")
    if isinstance(value, list):
        for item in value:
            _json(item, depth + 1)
    elif isinstance(value, dict):
        for item in value.values():
            _json(item, depth + 1)
    return value  # anything json.loads made is a JSON value (keys are strings)


def _attrs(value: Any) -> dict[str, Any]:
    if not isinstance(value, dict):
        raise WireError(f"expected an object of attributes, got {type(value).__name__}")
    return {key: _json(item, 1) for key, item in value.items()}


def _directions(value: Any) -> list[StudyDirection]:
    if not isinstance(value, list) or not value:
        raise WireError("expected a non-empty list of directions")
    return [StudyDirection(_int(d)) for d in value]


def _state(value: Any) -> TrialState:
    return TrialState(_int(value))


def _datetime(value: Any) -> datetime.datetime | None:
    return None if value is None else datetime.datetime.fromisoformat(_str(value))


def _isoformat(value: datetime.datetime | None) -> str | None:
    return None if value is None else value.isoformat()


def _distribution(value: Any) -> BaseDistribution:
    return json_to_distribution(_str(value))


def _ranges(value: Any) -> list[tuple[int, int]]:
    if not isinstance(value, list):
        raise WireError(f"expected a list of [first, last] ranges, got {type(value).__name__}")
    ranges = []
    for item in value:
        if not isinstance(item, list) or len(item) != 2:
            raise WireError("each range must be [first, last]")
        ranges.append((_int(item[0]), _int(item[1])))
    return ranges


_TRIAL_FIELDS = {
    "number", "trial_id", "state", "values", "datetime_start", "datetime_complete", "params",
    "user_attrs", "system_attrs", "intermediate_values",
}


def encode_trial(trial: FrozenTrial) -> dict[str, Any]:
    return {
        "number": trial.number,
        "trial_id": trial.trial_id,
        "state": int(trial.state),
        "values": trial.values,
        "datetime_start": _isoformat(trial.datetime_start),
        "datetime_complete": _isoformat(trial.datetime_complete),
        "params": [[name, trial.params[name], distribution_to_json(d)] for name, d in trial.distributions.items()],
        "user_attrs": trial.user_attrs,
        "system_attrs": trial.system_attrs,
        "intermediate_values": [[step, value] for step, value in trial.intermediate_values.items()],
    }


def decode_trial(value: Any) -> FrozenTrial:
    if not isinstance(value, dict) or set(value) != _TRIAL_FIELDS:
        raise WireError(f"a trial must be an object with the fields {sorted(_TRIAL_FIELDS)}")
    params: dict[str, Any] = {}
    distributions: dict[str, BaseDistribution] = {}
    if not isinstance(value["params"], list):
        raise WireError("a trial's params must be a list of [name, value, distribution]")
    for param in value["params"]:
        if not isinstance(param, list) or len(param) != 3:
            raise WireError("each param must be [name, value, distribution]")
        name, dist = _str(param[0]), _distribution(param[2])
        params[name], distributions[name] = _param_value(param[1], dist), dist
    steps = value["intermediate_values"]
    if not isinstance(steps, list) or not all(isinstance(s, list) and len(s) == 2 for s in steps):
        raise WireError("a trial's intermediate_values must be a list of [step, value]")
    return FrozenTrial(
        number=_int(value["number"]),
        state=_state(value["state"]),
        value=None,
        values=_floats(value["values"]),
        datetime_start=_datetime(value["datetime_start"]),
        datetime_complete=_datetime(value["datetime_complete"]),
        params=params,
        distributions=distributions,
        user_attrs=_attrs(value["user_attrs"]),
        system_attrs=_attrs(value["system_attrs"]),
        intermediate_values={_int(step): _float(v) for step, v in steps},
        trial_id=_int(value["trial_id"]),
    )


def _param_value(value: Any, distribution: BaseDistribution) -> Any:
    """A parameter's value as the objective saw it: one of the choices, an integer or a number."""
    if isinstance(distribution, CategoricalDistribution):
        if isinstance(value, (list, dict)):
            raise WireError(f"{value!r} is not one of the choices {list(distribution.choices)}")
        distribution.to_internal_repr(value)  # a ValueError when it is not a choice
        return value
    if isinstance(distribution, IntDistribution):
        return _int(value)
    return _float(value)


def _encode_study(study: FrozenStudy) -> dict[str, Any]:
    return {
        "study_id": study.study_id,
        "study_name": study.study_name,
        "directions": [int(d) for d in study.directions],
        "user_attrs": study.user_attrs,
        "system_attrs": study.system_attrs,
    }


def _decode_study(value: Any) -> FrozenStudy:
    fields = {"study_id", "study_name", "directions", "user_attrs", "system_attrs"}
    if not isinstance(value, dict) or set(value) != fields:
        raise WireError(f"a study must be an object with the fields {sorted(fields)}")
    return FrozenStudy(
        study_name=_str(value["study_name"]),
        directions=_directions(value["directions"]),
        user_attrs=_attrs(value["user_attrs"]),
        system_attrs=_attrs(value["system_attrs"]),
        study_id=_int(value["study_id"]),
    )


def _list_of(decode: Callable[[Any], Any]) -> Callable[[Any], list[Any]]:
    def decoded(value: Any) -> list[Any]:
        if not isinstance(value, list):
            raise WireError(f"expected a list, got {type(value).__name__}")
        return [decode(v) for v in value]

    return decoded


def _decode_trials(value: Any) -> tuple[list[FrozenTrial], int]:
    if not isinstance(value, dict) or set(value) != {"trials", "n_trials"}:
        raise WireError("expected {'trials': [...], 'n_trials': n}")
    return _list_of(decode_trial)(value["trials"]), _int(value["n_trials"])


def _encode_trials(value: tuple[list[FrozenTrial], int]) -> dict[str, Any]:
    return {"trials": [encode_trial(t) for t in value[0]], "n_trials": value[1]}


def _optional(decode: Callable[[Any], Any]) -> Callable[[Any], Any]:
    return lambda value: None if value is None else decode(value)


def _identity(value: Any) -> Any:
    return value


_DECODE: dict[str, Callable[[Any], Any]] = {
    "int": _int,
    "str": _str,
    "str?": _optional(_str),
    "float": _float,
    "floats?": _floats,
    "bool": _bool,
    "none": _none,
    "json": _json,
    "attrs": _attrs,
    "directions": _directions,
    "state": _state,
    "distribution": _distribution,
    "ranges": _ranges,
    "trial": decode_trial,
    "trial?": _optional(decode_trial),
    "studies": _list_of(_decode_study),
    "trials": _decode_trials,
}
_ENCODE: dict[str, Callable[[Any], Any]] = {
    **{kind: _identity for kind in ("int", "str", "str?", "bool", "none", "json", "attrs")},
    "float": float,
    "floats?": lambda v: None if v is None else [float(x) for x in v],
    "directions": lambda v: [int(d) for d in v],
    "state": int,
    "distribution": distribution_to_json,
    "ranges": lambda v: [list(r) for r in v],
    "trial": encode_trial,
    "trial?": lambda v: None if v is None else encode_trial(v),
    "studies": lambda v: [_encode_study(s) for s in v],
    "trials": _encode_trials,
}


def error_name(error: BaseException) -> str:
    """The name under which ``error`` crosses: its most specific class in :data:`ERRORS`."""
    return next((name for name, cls in ERRORS.items() if isinstance(error, cls)), "StorageInternalError")

