"""A round of Redis commands sent at once on one dedicated connection: the hot paths of the
coordinator's inbox lane and of a worker's reports.

redis-py's pipeline builds a client-side command stack, checks a connection out of the pool and
runs response callbacks for every round; a report costs a round on each side, so that machinery
cost as much CPU as the rest of the round. Here a round is packed, sent and read back on a
connection its one user keeps, and replies come back as Redis sent them. The connection is made
by the client's pool, so it speaks TLS when the client does (see :mod:`hpo.distributed.broker`).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import redis

#: How much longer than a blocking command's own timeout its reply may take to arrive.
_SLACK_S = 5.0


class Round:
    """Sends rounds of commands on one connection of ``client``'s pool (used by one thread only)."""

    def __init__(self, client: redis.Redis) -> None:
        self._pool = client.connection_pool
        self._connection: Any = None

    def execute(self, commands: Sequence[tuple[Any, ...]], blocking_s: float | None = None) -> list[Any]:
        """Each command's raw reply, or the ``redis.ResponseError`` Redis answered it with.

        ``blocking_s``: the timeout of a blocking command in the round (``BLPOP``...); its reply may
        take that long, beyond the client's socket timeout (5 s by default in redis-py 8).

        Raises ``redis.ConnectionError`` (or ``TimeoutError``) when the connection broke; the next
        round reconnects. Nothing is retried here: whether a command may run twice is the caller's call.
        """
        if self._connection is None:
            self._connection = self._pool.make_connection()
        connection = self._connection
        try:
            connection.send_packed_command(connection.pack_commands(commands))
            replies: list[Any] = []
            wait: dict[str, float] = {} if blocking_s is None else {"timeout": blocking_s + _SLACK_S}
            for _ in commands:
                try:
                    replies.append(connection.read_response(**wait))
                except redis.ResponseError as e:
                    replies.append(e)
            return replies
        except BaseException:  # broken, or interrupted mid-reply (Ctrl-C): never reuse a half-read connection
            self.close()
            raise

    def close(self) -> None:
        if self._connection is not None:
            self._connection.disconnect()
            self._connection = None


def stream_entries(reply: Any) -> list[tuple[bytes, dict[bytes, bytes]]]:
    """The entries of a raw ``XREADGROUP`` reply on one stream (a deleted pending entry has no fields).

    RESP2 answers ``[[stream, entries]]``, RESP3 ``{stream: entries}``.
    """
    if not reply:
        return []
    entries = next(iter(reply.values())) if isinstance(reply, dict) else reply[0][1]
    return [(entry_id, dict(zip(fields[::2], fields[1::2])) if fields else {}) for entry_id, fields in entries]
