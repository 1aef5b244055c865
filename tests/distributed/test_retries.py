"""max_retries: a trial whose process dies runs again with the same params as a new attempt; the
record keeps every attempt and why it ended; exceptions of the objective are not retried."""

from __future__ import annotations

import pathlib

import pytest

import hpo
from hpo.trial import TrialState

from cluster import make_stack


def test_a_lost_attempt_runs_again_with_the_same_params(tmp_path: pathlib.Path) -> None:
    with make_stack(tmp_path) as stack:
        stack.add_worker(2)
        retried = hpo.submit_study("hpo_test_objectives:dies_once", n_trials=4, study_name="retried", max_retries=1,
                                   broker_url=stack.broker_url, storage=stack.storage_url).wait(progress=False,
                                                                                                timeout=90)
        not_retried = hpo.submit_study("hpo_test_objectives:dies_once", n_trials=2, study_name="not-retried",
                                       broker_url=stack.broker_url, storage=stack.storage_url).wait(
            progress=False, timeout=90)
        failing = hpo.submit_study("hpo_test_objectives:broken", n_trials=6, study_name="raises", max_retries=3,
                                   broker_url=stack.broker_url, storage=stack.storage_url).wait(progress=False,
                                                                                                timeout=90)
    trials = retried.trials
    assert len(trials) == 4 and all(t.state == TrialState.COMPLETE for t in trials)
    for trial in trials:
        assert trial.user_attrs["attempt"] == 1
        assert trial.value == pytest.approx(trial.params["x"] ** 2)  # the same x in both attempts
        (lost,) = trial.system_attrs["hpo:attempts"]
        assert lost["attempt"] == 0 and "SIGKILL" in lost["ended"]
        assert trial.intermediate_values == {0: pytest.approx(trial.params["x"] ** 2 + 1.0)}
    assert all(t.state == TrialState.FAIL and "SIGKILL" in t.system_attrs["fail_reason"] for t in not_retried.trials)
    raised = failing.trials
    assert len(raised) == 6 and all(t.state == TrialState.FAIL and "hpo:attempts" not in t.system_attrs for t in raised)
    assert any("boom" in t.system_attrs["fail_reason"] for t in raised)


def test_a_trial_longer_than_the_visibility_timeout_runs_once(tmp_path: pathlib.Path) -> None:
    """Redis hands an unacknowledged task to another worker after the visibility timeout; the
    coordinator's start handshake refuses that delivery, so the trial runs once."""
    with make_stack(tmp_path) as stack:
        stack.add_worker(1, env={"HPO_VISIBILITY_TIMEOUT": "1", "HPO_TEST_SLEEP": "6"})
        stack.add_worker(1, env={"HPO_VISIBILITY_TIMEOUT": "1", "HPO_TEST_SLEEP": "6"})
        study = hpo.submit_study("hpo_test_objectives:sleepy", n_trials=2, study_name="visibility",
                                 broker_url=stack.broker_url, storage=stack.storage_url).wait(progress=False,
                                                                                              timeout=120)
    assert [t.state for t in study.trials] == [TrialState.COMPLETE, TrialState.COMPLETE]
    logs = "".join(p.read_text(errors="replace") for p in tmp_path.glob("worker-*.log"))
    assert "Skipping trial visibility#" in logs  # a redelivery happened, and was refused
