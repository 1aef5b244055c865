"""Hostile and broken input reaching a real coordinator: refused, set aside, never fatal.

- a submitted spec naming any class (``subprocess:Popen``) or a class that is no sampler
  (``collections:OrderedDict``) is refused before anything is stored, and nothing is run;
- poison on the inbox and control streams (nesting deeper than the JSON parser allows, a message
  over the size limit, garbage) is moved to the dead-letter stream and the coordinator goes on;
- a stored job whose spec no longer builds at restart ends ``error``; the coordinator starts;
- a user attr too large for a message fails its trial at once, with the reason.
"""

from __future__ import annotations

import json
import os
import pathlib
import subprocess
import sys
import time

import pytest
import redis

import hpo
from hpo.distributed import wire
from hpo.distributed.client import read_dead_letters
from hpo.distributed.local_stack import LocalStack
from hpo.exceptions import SpecError, StudyFailedError
from hpo.trial import TrialState

from cluster import make_stack


def test_a_spec_naming_any_class_is_refused_and_nothing_runs(broker_env: LocalStack, tmp_path: pathlib.Path) -> None:
    target = tmp_path / "pwned"
    popen = {"class": "subprocess:Popen", "kwargs": {"args": ["touch", str(target)]}}
    with pytest.raises(SpecError, match="not allowed.*HPO_SPEC_MODULES"):
        hpo.submit_study("hpo_test_objectives:quadratic", n_trials=1, study_name="pwn", sampler=popen)
    with pytest.raises(SpecError, match="'collections' is not allowed"):
        hpo.submit_study("hpo_test_objectives:quadratic", n_trials=1, study_name="pwn",
                         sampler={"class": "collections:OrderedDict", "kwargs": {}})
    with pytest.raises(SpecError, match="not a pruner"):
        hpo.submit_study("hpo_test_objectives:quadratic", n_trials=1, study_name="pwn",
                         pruner={"class": "hpo.samplers:RandomSampler", "kwargs": {}})
    time.sleep(0.5)
    assert not target.exists()
    assert "pwn" not in hpo.get_all_study_names(broker_env.storage_url)
    study = hpo.submit_study("hpo_test_objectives:conditional", n_trials=3, study_name="after-pwn").wait(
        progress=False, timeout=120)
    assert len(study.trials) == 3


def test_poison_is_set_aside_and_the_coordinator_goes_on(broker_env: LocalStack) -> None:
    client = redis.Redis.from_url(broker_env.broker_url)
    before = len(read_dead_letters(1000))
    poison = [
        (wire.INBOX, client.xadd(wire.INBOX, {"m": "[" * 100_000 + "]" * 100_000})),
        (wire.INBOX, client.xadd(wire.INBOX, {"m": json.dumps({"type": "report", "v": 1,
                                                               "pad": "x" * (wire.MAX_MESSAGE_BYTES + 1)})})),
        (wire.INBOX, client.xadd(wire.INBOX, {"not-m": "garbage"})),
        (wire.CONTROL, client.xadd(wire.CONTROL, {"m": "{not json"})),
    ]
    study = hpo.submit_study("hpo_test_objectives:conditional", n_trials=4, study_name="after-poison").wait(
        progress=False, timeout=120)
    assert len(study.trials) == 4
    letters = read_dead_letters(1000)[: len(read_dead_letters(1000)) - before]
    reasons = sorted(letter.reason for letter in letters)
    assert len(letters) == 4, reasons
    assert any("nested deeper" in r for r in reasons)
    assert any("over the limit" in r for r in reasons)
    assert any("not valid JSON" in r for r in reasons)
    assert {letter.stream for letter in letters} == {wire.INBOX, wire.CONTROL}
    for stream, entry_id in poison:  # acknowledged and deleted: a restart does not meet them again
        assert client.xrange(stream, entry_id, entry_id) == []
        assert client.xpending_range(stream, wire.COORDINATOR_GROUP, entry_id, entry_id, 1) == []
    listed = subprocess.run(
        [sys.executable, "-m", "hpo.cli", "coordinator", "dead-letters", "--format", "json", "--limit", "4"],
        capture_output=True, text=True, timeout=60, env={**os.environ, "HPO_BROKER_URL": broker_env.broker_url},
    )
    assert listed.returncode == 0, listed.stderr
    assert sorted(row["reason"] for row in json.loads(listed.stdout)) == reasons


def test_a_user_attr_too_large_fails_its_trial_at_once(broker_env: LocalStack) -> None:
    started = time.monotonic()
    study = hpo.submit_study("hpo_test_objectives:huge_attr", n_trials=2, study_name="huge").wait(
        progress=False, timeout=120)
    assert time.monotonic() - started < 25  # not after a heartbeat timeout (30 s)
    assert [t.state for t in study.trials] == [TrialState.FAIL, TrialState.FAIL]
    assert all("User attr 'blob'" in t.system_attrs["fail_reason"] for t in study.trials)


