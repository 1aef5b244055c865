"""A hosted study's sampler, run in a child process of the coordinator on a replica of the study.

A sampler computing in the coordinator's process holds the GIL that the inbox lane needs to answer
reports (TPE takes milliseconds per ask, a GP up to a second). Here each hosted study's sampler
runs in a process of its own, on a core of its own when one is free:

- the coordinator's :class:`MirroredStorage` feeds the process every write to the study, in the
  order applied to its memory; they travel with the next request, so the replica holds exactly
  what the coordinator's memory held when the request was made, and, between requests, every
  ``_FEED_EVERY_S``: a study whose trials report for hours without asking the sampler anything
  does not pile its reports up in the coordinator;
- the study lane calls :class:`SamplerProcess` as it calls any sampler (``Study.ask``, ``tell``,
  ``Trial.suggest``): ``before_trial`` fetches the trial's relative search space and parameters
  in one round trip, which ``infer_relative_search_space`` and ``sample_relative`` then return;
  ``sample_independent`` and ``after_trial`` are one round trip each;
- what the sampler writes to the storage (system attributes, e.g. TPE's relative parameters or
  CMA-ES's generation) comes back with the answer and is applied to the coordinator's memory,
  and so to SQL, before the call returns.

Requests and answers cross a local pipe between the coordinator and its own child, never Redis.
"""

from __future__ import annotations

import logging
import multiprocessing
import pickle
import threading
import traceback
from collections.abc import Callable, Sequence
from multiprocessing.connection import Connection
from typing import TYPE_CHECKING, Any

from hpo import specs
from hpo.coordinator._child import become_child, next_request
from hpo.distributions import BaseDistribution
from hpo.exceptions import HpoError, SpecError
from hpo.pruners import BasePruner
from hpo.samplers import BaseSampler
from hpo.storages import InMemoryStorage
from hpo.study import FrozenStudy
from hpo.trial import FrozenTrial, TrialState

if TYPE_CHECKING:
    from hpo.study import Study

_logger = logging.getLogger(__name__)

#: A storage write, as ``(method name, arguments)``: what the replica is fed and what it sends back.
Write = tuple[str, tuple[Any, ...]]
#: The storage methods a sampler may call to write; what it writes through them is sent back.
SAMPLER_WRITES = ("set_study_user_attr", "set_study_system_attr", "set_trial_user_attr", "set_trial_system_attr")
#: How often writes fed between requests travel to the process on their own.
_FEED_EVERY_S = 0.1


class SamplerProcessError(HpoError):
    """The sampler's process died or stopped answering."""


