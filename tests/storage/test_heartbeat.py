"""RDB heartbeats: stale trials of dead processes are failed and retried as in Optuna, without its bugs.

Each case runs on SQLite and PostgreSQL with real processes: a trial's process is killed -9 (or
exits without ``tell``) and another process fails and retries the trial. The Optuna bugs avoided:
a false stale from clock arithmetic (time zones of sessions and processes differ here), a crash
when the heartbeat is short (a trial failed as stale while its process still ran), and no support
for ask/tell.
"""

from __future__ import annotations

import logging
import os
import pickle
import signal
import subprocess
import sys
import threading
import time
import warnings
from collections.abc import Iterator
from pathlib import Path

import pytest
import sqlalchemy
from alembic import command

import hpo
from hpo.exceptions import StorageVersionError, UpdateFinishedTrialError
from hpo.storages import (
    RDBStorage,
    RetryFailedTrialCallback,
    RetryHeartbeatStaleTrialCallback,
    fail_stale_trials,
    heartbeat_keeper,
    upgrade,
)
from hpo.trial import TrialState

WORKER = Path(__file__).with_name("heartbeat_worker.py")
INTERVAL = 0.2  # the dying processes' heartbeat
GRACE = 2.5  # generous: a loaded 2-core CI machine can delay a SQLite write by a second


@pytest.fixture
def url(sql_storage_url: str) -> str:
    return sql_storage_url


def _storage(url: str, **kwargs: object) -> RDBStorage:
    kwargs.setdefault("heartbeat_interval", INTERVAL)
    kwargs.setdefault("grace_period", GRACE)
    return RDBStorage(url, **kwargs)  # type: ignore[arg-type]


@pytest.fixture
def processes() -> Iterator[list[subprocess.Popen[bytes]]]:
    started: list[subprocess.Popen[bytes]] = []
    yield started
    for process in started:
        if process.poll() is None:
            process.kill()
        process.wait()


def _start(
    processes: list[subprocess.Popen[bytes]],
    tmp_path: Path,
    mode: str,
    url: str,
    study_name: str,
    seconds: float = 0.0,
    env: dict[str, str] | None = None,
) -> subprocess.Popen[bytes]:
    """Start a worker process and wait until its trial runs."""
    ready = tmp_path / f"ready-{len(processes)}"
    process = subprocess.Popen(
        [sys.executable, str(WORKER), mode, url, study_name, str(ready), str(INTERVAL), str(seconds)],
        env={**os.environ, **(env or {})},
    )
    processes.append(process)
    deadline = time.monotonic() + 60
    while not ready.exists():
        assert process.poll() is None or mode == "ask-exit", f"the {mode} worker exited with {process.returncode}"
        assert time.monotonic() < deadline, f"the {mode} worker did not start its trial within 60 s"
        time.sleep(0.02)
    return process


def _kill(process: subprocess.Popen[bytes]) -> None:
    process.send_signal(signal.SIGKILL)
    process.wait()


def _objective(trial: hpo.Trial) -> float:
    return trial.suggest_float("x", 0.0, 1.0)


# --- the Optuna workflow: a process dies, the next one fails and retries its trial -----------------
def test_killed_trial_is_failed_and_retried_with_its_params(url: str, tmp_path: Path, processes: list) -> None:
    storage = _storage(url, heartbeat_stale_trial_callback=RetryHeartbeatStaleTrialCallback())
    study = hpo.create_study(storage=storage, study_name="hb")
    _kill(_start(processes, tmp_path, "hang", url, "hb"))
    [dead] = study.get_trials()
    assert dead.state == TrialState.RUNNING

    time.sleep(GRACE + 0.5)
    seen: list[dict[str, float]] = []

    def objective(trial: hpo.Trial) -> float:
        x = trial.suggest_float("x", 0.0, 1.0)
        seen.append(trial.params)
        return x

    study.optimize(objective, n_trials=1)
    first, retry = study.get_trials()
    assert first.state == TrialState.FAIL
    assert "heartbeat stopped" in first.system_attrs["fail_reason"]
    assert retry.state == TrialState.COMPLETE and seen == [dead.params] and retry.params == dead.params
    assert RetryHeartbeatStaleTrialCallback.retried_trial_number(retry) == 0
    assert RetryHeartbeatStaleTrialCallback.retry_history(retry) == [0]
    assert "fail_reason" not in retry.system_attrs
    assert RetryHeartbeatStaleTrialCallback.retried_trial_number(first) is None
    storage.close()


