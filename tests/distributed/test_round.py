"""The inbox lane's rounds of raw Redis commands, against a real redis-server."""

from __future__ import annotations

import pathlib

import pytest
import redis

from hpo.coordinator._round import Round, stream_entries
from hpo.local_stack import EmbeddedRedis


@pytest.mark.parametrize("protocol", [2, 3])
def test_a_round_answers_every_command_in_order(tmp_path: pathlib.Path, protocol: int) -> None:
    server = EmbeddedRedis(tmp_path)
    server.start()
    try:
        client = redis.Redis.from_url(server.url, protocol=protocol)
        client.xgroup_create("s", "g", id="0", mkstream=True)
        first = client.xadd("s", {"m": "one"})
        client.xadd("s", {"m": "two"})
        client.set("text", "not a number")
        line = Round(client)
        read = ("XREADGROUP", "GROUP", "g", "c", "COUNT", 10, "BLOCK", 100, "STREAMS", "s", ">")
        replies = line.execute([("RPUSH", "r", "x"), ("INCR", "text"), ("EXPIRE", "r", 60), read])
        assert replies[0] == 1 and replies[2] == 1
        assert isinstance(replies[1], redis.ResponseError)  # refused, and the next replies still line up
        assert [(i, f) for i, f in stream_entries(replies[3])] == [
            (first, {b"m": b"one"}), (stream_entries(replies[3])[1][0], {b"m": b"two"})
        ]
        client.xdel("s", first)  # a pending entry deleted before its acknowledgement comes back without fields
        pending = line.execute([("XREADGROUP", "GROUP", "g", "c", "STREAMS", "s", "0")])[0]
        assert stream_entries(pending)[0] == (first, {})
        assert stream_entries(line.execute([read])[0]) == []  # nothing new: BLOCK times out
        server.stop()
        with pytest.raises(redis.ConnectionError):
            line.execute([("PING",)])
        server.start()
        assert line.execute([("PING",)]) in ([b"PONG"], ["PONG"], [True])  # the next round reconnects
    finally:
        server.stop()


def test_a_lane_that_dies_of_a_bug_stops_the_coordinator_process() -> None:
    import subprocess
    import sys

    from hpo.coordinator._coordinator import LANE_DIED_EXIT

    code = (
        "import threading\n"
        "from hpo.coordinator._coordinator import _or_exit\n"
        "def lane(): raise KeyError('a bug')\n"
        "t = threading.Thread(target=_or_exit, args=(lane,), name='hpo-inbox'); t.start(); t.join()\n"
        "raise SystemExit(0)\n"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60)
    assert done.returncode == LANE_DIED_EXIT
    assert "Lane hpo-inbox died" in done.stderr and "KeyError: 'a bug'" in done.stderr
