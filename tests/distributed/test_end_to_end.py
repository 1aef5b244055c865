"""End to end on real processes: redis-server, a coordinator subprocess, `celery -A hpo.workers worker` subprocesses."""

from __future__ import annotations

import itertools
import math
import os
import pathlib
import signal
import time

import pytest

import hpo
from hpo.distributed.local_stack import LocalStack
from hpo.distributed.client import StudyHandle
from hpo.exceptions import CoordinatorUnavailableError, StudyFailedError
from hpo.trial import TrialState

from cluster import make_stack
from hpo_test_objectives import N_STEPS, quadratic

FINISHED = (TrialState.COMPLETE, TrialState.PRUNED, TrialState.FAIL)


def test_median_pruner_study_runs_exactly_n_trials(broker_env: LocalStack) -> None:
    handle = hpo.submit_study(
        "hpo_test_objectives:quadratic",
        n_trials=40,
        study_name="median",
        # A 40-point grid holding the optimum: deterministic whatever order the workers ask in.
        sampler=hpo.samplers.GridSampler({"x": [-4, -2, 0, 1, 2, 3, 4, 5], "y": [-4, -2, -1, 0, 3]}),
        pruner=hpo.pruners.MedianPruner(n_startup_trials=5),
    )
    study = handle.wait(progress=False, timeout=240)
    trials = study.trials
    assert len(trials) == 40
    assert all(t.state in FINISHED for t in trials)
    assert sorted(t.number for t in trials) == list(range(40))
    states = {t.state for t in trials}
    assert TrialState.PRUNED in states and TrialState.COMPLETE in states
    for trial in trials:
        if trial.state == TrialState.COMPLETE:
            assert trial.value == pytest.approx(quadratic(hpo.trial.FixedTrial(trial.params)))
            assert len(trial.intermediate_values) == N_STEPS
        if trial.state == TrialState.PRUNED:
            assert 1 <= len(trial.intermediate_values) <= N_STEPS
        assert trial.system_attrs["hpo:worker"].startswith("hpo-local-")
    assert handle.status()["status"] == "done"
    assert study.best_value < 2.0
    assert math.hypot(study.best_params["x"] - 2, study.best_params["y"] + 1) < 1.5


def test_two_studies_at_once_on_one_coordinator(broker_env: LocalStack) -> None:
    first = hpo.submit_study("hpo_test_objectives:quadratic", n_trials=15, study_name="first", pruner=hpo.pruners.NopPruner())
    second = hpo.submit_study("hpo_test_objectives:conditional", n_trials=12, study_name="second", direction="minimize")
    assert first.status()["status"] == second.status()["status"] == "running"
    a, b = first.wait(progress=False, timeout=240), second.wait(progress=False, timeout=240)
    assert len(a.trials) == 15 and len(b.trials) == 12
    for trial in b.trials:
        assert trial.state == TrialState.COMPLETE
        assert ("a" in trial.params) != ("b" in trial.params)
        expected = abs(trial.params["a"]) if "a" in trial.params else trial.params["b"]
        assert trial.value == pytest.approx(expected)


def test_registered_name_and_tpe_spec(broker_env: LocalStack) -> None:
    sampler = hpo.samplers.TPESampler(seed=0, n_startup_trials=5) if hasattr(hpo.samplers, "TPESampler") else None
    handle = hpo.submit_study("registered-quadratic", n_trials=12, study_name="registered", sampler=sampler)
    study = handle.wait(progress=False, timeout=240)
    assert len(study.trials) == 12


def test_load_if_exists_adds_n_more_trials(broker_env: LocalStack) -> None:
    hpo.submit_study("hpo_test_objectives:conditional", n_trials=5, study_name="resume").wait(progress=False, timeout=120)
    with pytest.raises(hpo.exceptions.DuplicatedStudyError, match="load_if_exists"):
        hpo.submit_study("hpo_test_objectives:conditional", n_trials=5, study_name="resume")
    study = hpo.submit_study(
        "hpo_test_objectives:conditional", n_trials=7, study_name="resume", load_if_exists=True
    ).wait(progress=False, timeout=120)
    assert len(study.trials) == 12


