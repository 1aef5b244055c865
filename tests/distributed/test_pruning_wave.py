"""200 trials report every rung at once through the coordinator; its pruning decisions equal a
sequential, in-process replay of the order in which the reports arrived.

The trials run hpo's real worker code (:class:`WorkerRuntime`, each with its own Redis connection)
in 200 threads of this process, on tasks the coordinator published to a queue announced with 200
slots, so that no 200 worker processes are needed. A :class:`RecordingPruner` in the coordinator
logs each decision in the order made; the replay feeds the same reports, in that order, to the same
pruner in a fresh in-memory study of the same name.
"""

from __future__ import annotations

import base64
import json
import pathlib
import threading
import time
from collections.abc import Iterator
from typing import Any

import hpo_test_objectives
import pytest
import redis
from cluster import make_stack
from hpo_test_samplers import RecordingPruner

import hpo
from hpo.distributed import wire
from hpo.distributed.config import Settings
from hpo.distributed.local_stack import LocalStack
from hpo.pruners import PRUNE_REASON_KEY, BasePruner, HyperbandPruner, SuccessiveHalvingPruner
from hpo.trial import TrialState
from hpo.workers._heartbeat import Announcer
from hpo.workers._task import WorkerRuntime

N_TRIALS = 200
QUEUE = "wave"


@pytest.fixture(scope="module")
def stack(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LocalStack]:
    with make_stack(tmp_path_factory.mktemp("wave")) as running:
        yield running


def _tasks(client: redis.Redis, n: int, deadline_s: float = 120) -> list[dict[str, Any]]:
    """The payloads of ``n`` trial tasks the coordinator publishes to the queue (Celery's messages)."""
    payloads: list[dict[str, Any]] = []
    deadline = time.monotonic() + deadline_s
    while len(payloads) < n:
        assert time.monotonic() < deadline, f"the coordinator published {len(payloads)} of {n} tasks"
        popped = client.brpop([QUEUE], timeout=1)
        if popped is None:
            continue
        message = json.loads(popped[1])
        args, _kwargs, _embed = json.loads(base64.b64decode(message["body"]))
        payloads.append(args[0])
    return payloads


def _run_wave(stack: LocalStack, pruner: BasePruner, study_name: str, log: pathlib.Path) -> None:
    """Run the wave's 200 trials through the coordinator with ``pruner`` wrapped in a recorder."""
    settings = Settings.from_env({"HPO_BROKER_URL": stack.broker_url}, stack_fallback=False)
    info = wire.WorkerInfo(hostname="wave-box", queues=[QUEUE], concurrency=N_TRIALS,
                           objectives=["hpo_test_objectives"])
    announcer = Announcer(stack.broker_url, info)
    announcer.start()
    try:
        handle = hpo.submit_study(
            "hpo_test_objectives:wave", N_TRIALS, study_name=study_name, queue=QUEUE,
            broker_url=stack.broker_url, storage=stack.storage_url,
            pruner=RecordingPruner(pruner, str(log)),
        )
        payloads = _tasks(redis.Redis.from_url(stack.broker_url), N_TRIALS)
        hpo_test_objectives.WAVE_START = time.time() + 3.0  # every thread is running by then
        results: list[str] = []
        threads = [
            threading.Thread(target=lambda p=p: results.append(
                WorkerRuntime(settings, ("hpo_test_objectives",)).run(p, "wave-box")))
            for p in payloads
        ]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(timeout=300)
        assert len(results) == N_TRIALS, "every trial ended"
        study = handle.wait(timeout=120, progress=False)
    finally:
        announcer.stop()
    trials = study.get_trials(deepcopy=False)
    assert len(trials) == N_TRIALS and {t.state for t in trials} <= {TrialState.COMPLETE, TrialState.PRUNED}
    pruned = [t for t in trials if t.state == TrialState.PRUNED]
    assert len(pruned) > N_TRIALS // 2, "most of the wave is pruned"
    for trial in pruned:
        reason = trial.system_attrs[PRUNE_REASON_KEY]
        assert reason["step"] == trial.last_step and reason["peers"] > 0


def _replay(log: pathlib.Path, pruner: BasePruner, study_name: str) -> list[tuple[int, int, bool, bool]]:
    """Each decision the coordinator logged, with the decision of an in-process replay of the same
    reports in the same order: (number, step, coordinator's, replay's)."""
    records = [json.loads(line) for line in log.read_text().splitlines()]
    assert len(records) >= N_TRIALS, "a decision per report"
    study = hpo.create_study(study_name=study_name, pruner=pruner)
    trials = [study.ask() for _ in range(N_TRIALS)]
    compared = []
    for record in records:
        trial = trials[record["number"]]
        trial.report(record["value"], record["step"])
        compared.append((record["number"], record["step"], record["prune"], trial.should_prune()))
    return compared


@pytest.mark.parametrize(
    "pruner",
    [SuccessiveHalvingPruner(min_resource=1, reduction_factor=3), HyperbandPruner(min_resource=1, max_resource=9)],
    ids=["successive-halving", "hyperband"],
)
def test_a_wave_of_200_prunes_as_a_sequential_replay(stack: LocalStack, tmp_path: pathlib.Path,
                                                      pruner: BasePruner) -> None:
    name = f"wave-{type(pruner).__name__}"
    log = tmp_path / "decisions.jsonl"
    _run_wave(stack, pruner, name, log)
    compared = _replay(log, pruner, name)
    differing = [c for c in compared if c[2] != c[3]]
    assert not differing, f"{len(differing)} of {len(compared)} decisions differ, e.g. {differing[:5]}"
    assert sum(c[2] for c in compared) > N_TRIALS // 2
