"""The coordinator process: hosts every submitted study, talks to workers through Redis, writes SQL.

Lanes (threads), so that a slow sampler never delays a pruning decision:

- **inbox**: reads workers' messages from the ``hpo:inbox`` stream (a consumer group, acknowledged
  only after what they carry is stored); answers ``start`` and ``report`` at once (the pruner
  works on the in-memory view); hands ``suggest`` and ``finish`` to the study's lane.
- **one lane per study**: asks the sampler, publishes Celery tasks, tells outcomes. The sampler
  itself computes in a process of its own (:class:`SamplerProcess`), so it never holds the GIL
  the inbox needs.
- **publish**: sends the study lanes' Celery tasks.
- **control**: ``submit``, ``cancel`` and ``status`` requests from clients.
- **dispatch**: watches workers' announcements, running attempts' heartbeats and deadlines, tops
  studies up.
- **SQL writer**: a child process, the only writer of the SQL store, in batches (:class:`SqlWriter`).
"""

from __future__ import annotations

import logging
import os
import sys
import threading
import time
from collections.abc import Callable
from typing import Any

import redis

from hpo import specs, wire
from hpo._redis_round import Round, stream_entries
from hpo.config import Settings
from hpo.exceptions import DuplicatedStudyError, StudyNotFoundError
from hpo.samplers import default_sampler
from hpo.storage._sql._url import is_sqlite_memory, parse_url
from hpo.study import Study
from hpo.study._study_direction import parse_direction
from hpo.trial import TrialState
from hpo.coordinator._lane import SerialLane
from hpo.coordinator._mirror import MirroredStorage
from hpo.coordinator._slots import Slots
from hpo.coordinator._study_run import JOB_KEY, StudyRun
from hpo.coordinator._writer import WRITER_DIED_EXIT
from hpo.workers._app import create_app

_logger = logging.getLogger(__name__)

_FINISHED = (TrialState.COMPLETE, TrialState.PRUNED, TrialState.FAIL)
#: Exit status of a coordinator whose lane died of a bug (70, as for a dead SQL writer).
LANE_DIED_EXIT = WRITER_DIED_EXIT


