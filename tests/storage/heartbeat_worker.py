"""A process of tests/storage/test_heartbeat.py: runs trials of a study on a storage with heartbeats.

Usage: python heartbeat_worker.py MODE URL STUDY_NAME READY_FILE INTERVAL [SECONDS]

Modes:
- ``hang``: ``optimize()`` one trial that suggests ``x``, reports step 0, touches READY_FILE and
  sleeps until killed (a process that dies mid-trial).
- ``ask-exit``: ``ask()`` a trial, suggest ``x``, touch READY_FILE and exit without ``tell()``.
- ``ask-hold``: ``ask()`` a trial, touch READY_FILE, hold it SECONDS, then ``tell()`` it 1.0.
- ``optimize-long``: ``optimize()`` one trial that touches READY_FILE and runs SECONDS.
"""

from __future__ import annotations

import os
import sys
import time
from pathlib import Path

import hpo
from hpo.storages import RDBStorage


def main() -> None:
    mode, url, study_name, ready_file, interval, *rest = sys.argv[1:]
    seconds = float(rest[0]) if rest else 0.0
    storage = RDBStorage(url, heartbeat_interval=float(interval))
    study = hpo.load_study(study_name=study_name, storage=storage)
    ready = Path(ready_file)

    if mode == "hang":

        def hang(trial: hpo.Trial) -> float:
            trial.suggest_float("x", 0.0, 1.0)
            trial.report(0.5, 0)
            ready.touch()
            time.sleep(3600)
            return 0.0

        study.optimize(hang, n_trials=1)
    elif mode == "ask-exit":
        trial = study.ask()
        trial.suggest_float("x", 0.0, 1.0)
        ready.touch()
        os._exit(0)
    elif mode == "ask-hold":
        trial = study.ask()
        trial.suggest_float("x", 0.0, 1.0)
        ready.touch()
        time.sleep(seconds)
        study.tell(trial, 1.0)
    elif mode == "optimize-long":

        def long(trial: hpo.Trial) -> float:
            trial.suggest_float("x", 0.0, 1.0)
            ready.touch()
            time.sleep(seconds)
            return 2.0

        study.optimize(long, n_trials=1)
    else:
        raise SystemExit(f"unknown mode {mode!r}")


if __name__ == "__main__":
    main()