class SamplerProcess(BaseSampler):
    """Stands in, in the coordinator, for a sampler computing in a child process.

    The process starts (and imports what samplers need, about a second) as soon as the object is
    made, so a coordinator keeps one spare ready; :meth:`build` then has it build the study's
    sampler from its JSON spec (the only place a hosted sampler is built), and :meth:`host` gives
    it the study.
    """

    def __init__(self) -> None:
        context = multiprocessing.get_context("spawn")  # the coordinator has threads: never fork it
        self._connection, child = context.Pipe()
        self._process = context.Process(target=_serve, args=(child,), name="hpo-sampler", daemon=True)
        self._process.start()
        child.close()
        self._name = ""
        self._apply: Callable[[list[Write]], None] = lambda writes: None
        self._has_after_trial = True
        self._fed: list[Write] = []
        self._fed_lock = threading.Lock()
        self._call_lock = threading.Lock()
        self._relative: dict[int, tuple[dict[str, BaseDistribution], dict[str, Any]]] = {}
        self._closed = threading.Event()
        self._feeder = threading.Thread(target=self._feed_regularly, name="hpo-sampler-feed", daemon=True)

    def __repr__(self) -> str:
        return f"SamplerProcess({self._name!r}, pid={self._process.pid})"

    def build(
        self,
        spec: dict[str, Any] | None,
        n_objectives: int,
        spec_modules: tuple[str, ...],
        pruner_spec: dict[str, Any] | None = None,
    ) -> None:
        """Build the sampler of ``spec`` (None: the default for ``n_objectives``) in the process,
        from hpo's modules and ``spec_modules`` only; raise what building it raised (e.g.
        :class:`~hpo.exceptions.SpecError`). The study's pruner (``pruner_spec``) is built there too:
        samplers read past trials through it (:func:`hpo.pruners.filter_study`, e.g. Hyperband's
        brackets); it never prunes there."""
        with self._call_lock:
            try:
                self._connection.send((spec, n_objectives, spec_modules, pruner_spec))
                ok, answer = self._connection.recv()
            except (EOFError, OSError) as e:
                raise SamplerProcessError(
                    f"A sampler process exited (code {self._process.exitcode}) while building a sampler; "
                    "see the coordinator's log."
                ) from e
        if not ok:
            raise answer
        self._has_after_trial = answer  # a hook the class does not override costs no round trip

    def host(self, study: FrozenStudy, trials: list[FrozenTrial], apply: Callable[[list[Write]], None]) -> None:
        """Sample for ``study`` (whose trials are ``trials`` until fed more) with the sampler built;
        ``apply`` takes what it writes."""
        self._name = study.study_name
        self._apply = apply
        with self._call_lock:
            self._connection.send((study, trials))
        self._feeder.start()

    def feed(self, method: str, args: tuple[Any, ...]) -> None:
        """A write to the study, to apply to the replica before the next request (any thread)."""
        with self._fed_lock:
            self._fed.append((method, args))

    def close(self) -> None:
        self._closed.set()
        if self._feeder.is_alive():
            self._feeder.join()
        with self._call_lock:
            try:
                self._connection.send(None)
            except OSError:
                pass
            self._process.join(10)
            if self._process.is_alive():
                self._process.kill()
            self._connection.close()

    # --- the sampler interface ----------------------------------------------------------------
    def before_trial(self, study: Study, trial: FrozenTrial) -> None:
        self._relative[trial.trial_id] = self._call("start", trial.trial_id)

    def infer_relative_search_space(self, study: Study, trial: FrozenTrial) -> dict[str, BaseDistribution]:
        if trial.trial_id not in self._relative:  # a trial that did not start through Study.ask
            self.before_trial(study, trial)
        return self._relative[trial.trial_id][0]

    def sample_relative(
        self, study: Study, trial: FrozenTrial, search_space: dict[str, BaseDistribution]
    ) -> dict[str, Any]:
        return self._relative.pop(trial.trial_id, ({}, {}))[1]

    def sample_independent(
        self, study: Study, trial: FrozenTrial, param_name: str, param_distribution: BaseDistribution
    ) -> Any:
        return self._call("independent", trial.trial_id, param_name, param_distribution)

    def after_trial(
        self, study: Study, trial: FrozenTrial, state: TrialState, values: Sequence[float] | None
    ) -> None:
        self._relative.pop(trial.trial_id, None)
        if self._has_after_trial:
            self._call("after", trial.trial_id, state, None if values is None else list(values))

    # --- requests -----------------------------------------------------------------------------
    def _feed_regularly(self) -> None:
        """Send the writes fed since the last request or feed, unless a request is under way (it
        took those fed before it; the rest go next time). No reply is awaited; a thread of its own,
        so no lane waits for it."""
        while not self._closed.wait(_FEED_EVERY_S):
            if not self._call_lock.acquire(blocking=False):
                continue
            try:
                with self._fed_lock:
                    fed, self._fed = self._fed, []
                if fed:
                    self._connection.send((fed, None, ()))
            except OSError:  # the process died: the next request says so
                return
            finally:
                self._call_lock.release()

    def _call(self, op: str, *args: Any) -> Any:
        """Send the writes fed so far and one request; apply the sampler's writes; return its answer."""
        with self._call_lock:
            with self._fed_lock:
                fed, self._fed = self._fed, []
            try:
                self._connection.send((fed, op, args))
                ok, answer, writes = self._connection.recv()
            except (EOFError, OSError) as e:
                raise SamplerProcessError(
                    f"The sampler process of study {self._name!r} exited (code {self._process.exitcode}); "
                    "see the coordinator's log for its last words."
                ) from e
        if writes:
            self._apply(writes)
        if not ok:
            raise answer
        return answer


class _ReplicaStorage(InMemoryStorage):
    """The child's copy of the study; records what the sampler writes while ``recording`` is a list."""

    recording: list[Write] | None = None


def _recorded(name: str) -> Callable[..., Any]:
    write = getattr(InMemoryStorage, name)

    def method(self: _ReplicaStorage, *args: Any) -> Any:
        result = write(self, *args)
        if self.recording is not None:
            self.recording.append((name, args))
        return result

    method.__name__ = name
    return method


