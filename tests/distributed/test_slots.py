"""Worker slots: capacity from the workers' announcements in a real Redis, a small prefetch, fair shares."""

from __future__ import annotations

import pathlib
from collections.abc import Iterator

import pytest
import redis

from hpo.distributed import wire
from hpo.coordinator._slots import Slots
from hpo.distributed.local_stack import EmbeddedRedis


@pytest.fixture
def client(tmp_path: pathlib.Path) -> Iterator[redis.Redis]:
    server = EmbeddedRedis(tmp_path)
    server.start()
    try:
        yield redis.Redis.from_url(server.url)
    finally:
        server.stop()


def announce(client: redis.Redis, hostname: str, concurrency: int) -> None:
    info = wire.WorkerInfo(hostname=hostname, queues=["cpu"], concurrency=concurrency, objectives=[])
    client.set(wire.worker_key(hostname, 1), info.to_json())


def test_capacity_prefetch_and_fair_shares(client: redis.Redis) -> None:
    announce(client, "w1", 8)
    client.set(wire.worker_key("bad", 1), "not json")  # ignored with a warning
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


def test_small_pools_get_a_prefetch_of_two(client: redis.Redis) -> None:
    announce(client, "w1", 2)
    slots = Slots(client)
    slots.refresh()
    # 2 slots that finish close together both find a trial waiting
    assert sum(slots.try_reserve("cpu", owner=1) for _ in range(10)) == 4


def test_two_workers_started_with_one_node_name_count_twice(tmp_path: pathlib.Path) -> None:
    """Each worker process announces under its own key: two `celery worker` processes started with
    the same -n name (the default, celery@host) both count."""
    import subprocess
    import sys

    server = EmbeddedRedis(tmp_path)
    server.start()
    code = (
        "import sys, time\n"
        "from hpo.distributed import wire\n"
        "from hpo.workers._heartbeat import Announcer\n"
        "info = wire.WorkerInfo(hostname='celery@box', queues=['cpu'], concurrency=4, objectives=[])\n"
        "Announcer(sys.argv[1], info).start()\n"
        "print('up', flush=True)\n"
        "time.sleep(60)\n"
    )
    announcers = [subprocess.Popen([sys.executable, "-c", code, server.url], stdout=subprocess.PIPE, text=True)
                  for _ in range(2)]
    try:
        for process in announcers:
            assert process.stdout is not None and process.stdout.readline().strip() == "up"
        slots = Slots(redis.Redis.from_url(server.url))
        slots.refresh()
        assert slots.capacity("cpu") == 8
    finally:
        for process in announcers:
            process.kill()
            process.wait()
        server.stop()
