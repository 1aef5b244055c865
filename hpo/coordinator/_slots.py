"""Worker slots per queue, from the workers' announcements, so trials are published only when they can run."""

from __future__ import annotations

import collections
import logging
import threading

import redis

from hpo import wire

_logger = logging.getLogger(__name__)


class Slots:
    """Counts free slots per queue: announced concurrency plus a small prefetch, minus trials in flight."""

    def __init__(self, client: redis.Redis) -> None:
        self._client = client
        self._lock = threading.Lock()
        self._capacity: dict[str, int] = {}
        self._hosts: dict[str, int] = {}
        self._in_flight: collections.Counter[str] = collections.Counter()

    def refresh(self) -> bool:
        """Re-read the workers' announcements; True when some queue gained capacity."""
        capacity: collections.Counter[str] = collections.Counter()
        hosts: collections.Counter[str] = collections.Counter()
        keys = list(self._client.scan_iter(match=wire.WORKERS_PATTERN, count=1000))
        for raw in self._client.mget(keys) if keys else []:
            if raw is None:
                continue
            try:
                info = wire.parse(raw, wire.WorkerInfo)
            except wire.WireError as e:
                _logger.warning("Ignoring a malformed worker announcement: %s", e)
                continue
            for queue in info.queues:
                capacity[queue] += info.concurrency
                hosts[queue] += 1
        with self._lock:
            grew = any(capacity[q] > self._capacity.get(q, 0) for q in capacity)
            self._capacity, self._hosts = dict(capacity), dict(hosts)
        return grew

    def try_reserve(self, queue: str) -> bool:
        with self._lock:
            limit = self._capacity.get(queue, 0) + max(1, self._hosts.get(queue, 0))
            if self._in_flight[queue] >= limit:
                return False
            self._in_flight[queue] += 1
            return True

    def take(self, queue: str, n: int = 1) -> None:
        """Count ``n`` trials already in flight (e.g. found running after a restart)."""
        with self._lock:
            self._in_flight[queue] += n

    def release(self, queue: str) -> None:
        with self._lock:
            self._in_flight[queue] = max(0, self._in_flight[queue] - 1)

    def snapshot(self) -> dict[str, dict[str, int]]:
        with self._lock:
            return {
                q: {"capacity": self._capacity.get(q, 0), "in_flight": self._in_flight[q]}
                for q in set(self._capacity) | set(self._in_flight)
            }