for _name in SAMPLER_WRITES:
    setattr(_ReplicaStorage, _name, _recorded(_name))


def _start(study: Study, trial_id: int) -> tuple[dict[str, BaseDistribution], dict[str, Any]]:
    sampler = study.sampler
    if type(sampler).before_trial is not BaseSampler.before_trial:
        sampler.before_trial(study, study.storage.get_trial(trial_id))
    trial = study.storage.get_trial(trial_id)
    space = sampler.infer_relative_search_space(study, trial)
    return space, sampler.sample_relative(study, trial, space)


def _independent(study: Study, trial_id: int, name: str, distribution: BaseDistribution) -> Any:
    return study.sampler.sample_independent(study, study.storage.get_trial(trial_id), name, distribution)


def _after(study: Study, trial_id: int, state: TrialState, values: list[float] | None) -> None:
    study.sampler.after_trial(study, study.storage.get_trial(trial_id), state, values)


_OPS: dict[str, Callable[..., Any]] = {"start": _start, "independent": _independent, "after": _after}


def _build(
    spec: dict[str, Any] | None, n_objectives: int, spec_modules: tuple[str, ...], pruner_spec: dict[str, Any] | None
) -> tuple[BaseSampler, BasePruner | None]:
    from hpo.samplers import default_sampler

    pruner = None if pruner_spec is None else build_pruner(pruner_spec, spec_modules)
    if spec is None:
        return default_sampler(n_objectives), pruner
    sampler = specs.from_spec(spec, spec_modules)
    if not isinstance(sampler, BaseSampler):
        raise SpecError(f"{type(sampler).__name__} is not a sampler (a subclass of hpo.samplers.BaseSampler).")
    return sampler, pruner


def build_pruner(spec: dict[str, Any], spec_modules: tuple[str, ...]) -> BasePruner:
    """The pruner of ``spec``, from hpo's modules and ``spec_modules`` only."""
    pruner = specs.from_spec(spec, spec_modules)
    if not isinstance(pruner, BasePruner):
        raise SpecError(f"{type(pruner).__name__} is not a pruner (a subclass of hpo.pruners.BasePruner).")
    return pruner


def _serve(connection: Connection) -> None:
    """The child: import what samplers need, build the sampler, wait for its study and build its
    replica, then answer requests until told to stop (or the coordinator is gone)."""
    from hpo.samplers import default_sampler
    from hpo.study import Study

    become_child()
    default_sampler()  # imports scipy, before a study waits on it
    wanted = next_request(connection)
    if wanted is None:
        return
    try:
        sampler, pruner = _build(*wanted)
    except Exception as e:
        connection.send((False, _sendable(e)))
        return
    connection.send((True, type(sampler).after_trial is not BaseSampler.after_trial))
    hosted = next_request(connection)
    if hosted is None:
        return
    frozen, trials = hosted
    storage = _ReplicaStorage()
    storage.adopt_study(frozen)
    for trial in trials:
        storage.adopt_trial(frozen.study_id, trial)
    study = Study(frozen.study_name, storage, sampler=sampler, pruner=pruner)
    while (request := next_request(connection)) is not None:
        fed, op, args = request
        for method, call_args in fed:
            try:
                getattr(storage, method)(*call_args)
            except Exception:  # the coordinator's memory accepted it; keep the replica going
                _logger.exception("The replica of %s refused %s.", frozen.study_name, method)
        if op is None:  # writes only, fed between requests: no answer
            continue
        storage.recording = []
        try:
            reply = (True, _OPS[op](study, *args), storage.recording)
        except Exception as e:
            reply = (False, _sendable(e), storage.recording)
        storage.recording = None
        try:
            connection.send(reply)
        except OSError:  # the coordinator is gone
            break


def _sendable(error: Exception) -> Exception:
    """``error`` if it survives pickling, else a RuntimeError that tells what it was; with the child's
    traceback as a note (Python 3.11+)."""
    note = "In the sampler process:\n" + "".join(traceback.format_exception(type(error), error, error.__traceback__))
    try:
        pickle.loads(pickle.dumps(error))
    except Exception:
        error = RuntimeError(f"{type(error).__name__}: {error}")
    error.__traceback__ = None
    if hasattr(error, "add_note"):
        error.add_note(note)
    return error
