"""The wire protocol: every message that crosses Redis, its JSON schema, and the Redis key names.

Nothing here is pickled: messages are JSON objects, validated field by field on arrival with
:func:`parse`. A message that fails validation raises :class:`WireError` naming the bad field.

Flows:

- coordinator -> worker: a Celery task ``hpo.trial`` whose single argument is a :class:`TrialTask`.
- worker -> coordinator: :class:`Start`, :class:`Suggest`, :class:`Report`, :class:`Finish` on the
  stream :data:`INBOX` (a consumer group, so messages survive a coordinator restart and are
  acknowledged only once stored). ``Start``, ``Suggest`` and ``Report`` get a :class:`Reply` on the
  list ``reply_key(token)``.
- client -> coordinator: :class:`Submit`, :class:`Cancel`, :class:`Status` on the stream
  :data:`CONTROL`, answered on ``reply_key(request_id)``.
- workers announce their queues and slots in ``worker_key(hostname, pid)`` (expiring), see
  :class:`WorkerInfo`; the process id keeps two workers started with one node name apart.
- a message refused on arrival (too large, too deep, not JSON, not the expected shape) is moved to
  the stream :data:`DEAD_LETTERS` with the reason (``hpo coordinator dead-letters`` lists them).
- a worker running an attempt keeps ``alive_key(token)`` fresh (expiring after the task's
  ``heartbeat_timeout_s``); the coordinator ends a started attempt whose key expired: its worker died.
"""

from __future__ import annotations

import dataclasses
import json
import types
import typing
from collections.abc import Callable
from typing import Any, ClassVar, TypedDict, Union

from hpo.exceptions import WireError

VERSION = 1
PREFIX = "hpo:"
INBOX = PREFIX + "inbox"
CONTROL = PREFIX + "control"
COORDINATOR_GROUP = "coordinator"
WORKERS_PATTERN = PREFIX + "worker:*"
TASK_NAME = "hpo.trial"
REPLY_TTL_S = 600
#: The largest message accepted (JSON text): a trial's user attrs travel in its messages.
MAX_MESSAGE_BYTES = 4 * 1024 * 1024
#: How deep JSON values may nest inside a message's fields.
MAX_DEPTH = 32
#: Messages refused on arrival are set aside here (with why), never lost and never fatal.
DEAD_LETTERS = PREFIX + "dead"
#: How many refused messages the dead-letter stream keeps (the oldest go first).
DEAD_LETTERS_KEPT = 10_000
WORKER_TTL_S = 15


def reply_key(token: str) -> str:
    return f"{PREFIX}reply:{token}"


def worker_key(hostname: str, pid: int | str) -> str:
    """The announcement of the worker process ``pid`` named ``hostname`` (``"*"`` for a pattern)."""
    return f"{PREFIX}worker:{hostname}:{pid}"


def alive_key(token: str) -> str:
    return f"{PREFIX}alive:{token}"


def coordinator_key() -> str:
    return PREFIX + "coordinator"


def epoch_key() -> str:
    """Set by the coordinator when it starts: when Redis no longer has it, Redis lost its data."""
    return PREFIX + "epoch"


@dataclasses.dataclass
class Message:
    """Base of all messages: ``type`` tags the JSON object, ``v`` is the protocol version."""

    TYPE: ClassVar[str] = ""

    def to_json(self) -> str:
        return json.dumps(self.to_dict(), allow_nan=True, separators=(",", ":"))

    def to_dict(self) -> dict[str, Any]:
        # Fields hold JSON values only (validated by ``parse``), so a shallow read is a faithful copy.
        body = {"type": self.TYPE, "v": VERSION}
        for name in _schema(type(self)):
            body[name] = getattr(self, name)
        return body


# --- coordinator -> worker -------------------------------------------------------------------
@dataclasses.dataclass
class TrialTask(Message):
    """One attempt of one trial, with the parameters the coordinator sampled ahead.

    ``params`` maps a name to ``{"value": external value, "distribution": distribution JSON}``.
    """

    TYPE: ClassVar[str] = "trial"
    study_id: int
    study_name: str
    trial_id: int
    number: int
    attempt: int
    token: str
    objective: str
    n_objectives: int
    params: dict[str, Any]
    reply_timeout_s: float
    heartbeat_timeout_s: float
    time_limit_s: Union[float, None] = None  # the trial is stopped after this long (None: never)


# --- worker -> coordinator -------------------------------------------------------------------
@dataclasses.dataclass
class _FromAttempt(Message):
    study_id: int
    trial_id: int
    attempt: int
    token: str


@dataclasses.dataclass
class Start(_FromAttempt):
    """A worker is about to run the attempt; the reply says whether it should. ``worker`` names this
    delivery (worker, process, run), so the same start read twice is told yes twice."""

    TYPE: ClassVar[str] = "start"
    worker: str
    device: Union[str, None]
    reply_to: Union[str, None] = None  # the delivery's reply list (see Suggest)