class Coordinator:
    """Owns every active study's sampler and pruner; the single writer of the SQL store."""

    def __init__(self, settings: Settings, consumer_name: str = "coordinator-1") -> None:
        if not settings.storage_url:
            raise ValueError("The coordinator needs a storage: pass --storage URL or set HPO_STORAGE_URL.")
        self.settings = settings
        self._consumer = consumer_name
        self._client = redis.Redis.from_url(settings.broker_url)
        if is_sqlite_memory(parse_url(settings.storage_url)):
            raise ValueError(
                f"The coordinator needs a storage that other processes can read; {settings.storage_url!r} is an "
                "in-memory SQLite database, private to one process. Use a file (sqlite:///hpo.db) or a server."
            )
        self.storage = MirroredStorage(settings.storage_url)
        self._celery = create_app(settings)
        self._publisher = SerialLane("hpo-publish")
        self.slots = Slots(self._client)
        self.runs: dict[int, StudyRun] = {}
        self._runs_lock = threading.Lock()
        self._stop = threading.Event()
        self._acks: list[bytes] = []  # inbox entries stored in SQL, to acknowledge
        self._acks_lock = threading.Lock()
        self._threads: list[threading.Thread] = []

    # --- lifecycle ----------------------------------------------------------------------------
    def start(self) -> None:
        """Resume running jobs from SQL, then start the lanes."""
        sys.setswitchinterval(0.0001)  # a busy thread (a lane, the SQL writer's results) yields the GIL to the inbox quickly
        default_sampler()  # import the default sampler now (scipy), not while the first study waits for trials
        for stream in (wire.INBOX, wire.CONTROL):
            try:
                self._client.xgroup_create(stream, wire.COORDINATOR_GROUP, id="0", mkstream=True)
            except redis.ResponseError as e:
                if "BUSYGROUP" not in str(e):
                    raise
        self.slots.refresh()
        for study in self.storage.backend.get_all_studies():
            job = study.system_attrs.get(JOB_KEY)
            if isinstance(job, dict) and job.get("status") == "running":
                _logger.info("Resuming study %s.", study.study_name)
                self._host(study.study_name, job).adopt_running(self._running_on)  # before any worker message is read
        self._client.set(wire.coordinator_key(), self._consumer, ex=30)
        for name, target in (("hpo-inbox", self._inbox_loop), ("hpo-control", self._control_loop),
                             ("hpo-dispatch", self._dispatch_loop)):
            thread = threading.Thread(target=_or_exit, args=(target,), name=name, daemon=True)
            thread.start()
            self._threads.append(thread)
        for run in list(self.runs.values()):
            run.lane.submit(run.top_up)

    def request_stop(self) -> None:
        """Ask :meth:`serve_forever` to return (safe from a signal handler)."""
        self._stop.set()

    def stop(self) -> None:
        """Stop reading, let lanes finish their work, flush SQL."""
        self._stop.set()
        for thread in self._threads:
            thread.join()
        for run in list(self.runs.values()):
            run.close()
        self._publisher.close()
        self.storage.close()

    def serve_forever(self) -> None:
        self.start()
        try:
            while not self._stop.wait(1.0):
                pass
        except KeyboardInterrupt:
            pass
        finally:
            self.stop()

    # --- hosting ------------------------------------------------------------------------------
    def _host(self, study_name: str, job: dict[str, Any]) -> StudyRun:
        study_id = self.storage.host(study_name)
        spec = job.get("sampler")
        sampler = specs.from_spec(spec) if spec else default_sampler(len(self.storage.get_study_directions(study_id)))
        study = Study(
            study_name,
            self.storage,
            sampler=self.storage.start_sampler(study_id, spec, sampler),
            pruner=specs.from_spec(job["pruner"]) if job.get("pruner") else None,
        )
        run = StudyRun(study, job, self.slots, self._publish, self.settings.reply_timeout_s,
                       self.settings.heartbeat_timeout_s)
        with self._runs_lock:
            previous = self.runs.get(study_id)
            self.runs[study_id] = run
        if previous is not None:  # a finished job of the same study, not yet cleared by the dispatch lane
            previous.close(wait=False)
        return run

    def _publish(self, task: wire.TrialTask, queue: str, on_error: Callable[[Exception], None]) -> None:
        """Publish on the publishing lane, so that a study lane goes on asking meanwhile."""
        self._publisher.submit(lambda: self._send_task(task, queue, on_error))

    def _send_task(self, task: wire.TrialTask, queue: str, on_error: Callable[[Exception], None]) -> None:
        try:
            self._celery.send_task(
                wire.TASK_NAME,
                args=[task.to_dict()],
                queue=queue,
                task_id=f"{task.study_name}-trial{task.number}-a{task.attempt}-{task.token[:8]}",
                shadow=f"{wire.TASK_NAME}[{task.study_name}#{task.number}]",
                # What Flower shows as the task's args; Celery's own repr of the payload costs more than the rest of publishing.
                argsrepr=f"(study={task.study_name!r}, number={task.number}, attempt={task.attempt}, params={sorted(task.params)})",
                kwargsrepr="{}",
            )
        except Exception as e:
            _logger.exception("Could not publish trial %d of %s.", task.number, task.study_name)
            on_error(e)

    # --- inbox lane ---------------------------------------------------------------------------
    def _inbox_loop(self) -> None:
        """Read the inbox; answer what it can at once. One round of commands per batch: the previous
        batch's replies, the acknowledgements of what the SQL writer has stored since, and the next
        blocking read, so a busy round costs one round trip to Redis."""
        cursor: str | bytes = "0"  # first the messages a previous run read but did not acknowledge, then new ones
        replies: list[tuple[str, wire.Reply]] = []
        line = Round(self._client)
        while not self._stop.is_set():
            acks = self._take_acks()
            commands: list[tuple[Any, ...]] = []
            for token, reply in replies:
                commands += _reply_commands(token, reply)
            if acks:
                commands += [("XACK", wire.INBOX, wire.COORDINATOR_GROUP, *acks), ("XDEL", wire.INBOX, *acks)]
            commands.append(("XREADGROUP", "GROUP", wire.COORDINATOR_GROUP, self._consumer, "COUNT", 256,
                             "BLOCK", 200, "STREAMS", wire.INBOX, cursor))
            try:
                results = line.execute(commands)
            except redis.RedisError:
                _logger.exception("Reading the inbox failed; retrying.")
                with self._acks_lock:
                    self._acks.extend(acks)
                # Redis may have delivered entries whose reply was lost: read this consumer's pending
                # entries again (messages are idempotent; those already handled are answered again).
                cursor = "0"
                time.sleep(0.5)
                continue  # the replies go out with the next round
            errors = [r for r in results if isinstance(r, Exception)]
            if errors:
                _logger.error("Redis refused part of the inbox round: %r", errors[0])
            replies = []
            entries = stream_entries(results[-1]) if not isinstance(results[-1], Exception) else []
            if cursor != ">":
                cursor = entries[-1][0] if entries else ">"
            done = []
            for entry_id, fields in entries:
                settled, answer = self._handle_inbox(entry_id, fields)
                if settled:
                    done.append(entry_id)
                if answer is not None:
                    replies.append(answer)
            if done:
                self.storage.writer.on_done(lambda ids=done: self._stored(ids))
        line.close()

    def _stored(self, entry_ids: list[bytes]) -> None:
        """SQL writer: these inbox entries are stored; the inbox lane acknowledges them in its next round."""
        with self._acks_lock:
            self._acks.extend(entry_ids)

    def _take_acks(self) -> list[bytes]:
        with self._acks_lock:
            acks, self._acks = self._acks, []
        return acks

    def _handle_inbox(self, entry_id: bytes, fields: dict[bytes, bytes]) -> tuple[bool, tuple[str, wire.Reply] | None]:
        """Handle one message: whether it is settled here (else its lane acknowledges it), and the reply to send."""
        try:
            message = wire.parse(fields.get(b"m", b""), (wire.Start, wire.Suggest, wire.Report, wire.Finish))
        except wire.WireError as e:
            _logger.warning("Dropping an invalid inbox message %s: %s", entry_id, e)
            return True, None
        run = self.runs.get(message.study_id)
        if run is None:
            if isinstance(message, wire.Finish):
                return True, None
            return True, (message.token, wire.Reply(seq=getattr(message, "seq", 0), ok=False, error="This study is not active."))
        try:
            if isinstance(message, wire.Start):
                return True, (message.token, run.on_start(message))
            if isinstance(message, wire.Report):
                return True, (message.token, run.on_report(message))
            run.lane.submit(lambda: self._in_lane(run, entry_id, message))
            return False, None
        except Exception as e:
            _logger.exception("Handling %s failed.", type(message).__name__)
            seq = getattr(message, "seq", 0)
            return True, (message.token, wire.Reply(seq=seq, ok=False, error=f"The coordinator failed: {e!r}"))

    def _in_lane(self, run: StudyRun, entry_id: bytes, message: wire.Suggest | wire.Finish) -> None:
        try:
            if isinstance(message, wire.Suggest):
                self._reply(message.token, run.on_suggest(message))
            else:
                run.on_finish(message)
        finally:
            self.storage.writer.on_done(lambda: self._stored([entry_id]))

    def _reply(self, token: str, reply: wire.Reply) -> None:
        pipe = self._client.pipeline(transaction=False)
        for command in _reply_commands(token, reply):
            pipe.execute_command(*command)
        pipe.execute()

    def _ack(self, stream: str, ids: list[bytes]) -> None:
        pipe = self._client.pipeline(transaction=False)
        pipe.xack(stream, wire.COORDINATOR_GROUP, *ids)
        pipe.xdel(stream, *ids)
        pipe.execute()

    # --- control lane -------------------------------------------------------------------------
    def _control_loop(self) -> None:
        while not self._stop.is_set():
            try:
                batches = self._client.xreadgroup(
                    wire.COORDINATOR_GROUP, self._consumer, {wire.CONTROL: ">"}, count=16, block=200
                )
            except redis.RedisError:
                _logger.exception("Reading the control stream failed; retrying.")
                time.sleep(0.5)
                continue
            for entry_id, fields in batches[0][1] if batches else []:
                self._handle_control(fields)
                self._ack(wire.CONTROL, [entry_id])

    def _handle_control(self, fields: dict[bytes, bytes]) -> None:
        try:
            message = wire.parse(fields.get(b"m", b""), (wire.Submit, wire.Cancel, wire.Status))
        except wire.WireError as e:
            _logger.warning("Dropping an invalid control message: %s", e)
            return
        try:
            if isinstance(message, wire.Submit):
                body = self._submit(message)
            elif isinstance(message, wire.Cancel):
                body = self._cancel(message.study_name)
            else:
                body = self._status(message.study_name)
            reply = wire.ControlReply(request_id=message.request_id, ok=True, body=body)
        except Exception as e:
            if not isinstance(e, (ValueError, KeyError, DuplicatedStudyError, specs.SpecError)):
                _logger.exception("Handling %s failed.", type(message).__name__)
            reply = wire.ControlReply(
                request_id=message.request_id, ok=False, body={}, error=str(e), error_type=type(e).__name__
            )
        key = wire.reply_key(message.request_id)
        self._client.rpush(key, reply.to_json())
        self._client.expire(key, wire.REPLY_TTL_S)

    def _submit(self, message: wire.Submit) -> dict[str, Any]:
        if message.n_trials < 1:
            raise ValueError(f"n_trials must be a positive integer, got {message.n_trials}.")
        directions = [parse_direction(d) for d in message.directions] or [parse_direction("minimize")]
        for spec in (message.sampler, message.pruner):
            if spec is not None:
                specs.from_spec(spec)  # refuse a bad spec before anything is stored
        try:
            study_id = self.storage.create_new_study(directions, message.study_name)
        except DuplicatedStudyError:
            if not message.load_if_exists:
                raise DuplicatedStudyError(
                    f"A study named {message.study_name!r} already exists. Pass load_if_exists=True to add "
                    "trials to it, or choose another name."
                ) from None
            assert message.study_name is not None
            study_id = self.storage.host(message.study_name)
            existing = self.storage.get_study_directions(study_id)
            if message.directions and existing != directions:
                raise ValueError(
                    f"Study {message.study_name!r} has directions {[d.name for d in existing]}, not "
                    f"{[d.name for d in directions]}."
                ) from None
            if study_id in self.runs and self.runs[study_id].status == "running":
                raise ValueError(f"Study {message.study_name!r} already has a running job; wait for it or cancel it.")
        name = self.storage.get_study_name_from_id(study_id)
        job = {
            "objective": message.objective,
            "n_trials": message.n_trials,
            "queue": message.queue,
            "timeout_s": message.timeout_s,
            "sampler": message.sampler,
            "pruner": message.pruner,
            "status": "running",
            "error": None,
            "submitted_at": time.time(),
            "ended_at": None,
            "base_finished": self.storage.get_n_trials(study_id, _FINISHED),
        }
        self.storage.set_study_system_attr(study_id, JOB_KEY, job)
        run = self._host(name, job)
        run.lane.submit(run.top_up)
        _logger.info("Study %s submitted: %d trials of %s on queue %s.", name, message.n_trials, message.objective, message.queue)
        return {"study_name": name, "study_id": study_id, "storage_url": self._shareable_storage_url()}

    def _run_by_name(self, study_name: str) -> StudyRun | None:
        with self._runs_lock:
            return next((r for r in self.runs.values() if r.study.study_name == study_name), None)

    def _cancel(self, study_name: str) -> dict[str, Any]:
        run = self._run_by_name(study_name)
        if run is None:
            raise KeyError(f"No active study named {study_name!r} on this coordinator.")
        done = threading.Event()
        run.lane.submit(lambda: (run.cancel(), done.set()))
        done.wait(30)
        return self._status(study_name)

    def _status(self, study_name: str) -> dict[str, Any]:
        run = self._run_by_name(study_name)
        if run is None:
            try:
                study_id = self.storage.backend.get_study_id_from_name(study_name)
            except StudyNotFoundError as e:
                raise KeyError(str(e)) from None
            job = self.storage.backend.get_study_system_attrs(study_id).get(JOB_KEY)
            if not job:
                raise KeyError(f"Study {study_name!r} was never submitted to a coordinator.")
            return {"study_name": study_name, "status": job["status"], "n_trials": job["n_trials"], "error": job.get("error")}
        body = run.summary()
        if body["status"] != "running":
            self.storage.flush()  # "done" means every result is in SQL
        return body

    def _shareable_storage_url(self) -> str | None:
        url = self.settings.storage_url or ""
        return url if url.startswith("sqlite") else None

    def _running_on(self, tokens: list[str]) -> list[str | None]:
        """The worker whose heartbeat says it runs each attempt, or None."""
        return [b.decode() if b is not None else None for b in self._client.mget([wire.alive_key(t) for t in tokens])]

    # --- dispatch lane ------------------------------------------------------------------------
    def _end_lost_attempts(self, runs: list[StudyRun]) -> None:
        """Have each study lane end its started attempts whose heartbeat expired (their worker died)."""
        now = time.monotonic()
        due = [(run, attempt) for run in runs for attempt in run.heartbeat_due(now)]
        if not due:
            return
        for (run, attempt), worker in zip(due, self._running_on([attempt.token for _, attempt in due])):
            if worker is None:
                run.lane.submit(lambda run=run, attempt=attempt: run.on_lost(attempt))

    def _dispatch_loop(self) -> None:
        while not self._stop.wait(0.5):
            try:
                self.slots.refresh()
                self._client.set(wire.coordinator_key(), self._consumer, ex=30)
            except redis.RedisError:
                _logger.exception("Reading worker announcements failed.")
                continue
            with self._runs_lock:
                runs = list(self.runs.items())
            try:
                self._end_lost_attempts([run for _, run in runs])
            except redis.RedisError:
                _logger.exception("Reading attempt heartbeats failed.")
            for study_id, run in runs:
                if run.status == "running":
                    run.lane.submit(run.top_up)
                elif not run.attempts:
                    self.storage.flush()
                    run.close(wait=False)
                    with self._runs_lock:
                        self.runs.pop(study_id, None)


def _reply_commands(token: str, reply: wire.Reply) -> list[tuple[Any, ...]]:
    """Redis commands that hand ``reply`` to the attempt ``token``; a reply nobody pops (its worker
    died) does not stay forever."""
    key = wire.reply_key(token)
    return [("RPUSH", key, reply.to_json()), ("EXPIRE", key, wire.REPLY_TTL_S)]


def _or_exit(lane: Callable[[], None]) -> None:
    """Run a lane; if it dies of a bug, exit the process rather than live on half deaf: a restarted
    coordinator replays every inbox message not yet stored."""
    try:
        lane()
    except BaseException:
        _logger.critical("Lane %s died; the coordinator exits.", threading.current_thread().name, exc_info=True)
        os._exit(LANE_DIED_EXIT)
