"""Workers' liveness in Redis: each worker announces its queues and slots (so the coordinator publishes
only what they can take), and each running attempt keeps a heartbeat (so the coordinator ends the
attempts of a worker that died)."""

from __future__ import annotations

import logging
import os
import threading

import redis

from hpo.distributed import wire
from hpo.distributed.broker import redis_client
from hpo.distributed.outage import Outage

_logger = logging.getLogger(__name__)


class Announcer:
    """Refreshes this worker's expiring ``hpo:worker:<hostname>:<pid>`` key from a daemon thread."""

    def __init__(self, broker_url: str, info: wire.WorkerInfo, period_s: float = wire.WORKER_TTL_S / 3) -> None:
        self._client = redis_client(broker_url)
        self._info = info
        self._key = wire.worker_key(info.hostname, os.getpid())
        self._period_s = period_s
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._loop, name="hpo-announcer", daemon=True)

    def start(self) -> None:
        self._announce()
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        try:
            self._client.delete(self._key)
        except redis.RedisError:
            pass

    def _announce(self) -> None:
        self._client.set(self._key, self._info.to_json(), ex=wire.WORKER_TTL_S)

    def _loop(self) -> None:
        while not self._stop.wait(self._period_s):
            try:
                self._announce()
            except redis.RedisError:
                continue


def beat(token: str, runner: str, timeout_s: float) -> tuple[str | int, ...]:
    """The Redis command of one heartbeat of attempt ``token``, run by ``runner``: a key that
    expires ``timeout_s`` later."""
    return ("SET", wire.alive_key(token), runner, "PX", max(1, int(timeout_s * 1000)))


class AttemptHeartbeats:
    """Keeps ``alive_key(token)`` of every attempt this process runs fresh, from one daemon thread.

    A key expires ``timeout_s`` after its last refresh and is refreshed five times as often, so a
    busy machine has slack; when the process dies (killed, out of memory, its machine lost), the
    key expires and the coordinator ends the attempt FAIL.
    """

    def __init__(self, broker_url: str) -> None:
        self._client = redis_client(broker_url)
        self._attempts: dict[str, tuple[str, float]] = {}
        self._changed = threading.Condition()
        self._thread = threading.Thread(target=self._loop, name="hpo-attempt-heartbeats", daemon=True)
        self._thread.start()

    def track(self, token: str, runner: str, timeout_s: float) -> None:
        """Start beating for ``token`` (the first beat leaves at once, off the caller's thread)."""
        with self._changed:
            self._attempts[token] = (runner, timeout_s)
            self._changed.notify()

    def untrack(self, token: str) -> None:
        """Stop beating; the key expires by itself (the coordinator forgets the attempt when its outcome arrives)."""
        with self._changed:
            self._attempts.pop(token, None)

    def _loop(self) -> None:
        outage = Outage("Redis (attempt heartbeats)", _logger)
        while True:
            with self._changed:
                self._changed.wait_for(lambda: self._attempts)
                attempts = dict(self._attempts)
            try:
                with self._client.pipeline(transaction=False) as pipe:
                    for token, (runner, timeout_s) in attempts.items():
                        pipe.execute_command(*beat(token, runner, timeout_s))
                    pipe.execute()
                outage.recovered()
            except redis.RedisError as e:
                outage.failed(e)  # the next period tries again
            period = min(timeout_s for _, timeout_s in attempts.values()) / 5
            with self._changed:  # until the next period, or at once for an attempt not beaten yet
                self._changed.wait_for(lambda: self._attempts.keys() - attempts.keys(), timeout=period)  # noqa: B023
