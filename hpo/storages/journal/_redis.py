"""A journal log in a Redis list."""

from __future__ import annotations

import json
from collections.abc import Iterable
from typing import Any

from hpo.storages.journal._base import BaseJournalBackend


class JournalRedisBackend(BaseJournalBackend):
    """The log as the Redis list ``<prefix>:log`` on the server at ``url``, one JSON entry an item.

    Each append is one ``RPUSH``, atomic on a single server and on a cluster (``use_cluster=True``
    connects with a cluster client) alike. ``prefix`` lets several journals share a server.
    """

    def __init__(self, url: str, use_cluster: bool = False, prefix: str = "") -> None:
        import redis  # here, so that importing the journal package does not import Redis's client

        self._key = f"{prefix}:log"
        self._redis = redis.RedisCluster.from_url(url) if use_cluster else redis.Redis.from_url(url)

    def read_logs(self, log_number_from: int) -> Iterable[dict[str, Any]]:
        return [json.loads(item) for item in self._redis.lrange(self._key, log_number_from, -1)]

    def append_logs(self, logs: list[dict[str, Any]]) -> None:
        if logs:
            self._redis.rpush(self._key, *(json.dumps(log, separators=(",", ":")) for log in logs))
