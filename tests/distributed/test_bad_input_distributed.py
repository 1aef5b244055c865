"""Bad input on the distributed side gets an error that names the problem and the fix, and loses nothing.

Each case feeds one bad input and checks the error's type and two phrases of its message: one naming
the problem, one naming the fix (or what is expected instead). The cluster cases run against one
real cluster (Redis, a coordinator, 2 workers) that first ran a 3-trial study; after each bad input
that study still holds its 3 trials, unchanged, and a refused submission created no study. The CLI
cases run ``python -m hpo.cli`` without ``HPO_BROKER_URL``: they exit non-zero, print the message
and no traceback. A case marked ``xfail`` (strict) shows a defect, named in its reason.

Wire protocol (``hpo.distributed.wire.parse``), all ``WireError``:
 1. text that is not JSON
 2. bytes that are not UTF-8 JSON
 3. JSON that is not an object (a list)
 4. protocol version 2
 5. no protocol version
 6. an unknown message type
 7. a message type that is a list
 8. a field of the wrong type (a string field holding an int)
 9. a bool where an int is expected (``Submit.n_trials``)
10. a missing field
11. an unknown field
12. a message over ``MAX_MESSAGE_BYTES``
13. nesting deeper than the JSON parser allows
14. a field nested deeper than ``MAX_DEPTH``
15. a message of another type than expected (a Cancel where a Submit is expected)

Config (``Settings.from_env``), all ``ConfigError``:
16. ``HPO_REPLY_TIMEOUT=abc``
17. ``HPO_HEARTBEAT_TIMEOUT=0``
18. ``HPO_HEARTBEAT_TIMEOUT=-1``
19. ``HPO_HEARTBEAT_TIMEOUT=abc``
20. ``HPO_VISIBILITY_TIMEOUT=abc``
21. ``HPO_REPLY_TIMEOUT=nan``
22. ``HPO_CONFIG_FILE`` naming a missing file (``ConfigFileNotFoundError``)
23. ``HPO_CONFIG_FILE`` holding bad JSON
24. ``HPO_CONFIG_FILE`` holding a JSON list
25. ``HPO_CONFIG_FILE`` with ``reply_timeout: -5``
26. ``HPO_CONFIG_FILE`` with ``heartbeat_timeout: 0``
27. ``HPO_CONFIG_FILE`` holding bad TOML
28. ``HPO_CONFIG_FILE`` naming a directory

Specs (``hpo.specs.from_spec``/``to_spec``), all ``SpecError``:
29. a spec that is not a dict
30. a spec without ``class``
31. a spec with extra keys
32. a spec whose ``kwargs`` is not a dict
33. a class the module lacks
34. a class that is no sampler or pruner
35. a class from a module outside the allowed spec modules
36. a ``$callable`` from a module outside the allowed spec modules
37. ``to_spec`` of an object that does not record its constructor arguments

Objectives (``hpo.objective``, ``load_objective``):
38. the same name registered twice for different functions (``ValueError``; the first stays)
39. a name that is neither ``module:function`` nor registered (``ObjectiveNotAllowedError``)
40. a function its module lacks (``ObjectiveNotAllowedError``)

``hpo.submit_study`` / ``get_study_handle`` / ``read_dead_letters`` in this process:
41. ``n_trials=0``
42. ``n_trials=-1``
43. ``n_trials=True``
44. ``n_trials="5"``
45. both ``direction`` and ``directions``
46. an unregistered name without a colon
47. a sampler class defined in ``__main__`` (``SpecError`` "module level")
48. a lambda ``constraints_func`` (``SpecError`` "module level")
49. a sampler kwarg that is no JSON value
50. a sampler kwarg dict with non-string keys
51. a sampler given by name (``"tpe"``)
52. an unreachable broker URL with a password (``CoordinatorUnavailableError``, password shown as ``***``)
53. ``get_study_handle().status()`` on an unreachable broker
54. ``read_dead_letters`` on an unreachable broker
55. a broker URL that is not a Redis URL (``ValueError`` naming the schemes)

Stored job records (``Job.from_json``), all ``JobRecordError``:
56. a record that is not an object
57. a record with an unknown field
58. a record lacking a field
59. a record with an unknown status

CLI without a cluster (exit status != 0, the message, no traceback):
60. ``hpo study submit`` without ``--n-trials``
61. ``hpo study submit --n-trials 0``
62. ``hpo study submit --sampler bogus``
63. ``hpo study submit NAME`` without a colon
64. ``hpo study status --broker http://...``
65. ``hpo coordinator start`` without ``--storage``
66. ``hpo coordinator start`` with an in-memory SQLite storage
67. ``hpo coordinator start`` with an unreachable broker (password shown as ``***``)
68. ``hpo run FILE:missing --workers 2``
69. ``hpo run FILE:objective --workers 2`` without ``--n-trials``

Refused by the coordinator of a real cluster (the stored study keeps its trials):
70. a duplicate study name without ``load_if_exists`` (``DuplicatedStudyError``)
71. ``load_if_exists`` with other directions (``ValueError``)
72. a study with a running job submitted again (``ValueError``)
73. a bad direction (``ValueError``)
74. ``trial_timeout=0`` (``ValueError``)
75. ``timeout=-1`` (``ValueError``)
76. ``max_retries=-1`` (``ValueError``)
77. a sampler spec from a module not in ``HPO_SPEC_MODULES`` (``SpecError``)
78. a sampler spec naming a class that is no sampler (``SpecError``)
79. a pruner spec naming a sampler (``SpecError``)
80. a sampler spec naming a pruner (``SpecError``)
81. a sampler spec with bad constructor kwargs (``SpecError`` "Cannot build")
82. a malformed sampler spec (``SpecError``)
83. a ``$callable`` from a module not in ``HPO_SPEC_MODULES`` (``SpecError``)
84. cancel of an unknown study (``StudyNotFoundError``)
85. status of an unknown study (``StudyNotFoundError``)
86. an objective module not allowed on the workers (``StudyFailedError`` naming ``HPO_OBJECTIVE_MODULES``)
87. an objective from hpo's own code (``StudyFailedError``)
88. an objective function its allowed module lacks (``StudyFailedError``)
89. CLI: ``hpo study status`` of an unknown study
90. CLI: ``hpo study submit --load-if-exists`` with other directions
"""