def test_max_retry_and_inherited_intermediate_values(url: str, tmp_path: Path, processes: list) -> None:
    callback = RetryHeartbeatStaleTrialCallback(max_retry=1, inherit_intermediate_values=True)
    storage = _storage(url, heartbeat_stale_trial_callback=callback)
    study = hpo.create_study(storage=storage, study_name="hb")
    _kill(_start(processes, tmp_path, "hang", url, "hb"))
    time.sleep(GRACE + 0.5)
    fail_stale_trials(study)
    first, retry = study.get_trials()
    assert retry.state == TrialState.WAITING and retry.intermediate_values == {0: 0.5}

    _kill(_start(processes, tmp_path, "hang", url, "hb"))  # the retry dies too
    assert study.get_trials()[1].state == TrialState.RUNNING
    time.sleep(GRACE + 0.5)
    fail_stale_trials(study)
    states = [t.state for t in study.get_trials()]
    assert states == [TrialState.FAIL, TrialState.FAIL], "max_retry=1: the retry is not retried"


def test_ask_without_tell_is_failed_too(url: str, tmp_path: Path, processes: list) -> None:
    """Optuna keeps heartbeats only inside optimize(): an asked trial of a dead process stays RUNNING."""
    storage = _storage(url, heartbeat_stale_trial_callback=RetryHeartbeatStaleTrialCallback())
    study = hpo.create_study(storage=storage, study_name="hb")
    _start(processes, tmp_path, "ask-exit", url, "hb").wait()
    time.sleep(GRACE + 0.5)
    trial = study.ask()  # fails the stale trial, and picks its retry
    first, retry = study.get_trials()
    assert first.state == TrialState.FAIL and retry.number == trial.number == 1
    assert trial.suggest_float("x", 0.0, 1.0) == first.params["x"]
    study.tell(trial, 0.5)
    assert study.get_trials()[1].state == TrialState.COMPLETE


def test_live_trials_are_never_stale(url: str, tmp_path: Path, processes: list) -> None:
    """Trials held in ask/tell and in optimize, for many grace periods, while another process keeps
    failing stale trials; each process in its own time zone."""
    study = hpo.create_study(storage=_storage(url), study_name="hb")
    hold = 4 * GRACE
    ask_hold = _start(processes, tmp_path, "ask-hold", url, "hb", hold, env={"TZ": "Pacific/Kiritimati"})
    long = _start(processes, tmp_path, "optimize-long", url, "hb", hold, env={"TZ": "America/Anchorage"})
    checker = _storage(url)
    checker_study = hpo.load_study(study_name="hb", storage=checker)
    deadline = time.monotonic() + hold
    while time.monotonic() < deadline:
        assert checker.get_stale_trial_ids(checker_study.study_id) == []
        fail_stale_trials(checker_study)
        time.sleep(0.1)
    assert ask_hold.wait(60) == 0 and long.wait(60) == 0
    assert sorted(t.state for t in study.get_trials()) == [TrialState.COMPLETE] * 2


@pytest.mark.parametrize("zones", [("Pacific/Kiritimati", "Etc/GMT+12"), ("Etc/GMT+12", "Pacific/Kiritimati")])
def test_session_time_zones_do_not_make_trials_stale(storage_url_factory, zones: tuple[str, str]) -> None:
    """PostgreSQL sessions 26 hours apart: Optuna compares such timestamps after dropping their zones."""
    url = storage_url_factory("postgresql")
    writer_zone, checker_zone = zones

    def in_zone(zone: str) -> RDBStorage:
        return _storage(url, engine_kwargs={"connect_args": {"options": f"-c timezone={zone}"}})

    writer, checker = in_zone(writer_zone), in_zone(checker_zone)
    study = hpo.create_study(storage=writer, study_name="hb")
    trial = study.ask()
    checker_study = hpo.load_study(study_name="hb", storage=checker)
    assert checker.get_stale_trial_ids(checker_study.study_id) == []
    heartbeat_keeper(writer).stop(trial.trial_id)  # as if its process died
    time.sleep(GRACE + 0.3)
    assert checker.get_stale_trial_ids(checker_study.study_id) == [trial.trial_id]
    writer.close()
    checker.close()


