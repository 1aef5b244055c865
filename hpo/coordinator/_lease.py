"""One coordinator per broker: a lease in Redis that names its holder and expires unless renewed.

Until coordinators share studies, two coordinators on one broker would split the workers' messages
between them. A coordinator takes the lease before it touches anything, renews it every half
second, and stops at once if it finds the lease held by another (its writes would race theirs).
"""

from __future__ import annotations

import os
import socket
import uuid

import redis

from hpo.distributed import wire
from hpo.distributed.broker import unreachable
from hpo.distributed.config import masked_url
from hpo.exceptions import BrokerUnavailableError, CoordinatorConflictError

#: Renews the lease if this coordinator holds it, takes it if nobody does (Redis lost it); 0 if another holds it.
_RENEW = """
local holder = redis.call('GET', KEYS[1])
if holder == false then
    redis.call('SET', KEYS[1], ARGV[1], 'PX', ARGV[2])
    return 1
end
if holder == ARGV[1] then
    redis.call('PEXPIRE', KEYS[1], ARGV[2])
    return 1
end
return 0
"""
_RELEASE = """
if redis.call('GET', KEYS[1]) == ARGV[1] then
    return redis.call('DEL', KEYS[1])
end
return 0
"""


class BrokerLease:
    """The key :func:`wire.coordinator_key` holding this coordinator's owner id for ``ttl_s`` seconds."""

    def __init__(self, client: redis.Redis, broker_url: str, ttl_s: float = 30.0) -> None:
        self._client = client
        self._broker_url = broker_url
        self._ttl_ms = int(ttl_s * 1000)
        self.owner = f"{socket.gethostname()} pid {os.getpid()} {uuid.uuid4().hex[:8]}"
        self._renew = client.register_script(_RENEW)
        self._release = client.register_script(_RELEASE)

    def acquire(self) -> None:
        """Take the lease; raise :class:`CoordinatorConflictError` naming the holder if another has it."""
        try:
            taken = self._client.set(wire.coordinator_key(), self.owner, nx=True, px=self._ttl_ms)
            holder = None if taken else self.holder()
        except redis.RedisError as e:
            raise BrokerUnavailableError(unreachable(
                self._broker_url, e, "Start Redis there, or point the coordinator at yours with --broker URL or "
                "HPO_BROKER_URL."
            )) from None
        if not taken:
            raise CoordinatorConflictError(
                f"Another coordinator ({holder}) already serves the broker at {masked_url(self._broker_url)}. "
                "Stop it first, or give this one another Redis (--broker URL). If it died, its lease expires "
                f"within {self._ttl_ms / 1000:g} s."
            )

    def holder(self) -> str | None:
        value = self._client.get(wire.coordinator_key())
        return value.decode(errors="replace") if isinstance(value, bytes) else value

    def renew(self) -> bool:
        """Keep the lease (or take it again if Redis lost it); False if another coordinator holds it."""
        return bool(self._renew(keys=[wire.coordinator_key()], args=[self.owner, self._ttl_ms]))

    def release(self) -> None:
        try:
            self._release(keys=[wire.coordinator_key()], args=[self.owner])
        except redis.RedisError:
            pass  # it expires by itself