def test_failures_are_stored_and_the_study_goes_on(broker_env: LocalStack) -> None:
    study = hpo.submit_study(
        "hpo_test_objectives:broken", n_trials=10, study_name="broken", sampler=hpo.samplers.RandomSampler(seed=3)
    ).wait(progress=False, timeout=120)
    assert len(study.trials) == 10
    for trial in study.trials:
        assert trial.state == TrialState.FAIL
        reason = trial.system_attrs["fail_reason"]
        assert ("boom" in reason) if trial.params["x"] > 0.5 else ("string" in reason)


def test_objective_outside_the_allowlist_is_refused(broker_env: LocalStack) -> None:
    handle = hpo.submit_study("not_allowed_objectives:objective", n_trials=5, study_name="refused")
    with pytest.raises(StudyFailedError, match="HPO_OBJECTIVE_MODULES=not_allowed_objectives"):
        handle.wait(progress=False, timeout=120)
    assert handle.status()["status"] == "error"


def test_cancel(broker_env: LocalStack, monkeypatch: pytest.MonkeyPatch) -> None:
    handle = hpo.submit_study("hpo_test_objectives:sleepy", n_trials=200, study_name="cancel")
    status = handle.cancel()
    assert status["status"] == "cancelled"
    study = handle.wait(progress=False, timeout=120)
    assert len(study.trials) < 200
    broker_env.storage_url  # the cluster stays usable
    assert hpo.submit_study("hpo_test_objectives:conditional", n_trials=3, study_name="after-cancel").wait(
        progress=False, timeout=120
    )


def test_bad_submissions_are_refused_clearly(broker_env: LocalStack) -> None:
    with pytest.raises(ValueError, match="n_trials"):
        hpo.submit_study("hpo_test_objectives:quadratic", n_trials=0)
    with pytest.raises(ValueError, match="module:function"):
        hpo.submit_study("no-such-registered-name", n_trials=3)
    with pytest.raises(hpo.specs.SpecError, match="module level"):
        hpo.submit_study("hpo_test_objectives:quadratic", n_trials=3, sampler=_local_sampler())
    with pytest.raises(ValueError, match="Direction"):
        hpo.submit_study("hpo_test_objectives:quadratic", n_trials=3, direction="upward")


def _local_sampler() -> hpo.samplers.BaseSampler:
    class Local(hpo.samplers.RandomSampler):
        pass

    return Local()


