"""kombu's Redis transport, publishing through one client per channel.

kombu builds a new ``redis.Redis`` for every message it publishes (a task, or each event Flower
reads); with redis-py 8 that is half the cost of publishing (its response-callback table alone).
This transport keeps one client per channel instead. Clients share the channel's connection pool
and are thread-safe, as kombu's own are. Its :class:`Connection` gives URIs of the ``redis``
scheme, not of this module's path.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from typing import Any

import kombu
import redis
from kombu import connection as kombu_connection
from kombu.transport import redis as kombu_redis
from kombu.utils.objects import cached_property

#: The broker URL schemes this transport serves (others, e.g. Sentinel, keep kombu's own).
SCHEMES = ("redis", "rediss")
TRANSPORT = "hpo.distributed.kombu_transport:Transport"


class PublishingChannel(kombu_redis.Channel):
    """kombu's Redis channel, publishing through one client it keeps."""

    @cached_property
    def _publishing_client(self) -> redis.Redis:
        return self._create_client()

    @contextlib.contextmanager
    def conn_or_acquire(self, client: Any = None) -> Iterator[Any]:
        yield client if client else self._publishing_client


class Transport(kombu_redis.Transport):
    Channel = PublishingChannel


class Connection(kombu.Connection):
    """kombu's connection, naming this transport ``redis`` (``rediss`` with TLS) in its URI, as
    Celery's banner shows it and Flower builds its own Redis client from it (queue lengths)."""

    @property
    def resolve_aliases(self) -> dict[str, str]:  # type: ignore[override]
        return {**kombu_connection.resolve_aliases, TRANSPORT: "rediss" if self.ssl else "redis"}
