"""The coordinator process: its Redis lanes, in front of the job service that hosts every study.

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

Redis styles, one per purpose: the inbox lane's hot path sends raw rounds (:class:`Round`); every
other lane uses redis-py, with a pipeline where several commands go together (a reply and its
expiry, an acknowledgement and its deletion).
"""

from __future__ import annotations

import functools
import logging
import os
import sys
import threading
import time
import uuid
from collections.abc import Callable
from typing import Any

import redis

from hpo.coordinator._jobs import JobService
from hpo.coordinator._lane import SerialLane
from hpo.coordinator._lease import BrokerLease
from hpo.coordinator._metrics import CoordinatorMetrics, MetricsServer
from hpo.coordinator._mirror import MirroredStorage
from hpo.coordinator._slots import Slots
from hpo.coordinator._study_run import StudyRun, task_id
from hpo.coordinator._writer import WRITER_DIED_EXIT
from hpo.distributed import wire
from hpo.distributed.broker import redis_client
from hpo.distributed.celery_app import create_app
from hpo.distributed.config import Settings
from hpo.distributed.outage import Outage
from hpo.distributed.redis_round import Round, stream_entries
from hpo.exceptions import DuplicatedStudyError, SpecError
from hpo.samplers import default_sampler
from hpo.storages import is_shared_url

_logger = logging.getLogger(__name__)

#: Exit status of a coordinator whose lane died of a bug (70, as for a dead SQL writer).
LANE_DIED_EXIT = WRITER_DIED_EXIT
#: Exit status of a coordinator that found another holding its broker's lease.
LEASE_LOST_EXIT = 75
#: How long past its time limit a trial's process is killed if the objective ignored the limit.
_KILL_AFTER_S = 5.0
#: Errors of a client's request that are the client's to fix: answered, not logged as failures.
_CLIENT_ERRORS = (ValueError, KeyError, DuplicatedStudyError, SpecError)


