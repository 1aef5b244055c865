"""A worker's line to the coordinator: messages on the inbox stream, replies on a per-attempt list."""

from __future__ import annotations

import redis

from hpo import wire


class CoordinatorUnavailableError(RuntimeError):
    """The coordinator did not answer in time."""


class Channel:
    """Sends one attempt's messages in order and waits for the replies that belong to them."""

    def __init__(self, client: redis.Redis, task: wire.TrialTask) -> None:
        self._client = client
        self._reply_key = wire.reply_key(task.token)
        self._timeout_s = task.reply_timeout_s
        self._seq = 0

    def next_seq(self) -> int:
        self._seq += 1
        return self._seq

    def send(self, message: wire.Message) -> None:
        self._client.xadd(wire.INBOX, {"m": message.to_json()})

    def request(self, message: wire.Start | wire.Suggest | wire.Report) -> wire.Reply:
        """Send ``message`` and return the reply with the same ``seq`` (stale replies are skipped).

        The message and the first wait for its reply travel in one pipeline: one round trip to Redis.
        """
        seq = getattr(message, "seq", 0)
        pipe = self._client.pipeline(transaction=False)
        pipe.xadd(wire.INBOX, {"m": message.to_json()})
        pipe.blpop([self._reply_key], timeout=self._timeout_s)
        popped = pipe.execute()[1]
        while True:
            if popped is None:
                raise CoordinatorUnavailableError(
                    f"The coordinator did not answer within {self._timeout_s:g} s. Is `hpo coordinator start` "
                    "running against the same broker? (HPO_REPLY_TIMEOUT sets the wait.)"
                )
            reply = wire.parse(popped[1], wire.Reply)
            if reply.seq == seq:
                return reply
            popped = self._client.blpop([self._reply_key], timeout=self._timeout_s)