from __future__ import annotations

import json
import os
import pathlib
import re
import subprocess
import sys
import uuid
from collections.abc import Callable, Iterator
from typing import Any

import pytest

import hpo
from hpo import specs
from hpo.coordinator._job import Job, JobRecordError
from hpo.distributed import objectives, wire
from hpo.distributed.client import read_dead_letters
from hpo.distributed.config import Settings
from hpo.distributed.local_stack import LocalStack
from hpo.exceptions import (
    ConfigError,
    ConfigFileNotFoundError,
    CoordinatorUnavailableError,
    DuplicatedStudyError,
    ObjectiveNotAllowedError,
    SpecError,
    StudyFailedError,
    StudyNotFoundError,
    WireError,
)

OBJECTIVE = "hpo_test_objectives:conditional"
STORED = "stored-before"
UNREACHABLE = "redis://:s3cret@127.0.0.1:1/0"
MASKED = re.escape("redis://:***@127.0.0.1:1/0")


def defect(reason: str) -> pytest.MarkDecorator:
    return pytest.mark.xfail(strict=True, reason=reason)


def raises_naming(call: Callable[[], Any], error: type[BaseException], problem: str, fix: str) -> str:
    """Run ``call``; it must raise ``error`` whose message matches the ``problem`` and ``fix`` regexes."""
    with pytest.raises(error) as info:
        call()
    message = str(info.value)
    assert re.search(problem, message), f"problem {problem!r} not named in: {message}"
    assert re.search(fix, message), f"fix {fix!r} not named in: {message}"
    return message


# --- wire protocol ----------------------------------------------------------------------------
CANCEL = {"type": "cancel", "v": 1, "request_id": "r1", "study_name": "s"}
SUBMIT = wire.Submit(request_id="r2", objective=OBJECTIVE, n_trials=3, study_name=None, directions=[],
                     sampler=None, pruner=None, queue="cpu", timeout_s=None, load_if_exists=False).to_dict()


def _cancel(**changes: Any) -> str:
    return json.dumps({**CANCEL, **changes})


def _cancel_without(field: str) -> str:
    return json.dumps({k: v for k, v in CANCEL.items() if k != field})


def _nested_body(depth: int) -> str:
    return ('{"type":"control_reply","v":1,"request_id":"r","ok":true,"body":' + '{"a":' * depth + "1"
            + "}" * depth + "}")


