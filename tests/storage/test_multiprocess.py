"""Several real processes optimize one study in one database: no lock errors, no duplicate numbers."""

from __future__ import annotations

import importlib.util
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import pytest

import hpo
from hpo.trial import TrialState

WORKER = Path(__file__).with_name("optimize_worker.py")
_spec = importlib.util.spec_from_file_location("optimize_worker", WORKER)
assert _spec is not None and _spec.loader is not None
worker = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(worker)


def _optimize_in_processes(url: str, tmp_path: Path, n_workers: int, n_trials: int) -> None:
    ready = tmp_path / "ready"
    ready.mkdir()
    processes = [
        subprocess.Popen(
            [sys.executable, str(WORKER), url, "shared", str(n_trials), str(ready), str(n_workers)],
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
        )
        for _ in range(n_workers)
    ]
    outputs = [process.communicate(timeout=240)[0] for process in processes]
    for process, output in zip(processes, outputs):
        assert process.returncode == 0, output
        assert "locked" not in output and "Traceback" not in output and "failed" not in output, output

    trials = hpo.load_study(study_name="shared", storage=url).get_trials()
    assert len(trials) == n_workers * n_trials
    assert sorted(t.number for t in trials) == list(range(n_workers * n_trials))
    assert all(t.state == TrialState.COMPLETE for t in trials)
    for trial in trials:
        assert trial.value == worker.expected_value(trial.params)
        assert trial.intermediate_values == {0: trial.params["x"]}
    assert len({t.user_attrs["pid"] for t in trials}) == n_workers


@pytest.mark.parametrize("backend", ["sqlite", "postgresql"])
def test_two_processes_share_one_study(
    backend: str, storage_url_factory: Callable[..., str | None], tmp_path: Path
) -> None:
    url = storage_url_factory(backend, empty=True)  # the processes also create the schema together
    assert url is not None
    _optimize_in_processes(url, tmp_path, n_workers=2, n_trials=20)


@pytest.mark.slow
@pytest.mark.parametrize("backend", ["sqlite", "postgresql"])
def test_many_processes_share_one_study(
    backend: str, storage_url_factory: Callable[..., str | None], tmp_path: Path
) -> None:
    url = storage_url_factory(backend, empty=True)
    assert url is not None
    _optimize_in_processes(url, tmp_path, n_workers=6, n_trials=100)
