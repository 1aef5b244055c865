"""The inbox lane's rounds of raw Redis commands, against a real redis-server."""

from __future__ import annotations

import pathlib

import pytest
import redis

from hpo.distributed.redis_round import Round, stream_entries
from hpo.distributed.local_stack import EmbeddedRedis


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


def test_a_worker_channel_survives_a_broken_connection(tmp_path: pathlib.Path) -> None:
    import threading

    from hpo.distributed import wire
    from hpo.workers._channel import AttemptChannel

    server = EmbeddedRedis(tmp_path)
    server.start()
    try:
        client = redis.Redis.from_url(server.url)
        task = wire.TrialTask(study_id=1, study_name="s", trial_id=1, number=0, attempt=0, token="t" * 32,
                              objective="m:f", n_objectives=1, params={}, reply_timeout_s=10.0, heartbeat_timeout_s=30.0)
        channel = AttemptChannel(Round(redis.Redis.from_url(server.url)), task)
        header = {"study_id": 1, "trial_id": 1, "attempt": 0, "token": task.token}

        def coordinator() -> None:  # answers the report, after a stale reply of an earlier request
            entries = client.xread({wire.INBOX: "0"}, block=5000)
            report = wire.parse(entries[0][1][0][1][b"m"], wire.Report)
            assert report.reply_to is not None and report.reply_to.startswith(task.token)
            client.rpush(wire.reply_key(report.reply_to), wire.Reply(seq=0, ok=True).to_json(),
                         wire.Reply(seq=1, ok=True, prune=True).to_json())

        channel.send(wire.Start(**header, worker="w", device=None))
        client.client_kill_filter(_type="normal", skipme=True)  # the channel's connection breaks
        client.delete(wire.INBOX)
        answer = threading.Thread(target=coordinator)
        answer.start()
        reply = channel.request(wire.Report(**header, seq=1, step=0, value=1.0, used_params={}, user_attrs={}))
        answer.join()
        assert (reply.seq, reply.prune) == (1, True)
        assert client.xlen(wire.INBOX) == 1  # sent once on the new connection
    finally:
        server.stop()


def test_a_reply_may_take_longer_than_the_clients_socket_timeout(tmp_path: pathlib.Path) -> None:
    """A slow sampler or a coordinator restart may answer after redis-py's 5 s socket timeout: the
    worker waits its reply timeout, then says the coordinator is unavailable."""
    import threading
    import time

    from hpo.distributed import wire
    from hpo.exceptions import CoordinatorUnavailableError
    from hpo.workers._channel import AttemptChannel

    server = EmbeddedRedis(tmp_path)
    server.start()
    try:
        client = redis.Redis.from_url(server.url)
        assert client.connection_pool.connection_kwargs.get("socket_timeout") in (None, 5)

        def task(reply_timeout_s: float) -> wire.TrialTask:
            return wire.TrialTask(study_id=1, study_name="s", trial_id=1, number=0, attempt=0, token="u" * 32,
                                  objective="m:f", n_objectives=1, params={}, reply_timeout_s=reply_timeout_s,
                                  heartbeat_timeout_s=30.0)

        header = {"study_id": 1, "trial_id": 1, "attempt": 0, "token": "u" * 32}
        channel = AttemptChannel(Round(client), task(30.0))

        def answer() -> None:  # to the delivery's own reply list, which its Start names
            start_message = wire.parse(client.xrange(wire.INBOX)[0][1][b"m"], wire.Start)
            client.rpush(wire.reply_key(start_message.reply_to or ""), wire.Reply(seq=0, ok=True).to_json())

        late = threading.Timer(6.5, answer)
        late.start()
        start = time.monotonic()
        reply = channel.request(wire.Start(**header, worker="w", device=None))
        assert reply.ok and 6.4 < time.monotonic() - start < 20
        assert client.xlen(wire.INBOX) == 1  # sent once: the wait did not break the connection
        with pytest.raises(CoordinatorUnavailableError, match="did not answer within 1 s"):
            AttemptChannel(Round(client), task(1.0)).request(wire.Start(**header, worker="w", device=None))
    finally:
        server.stop()


def test_a_control_reply_may_take_longer_than_the_clients_socket_timeout(tmp_path: pathlib.Path) -> None:
    """A cancel waits for the study's lane; the client waits its reply timeout, not redis-py's 5 s."""
    import threading

    from hpo.distributed import wire
    from hpo.distributed.client import _ControlClient

    server = EmbeddedRedis(tmp_path)
    server.start()
    try:
        client = redis.Redis.from_url(server.url)
        client.set(wire.coordinator_key(), "test")

        def slow_coordinator() -> None:
            entries = client.xread({wire.CONTROL: "0"}, block=5000)[0][1]
            request = wire.parse(entries[0][1][b"m"], wire.Status)
            threading.Event().wait(6.5)
            client.rpush(wire.reply_key(request.request_id),
                         wire.ControlReply(request_id=request.request_id, ok=True, body={"status": "done"}).to_json())

        answer = threading.Thread(target=slow_coordinator)
        answer.start()
        body = _ControlClient(server.url, 30.0).request(wire.Status(request_id="r1", study_name="s"))
        answer.join()
        assert body == {"status": "done"}
    finally:
        server.stop()
