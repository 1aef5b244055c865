"""Worker slots: capacity from the workers' announcements in a real Redis, a small prefetch, fair shares."""

from __future__ import annotations

import pathlib

import redis

from hpo import wire
from hpo.coordinator._slots import Slots
from hpo.local_stack import EmbeddedRedis


def test_capacity_prefetch_and_fair_shares(tmp_path: pathlib.Path) -> None:
    server = EmbeddedRedis(tmp_path)
    server.start()
    try:
        client = redis.Redis.from_url(server.url)
        info = wire.WorkerInfo(hostname="w1", queues=["cpu"], concurrency=8, objectives=[])
        client.set(wire.worker_key("w1"), info.to_json())
        client.set(wire.worker_key("bad"), "not json")  # ignored with a warning
        slots = Slots(client)
        assert slots.refresh()
        # 8 slots + a prefetch of 2; alone, one study may take them all
        assert sum(slots.try_reserve("cpu", owner=1) for _ in range(20)) == 10
        slots.release("cpu", owner=1)
        slots.release("cpu", owner=1)
        # a second study wanting slots gets the freed ones, study 1 is above its fair share of 5
        assert slots.try_reserve("cpu", owner=2)
        assert not slots.try_reserve("cpu", owner=1)
        assert slots.try_reserve("cpu", owner=2)
        assert not slots.try_reserve("cpu", owner=2)  # the queue is full
        slots.withdraw("cpu", owner=2)
        for _ in range(3):
            slots.release("cpu", owner=1)
        assert sum(slots.try_reserve("cpu", owner=1) for _ in range(5)) == 3
    finally:
        server.stop()
