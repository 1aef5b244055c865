"""A process of tests/storage/test_multiprocess.py: optimize one shared study.

Usage: python optimize_worker.py URL STUDY_NAME N_TRIALS READY_DIR N_WORKERS
Each worker marks itself ready in READY_DIR, waits for the others, then runs ``optimize``, so that
all of them create the study and their trials at the same time.
"""

from __future__ import annotations

import os
import sys
import time
from pathlib import Path

import hpo


def objective(trial: hpo.Trial) -> float:
    x = trial.suggest_float("x", -5.0, 5.0)
    n = trial.suggest_int("n", 0, 4)
    c = trial.suggest_categorical("c", ["a", "b"])
    trial.report(x, step=0)
    trial.set_user_attr("pid", os.getpid())
    return expected_value(trial.params)


def expected_value(params: dict[str, object]) -> float:
    x, n, c = params["x"], params["n"], params["c"]
    assert isinstance(x, float) and isinstance(n, int)
    return x**2 + n + (0.5 if c == "b" else 0.0)


def main() -> None:
    url, study_name, n_trials, ready_dir, n_workers = sys.argv[1:]
    ready = Path(ready_dir)
    (ready / str(os.getpid())).touch()
    deadline = time.monotonic() + 120
    while len(list(ready.iterdir())) < int(n_workers):
        if time.monotonic() > deadline:
            raise SystemExit("the other workers did not start within 120 s")
        time.sleep(0.01)
    study = hpo.create_study(
        storage=url, study_name=study_name, load_if_exists=True, sampler=hpo.samplers.RandomSampler()
    )
    study.optimize(objective, n_trials=int(n_trials))


if __name__ == "__main__":
    main()