# --- short heartbeats: a trial failed as stale while its process still ran ---------------------------
def test_trial_failed_elsewhere_while_running_does_not_stop_optimize(url: str, caplog) -> None:
    """Another process with a tiny grace period fails the running trial; optimize() logs it, goes on."""
    storage = RDBStorage(url, heartbeat_interval=30)  # no heartbeat after the first within the test
    study = hpo.create_study(storage=storage, study_name="hb")
    impatient = RDBStorage(url, heartbeat_interval=0.01, grace_period=0.05)
    impatient_study = hpo.load_study(study_name="hb", storage=impatient)

    def objective(trial: hpo.Trial) -> float:
        x = trial.suggest_float("x", 0.0, 1.0)
        if trial.number == 0:
            time.sleep(0.3)
            fail_stale_trials(impatient_study)
        return x

    with caplog.at_level(logging.WARNING, logger="hpo"):
        study.optimize(objective, n_trials=3)
    states = [t.state for t in study.get_trials()]
    assert states == [TrialState.FAIL, TrialState.COMPLETE, TrialState.COMPLETE]
    assert "was ended FAIL by another process while it ran here" in caplog.text
    with pytest.raises(UpdateFinishedTrialError, match="heartbeat stopped"):
        study.tell(0, 1.0)


def test_many_threads_with_a_tiny_heartbeat(url: str) -> None:
    storage = RDBStorage(url, heartbeat_interval=0.01, grace_period=2.0)
    study = hpo.create_study(storage=storage, study_name="hb")

    def objective(trial: hpo.Trial) -> float:
        time.sleep(0.05)
        return trial.suggest_float("x", 0.0, 1.0)

    study.optimize(objective, n_trials=40, n_jobs=4)
    assert [t.state for t in study.get_trials()] == [TrialState.COMPLETE] * 40


def test_heartbeats_survive_a_locked_database(tmp_path: Path, caplog) -> None:
    """A write that fails (SQLite locked past the retries) is logged; the next beat records again."""
    path = tmp_path / "locked.db"
    storage = RDBStorage(f"sqlite:///{path}", heartbeat_interval=0.05, grace_period=30)
    study = hpo.create_study(storage=storage, study_name="hb")
    trial = study.ask()
    engine = sqlalchemy.create_engine(f"sqlite:///{path}", connect_args={"timeout": 0})
    with caplog.at_level(logging.WARNING, logger="hpo"):
        with engine.connect() as conn:
            conn.exec_driver_sql("BEGIN EXCLUSIVE")
            time.sleep(2.0)  # the keeper's writes time out meanwhile
            conn.exec_driver_sql("ROLLBACK")
        before = _heartbeat_of(path, trial.trial_id)
        time.sleep(0.5)
        assert _heartbeat_of(path, trial.trial_id) > before, "heartbeats are recorded again"
    study.tell(trial, 1.0)
    engine.dispose()


def _heartbeat_of(path: Path, trial_id: int) -> float:
    engine = sqlalchemy.create_engine(f"sqlite:///{path}")
    with engine.connect() as conn:
        value = conn.exec_driver_sql("SELECT heartbeat FROM trial_heartbeats WHERE trial_id = ?", (trial_id,)).scalar()
    engine.dispose()
    assert value is not None
    return float(value)


def test_keeper_thread_ends_with_the_last_trial(tmp_path: Path) -> None:
    storage = RDBStorage(f"sqlite:///{tmp_path / 'k.db'}", heartbeat_interval=0.05)
    study = hpo.create_study(storage=storage)
    trials = [study.ask() for _ in range(3)]
    assert any(t.name == "hpo-heartbeat" for t in threading.enumerate())
    for trial in trials:
        study.tell(trial, 1.0)
    deadline = time.monotonic() + 5
    while any(t.name == "hpo-heartbeat" for t in threading.enumerate()):
        assert time.monotonic() < deadline, "the heartbeat thread outlived its trials"
        time.sleep(0.02)


