"""A local stack whose starting process is killed with SIGKILL is stopped by its reaper: no Redis,
coordinator or worker outlives ``hpo run``."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time

START = """
import json, sys, time
from hpo.distributed.local_stack import LocalStack
stack = LocalStack(storage_url=sys.argv[1], n_workers=1)
stack.start()
print(json.dumps({"pids": stack.pids(), "workdir": str(stack._workdir)}), flush=True)
time.sleep(600)
"""


def _alive(pid: int) -> bool:
    try:
        with open(f"/proc/{pid}/stat") as stat:
            return stat.read().rsplit(")", 1)[1].split()[0] != "Z"
    except OSError:
        return False


def _wait_gone(pids: list[int], timeout: float) -> list[int]:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        left = [pid for pid in pids if _alive(pid)]
        if not left:
            return []
        time.sleep(0.2)
    return [pid for pid in pids if _alive(pid)]


def test_a_stack_whose_starter_is_killed_stops(tmp_path) -> None:
    starter = subprocess.Popen([sys.executable, "-c", START, f"sqlite:///{tmp_path / 'hpo.db'}"],
                               stdout=subprocess.PIPE, text=True, env={**os.environ, "HPO_HOME": str(tmp_path)})
    try:
        started = json.loads(starter.stdout.readline())  # type: ignore[union-attr]
        pids = list(started["pids"].values())
        assert {"redis", "coordinator"} <= set(started["pids"]) and len(pids) == 3
        assert all(_alive(pid) for pid in pids)
        starter.send_signal(signal.SIGKILL)
        starter.wait()
        assert _wait_gone(pids, 45) == []
        deadline = time.monotonic() + 15  # the reaper removes the folder after the last process is gone
        while os.path.exists(started["workdir"]) and time.monotonic() < deadline:
            time.sleep(0.1)
        assert not os.path.exists(started["workdir"])
    finally:
        if starter.poll() is None:
            starter.kill()


def test_a_stack_stopped_normally_leaves_no_reaper(tmp_path, monkeypatch) -> None:
    from hpo.distributed.local_stack import LocalStack

    monkeypatch.setenv("HPO_HOME", str(tmp_path))
    stack = LocalStack(storage_url=f"sqlite:///{tmp_path / 'hpo.db'}", n_workers=0)
    stack.start()
    reaper = stack._reaper
    assert reaper is not None and reaper.poll() is None
    pids = list(stack.pids().values())
    stack.stop()
    assert reaper.poll() is not None
    assert _wait_gone(pids, 10) == []
