"""Workers announce their queues and slots in Redis, so the coordinator publishes only what they can take."""

from __future__ import annotations

import threading

import redis

from hpo import wire


class Announcer:
    """Refreshes this worker's expiring ``hpo:worker:<hostname>`` key from a daemon thread."""

    def __init__(self, broker_url: str, info: wire.WorkerInfo, period_s: float = wire.WORKER_TTL_S / 3) -> None:
        self._client = redis.Redis.from_url(broker_url)
        self._info = info
        self._period_s = period_s
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._loop, name="hpo-announcer", daemon=True)

    def start(self) -> None:
        self._announce()
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        try:
            self._client.delete(wire.worker_key(self._info.hostname))
        except redis.RedisError:
            pass

    def _announce(self) -> None:
        self._client.set(wire.worker_key(self._info.hostname), self._info.to_json(), ex=wire.WORKER_TTL_S)

    def _loop(self) -> None:
        while not self._stop.wait(self._period_s):
            try:
                self._announce()
            except redis.RedisError:
                continue
