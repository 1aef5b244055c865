"""Chaos: a study of short trials with reports on 3 workers while a seeded random schedule kills
trial processes and whole workers (kill -9), stops a worker (SIGTERM), kills the coordinator
(kill -9) and restarts Redis. The study must end with exactly n_trials finished, none RUNNING, no
trial run twice outside a recorded retry, and every COMPLETE value the objective's at its params.

The schedule and the time from each fault to the next finished trial are printed (``-s``).
``test_chaos_short`` (60 trials, 5 faults) runs in CI; ``test_chaos_300`` is ``slow``.
"""

from __future__ import annotations

import collections
import os
import pathlib
import random
import signal
import time

import pytest

import hpo
from hpo.distributed.local_stack import LocalStack
from hpo.exceptions import CoordinatorUnavailableError
from hpo.trial import TrialState

from cluster import make_stack
from hpo_test_objectives import chaos_value

FAULTS = ("kill-child", "kill-worker", "term-worker", "kill-coordinator", "redis-restart")


def _children(pid: int) -> list[int]:
    try:
        return [int(c) for c in pathlib.Path(f"/proc/{pid}/task/{pid}/children").read_text().split()]
    except OSError:
        return []


def _n_finished(handle: hpo.StudyHandle) -> int | None:
    try:
        return int(handle.status()["n_finished"])
    except CoordinatorUnavailableError:
        return None  # the coordinator is restarting


def _inflict(fault: str, stack: LocalStack, workers: list[str], rng: random.Random) -> str:
    if fault == "kill-child":
        hostname = rng.choice(workers)
        children = _children(stack.pids()[f"worker-{hostname.split('@')[0]}"])
        if children:
            os.kill(rng.choice(children), signal.SIGKILL)
        return f"kill -9 a trial process of {hostname}"
    if fault in ("kill-worker", "term-worker"):
        hostname = workers.pop(rng.randrange(len(workers)))
        stack.kill_worker(hostname, signal.SIGKILL if fault == "kill-worker" else signal.SIGTERM)
        workers.append(stack.add_worker(1))
        return f"{'kill -9' if fault == 'kill-worker' else 'SIGTERM'} worker {hostname}, a new one started"
    if fault == "kill-coordinator":
        stack.kill_coordinator()
        stack.start_coordinator()
        return "kill -9 the coordinator, restart it"
    stack.restart_redis(down_s=1.0)
    return "restart Redis (1 s down, data kept)"


def _chaos(tmp_path: pathlib.Path, n_trials: int, faults: list[str], seed: int) -> None:
    rng = random.Random(seed)
    schedule = [(int((i + 1) * n_trials / (len(faults) + 1)), fault) for i, fault in enumerate(faults)]
    print(f"\nchaos seed {seed}, {n_trials} trials; schedule (after N finished trials -> fault): {schedule}")
    runs_file = tmp_path / "runs.txt"
    with make_stack(tmp_path) as stack:
        stack.env.update(HPO_HEARTBEAT_TIMEOUT="5", HPO_TEST_RUNS_FILE=str(runs_file))
        stack.kill_coordinator()
        stack.start_coordinator()
        workers = [stack.add_worker(1) for _ in range(3)]
        handle = hpo.submit_study("hpo_test_objectives:chaotic", n_trials=n_trials, study_name="chaos",
                                  pruner=hpo.pruners.MedianPruner(n_startup_trials=5), max_retries=2,
                                  broker_url=stack.broker_url, storage=stack.storage_url)
        recoveries = []
        deadline = time.monotonic() + 60 + 3 * n_trials
        for at, fault in schedule:
            while (_n_finished(handle) or 0) < at:
                assert time.monotonic() < deadline, f"no progress before the fault at {at}"
                time.sleep(0.1)
            before = _n_finished(handle) or at
            struck = time.monotonic()
            what = _inflict(fault, stack, workers, rng)
            while (_n_finished(handle) or 0) <= before:
                assert time.monotonic() < deadline, f"no progress after: {what}"
                time.sleep(0.1)
            recoveries.append((what, time.monotonic() - struck))
        study = handle.wait(progress=False, timeout=max(30.0, deadline - time.monotonic()))
    for what, seconds in recoveries:
        print(f"  {seconds:6.2f} s from '{what}' to the next finished trial")

    trials = study.trials
    assert len(trials) == n_trials
    assert not [t.number for t in trials if not t.state.is_finished()]
    runs = collections.Counter(int(line.split()[0]) for line in runs_file.read_text().splitlines())
    for trial in trials:
        retries = len(trial.system_attrs.get("hpo:attempts", []))
        assert runs[trial.number] <= 1 + retries, (trial.number, runs[trial.number], retries)
        if trial.state == TrialState.COMPLETE:
            assert trial.value == pytest.approx(chaos_value(trial.params["x"], trial.params["y"]))
    states = collections.Counter(t.state.name for t in trials)
    print(f"  states: {dict(states)}; retried trials: {sum('hpo:attempts' in t.system_attrs for t in trials)}")


def test_chaos_short(tmp_path: pathlib.Path) -> None:
    _chaos(tmp_path, n_trials=60, faults=list(FAULTS), seed=1)


@pytest.mark.slow
@pytest.mark.skipif(os.environ.get("HPO_TEST_FULL_CHAOS") != "1",
                    reason="the 300-trial chaos run takes 95 s; run it with HPO_TEST_FULL_CHAOS=1 (the issue asks for "
                    "the short seeded version in CI: test_chaos_short)")
def test_chaos_300(tmp_path: pathlib.Path) -> None:
    rng = random.Random(300)
    faults = list(FAULTS) + [rng.choice(("kill-child", "kill-worker", "term-worker")) for _ in range(5)]
    rng.shuffle(faults)
    _chaos(tmp_path, n_trials=300, faults=faults, seed=300)
