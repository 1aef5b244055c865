"""The coordinator's SQL writer process: ordered writes, callbacks after storing, death stops the coordinator."""

from __future__ import annotations

import dataclasses
import pathlib
import subprocess
import sys
import textwrap
import threading

import pytest

from hpo.distributed.config import Settings
from hpo.coordinator import Coordinator
from hpo.coordinator._mirror import MirroredStorage
from hpo.coordinator._writer import WRITER_DIED_EXIT
from hpo.distributions import FloatDistribution
from hpo.storages import get_storage
from hpo.study import StudyDirection
from hpo.trial import TrialState


def test_writes_reach_sql_in_order_and_callbacks_run_after_storing(tmp_path: pathlib.Path) -> None:
    storage = MirroredStorage(f"sqlite:///{tmp_path / 'w.db'}")
    try:
        study_id = storage.create_new_study([StudyDirection.MINIMIZE], "w")
        trial_id = storage.create_new_trial(study_id)
        seen: list[dict[int, float]] = []
        done = threading.Event()
        for step in range(50):
            storage.set_trial_intermediate_value(trial_id, step, float(step))
        storage.set_trial_param(trial_id, "x", 0.5, FloatDistribution(0, 1))
        storage.writer.on_done(lambda: (seen.append(storage.backend.get_trial(trial_id).intermediate_values), done.set()))
        storage.set_trial_state_values(trial_id, TrialState.COMPLETE, [1.5])
        assert done.wait(30)
        assert seen == [{step: float(step) for step in range(50)}]  # everything queued before the callback
        assert storage.flush(30)
        stored = storage.backend.get_trial(trial_id)
        assert stored.state == TrialState.COMPLETE and stored.values == [1.5] and stored.params == {"x": 0.5}
    finally:
        storage.close()


def test_coordinator_refuses_an_in_memory_sqlite_store() -> None:
    settings = dataclasses.replace(Settings.from_env(), storage_url="sqlite:///:memory:")
    with pytest.raises(ValueError, match=r"in-memory SQLite.*sqlite:///hpo\.db"):
        Coordinator(settings)


def test_a_dead_writer_stops_the_coordinator_process(tmp_path: pathlib.Path) -> None:
    """Writes that never reach SQL must not be acknowledged: the process exits so a restart replays them."""
    script = textwrap.dedent(
        f"""
        import os, signal, time
        from hpo.coordinator._mirror import MirroredStorage
        storage = MirroredStorage("sqlite:///{tmp_path / 'd.db'}")
        os.kill(storage.writer._process.pid, signal.SIGKILL)
        time.sleep(30)
        """
    )
    result = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, timeout=60)
    assert result.returncode == WRITER_DIED_EXIT
    assert "SQL writer process died" in result.stderr


def test_the_writer_outlives_a_ctrl_c_to_the_process_group(tmp_path: pathlib.Path) -> None:
    """Ctrl-C reaches the coordinator and its writer alike; the writer stays, so the coordinator's
    own shutdown (``serve`` turns the interrupt into a stop) still stores everything."""
    url = f"sqlite:///{tmp_path / 'c.db'}"
    script = textwrap.dedent(
        f"""
        import os, signal, time
        from hpo.coordinator._mirror import MirroredStorage
        from hpo.study import StudyDirection
        storage = MirroredStorage("{url}")
        study_id = storage.create_new_study([StudyDirection.MINIMIZE], "c")
        assert storage.flush(30)
        signal.signal(signal.SIGINT, signal.SIG_IGN)  # this process stands for the coordinator's stop logic
        os.killpg(0, signal.SIGINT)  # what a terminal's Ctrl-C does to the foreground process group
        time.sleep(1.0)
        for i in range(100):
            storage.set_study_user_attr(study_id, f"k{{i}}", i)
        storage.close()
        """
    )
    result = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, timeout=60, start_new_session=True
    )
    assert result.returncode == 0, result.stderr
    stored = get_storage(url)
    assert stored.get_study_user_attrs(stored.get_study_id_from_name("c")) == {f"k{i}": i for i in range(100)}