WIRE_CASES = [
    pytest.param("{not json", wire.Message, "not valid JSON", "Expecting property name", id="01-not-json"),
    pytest.param(b'{"type": "\xff"}', wire.Message, "not valid JSON", "'utf-8' codec can't decode", id="02-not-utf8"),
    pytest.param("[1, 2]", wire.Message, "got list", "must be a JSON object", id="03-not-an-object"),
    pytest.param(_cancel(v=2), wire.Message, "version 2 is not supported", "upgrade hpo", id="04-version-2"),
    pytest.param(_cancel_without("v"), wire.Message, "version None is not supported", r"expected 1",
                 id="05-no-version"),
    pytest.param(_cancel(type="nope"), wire.Message, "Unknown message type 'nope'", r"known: \[.*'submit'",
                 id="06-unknown-type"),
    pytest.param(_cancel(type=["cancel"]), wire.Message, "Unknown message type", r"known: \[",
                 id="07-type-is-a-list"),
    pytest.param(_cancel(study_name=5), wire.Message, "got int", r"Cancel\.study_name must be str",
                 id="08-wrong-field-type"),
    pytest.param(json.dumps({**SUBMIT, "n_trials": True}), wire.Submit, "got bool", r"Submit\.n_trials must be int",
                 id="09-bool-for-int"),
    pytest.param(_cancel_without("study_name"), wire.Message, "lacks field", "'study_name'", id="10-missing-field"),
    pytest.param(_cancel(extra=1), wire.Message, "unknown fields", r"\['extra'\]", id="11-unknown-field"),
    pytest.param(_cancel(study_name="x" * wire.MAX_MESSAGE_BYTES), wire.Message, "is over the limit",
                 f"limit of {wire.MAX_MESSAGE_BYTES}", id="12-too-large"),
    pytest.param("[" * 100_000 + "]" * 100_000, wire.Message, "nested deeper than JSON parsing allows",
                 f"the limit is {wire.MAX_DEPTH}", id="13-nested-past-the-parser"),
    pytest.param(_nested_body(wire.MAX_DEPTH + 8), wire.ControlReply, "nested|deep", f"{wire.MAX_DEPTH}",
                 id="14-field-nested-too-deep"),
    pytest.param(_cancel(), wire.Submit, "got Cancel", "Expected a Submit message", id="15-unexpected-type"),
]


@pytest.mark.parametrize(("raw", "expected", "problem", "fix"), WIRE_CASES)
def test_wire_refuses_bad_messages(raw: str | bytes, expected: type[wire.Message], problem: str, fix: str) -> None:
    raises_naming(lambda: wire.parse(raw, expected), WireError, problem, fix)


# --- config -----------------------------------------------------------------------------------
ENV_CASES = [
    pytest.param("HPO_REPLY_TIMEOUT", "abc", id="16-reply-timeout-abc"),
    pytest.param("HPO_HEARTBEAT_TIMEOUT", "0", id="17-heartbeat-timeout-0"),
    pytest.param("HPO_HEARTBEAT_TIMEOUT", "-1", id="18-heartbeat-timeout-negative"),
    pytest.param("HPO_HEARTBEAT_TIMEOUT", "abc", id="19-heartbeat-timeout-abc"),
    pytest.param("HPO_VISIBILITY_TIMEOUT", "abc", id="20-visibility-timeout-abc"),
    pytest.param("HPO_REPLY_TIMEOUT", "nan", id="21-reply-timeout-nan"),
]


@pytest.mark.parametrize(("key", "value"), ENV_CASES)
def test_config_refuses_bad_timeouts(key: str, value: str) -> None:
    raises_naming(lambda: Settings.from_env({key: value}), ConfigError, f"{key} .*got '{re.escape(value)}'",
                  "must be a number of seconds > 0")


CONFIG_FILE_CASES = [
    pytest.param(None, None, ConfigFileNotFoundError, "which does not exist", "HPO_CONFIG_FILE points to",
                 id="22-file-missing"),
    pytest.param("hpo.json", "{nope", ConfigError, "is not valid JSON", r"use \.toml for TOML", id="23-bad-json"),
    pytest.param("hpo.json", "[1]", ConfigError, "HPO_CONFIG_FILE .*hpo.json", "must hold a JSON object",
                 id="24-json-list"),
    pytest.param("hpo.json", '{"reply_timeout": -5}', ConfigError, "HPO_REPLY_TIMEOUT .*got -5",
                 "must be a number of seconds > 0", id="25-negative-timeout-in-file"),
    pytest.param("hpo.json", '{"heartbeat_timeout": 0}', ConfigError, "HPO_HEARTBEAT_TIMEOUT .*got 0",
                 "must be a number of seconds > 0", id="26-zero-timeout-in-file"),
    pytest.param("hpo.toml", "x = = 1", ConfigError, "hpo.toml", "TOML", id="27-bad-toml"),
    pytest.param("", None, ConfigError, "directory|not a file", "HPO_CONFIG_FILE", id="28-file-is-a-directory"),
]