def test_no_coordinator_gives_a_clear_error(tmp_path: pathlib.Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from hpo.distributed.local_stack import EmbeddedRedis

    server = EmbeddedRedis(tmp_path)
    server.start()
    try:
        monkeypatch.setenv("HPO_BROKER_URL", server.url)
        with pytest.raises(CoordinatorUnavailableError, match="hpo coordinator start"):
            hpo.submit_study("hpo_test_objectives:quadratic", n_trials=3)
    finally:
        server.stop()


def test_gpu_queue_gives_each_running_trial_its_own_device(tmp_path: pathlib.Path, monkeypatch: pytest.MonkeyPatch) -> None:
    with make_stack(tmp_path) as stack:
        stack.add_worker(2, queues=["gpu"], env={"HPO_GPUS": "0,1", "HPO_TEST_SLEEP": "0.4"})
        monkeypatch.setenv("HPO_BROKER_URL", stack.broker_url)
        monkeypatch.setenv("HPO_STORAGE_URL", stack.storage_url)
        study = hpo.submit_study("hpo_test_objectives:sleepy", n_trials=8, study_name="gpu", queue="gpu").wait(
            progress=False, timeout=120
        )
    trials = study.trials
    assert {t.user_attrs["cuda_visible_devices"] for t in trials} == {"0", "1"}
    assert all(t.user_attrs["device"] == f"gpu:{t.user_attrs['cuda_visible_devices']}" for t in trials)
    overlapping = [
        (a, b) for a, b in itertools.combinations(trials, 2)
        if a.user_attrs["span"][0] < b.user_attrs["span"][1] and b.user_attrs["span"][0] < a.user_attrs["span"][1]
    ]
    assert overlapping, "the two GPU slots never ran at the same time"
    for a, b in overlapping:
        assert a.user_attrs["cuda_visible_devices"] != b.user_attrs["cuda_visible_devices"]


def test_coordinator_killed_mid_study_resumes(tmp_path: pathlib.Path, monkeypatch: pytest.MonkeyPatch) -> None:
    with make_stack(tmp_path) as stack:
        stack.add_worker(2, env={"HPO_TEST_SLEEP": "0.2"})
        monkeypatch.setenv("HPO_BROKER_URL", stack.broker_url)
        monkeypatch.setenv("HPO_STORAGE_URL", stack.storage_url)
        handle = hpo.submit_study("hpo_test_objectives:sleepy", n_trials=20, study_name="restart")
        while handle.status()["n_finished"] < 4:
            pass
        stack.kill_coordinator()
        stack.start_coordinator()
        study = handle.wait(progress=False, timeout=180)
    trials = study.trials
    assert sorted(t.number for t in trials) == list(range(len(trials)))
    assert len(trials) == 20 and all(t.state.is_finished() for t in trials)
    for trial in trials:  # only a trial whose attempt was not yet stored when the coordinator died may fail
        reason = trial.system_attrs.get("fail_reason", "")
        assert trial.state == TrialState.COMPLETE or "before it stored this trial's attempt" in reason, reason


def _worker_children(stack: LocalStack) -> dict[int, list[int]]:
    """Each worker's main process id, with its children (the processes that run trials)."""
    mains = [pid for name, pid in stack.pids().items() if name.startswith("worker")]
    return {pid: [int(c) for c in pathlib.Path(f"/proc/{pid}/task/{pid}/children").read_text().split()] for pid in mains}


def _started(handle: StudyHandle, n: int) -> None:
    """Wait until ``n`` trials run on workers (their start handshake done)."""
    deadline = time.monotonic() + 60
    while sum(1 for t in handle.study.trials if t.state == TrialState.RUNNING and "hpo:worker" in t.system_attrs) < n:
        assert time.monotonic() < deadline, "the trials did not start"
        time.sleep(0.1)


def _one_lost_trial(study: hpo.Study, n_trials: int, causes: tuple[str, ...]) -> None:
    trials = study.trials
    assert len(trials) == n_trials and all(t.state.is_finished() for t in trials)
    failed = [t for t in trials if t.state == TrialState.FAIL]
    assert len(failed) == 1, [(t.number, t.state, t.system_attrs.get("fail_reason")) for t in trials]
    assert any(cause in failed[0].system_attrs["fail_reason"] for cause in causes)
    assert all(t.state == TrialState.COMPLETE for t in trials if t is not failed[0])


@pytest.mark.parametrize("what", ["trial process", "whole worker"])
def test_a_worker_that_dies_mid_trial_ends_the_trial_fail_and_the_study_goes_on(
    tmp_path: pathlib.Path, monkeypatch: pytest.MonkeyPatch, what: str
) -> None:
    """No trial stays RUNNING after a crash. A killed child: the worker's main process reports its
    death (the signal) and Celery replaces it; its task, redelivered (acks late), is refused, not run
    twice. A whole worker gone: the attempt's heartbeat expires, the coordinator ends it, and the
    other worker runs the rest."""
    monkeypatch.setenv("HPO_HEARTBEAT_TIMEOUT", "2")
    with make_stack(tmp_path) as stack:
        stack.add_worker(1, env={"HPO_TEST_SLEEP": "3"})
        stack.add_worker(1, env={"HPO_TEST_SLEEP": "3"})
        monkeypatch.setenv("HPO_BROKER_URL", stack.broker_url)
        monkeypatch.setenv("HPO_STORAGE_URL", stack.storage_url)
        handle = hpo.submit_study("hpo_test_objectives:sleepy", n_trials=4, study_name="lost")
        _started(handle, 2)
        main, children = next(iter(_worker_children(stack).items()))
        if what == "trial process":
            os.kill(children[0], signal.SIGKILL)
        else:
            os.killpg(main, signal.SIGKILL)
        study = handle.wait(progress=False, timeout=120)
    # A killed child: Celery's main process reports the signal, unless the 2 s heartbeat expires first.
    causes = ("signal 9 (SIGKILL)", "sent no heartbeat for 2 s") if what == "trial process" else ("sent no heartbeat",)
    _one_lost_trial(study, 4, causes)
