"""A trial's process that exits, is killed, segfaults or hangs past its time limit ends FAIL within
seconds with the real cause, and its worker takes the next trial (the child is replaced)."""

from __future__ import annotations

import pathlib
import time

import pytest

import hpo
from hpo.trial import TrialState

from cluster import make_stack


@pytest.mark.parametrize(
    "how, cause",
    [
        ("exit", "exit code 3"),
        ("kill", "SIGKILL"),
        ("segfault", "SIGSEGV"),
        ("hang", "timed out after 2 s"),
    ],
)
def test_a_dying_trial_ends_fail_with_its_cause_within_seconds(tmp_path: pathlib.Path, how: str, cause: str) -> None:
    with make_stack(tmp_path) as stack:  # heartbeat timeout 30 s: the cause must arrive long before
        stack.add_worker(1)
        started = time.monotonic()
        study = hpo.submit_study(
            "hpo_test_objectives:dies", n_trials=2, study_name=f"dies-{how}", broker_url=stack.broker_url,
            storage=stack.storage_url, sampler=hpo.samplers.GridSampler({"how": [how]}), trial_timeout=2.0,
        ).wait(progress=False, timeout=60)
        took = time.monotonic() - started
    trials = study.trials
    assert [t.state for t in trials] == [TrialState.FAIL, TrialState.FAIL]  # the replaced child ran the second
    assert all(cause in t.system_attrs["fail_reason"] for t in trials), [t.system_attrs["fail_reason"] for t in trials]
    assert took < 25, f"{took:.1f} s"


def test_cancel_stops_a_running_trial(tmp_path: pathlib.Path) -> None:
    with make_stack(tmp_path) as stack:
        stack.add_worker(1)
        handle = hpo.submit_study("hpo_test_objectives:dies", n_trials=3, study_name="cancel-hang",
                                  broker_url=stack.broker_url, storage=stack.storage_url,
                                  sampler=hpo.samplers.GridSampler({"how": ["hang"]}))
        deadline = time.monotonic() + 30
        while handle.status()["n_running"] == 0 or not _started(handle, stack.storage_url):
            assert time.monotonic() < deadline
            time.sleep(0.2)
        handle.cancel()
        time.sleep(3)
        after = hpo.submit_study("hpo_test_objectives:conditional", n_trials=2, study_name="after-cancel-hang",
                                 broker_url=stack.broker_url, storage=stack.storage_url).wait(progress=False, timeout=30)
        assert len(after.trials) == 2  # the worker's only slot is free again: the hung trial was stopped
    trials = handle.study.trials
    assert trials and all(t.state == TrialState.FAIL for t in trials)


def _started(handle: hpo.StudyHandle, storage: str) -> bool:
    return any("hpo:worker" in t.system_attrs for t in hpo.load_study(study_name=handle.study_name, storage=storage).trials)