class ArtifactRecord(TypedDict):
    """An artifact the objective uploaded (``hpo.artifacts.ArtifactMeta``'s fields): the coordinator
    stores it as the trial's system attr ``artifacts:<artifact_id>``, as Optuna's ``upload_artifact`` does."""

    artifact_id: str
    filename: str
    mimetype: str
    encoding: Union[str, None]


@dataclasses.dataclass
class _Update(_FromAttempt):
    """Carries what the objective did locally since the last message (applied in order); each
    subclass ends with ``artifacts``, the artifacts uploaded since (None: none)."""

    used_params: dict[str, Any]
    user_attrs: dict[str, Any]


@dataclasses.dataclass
class Suggest(_Update):
    TYPE: ClassVar[str] = "suggest"
    seq: int
    name: str
    distribution: str
    #: The delivery's own reply list (``reply_key(reply_to)``): two deliveries of one attempt (a
    #: redelivery, a republished task) never pop each other's replies. None: ``reply_key(token)``.
    reply_to: Union[str, None] = None
    artifacts: Union[list[ArtifactRecord], None] = None


@dataclasses.dataclass
class Report(_Update):
    TYPE: ClassVar[str] = "report"
    seq: int
    step: int
    value: float
    reply_to: Union[str, None] = None  # see Suggest
    artifacts: Union[list[ArtifactRecord], None] = None


@dataclasses.dataclass
class Finish(_Update):
    """The objective returned or raised; ``refused`` when the worker may not run the objective at all;
    ``lost`` when the attempt's process died (sent by the worker's main process: it may be retried)."""

    TYPE: ClassVar[str] = "finish"
    state: str
    values: Union[list, None]
    fail_reason: Union[str, None]
    duration_s: float
    refused: bool = False
    lost: bool = False
    runner: Union[str, None] = None  # sent for a delivery: only the attempt that delivery started takes it
    artifacts: Union[list[ArtifactRecord], None] = None


@dataclasses.dataclass
class Reply(Message):
    """Answer to Start (``ok``), Suggest (``value``) or Report (``prune``); ``error`` when refused."""

    TYPE: ClassVar[str] = "reply"
    seq: int
    ok: bool
    value: Any = None
    prune: bool = False
    error: Union[str, None] = None


# --- client -> coordinator -------------------------------------------------------------------
@dataclasses.dataclass
class Submit(Message):
    TYPE: ClassVar[str] = "submit"
    request_id: str
    objective: str
    n_trials: int
    study_name: Union[str, None]
    directions: list
    sampler: Union[dict, None]
    pruner: Union[dict, None]
    queue: str
    timeout_s: Union[float, None]
    load_if_exists: bool
    trial_timeout_s: Union[float, None] = None
    max_retries: int = 0


@dataclasses.dataclass
class Cancel(Message):
    TYPE: ClassVar[str] = "cancel"
    request_id: str
    study_name: str


@dataclasses.dataclass
class Status(Message):
    TYPE: ClassVar[str] = "status"
    request_id: str
    study_name: str


@dataclasses.dataclass
class ControlReply(Message):
    TYPE: ClassVar[str] = "control_reply"
    request_id: str
    ok: bool
    body: dict
    error: Union[str, None] = None
    error_type: Union[str, None] = None


@dataclasses.dataclass
class WorkerInfo(Message):
    """What a worker announces: its queues, how many trials it runs at once, and its GPUs (one per
    child process; None from a worker without GPUs, or of a version that did not announce them)."""

    TYPE: ClassVar[str] = "worker"
    hostname: str
    queues: list
    concurrency: int
    objectives: list
    gpus: Union[list, None] = None


_TYPES: dict[str, type[Message]] = {
    cls.TYPE: cls
    for cls in (TrialTask, Start, Suggest, Report, Finish, Reply, Submit, Cancel, Status, ControlReply, WorkerInfo)
}

_M = typing.TypeVar("_M", bound=Message)
_A = typing.TypeVar("_A", bound=Message)
_B = typing.TypeVar("_B", bound=Message)
_C = typing.TypeVar("_C", bound=Message)
_D = typing.TypeVar("_D", bound=Message)


@typing.overload
def parse(raw: str | bytes | dict[str, Any], expected: type[_M]) -> _M: ...


@typing.overload
def parse(raw: str | bytes | dict[str, Any], expected: tuple[type[_A], type[_B], type[_C]]) -> _A | _B | _C: ...


@typing.overload
def parse(
    raw: str | bytes | dict[str, Any], expected: tuple[type[_A], type[_B], type[_C], type[_D]]
) -> _A | _B | _C | _D: ...


@typing.overload
def parse(raw: str | bytes | dict[str, Any]) -> Message: ...