# --- the API as Optuna's ------------------------------------------------------------------------
def test_optuna_style_configuration(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'o.db'}"
    with pytest.warns(FutureWarning, match="RetryHeartbeatStaleTrialCallback"):
        callback = RetryFailedTrialCallback(max_retry=3)
    with pytest.warns(FutureWarning, match="heartbeat_stale_trial_callback"):
        storage = RDBStorage(url=url, heartbeat_interval=60, grace_period=120, failed_trial_callback=callback)
    assert storage.get_heartbeat_interval() == 60 and storage.get_grace_period() == 120
    assert storage.get_failed_trial_callback() is callback
    assert RDBStorage(url, heartbeat_interval=5).get_grace_period() == 10  # Optuna's default: twice
    copy = pickle.loads(pickle.dumps(storage))
    assert copy.get_heartbeat_interval() == 60 and copy.get_grace_period() == 120
    study = hpo.create_study(storage=storage)
    study.optimize(_objective, n_trials=2)
    assert [t.state for t in study.trials] == [TrialState.COMPLETE] * 2
    hpo.delete_study(study_name=study.study_name, storage=storage)  # heartbeat rows go with it


@pytest.mark.parametrize(
    "kwargs, message",
    [
        ({"heartbeat_interval": 0}, "heartbeat_interval must be None or a number of seconds > 0"),
        ({"heartbeat_interval": -1}, "heartbeat_interval must be"),
        ({"heartbeat_interval": "60"}, "heartbeat_interval must be"),
        ({"heartbeat_interval": float("nan")}, "heartbeat_interval must be"),
        ({"heartbeat_interval": 60, "grace_period": 0}, "grace_period must be"),
        ({"grace_period": 120}, "grace_period needs heartbeat_interval"),
        (
            {"heartbeat_interval": 60, "heartbeat_stale_trial_callback": print, "failed_trial_callback": print},
            "not both",
        ),
    ],
)
def test_bad_settings_are_named(tmp_path: Path, kwargs: dict, message: str) -> None:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", FutureWarning)
        with pytest.raises(ValueError, match=message):
            RDBStorage(f"sqlite:///{tmp_path / 'bad.db'}", **kwargs)
    with pytest.raises(ValueError, match="max_retry"):
        RetryHeartbeatStaleTrialCallback(max_retry=-1)


def test_without_heartbeats_nothing_is_failed(url: str, tmp_path: Path, processes: list) -> None:
    study = hpo.create_study(storage=RDBStorage(url), study_name="hb")
    _kill(_start(processes, tmp_path, "hang", url, "hb"))
    time.sleep(GRACE + 0.5)
    fail_stale_trials(study)  # a storage without heartbeat_interval: does nothing
    assert [t.state for t in study.get_trials()] == [TrialState.RUNNING]


# --- the schema -------------------------------------------------------------------------------------
def test_an_older_database_is_upgraded_with_its_data(tmp_path: Path) -> None:
    from hpo.storages._sql._migrate import alembic_config  # the migration machinery under test

    url = f"sqlite:///{tmp_path / 'old.db'}"
    engine = sqlalchemy.create_engine(url)
    with engine.begin() as conn:
        command.upgrade(alembic_config(conn), "hpo_0001")
        conn.exec_driver_sql("INSERT INTO studies (study_name, next_trial_number) VALUES ('kept', 0)")
        conn.exec_driver_sql(
            "INSERT INTO study_directions (study_id, objective, direction) VALUES (1, 0, 'MINIMIZE')"
        )
    engine.dispose()
    with pytest.raises(StorageVersionError, match="hpo storage upgrade"):
        RDBStorage(url)
    assert upgrade(url) == ("hpo_0001", "hpo_0002")
    storage = RDBStorage(url, heartbeat_interval=1)
    study = hpo.load_study(study_name="kept", storage=storage)
    study.optimize(_objective, n_trials=1)
    assert study.trials[0].state == TrialState.COMPLETE
    storage.close()
