"""The local stack's reaper: stops the stack when the process that started it dies without stopping it.

The stack's processes sit in sessions of their own (so that a Ctrl-C in the terminal reaches ``hpo run``
alone), so nothing ends them if ``hpo run`` is killed with SIGKILL. The reaper, started with the stack,
blocks on the read end of a pipe whose only write end the starting process holds: the read returns
end-of-file the moment that process is gone, however it died. The reaper then stops what the stack's
state file lists, as ``LocalStack.stop`` would: workers (warm shutdown, then killed with their
children), the coordinator (it flushes SQL), Redis last, and removes the stack's temporary folder.

Run as ``python .../hpo/distributed/_reaper.py FD STATE_FILE`` (the standard library only, so it starts in
milliseconds); the stack stops the reaper first when it stops normally.
"""

from __future__ import annotations

import json
import os
import pathlib
import shutil
import signal
import sys
import time


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    try:  # a zombie of ours (never, as the stack's processes are not our children) or another's
        with open(f"/proc/{pid}/stat") as stat:
            return stat.read().rsplit(")", 1)[1].split()[0] != "Z"
    except OSError:
        return True


def _stop_group(pid: int, grace_s: float) -> None:
    """SIGTERM ``pid``, wait up to ``grace_s``, then SIGKILL its process group (its own session)."""
    try:
        os.kill(pid, signal.SIGTERM)
    except ProcessLookupError:
        return
    deadline = time.monotonic() + grace_s
    while _alive(pid) and time.monotonic() < deadline:
        time.sleep(0.1)
    try:
        os.killpg(pid, signal.SIGKILL)
    except (ProcessLookupError, PermissionError):
        pass


def reap(state_file: pathlib.Path) -> None:
    """Stop every process the state file lists, in the stack's order, and remove its folder."""
    try:
        state = json.loads(state_file.read_text())
    except (OSError, ValueError):
        return
    for name, pid in state.get("processes", []):
        _stop_group(int(pid), 30.0 if name == "coordinator" else 10.0)
    if state.get("redis"):
        _stop_group(int(state["redis"]), 10.0)
    if state.get("workdir"):
        shutil.rmtree(state["workdir"], ignore_errors=True)
    for extra in state.get("remove", []):
        pathlib.Path(extra).unlink(missing_ok=True)


def main(argv: list[str]) -> None:
    fd, state_file = int(argv[0]), pathlib.Path(argv[1])
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # a Ctrl-C is hpo run's to handle
    while True:
        try:
            if os.read(fd, 1) == b"":
                break
        except InterruptedError:
            continue
    reap(state_file)


if __name__ == "__main__":
    main(sys.argv[1:])