@pytest.mark.parametrize(("name", "content", "error", "problem", "fix"), CONFIG_FILE_CASES)
def test_config_refuses_bad_config_files(tmp_path: pathlib.Path, name: str | None, content: str | None,
                                         error: type[Exception], problem: str, fix: str) -> None:
    path = tmp_path / (name if name is not None else "missing.json")
    if name and content is not None:
        path.write_text(content)
    raises_naming(lambda: Settings.from_env({"HPO_CONFIG_FILE": str(path)}), error, problem, fix)


# --- specs ------------------------------------------------------------------------------------
class NotASampler:
    """Has a constructor but records nothing: it cannot travel as a spec."""

    def __init__(self, seed: int) -> None:
        self.seed = seed


class OpaqueSampler(hpo.samplers.RandomSampler):
    """A sampler whose ``blob`` argument may hold anything (a JSON value or not)."""

    def __init__(self, blob: Any = None) -> None:
        super().__init__()
        self.blob = blob


SHAPE = re.escape("A spec must look like {'class': 'module:Class', 'kwargs': {...}}")
TPE = "hpo.samplers:TPESampler"
SPEC_CASES = [
    pytest.param(lambda: specs.from_spec(["hpo.samplers:RandomSampler"]), "got \\['hpo", SHAPE, id="29-not-a-dict"),
    pytest.param(lambda: specs.from_spec({"kwargs": {}}), "got \\{'kwargs'", SHAPE, id="30-no-class"),
    pytest.param(lambda: specs.from_spec({"class": "hpo.samplers:RandomSampler", "extra": 1}), "'extra': 1", SHAPE,
                 id="31-extra-keys"),
    pytest.param(lambda: specs.from_spec({"class": "hpo.samplers:RandomSampler", "kwargs": [1]}), "'kwargs': \\[1\\]",
                 SHAPE, id="32-kwargs-not-a-dict"),
    pytest.param(lambda: specs.from_spec({"class": "hpo.samplers:NoSuchSampler"}), "has no 'NoSuchSampler'",
                 "Callables defined there", id="33-no-such-class"),
    pytest.param(lambda: specs.from_spec({"class": "collections:OrderedDict"}), "is not a sampler, pruner",
                 "subclass of hpo.samplers.BaseSampler or hpo.pruners.BasePruner", id="34-not-a-sampler"),
    pytest.param(lambda: specs.from_spec({"class": "collections:OrderedDict"}, ["mine"]),
                 "'collections' is not allowed", "HPO_SPEC_MODULES", id="35-module-not-allowed"),
    pytest.param(lambda: specs.from_spec({"class": TPE, "kwargs": {"constraints_func": {"$callable": "os:system"}}},
                                         []),
                 "'os' is not allowed", "HPO_SPEC_MODULES", id="36-callable-not-allowed"),
    pytest.param(lambda: specs.to_spec(NotASampler(3)), "does not record its constructor arguments",
                 "subclass BaseSampler/BasePruner", id="37-does-not-record-its-arguments"),
]


@pytest.mark.parametrize(("call", "problem", "fix"), SPEC_CASES)
def test_specs_refuse_bad_input(call: Callable[[], Any], problem: str, fix: str) -> None:
    raises_naming(call, SpecError, problem, fix)


# --- objectives -------------------------------------------------------------------------------
def _objective_a(trial: hpo.trial.BaseTrial) -> float:
    return 0.0


def _objective_b(trial: hpo.trial.BaseTrial) -> float:
    return 1.0


