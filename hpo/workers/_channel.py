"""A worker's line to the coordinator: messages on the inbox stream, replies on a per-attempt list."""

from __future__ import annotations

import logging
import time
import uuid
from collections.abc import Sequence
from typing import Any

import redis

from hpo.distributed import wire
from hpo.distributed.outage import Outage
from hpo.distributed.redis_round import Round
from hpo.exceptions import CoordinatorUnavailableError, WireError

_logger = logging.getLogger(__name__)


class AttemptChannel:
    """Sends one attempt's messages in order and waits for the replies that belong to them."""

    def __init__(self, line: Round, task: wire.TrialTask) -> None:
        self._line = line
        # This delivery's own reply list: another delivery of the attempt never pops its replies.
        self._reply_to = f"{task.token}.{uuid.uuid4().hex[:12]}"
        self._reply_key = wire.reply_key(self._reply_to)
        self._timeout_s = task.reply_timeout_s
        self._seq = 0

    def next_seq(self) -> int:
        self._seq += 1
        return self._seq

    def send(self, message: wire.Message) -> None:
        self._execute([_xadd(message)])

    def request(
        self, message: wire.Start | wire.Suggest | wire.Report, first: tuple[Any, ...] | None = None
    ) -> wire.Reply:
        """Send ``message`` and return the reply with the same ``seq`` (stale replies are skipped).

        ``first``, a command to run just before the message, the message and the first wait for its
        reply travel in one round: one round trip to Redis.
        """
        seq = getattr(message, "seq", 0)
        message.reply_to = self._reply_to
        wait = ("BLPOP", self._reply_key, self._timeout_s)
        send = _xadd(message)
        popped = self._execute([*([first] if first else []), send, wait])[-1]
        while True:
            if popped is None:
                raise CoordinatorUnavailableError(
                    f"The coordinator did not answer within {self._timeout_s:g} s. Is `hpo coordinator start` "
                    "running against the same broker? (HPO_REPLY_TIMEOUT sets the wait.)"
                )
            reply = wire.parse(popped[1], wire.Reply)
            if reply.seq == seq:
                return reply
            popped = self._execute([wait], resend=[send])[-1]

    def _execute(self, commands: list[tuple[Any, ...]], resend: Sequence[tuple[Any, ...]] = ()) -> list[Any]:
        """One round; while Redis is unreachable (a restart, a blip), the whole round again on a new
        connection, with backoff, for up to the reply timeout (every message is idempotent: the
        coordinator ignores a repeated report, start or outcome, and a repeated reply is stale)."""
        blocking_s = self._timeout_s if any(command[0] == "BLPOP" for command in commands) else None
        deadline = time.monotonic() + self._timeout_s
        outage = Outage("Redis (trial messages)", _logger)
        while True:
            try:
                replies = self._line.execute(commands, blocking_s)
                break
            except (redis.ConnectionError, redis.TimeoutError) as e:
                if time.monotonic() >= deadline:
                    raise
                time.sleep(outage.failed(e))
                commands = [*resend, *commands]  # a Redis that lost its data lost the message too
                resend = ()
        outage.recovered()
        for reply in replies:
            if isinstance(reply, redis.ResponseError):
                raise reply
        return replies


def _xadd(message: wire.Message) -> tuple[Any, ...]:
    text = message.to_json()
    if len(text) > wire.MAX_MESSAGE_BYTES:
        raise WireError(
            f"This trial's {type(message).__name__.lower()} message is {len(text)} bytes, over the "
            f"{wire.MAX_MESSAGE_BYTES}-byte limit of a message: keep large data out of user attrs (write it to "
            "a file or an artifact store and keep its path)."
        )
    return ("XADD", wire.INBOX, "*", "m", text)