def test_a_job_whose_spec_no_longer_builds_ends_error_at_restart(tmp_path: pathlib.Path) -> None:
    with make_stack(tmp_path) as stack:  # no worker: the job waits, running
        handle = hpo.submit_study("hpo_test_objectives:quadratic", n_trials=2, study_name="orphan",
                                  sampler=_failing_sampler(), broker_url=stack.broker_url)
        assert handle.status()["status"] == "running"
        stack.kill_coordinator()
        stack.env["HPO_SPEC_MODULES"] = ""  # the coordinator comes back without the sampler's module allowed
        stack.start_coordinator()
        status = handle.status()
        assert status["status"] == "error"
        assert "hpo_test_samplers" in status["error"] and "HPO_SPEC_MODULES" in status["error"]
        other = hpo.submit_study("hpo_test_objectives:quadratic", n_trials=1, study_name="fine",
                                 broker_url=stack.broker_url)
        assert other.status()["status"] == "running"


def _failing_sampler() -> hpo.samplers.BaseSampler:
    from hpo_test_samplers import FailingSampler

    return FailingSampler(seed=0)


def test_one_coordinator_per_broker(tmp_path: pathlib.Path) -> None:
    """A second coordinator on the same broker refuses to start; one whose lease another took exits."""
    with make_stack(tmp_path) as stack:
        env = {**stack.env, "HPO_STORAGE_URL": f"sqlite:///{tmp_path / 'other.db'}"}
        second = subprocess.run([sys.executable, "-m", "hpo.cli", "coordinator", "start"], env=env,
                                capture_output=True, text=True, timeout=120)
        assert second.returncode != 0
        assert "Another coordinator" in second.stderr and "already serves the broker" in second.stderr
        coordinator_pid = stack.pids()["coordinator"]
        stack.client.set(wire.coordinator_key(), "an impostor", ex=30)
        deadline = time.monotonic() + 20
        while time.monotonic() < deadline and "coordinator" in stack.pids():
            time.sleep(0.2)
        assert "coordinator" not in stack.pids(), f"coordinator {coordinator_pid} still runs without its lease"
        assert "took this broker's lease" in (tmp_path / "coordinator.log").read_text()


def test_the_coordinator_never_joins_another_stacks_redis_by_accident(tmp_path: pathlib.Path) -> None:
    from hpo.distributed.config import DEFAULT_BROKER_URL, Settings

    (tmp_path / "stack.json").write_text(json.dumps({"broker_url": "redis://127.0.0.1:1/0"}))
    env = {"HPO_HOME": str(tmp_path)}
    assert Settings.from_env(env).broker_url == "redis://127.0.0.1:1/0"  # clients and workers may
    assert Settings.from_env(env, stack_fallback=False).broker_url == DEFAULT_BROKER_URL


def test_a_broker_that_cannot_be_reached_is_named_with_its_password_masked(tmp_path: pathlib.Path) -> None:
    env = {**os.environ, "HPO_BROKER_URL": "redis://:s3cret@127.0.0.1:1/0",
           "HPO_STORAGE_URL": f"sqlite:///{tmp_path / 'hpo.db'}"}
    result = subprocess.run([sys.executable, "-m", "hpo.cli", "coordinator", "start"], env=env,
                            capture_output=True, text=True, timeout=120)
    assert result.returncode != 0
    assert "Cannot reach the broker at redis://:***@127.0.0.1:1/0" in result.stderr
    assert "s3cret" not in result.stderr and "SQL writer" not in result.stderr


def test_an_objective_from_hpo_or_celery_is_never_run(broker_env: LocalStack) -> None:
    with pytest.raises(StudyFailedError, match="hpo's or Celery's own code"):
        hpo.submit_study("hpo.workers:run_trial", n_trials=1, study_name="own-code").wait(progress=False, timeout=60)


def test_a_study_on_a_queue_no_worker_consumes_says_so(broker_env: LocalStack) -> None:
    handle = hpo.submit_study("hpo_test_objectives:quadratic", n_trials=1, study_name="lonely", queue="nobody")
    time.sleep(1.0)
    assert "No worker consumes queue 'nobody'" in handle.status()["warning"]
    handle.cancel()


def test_the_stack_state_file_is_private(tmp_path: pathlib.Path) -> None:
    from hpo.distributed.config import stack_state_file

    with make_stack(tmp_path) as stack:
        state = stack_state_file(stack.env)
        assert state.stat().st_mode & 0o777 == 0o600
        assert state.parent.stat().st_mode & 0o077 == 0


def test_a_relative_sqlite_url_is_sent_to_clients_absolute(tmp_path: pathlib.Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from hpo.coordinator._coordinator import shareable_storage_url

    monkeypatch.chdir(tmp_path)
    assert shareable_storage_url("sqlite:///hpo.db") == f"sqlite:///{tmp_path / 'hpo.db'}"
    assert shareable_storage_url("sqlite:////abs/hpo.db") == "sqlite:////abs/hpo.db"
    assert shareable_storage_url("postgresql+psycopg://u:secret@db/hpo") is None