class Coordinator:
    """The Redis lanes of the coordinator: reads workers' and clients' messages, answers them, and
    publishes trials; :class:`JobService` decides. The single writer of the SQL store."""

    def __init__(
        self, settings: Settings, consumer_name: str = "coordinator-1", metrics_address: tuple[str, int] | None = None
    ) -> None:
        """``metrics_address``: (host, port) to serve ``/metrics`` and ``/healthz`` on (port 0: any free one)."""
        if not settings.storage_url:
            raise ValueError(
                "The coordinator needs a storage: pass --storage URL or set HPO_STORAGE_URL (or OPTUNA_STORAGE)."
            )
        if not is_shared_url(settings.storage_url):
            raise ValueError(
                f"The coordinator needs a storage that other processes can read; {settings.storage_url!r} is an "
                "in-memory SQLite database, private to one process. Use a file (sqlite:///hpo.db) or a server."
            )
        self.settings = settings
        self._consumer = consumer_name
        self._client = redis_client(settings.broker_url)
        self._lease = BrokerLease(self._client, settings.broker_url)
        self._lease.acquire()  # before anything is started or written: one coordinator per broker
        self.storage = MirroredStorage(settings.storage_url)
        self._celery = create_app(settings)
        self._publisher = SerialLane("hpo-publish")
        self.slots = Slots(self._client)
        self.jobs = JobService(self.storage, self.slots, self._publish, self._revoke, settings.reply_timeout_s,
                               settings.heartbeat_timeout_s, settings.spec_modules)
        self._stop = threading.Event()
        self._acks: list[bytes] = []  # inbox entries stored in SQL, to acknowledge
        self._acks_lock = threading.Lock()
        self._threads: list[threading.Thread] = []
        # A key only this run of Redis has: when it is gone, Redis restarted without its data.
        self._epoch = uuid.uuid4().hex
        self.metrics = CoordinatorMetrics(self)
        self.metrics_server = None if metrics_address is None else MetricsServer(self.metrics, self.healthy,
                                                                                 *metrics_address)

    # --- lifecycle ----------------------------------------------------------------------------
    def start(self) -> None:
        """Resume running jobs from SQL, then start the lanes."""
        # A busy thread (a lane, the SQL writer's results) yields the GIL to the inbox quickly.
        sys.setswitchinterval(0.0001)
        default_sampler()  # import the default sampler now (scipy), not while the first study waits for trials
        self._ensure_groups()
        self._client.set(wire.epoch_key(), self._epoch)
        self.slots.refresh()
        self.jobs.resume(self._running_on)  # before any worker message is read
        for name, target in (("hpo-inbox", self._inbox_loop), ("hpo-control", self._control_loop),
                             ("hpo-dispatch", self._dispatch_loop)):
            thread = threading.Thread(target=_or_exit, args=(target,), name=name, daemon=True)
            thread.start()
            self._threads.append(thread)
        if self.metrics_server is not None:
            self.metrics_server.start()
            _logger.info("Metrics on port %d (/metrics, /healthz).", self.metrics_server.port)
        self.jobs.top_up_all()

    def healthy(self) -> bool:
        """True while every lane runs and no stop was asked."""
        return bool(self._threads) and not self._stop.is_set() and all(t.is_alive() for t in self._threads)

    def queue_lengths(self, queues: list[str]) -> list[int]:
        """How many trial tasks wait in each of ``queues``."""
        pipe = self._client.pipeline(transaction=False)
        for queue in queues:
            pipe.llen(queue)
        return [int(n) for n in pipe.execute()]

    def request_stop(self) -> None:
        """Ask :meth:`serve_forever` to return (safe from a signal handler)."""
        self._stop.set()

    def stop(self) -> None:
        """Stop reading, let lanes finish their work, flush SQL."""
        self._stop.set()
        if self.metrics_server is not None:
            self.metrics_server.stop()
        for thread in self._threads:
            thread.join()
        self.jobs.close()
        self._publisher.close()
        self.storage.close()
        self._lease.release()

    def serve_forever(self) -> None:
        self.start()
        try:
            while not self._stop.wait(1.0):
                pass
        except KeyboardInterrupt:
            pass
        finally:
            self.stop()

    # --- publishing ---------------------------------------------------------------------------
    def _publish(self, task: wire.TrialTask, queue: str, on_error: Callable[[Exception], None]) -> None:
        """Publish on the publishing lane, so that a study lane goes on asking meanwhile."""
        self._publisher.submit(lambda: self._send_task(task, queue, on_error))

    def _send_task(self, task: wire.TrialTask, queue: str, on_error: Callable[[Exception], None]) -> None:
        try:
            self._celery.send_task(
                wire.TASK_NAME,
                args=[task.to_dict()],
                queue=queue,
                task_id=task_id(task.study_name, task.number, task.attempt, task.token),
                shadow=f"{wire.TASK_NAME}[{task.study_name}#{task.number}]",
                # What Flower shows as the task's args; Celery's own repr of the payload costs more
                # than the rest of publishing.
                argsrepr=f"(study={task.study_name!r}, number={task.number}, attempt={task.attempt}, "
                         f"params={sorted(task.params)})",
                kwargsrepr="{}",
                # The objective gets SoftTimeLimitExceeded at the limit; its process is killed
                # (and replaced) if it has not stopped a few seconds later.
                **({} if task.time_limit_s is None else
                   {"soft_time_limit": task.time_limit_s, "time_limit": task.time_limit_s + _KILL_AFTER_S}),
            )
        except Exception as e:
            _logger.exception("Could not publish trial %d of %s.", task.number, task.study_name)
            on_error(e)

    def _revoke(self, task_ids: list[str]) -> None:
        """Kill the processes running these tasks (on the publishing lane: Celery's remote control)."""
        def revoke() -> None:
            try:
                self._celery.control.revoke(task_ids, terminate=True, signal="SIGKILL")
            except Exception:
                _logger.exception("Could not stop the running trials %s.", task_ids)

        self._publisher.submit(revoke)

    def _running_on(self, tokens: list[str]) -> list[str | None]:
        """The worker whose heartbeat says it runs each attempt, or None."""
        values: list[bytes | None] = self._client.mget([wire.alive_key(t) for t in tokens])  # type: ignore[assignment]
        return [value.decode() if value is not None else None for value in values]

    def _set_aside(self, stream: str, entry_id: bytes, fields: dict[bytes, bytes], reason: str) -> None:
        """Move a refused message to the dead-letter stream (its first 64 KiB), with why; the caller
        acknowledges the original. Never raises: a broken Redis only loses the copy."""
        _logger.warning("Setting aside %s entry %s: %s", stream, entry_id.decode(errors="replace"), reason)
        raw = fields.get(b"m", b"")
        try:
            self._client.xadd(
                wire.DEAD_LETTERS,
                {"stream": stream, "id": entry_id, "reason": reason[:4096], "message": raw[:65536],
                 "size": len(raw), "at": time.time()},
                maxlen=wire.DEAD_LETTERS_KEPT, approximate=True,
            )
        except redis.RedisError:
            _logger.exception("Could not set the entry aside.")

    def _ensure_groups(self) -> None:
        """The coordinator's consumer group on the inbox and control streams (made again after
        Redis lost its data)."""
        for stream in (wire.INBOX, wire.CONTROL):
            try:
                self._client.xgroup_create(stream, wire.COORDINATOR_GROUP, id="0", mkstream=True)
            except redis.ResponseError as e:
                if "BUSYGROUP" not in str(e):
                    raise

    def _pipeline(self, commands: list[tuple[Any, ...]]) -> None:
        """Send several commands in one round trip (redis-py, off the hot path)."""
        pipe = self._client.pipeline(transaction=False)
        for command in commands:
            pipe.execute_command(*command)
        pipe.execute()

    # --- inbox lane ---------------------------------------------------------------------------
    def _inbox_loop(self) -> None:
        """Read the inbox; answer what it can at once. One round of commands per batch: the previous
        batch's replies, the acknowledgements of what the SQL writer has stored since, and the next
        blocking read, so a busy round costs one round trip to Redis."""
        cursor: str | bytes = "0"  # first the messages a previous run read but did not acknowledge, then new ones
        replies: list[tuple[str, wire.Reply]] = []
        line = Round(self._client)
        outage = Outage("Redis (inbox lane)", _logger)
        while not self._stop.is_set():
            acks = self._take_acks()
            commands: list[tuple[Any, ...]] = []
            for token, reply in replies:
                commands += _reply_commands(wire.reply_key(token), reply.to_json())
            if acks:
                commands += [("XACK", wire.INBOX, wire.COORDINATOR_GROUP, *acks), ("XDEL", wire.INBOX, *acks)]
            commands.append(("XREADGROUP", "GROUP", wire.COORDINATOR_GROUP, self._consumer, "COUNT", 256,
                             "BLOCK", 200, "STREAMS", wire.INBOX, cursor))
            try:
                results = line.execute(commands)
            except redis.RedisError as e:
                with self._acks_lock:
                    self._acks.extend(acks)
                # Redis may have delivered entries whose reply was lost: read this consumer's pending
                # entries again (messages are idempotent; those already handled are answered again).
                cursor = "0"
                time.sleep(outage.failed(e))
                continue  # the replies go out with the next round
            outage.recovered()
            errors = [r for r in results if isinstance(r, Exception)]
            if any("NOGROUP" in str(error) for error in errors):  # Redis came back without its data
                self._ensure_groups()
                cursor = "0"
                continue  # the replies go out with the next round (the worker resends if they are lost)
            if errors:
                _logger.error("Redis refused part of the inbox round: %r", errors[0])
            replies = []
            entries = stream_entries(results[-1]) if not isinstance(results[-1], Exception) else []
            if cursor != ">":
                cursor = entries[-1][0] if entries else ">"
            read_at = time.perf_counter()
            done = []
            for entry_id, fields in entries:
                try:
                    settled, answer = self._handle_inbox(entry_id, fields, read_at)
                except Exception as e:  # a bug met by one message: set it aside, answer the others
                    _logger.exception("Handling inbox entry %s failed.", entry_id)
                    self._set_aside(wire.INBOX, entry_id, fields, f"The coordinator failed on it: {e!r}")
                    settled, answer = True, None
                if settled:
                    done.append(entry_id)
                if answer is not None:
                    replies.append(answer)
            if done:
                self.storage.writer.on_done(functools.partial(self._stored, done))
        line.close()

    def _stored(self, entry_ids: list[bytes]) -> None:
        """SQL writer: these inbox entries are stored; the inbox lane acknowledges them in its next round."""
        with self._acks_lock:
            self._acks.extend(entry_ids)

    def _take_acks(self) -> list[bytes]:
        with self._acks_lock:
            acks, self._acks = self._acks, []
        return acks

    def _handle_inbox(
        self, entry_id: bytes, fields: dict[bytes, bytes], read_at: float
    ) -> tuple[bool, tuple[str, wire.Reply] | None]:
        """Handle one message (read at ``read_at``, by :func:`time.perf_counter`): whether it is settled
        here (else its lane acknowledges it), and the reply to send."""
        try:
            message: wire.Start | wire.Suggest | wire.Report | wire.Finish = wire.parse(
                fields.get(b"m", b""), (wire.Start, wire.Suggest, wire.Report, wire.Finish)
            )
        except wire.WireError as e:
            self._set_aside(wire.INBOX, entry_id, fields, str(e))
            return True, None
        run = self.jobs.run_of(message.study_id)
        if run is None:
            if isinstance(message, wire.Finish):
                return True, None
            inactive = wire.Reply(seq=getattr(message, "seq", 0), ok=False, error="This study is not active.")
            return True, (_reply_to(message), inactive)
        try:
            if isinstance(message, wire.Start):
                return True, (_reply_to(message), run.on_start(message))
            if isinstance(message, wire.Report):
                reply = run.on_report(message)
                self.metrics.observe_report(time.perf_counter() - read_at)
                return True, (_reply_to(message), reply)
            run.lane.submit(lambda: self._in_lane(run, entry_id, message))
            return False, None
        except Exception as e:
            _logger.exception("Handling %s failed.", type(message).__name__)
            seq = getattr(message, "seq", 0)
            return True, (_reply_to(message), wire.Reply(seq=seq, ok=False, error=f"The coordinator failed: {e!r}"))

    def _in_lane(self, run: StudyRun, entry_id: bytes, message: wire.Suggest | wire.Finish) -> None:
        try:
            if isinstance(message, wire.Suggest):
                self._reply(_reply_to(message), run.on_suggest(message))
            else:
                run.on_finish(message)
        finally:
            self.storage.writer.on_done(lambda: self._stored([entry_id]))

    def _reply(self, token: str, reply: wire.Reply) -> None:
        self._pipeline(_reply_commands(wire.reply_key(token), reply.to_json()))

    # --- control lane -------------------------------------------------------------------------
    def _control_loop(self) -> None:
        cursor = "0"  # first the requests a previous run read but did not answer, then new ones
        outage = Outage("Redis (control lane)", _logger)
        while not self._stop.is_set():
            try:
                batches: Any = self._client.xreadgroup(
                    wire.COORDINATOR_GROUP, self._consumer, {wire.CONTROL: cursor}, count=16, block=200
                )
                outage.recovered()
            except redis.ResponseError as e:
                if "NOGROUP" not in str(e):
                    raise
                self._ensure_groups()  # Redis came back without its data
                continue
            except redis.RedisError as e:
                time.sleep(outage.failed(e))
                continue
            entries = batches[0][1] if batches else []
            if cursor != ">" and not entries:
                cursor = ">"
            for entry_id, fields in entries:
                fields = fields or {}  # a pending entry deleted meanwhile has no fields
                try:
                    reply = self._handle_control(entry_id, fields)
                except Exception as e:  # a bug met by one request: set it aside, serve the others
                    _logger.exception("Handling control entry %s failed.", entry_id)
                    self._set_aside(wire.CONTROL, entry_id, fields, f"The coordinator failed on it: {e!r}")
                    reply = None
                commands = [("XACK", wire.CONTROL, wire.COORDINATOR_GROUP, entry_id), ("XDEL", wire.CONTROL, entry_id)]
                if reply is not None:
                    commands = _reply_commands(wire.reply_key(reply.request_id), reply.to_json()) + commands
                try:
                    self._pipeline(commands)
                except redis.RedisError as e:  # read again, as pending, once Redis is back
                    time.sleep(outage.failed(e))
                    cursor = "0"
                    break

    def _handle_control(self, entry_id: bytes, fields: dict[bytes, bytes]) -> wire.ControlReply | None:
        """The answer to one client request (None for a message that is not one)."""
        try:
            message: wire.Submit | wire.Cancel | wire.Status = wire.parse(
                fields.get(b"m", b""), (wire.Submit, wire.Cancel, wire.Status)
            )
        except wire.WireError as e:
            self._set_aside(wire.CONTROL, entry_id, fields, str(e))
            return None
        try:
            if isinstance(message, wire.Submit):
                body = {**self.jobs.submit(message), "storage_url": shareable_storage_url(self.settings.storage_url)}
            elif isinstance(message, wire.Cancel):
                body = self.jobs.cancel(message.study_name)
            else:
                body = self.jobs.status(message.study_name)
            return wire.ControlReply(request_id=message.request_id, ok=True, body=body)
        except Exception as e:
            if not isinstance(e, _CLIENT_ERRORS):
                _logger.exception("Handling %s failed.", type(message).__name__)
            return wire.ControlReply(
                request_id=message.request_id, ok=False, body={}, error=str(e), error_type=type(e).__name__
            )


    # --- dispatch lane ------------------------------------------------------------------------
    def _dispatch_loop(self) -> None:
        outage = Outage("Redis (dispatch lane)", _logger)
        while not self._stop.wait(0.5):
            try:
                held = self._lease.renew()
                data_lost = bool(self._client.set(wire.epoch_key(), self._epoch, nx=True))
                self.slots.refresh()
            except redis.RedisError as e:
                outage.failed(e)
                continue
            outage.recovered()
            if data_lost:
                _logger.warning("Redis lost its data (restarted empty?): publishing the trials not yet started again.")
                self._ensure_groups()
                self.jobs.redis_lost_data()
            if not held:
                _logger.critical("Another coordinator (%s) took this broker's lease; this one stops writing and "
                                 "exits.", self._lease.holder())
                os._exit(LEASE_LOST_EXIT)
            try:
                self.jobs.end_lost_attempts(self._running_on)
            except redis.RedisError as e:
                outage.failed(e)
            self.jobs.tend()


