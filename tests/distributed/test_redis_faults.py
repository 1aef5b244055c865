"""Redis restarts under a running study: the study ends with exactly n_trials, nothing RUNNING,
every COMPLETE value the objective's at its params, and the coordinator logs each outage once."""

from __future__ import annotations

import pathlib
import time

import pytest

import hpo
from hpo.distributed.local_stack import LocalStack
from hpo.trial import TrialState

from cluster import make_stack

N_TRIALS = 60


def _run_through_a_redis_restart(stack: LocalStack, keep_data: bool) -> hpo.Study:
    handle = hpo.submit_study("hpo_test_objectives:steady", n_trials=N_TRIALS, study_name="through-restart",
                              pruner=hpo.pruners.NopPruner(), broker_url=stack.broker_url,
                              storage=stack.storage_url)
    deadline = time.monotonic() + 60
    while handle.status()["n_finished"] < 10:
        assert time.monotonic() < deadline, "the study did not start"
        time.sleep(0.1)
    stack.restart_redis(down_s=3.0, keep_data=keep_data)
    return handle.wait(progress=False, timeout=180)


def _check(study: hpo.Study) -> list[hpo.trial.FrozenTrial]:
    trials = study.trials
    assert len(trials) == N_TRIALS
    assert not [t for t in trials if not t.state.is_finished()]
    for trial in trials:
        if trial.state == TrialState.COMPLETE:
            assert trial.value == pytest.approx(trial.params["x"] ** 2)
    return trials


def _outage_lines(log_dir: pathlib.Path) -> list[str]:
    return [line for line in (log_dir / "coordinator.log").read_text().splitlines() if "unreachable" in line]


def test_a_redis_blip_loses_nothing(tmp_path: pathlib.Path) -> None:
    with make_stack(tmp_path) as stack:
        stack.add_worker(2)
        stack.add_worker(2)
        trials = _check(_run_through_a_redis_restart(stack, keep_data=True))
        assert all(t.state == TrialState.COMPLETE for t in trials), [t.system_attrs.get("fail_reason") for t in trials]
    assert 1 <= len(_outage_lines(tmp_path)) <= 6  # one line per lane and outage, no flood


def test_redis_restarted_empty_is_rebuilt_from_sql(tmp_path: pathlib.Path) -> None:
    with make_stack(tmp_path) as stack:
        stack.env["HPO_HEARTBEAT_TIMEOUT"] = "5"
        stack.kill_coordinator()
        stack.start_coordinator()
        stack.add_worker(2)
        stack.add_worker(2)
        trials = _check(_run_through_a_redis_restart(stack, keep_data=False))
        lost = [t for t in trials if t.state == TrialState.FAIL]
        assert len(lost) <= 4, [t.system_attrs.get("fail_reason") for t in lost]  # at most the ones running then
    log = (tmp_path / "coordinator.log").read_text()
    assert "Redis lost its data" in log
    assert len(_outage_lines(tmp_path)) <= 6
