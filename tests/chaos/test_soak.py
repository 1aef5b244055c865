"""Soak: trials reporting every 10 ms for a while on a real stack (embedded Redis, a coordinator with
its SQLite store, Celery prefork workers), run by ``benchmarks/soak/run.py``. The study must end
with every trial COMPLETE (none RUNNING), the report round trip's p99 must stay within a bound of
the first window's, Redis's ``used_memory`` flat, and the RSS of the coordinator (and of its SQL
writer and sampler processes) must grow no more per report than the study it holds in memory
accounts for. The table of windows is printed (``-s``).

``test_soak_short`` (32 trials for 20 s, windows of 5 s) runs in CI, the p99 within 4x: a shared
machine's noise weighs more on short windows. ``test_soak_64_trials_60_s`` is the issue's soak
(p99 within 3x), marked slow. The memory bound (512 bytes of RSS per report) catches a message or
reply kept per report; RSS moves too much from run to run for smaller leaks, such as the one below.

What the soak found is tested on its own too: the writes the coordinator feeds a study's sampler
process piled up in the coordinator, about 130 bytes a report, until the sampler's next request,
which never came while every trial of the study ran.
"""

from __future__ import annotations

import importlib.util
import os
import pathlib
import sys
import time
from typing import Any

import pytest

import hpo
from hpo.coordinator._mirror import MirroredStorage
from hpo.study import StudyDirection

_RUN = pathlib.Path(__file__).parents[2] / "benchmarks" / "soak" / "run.py"
_spec = importlib.util.spec_from_file_location("soak_run", _RUN)
assert _spec is not None and _spec.loader is not None
soak_run = importlib.util.module_from_spec(_spec)
sys.modules[_spec.name] = soak_run  # dataclasses look their module up
_spec.loader.exec_module(soak_run)


def _soak(tmp_path: pathlib.Path, limits: soak_run.Limits, **shape: Any) -> None:
    result = soak_run.soak(tmp_path, **shape)
    soak_run.print_soak(result, limits)
    failed = [check for check, ok in result.checks(limits).items() if not ok]
    assert not failed, failed


def test_soak_short(tmp_path: pathlib.Path) -> None:
    _soak(tmp_path, soak_run.Limits(p99_ratio=4.0),
          n_trials=32, duration_s=20.0, n_workers=2, window_s=5.0, flat_from_s=10.0)


@pytest.mark.slow
@pytest.mark.skipif(os.environ.get("HPO_TEST_FULL_SOAK") != "1",
                    reason="the full soak takes 90 s; run it with HPO_TEST_FULL_SOAK=1, or benchmarks/soak/run.py "
                    "(test_soak_short runs in CI)")
def test_soak_64_trials_60_s(tmp_path: pathlib.Path) -> None:
    _soak(tmp_path, soak_run.Limits(), n_trials=64, duration_s=60.0, n_workers=4, window_s=10.0, flat_from_s=20.0)


def test_writes_fed_between_requests_reach_the_sampler_process(tmp_path: pathlib.Path) -> None:
    """Reports of a running trial, no request to the sampler meanwhile: they leave the coordinator
    within a fraction of a second, and the process answers the next requests as before."""
    mirror = MirroredStorage(f"sqlite:///{tmp_path / 'fed.db'}")
    try:
        study_id = mirror.create_new_study([StudyDirection.MINIMIZE], "fed")
        process = mirror.start_sampler(study_id, mirror.build_sampler(None, 1))
        trial_id = mirror.create_new_trial(study_id)
        for step in range(5000):
            mirror.set_trial_intermediate_value(trial_id, step, float(step))
        deadline = time.monotonic() + 5.0
        while process._fed and time.monotonic() < deadline:
            time.sleep(0.05)
        assert not process._fed
        trial = hpo.Study("fed", mirror, sampler=process).ask()
        assert 0.0 <= trial.suggest_float("x", 0.0, 1.0) <= 1.0
    finally:
        mirror.close()