def shareable_storage_url(url: str | None) -> str | None:
    """The coordinator's SQLite URL as clients can open it too: a relative path made absolute (it is
    relative to the coordinator's folder, not the client's). Server URLs are not sent (they may hold
    a password): clients use their own HPO_STORAGE_URL."""
    if not url or not url.startswith("sqlite"):
        return None
    scheme, sep, path = url.partition(":///")
    if sep and path and not path.startswith("/") and not path.startswith(":memory:") and "?" not in path:
        return f"{scheme}:///{os.path.abspath(path)}"
    return url


def _reply_to(message: wire.Start | wire.Suggest | wire.Report | wire.Finish) -> str:
    """Where the answer to a worker's message goes: its delivery's own list, else its attempt's."""
    return getattr(message, "reply_to", None) or message.token


def _reply_commands(key: str, reply_json: str) -> list[tuple[Any, ...]]:
    """Redis commands that hand a reply to whoever waits on ``key``; a reply nobody pops (its worker
    died) does not stay forever."""
    return [("RPUSH", key, reply_json), ("EXPIRE", key, wire.REPLY_TTL_S)]


def _or_exit(lane: Callable[[], None]) -> None:
    """Run a lane; if it dies of a bug, exit the process rather than live on half deaf: a restarted
    coordinator replays every inbox message not yet stored."""
    try:
        lane()
    except BaseException:
        _logger.critical("Lane %s died; the coordinator exits.", threading.current_thread().name, exc_info=True)
        os._exit(LANE_DIED_EXIT)