def test_38_an_objective_name_registered_twice_is_refused_and_the_first_stays(
        monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(objectives, "_REGISTRY", dict(objectives._REGISTRY))
    hpo.objective(name="twice")(_objective_a)
    raises_naming(lambda: hpo.objective(name="twice")(_objective_b), ValueError,
                  "'twice' is already registered for .*:_objective_a", "pick another name")
    entry = objectives.registered("twice")
    assert entry is not None and entry.path.endswith(":_objective_a")


@pytest.mark.parametrize(("path", "problem", "fix"), [
    pytest.param("no-colon", "neither 'module:function' nor a registered name", "HPO_OBJECTIVE_MODULES",
                 id="39-neither-path-nor-name"),
    pytest.param("json:no_such_function", "json has no 'no_such_function'", "Callables defined there: .*dumps",
                 id="40-no-such-function"),
])
def test_load_objective_refuses_bad_paths(path: str, problem: str, fix: str) -> None:
    raises_naming(lambda: objectives.load_objective(path, ["json"]), ObjectiveNotAllowedError, problem, fix)


# --- submit_study and friends in this process ---------------------------------------------------
@pytest.fixture()
def unreachable_env(monkeypatch: pytest.MonkeyPatch, tmp_path: pathlib.Path) -> None:
    """No cluster: a broker URL nothing listens on, no stack to fall back to, no config file."""
    for key in ("HPO_STORAGE_URL", "HPO_CONFIG_FILE", "HPO_REPLY_TIMEOUT"):
        monkeypatch.delenv(key, raising=False)
    monkeypatch.setenv("HPO_BROKER_URL", UNREACHABLE)
    monkeypatch.setenv("HPO_HOME", str(tmp_path / "home"))


def _main_sampler() -> hpo.samplers.BaseSampler:
    cls = type("MainSampler", (hpo.samplers.RandomSampler,), {"__module__": "__main__"})
    return cls()


def _submit(**kwargs: Any) -> Callable[[], Any]:
    return lambda: hpo.submit_study(**{"objective_path": OBJECTIVE, "n_trials": 3, **kwargs})


POSITIVE = "n_trials must be a positive integer"
CLIENT_CASES = [
    pytest.param(_submit(n_trials=0), ValueError, "got 0", POSITIVE, id="41-n-trials-0"),
    pytest.param(_submit(n_trials=-1), ValueError, "got -1", POSITIVE, id="42-n-trials-negative"),
    pytest.param(_submit(n_trials=True), ValueError, "got True", POSITIVE, id="43-n-trials-true"),
    pytest.param(_submit(n_trials="5"), ValueError, "got '5'", POSITIVE, id="44-n-trials-string"),
    pytest.param(_submit(direction="minimize", directions=["minimize"]), ValueError, "not both",
                 "Pass either direction or directions", id="45-direction-and-directions"),
    pytest.param(_submit(objective_path="no-such-name"), ValueError, "Objective 'no-such-name'",
                 "must be 'module:function' or a name registered with @hpo.objective", id="46-unregistered-name"),
    pytest.param(_submit(sampler=_main_sampler()), SpecError, "cannot be sent to the coordinator",
                 "module level .*not in __main__", id="47-sampler-in-main"),
    pytest.param(_submit(sampler=hpo.samplers.TPESampler(constraints_func=lambda t: [0.0])), SpecError,
                 "lambda.* cannot be sent", "define it at module level", id="48-lambda-constraints"),
    pytest.param(_submit(sampler=OpaqueSampler(blob=object())), SpecError, "blob", "JSON value|module level",
                 id="49-kwarg-not-json"),
    pytest.param(_submit(sampler=OpaqueSampler(blob={1: "a"})), SpecError, r"\{1: 'a'\}",
                 "Dict keys must be strings", id="50-kwarg-dict-int-keys"),
    pytest.param(_submit(sampler="tpe"), SpecError, "'tpe'", "BaseSampler", id="51-sampler-by-name"),
    pytest.param(_submit(), CoordinatorUnavailableError, "Cannot reach the broker at", MASKED,
                 id="52-unreachable-broker"),
    pytest.param(lambda: hpo.get_study_handle("s").status(), CoordinatorUnavailableError,
                 "Cannot reach the broker at " + MASKED, "HPO_BROKER_URL|broker_url", id="53-status-unreachable"),
    pytest.param(lambda: read_dead_letters(), CoordinatorUnavailableError, "Cannot read the dead letters", MASKED,
                 id="54-dead-letters-unreachable"),
    pytest.param(_submit(broker_url="http://127.0.0.1:1/"), ValueError, "Redis URL must specify",
                 "redis://, rediss://, unix://", id="55-not-a-redis-url"),
]


@pytest.mark.parametrize(("call", "error", "problem", "fix"), CLIENT_CASES)
def test_the_client_refuses_bad_input(unreachable_env: None, call: Callable[[], Any], error: type[Exception],
                                      problem: str, fix: str) -> None:
    message = raises_naming(call, error, problem, fix)
    assert "s3cret" not in message


# --- stored job records ---------------------------------------------------------------------------
def _job(**changes: Any) -> dict[str, Any]:
    stored = Job.new(objective=OBJECTIVE, n_trials=3, queue="cpu", timeout_s=None, sampler=None, pruner=None,
                     base_finished=0).to_json()
    stored.update(changes)
    return stored


JOB_CASES = [
    pytest.param([1], "got list", "must be a JSON object", id="56-not-an-object"),
    pytest.param(_job(colour="red"), "unknown fields", r"\['colour'\]", id="57-unknown-field"),
    pytest.param({k: v for k, v in _job().items() if k != "queue"}, "lacks fields", "'queue'", id="58-missing-field"),
    pytest.param(_job(status="paused"), "status 'paused'", "is not one of .*'running'", id="59-unknown-status"),
]


@pytest.mark.parametrize(("stored", "problem", "fix"), JOB_CASES)
def test_a_damaged_job_record_is_refused(stored: Any, problem: str, fix: str) -> None:
    raises_naming(lambda: Job.from_json(stored), JobRecordError, problem, fix)


# --- CLI without a cluster ------------------------------------------------------------------------
def cli_env(tmp_path: pathlib.Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items()
           if k not in ("HPO_BROKER_URL", "HPO_STORAGE_URL", "HPO_CONFIG_FILE")}
    env["HPO_HOME"] = str(tmp_path / "home")
    return env


def cli_fails(args: list[str], env: dict[str, str], problem: str, fix: str,
              cwd: pathlib.Path | None = None) -> str:
    """Run ``hpo ARGS``: it must fail with a message naming ``problem`` and ``fix``, and no traceback."""
    result = subprocess.run([sys.executable, "-m", "hpo.cli", *args], env=env, cwd=cwd, capture_output=True,
                            text=True, timeout=120)
    assert result.returncode != 0, result.stdout
    assert "Traceback" not in result.stderr, result.stderr
    assert re.search(problem, result.stderr), result.stderr
    assert re.search(fix, result.stderr), result.stderr
    return result.stderr


NOWHERE = "redis://127.0.0.1:1/0"
CLI_CASES = [
    pytest.param(["study", "submit", OBJECTIVE], "Missing option '--n-trials'",
                 re.escape("Try 'hpo study submit --help'"), id="60-submit-without-n-trials"),
    pytest.param(["study", "submit", OBJECTIVE, "--n-trials", "0"], "Invalid value for '--n-trials'",
                 re.escape("0 is not in the range x>=1"), id="61-submit-n-trials-0"),
    pytest.param(["study", "submit", OBJECTIVE, "--n-trials", "1", "--sampler", "bogus", "--broker", NOWHERE],
                 "unknown name 'bogus'", "Available: random, tpe", id="62-submit-unknown-sampler"),
    pytest.param(["study", "submit", "no-colon", "--n-trials", "1", "--broker", NOWHERE], "Objective 'no-colon'",
                 "must be 'module:function'", id="63-submit-name-without-colon"),
    pytest.param(["study", "status", "s", "--broker", "http://127.0.0.1:1/"], "Redis URL must specify",
                 "redis://", id="64-status-not-a-redis-url"),
    pytest.param(["coordinator", "start", "--broker", NOWHERE], "Missing option '--storage'", "HPO_STORAGE_URL",
                 id="65-coordinator-without-storage"),
    pytest.param(["coordinator", "start", "--storage", "sqlite:///:memory:", "--broker", NOWHERE],
                 "in-memory SQLite database", re.escape("Use a file (sqlite:///hpo.db)"),
                 id="66-coordinator-in-memory-storage"),
    pytest.param(["coordinator", "start", "--storage", "sqlite:///hpo.db", "--broker", UNREACHABLE],
                 "Cannot reach the broker at " + MASKED, "Start Redis there.*HPO_BROKER_URL",
                 id="67-coordinator-unreachable-broker"),
    pytest.param(["run", "obj.py:missing", "--n-trials", "2", "--workers", "2"], "obj.py has no 'missing'",
                 "Callables defined there: objective", id="68-run-workers-missing-function"),
    pytest.param(["run", "obj.py:objective", "--timeout", "5", "--workers", "2"], "--workers needs --n-trials",
                 "--n-trials N", id="69-run-workers-without-n-trials"),
]


@pytest.mark.parametrize(("args", "problem", "fix"), CLI_CASES)
def test_the_cli_refuses_bad_input(tmp_path: pathlib.Path, args: list[str], problem: str, fix: str) -> None:
    (tmp_path / "obj.py").write_text("def objective(trial):\n    return 0.0\n")
    stderr = cli_fails(args, cli_env(tmp_path), problem, fix, cwd=tmp_path)
    assert "s3cret" not in stderr
    assert not (tmp_path / "hpo.db").exists()  # nothing started, nothing written


# --- refused by a real cluster's coordinator --------------------------------------------------------
Snapshot = list[tuple[int, Any, Any, dict[str, Any]]]


def snapshot(storage_url: str) -> Snapshot:
    study = hpo.load_study(study_name=STORED, storage=storage_url)
    return [(t.number, t.state, t.values, t.params) for t in study.trials]


@pytest.fixture(scope="module")
def stored(cluster: LocalStack) -> Snapshot:
    """A 3-trial study run on the cluster before any bad input; its trials as stored."""
    hpo.submit_study(OBJECTIVE, n_trials=3, study_name=STORED, broker_url=cluster.broker_url,
                     storage=cluster.storage_url).wait(progress=False, timeout=120)
    before = snapshot(cluster.storage_url)
    assert len(before) == 3 and all(state.is_finished() for _, state, _, _ in before)
    return before


def _unique() -> str:
    return f"refused-{uuid.uuid4().hex[:8]}"


def _submitted(**kwargs: Any) -> Callable[[str], Any]:
    """Submit a study named the case's name with ``kwargs``."""
    return lambda name: hpo.submit_study(**{"objective_path": OBJECTIVE, "n_trials": 1, "study_name": name,
                                            **kwargs})


def _waited(objective: str) -> Callable[[str], Any]:
    """Submit a study of ``objective`` and wait for it to end."""
    return lambda name: hpo.submit_study(objective, n_trials=1, study_name=name).wait(progress=False, timeout=60)


def _submitted_twice(name: str) -> None:
    first = hpo.submit_study(OBJECTIVE, n_trials=1, study_name=name, queue="nobody")  # never runs: no worker
    try:
        hpo.submit_study(OBJECTIVE, n_trials=1, study_name=name, queue="nobody", load_if_exists=True)
    finally:
        first.cancel()


def _spec(cls: str, **kwargs: Any) -> dict[str, Any]:
    return {"class": cls, "kwargs": kwargs}


# (call with the study name, error, problem, fix, whether the refusal must leave no study of that name)
CLUSTER_CASES = [
    pytest.param(lambda name: hpo.submit_study(OBJECTIVE, n_trials=1, study_name=STORED), DuplicatedStudyError,
                 f"'{STORED}' already exists", "Pass load_if_exists=True", False, id="70-duplicate-name"),
    pytest.param(lambda name: hpo.submit_study(OBJECTIVE, n_trials=1, study_name=STORED, load_if_exists=True,
                                               direction="maximize"),
                 ValueError, r"not \['MAXIMIZE'\]", r"has directions \['MINIMIZE'\]", False,
                 id="71-load-if-exists-other-directions"),
    pytest.param(_submitted_twice, ValueError, "already has a running job", "wait for it or cancel it", False,
                 id="72-running-job-submitted-twice"),
    pytest.param(_submitted(direction="upward"), ValueError, "Direction 'upward' is not valid",
                 "use 'minimize' or 'maximize'", True, id="73-bad-direction"),
    pytest.param(_submitted(trial_timeout=0), ValueError, "got 0", "trial_timeout must be a number of seconds > 0",
                 True, id="74-trial-timeout-0"),
    pytest.param(_submitted(timeout=-1), ValueError, "got -1", "timeout must be a number of seconds > 0", True,
                 id="75-timeout-negative"),
    pytest.param(_submitted(max_retries=-1), ValueError, "got -1", "max_retries must be an integer >= 0", True,
                 id="76-max-retries-negative"),
    pytest.param(_submitted(sampler=_spec("subprocess:Popen", args=["true"])), SpecError,
                 "'subprocess' is not allowed", "HPO_SPEC_MODULES", True, id="77-spec-module-not-allowed"),
    pytest.param(_submitted(sampler=_spec("hpo_test_samplers:FrozenTrial")), SpecError,
                 "is not a sampler, pruner", "subclass of hpo.samplers.BaseSampler", True, id="78-class-no-sampler"),
    pytest.param(_submitted(pruner=_spec("hpo.samplers:RandomSampler")), SpecError, "RandomSampler is not a pruner",
                 "subclass of hpo.pruners.BasePruner", True, id="79-pruner-naming-a-sampler"),
    pytest.param(_submitted(sampler=_spec("hpo.pruners:MedianPruner")), SpecError, "MedianPruner is not a sampler",
                 "subclass of hpo.samplers.BaseSampler", True, id="80-sampler-naming-a-pruner"),
    pytest.param(_submitted(sampler=_spec("hpo.samplers:RandomSampler", bogus=1)), SpecError,
                 "Cannot build hpo.samplers:RandomSampler", "unexpected keyword argument 'bogus'", True,
                 id="81-bad-constructor-kwargs"),
    pytest.param(_submitted(sampler={"cls": "hpo.samplers:RandomSampler"}), SpecError, "got \\{'cls'", SHAPE, True,
                 id="82-malformed-spec"),
    pytest.param(_submitted(sampler=_spec(TPE, constraints_func={"$callable": "os:system"})), SpecError,
                 "'os' is not allowed", "HPO_SPEC_MODULES", True, id="83-callable-not-allowed"),
    pytest.param(lambda name: hpo.get_study_handle(name).cancel(), StudyNotFoundError, "No active study named",
                 "hpo study status|Check the name", True, id="84-cancel-unknown-study"),
    pytest.param(lambda name: hpo.get_study_handle(name).status(), StudyNotFoundError, "No study named 'refused-",
                 "Check the name", True, id="85-status-unknown-study"),
    pytest.param(_waited("not_allowed_objectives:objective"), StudyFailedError,
                 "'not_allowed_objectives' is not an allowed objective module",
                 "HPO_OBJECTIVE_MODULES=not_allowed_objectives", False, id="86-objective-module-not-allowed"),
    pytest.param(_waited("hpo.workers:run_trial"), StudyFailedError, "belongs to hpo's or Celery's own code",
                 "objectives never come from there", False, id="87-objective-from-hpo"),
    pytest.param(_waited("hpo_test_objectives:no_such_objective"), StudyFailedError,
                 "has no 'no_such_objective'", "Callables defined there: .*conditional", False,
                 id="88-objective-function-missing"),
]


@pytest.mark.parametrize(("call", "error", "problem", "fix", "creates_nothing"), CLUSTER_CASES)
def test_the_coordinator_refuses_bad_input_and_keeps_what_is_stored(
        broker_env: LocalStack, stored: Snapshot, call: Callable[[str], Any], error: type[Exception], problem: str,
        fix: str, creates_nothing: bool) -> None:
    name = _unique()
    raises_naming(lambda: call(name), error, problem, fix)
    assert snapshot(broker_env.storage_url) == stored
    if creates_nothing:
        assert name not in hpo.get_all_study_names(broker_env.storage_url)


CLUSTER_CLI_CASES = [
    pytest.param(["study", "status", "no-such-study"], "No study named 'no-such-study'", "Check the name",
                 id="89-cli-status-unknown-study"),
    pytest.param(["study", "submit", OBJECTIVE, "--n-trials", "1", "--study-name", STORED, "--load-if-exists",
                  "--direction", "maximize"], r"not \['MAXIMIZE'\]", r"has directions \['MINIMIZE'\]",
                 id="90-cli-load-if-exists-other-directions"),
]


@pytest.mark.parametrize(("args", "problem", "fix"), CLUSTER_CLI_CASES)
def test_the_cli_reports_the_coordinators_refusals(broker_env: LocalStack, stored: Snapshot,
                                                   tmp_path: pathlib.Path, args: list[str], problem: str,
                                                   fix: str) -> None:
    env = {**cli_env(tmp_path), "HPO_BROKER_URL": broker_env.broker_url}
    cli_fails(args, env, problem, fix)
    assert snapshot(broker_env.storage_url) == stored


@pytest.fixture(autouse=True)
def _no_leftover_registrations() -> Iterator[None]:
    """Cases must not leave objectives registered in this process."""
    before = dict(objectives._REGISTRY)
    yield
    assert objectives._REGISTRY == before
