"""File size and build time of ``hpo report`` at 1,000 and 20,000 trials (not a test; run it by hand).

    .venv/bin/python tests/report/measure_report.py [N ...]

Each study (RandomSampler, 4 parameters, 10 intermediate values per trial, some pruned and failed) is
written to a temporary SQLite file, then ``hpo report`` (the CLI, in a subprocess) reads it and writes
the page; the wall and CPU time of that command and the file's size are printed.
"""

from __future__ import annotations

import datetime
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import hpo
from hpo.distributions import CategoricalDistribution, FloatDistribution, IntDistribution


def make_study(url: str, n_trials: int) -> None:
    """A study of ``n_trials`` trials written in one go (ask/tell would take minutes at 20,000)."""
    import random

    rng = random.Random(0)
    study = hpo.create_study(study_name=f"bench{n_trials}", storage=url)
    distributions = {"x": FloatDistribution(-5, 5), "lr": FloatDistribution(1e-5, 1e-1, log=True),
                     "layers": IntDistribution(1, 8), "optimizer": CategoricalDistribution(["adam", "sgd", "rmsprop"])}
    start = datetime.datetime(2026, 1, 1)
    trials = []
    for number in range(n_trials):
        params = {"x": rng.uniform(-5, 5), "lr": 10 ** rng.uniform(-5, -1), "layers": rng.randint(1, 8),
                  "optimizer": rng.choice(["adam", "sgd", "rmsprop"])}
        value = (params["x"] - 1) ** 2 + abs(params["layers"] - 3) + (params["optimizer"] == "sgd")
        curve = {step: value + 1 / (step + 1) for step in range(10)}
        state = hpo.trial.TrialState.COMPLETE
        if number % 10 == 3:
            state, curve = hpo.trial.TrialState.PRUNED, dict(list(curve.items())[:3])
            value = curve[2]
        began = start + datetime.timedelta(seconds=number)
        trials.append(hpo.trial.create_trial(
            state=state if number % 50 != 7 else hpo.trial.TrialState.FAIL,
            value=value if number % 50 != 7 else None, params=params, distributions=distributions,
            intermediate_values=curve, user_attrs={"seed": number},
        ))
        trials[-1].datetime_start, trials[-1].datetime_complete = began, began + datetime.timedelta(seconds=0.8)
    study.add_trials(trials)


def main() -> None:
    sizes = [int(a) for a in sys.argv[1:]] or [1000, 20000]
    with tempfile.TemporaryDirectory() as folder:
        for n in sizes:
            url = f"sqlite:///{folder}/bench{n}.db"
            make_study(url, n)
            out = Path(folder) / f"bench{n}.html"
            started, cpu = time.perf_counter(), _children_cpu()
            subprocess.run([sys.executable, "-m", "hpo.cli", "report", f"bench{n}", "--storage", url, "-o", str(out)],
                           check=True, capture_output=True)
            print(f"{n:>6} trials: {out.stat().st_size / 1e6:.1f} MB in {time.perf_counter() - started:.1f} s wall, "
                  f"{_children_cpu() - cpu:.1f} s CPU (hpo report, start to exit)")


def _children_cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


if __name__ == "__main__":
    main()