def parse(raw: str | bytes | dict[str, Any], expected: type[Message] | tuple[type[Message], ...] = Message) -> Message:
    """Validate a JSON message and build its dataclass, one of ``expected`` (any by default); raise
    :class:`WireError` on any mismatch: too large (over :data:`MAX_MESSAGE_BYTES`), nested too
    deep (over :data:`MAX_DEPTH`), not JSON, not the expected shape."""
    if isinstance(raw, (str, bytes)):
        if len(raw) > MAX_MESSAGE_BYTES:
            raise WireError(f"Message of {len(raw)} bytes is over the limit of {MAX_MESSAGE_BYTES}.")
        try:
            data = json.loads(raw)
        except RecursionError:
            raise WireError(f"Message is nested deeper than JSON parsing allows (the limit is {MAX_DEPTH}).") from None
        except ValueError as e:
            raise WireError(f"Message is not valid JSON: {e}.") from None
    else:
        data = raw
    if not isinstance(data, dict):
        raise WireError(f"Message must be a JSON object, got {type(data).__name__}.")
    if data.get("v") != VERSION:
        raise WireError(f"Protocol version {data.get('v')!r} is not supported (expected {VERSION}); upgrade hpo.")
    type_name = data.get("type")
    cls = _TYPES.get(type_name) if isinstance(type_name, str) else None
    if cls is None:
        raise WireError(f"Unknown message type {data.get('type')!r}; known: {sorted(_TYPES)}.")
    if not issubclass(cls, expected):
        names = expected.__name__ if isinstance(expected, type) else [e.__name__ for e in expected]
        raise WireError(f"Expected a {names} message, got {cls.__name__}.")
    schema = _schema(cls)
    kwargs: dict[str, Any] = {}
    for name, (check, required, hint) in schema.items():
        if name not in data:
            if not required:
                continue
            raise WireError(f"{cls.__name__} message lacks field {name!r}.")
        value = data[name]
        if not check(value):
            described = _describe(hint)
            container = isinstance(value, (dict, list)) and type(value).__name__ in described
            if container and not _is_json(value):
                raise WireError(f"{cls.__name__}.{name} must hold JSON values nested at most {MAX_DEPTH} deep.")
            raise WireError(f"{cls.__name__}.{name} must be {_describe(hint)}, got {type(value).__name__}.")
        kwargs[name] = value
    if len(data) - 2 > len(kwargs):
        extra = set(data) - set(schema) - {"type", "v"}
        raise WireError(f"{cls.__name__} message has unknown fields {sorted(extra)}.")
    return cls(**kwargs)


_Schema = dict[str, tuple[Callable[[Any], bool], bool, Any]]
_SCHEMAS: dict[str, _Schema] = {}


def _schema(cls: type[Message]) -> _Schema:
    """Field name -> (checker of its values, required, type hint) of a message class, computed once."""
    schema = _SCHEMAS.get(cls.TYPE)
    if schema is None:
        hints = typing.get_type_hints(cls)
        schema = _SCHEMAS[cls.TYPE] = {
            f.name: (_checker(hints[f.name]), f.default is dataclasses.MISSING, hints[f.name])
            for f in dataclasses.fields(cls)
        }
    return schema


def _checker(hint: Any) -> Callable[[Any], bool]:
    """A function that tells whether a value matches ``hint`` (built once per field, so parsing is fast)."""
    origin = typing.get_origin(hint)
    if hint is Any:
        return _is_json
    if origin in (Union, types.UnionType):
        options = [_checker(h) for h in typing.get_args(hint)]
        return lambda value: any(check(value) for check in options)
    if hint is type(None):
        return lambda value: value is None
    if hint is bool:
        return lambda value: value is True or value is False
    if hint is int:
        return lambda value: type(value) is int or (isinstance(value, int) and not isinstance(value, bool))
    if hint is float:
        return lambda value: type(value) is float or (isinstance(value, (int, float)) and not isinstance(value, bool))
    if hint is str:
        return lambda value: isinstance(value, str)
    if typing.is_typeddict(hint):
        fields = {name: _checker(h) for name, h in typing.get_type_hints(hint).items()}
        return lambda value: (isinstance(value, dict) and value.keys() == fields.keys()
                              and all(check(value[name]) for name, check in fields.items()))
    if origin is list and typing.get_args(hint) and typing.get_args(hint)[0] is not Any:
        item = _checker(typing.get_args(hint)[0])
        return lambda value: isinstance(value, list) and all(item(v) for v in value)
    if hint is list or origin is list:
        return lambda value: isinstance(value, list) and _is_json(value)
    if hint is dict or origin is dict:
        return lambda value: isinstance(value, dict) and _is_json(value)
    return lambda value: False


def _is_json(value: Any, depth: int = 0) -> bool:
    if depth > MAX_DEPTH:
        return False
    if value is None or isinstance(value, (bool, int, float, str)):
        return True
    if isinstance(value, list):
        return all(_is_json(v, depth + 1) for v in value)
    if isinstance(value, dict):
        return all(isinstance(k, str) and _is_json(v, depth + 1) for k, v in value.items())
    return False


def _describe(hint: Any) -> str:
    if typing.get_origin(hint) in (Union, types.UnionType):
        return " or ".join(_describe(h) for h in typing.get_args(hint))
    if typing.is_typeddict(hint):
        return f"an object with exactly the fields {sorted(typing.get_type_hints(hint))}"
    if typing.get_origin(hint) is list and typing.get_args(hint):
        return f"list of {_describe(typing.get_args(hint)[0])}"
    return "null" if hint is type(None) else getattr(hint, "__name__", str(hint))
