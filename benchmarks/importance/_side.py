"""One side of the importance benchmark: times ``get_param_importances`` with hpo or with Optuna.

``python _side.py LIB`` reads a JSON task on stdin and writes a JSON result on stdout; LIB is ``hpo``
or ``optuna``, whichever this interpreter has. ``run.py`` drives it; it is not meant to be run by hand.

The study is the same on both sides: ``n_trials`` COMPLETE trials drawn uniformly (numpy, fixed
seed) from six parameters (float, log float, int, log int, stepped float, categorical), valued by a
function whose important parameters are known, loaded with ``create_trial`` + ``add_trials``
(not timed). A warm-up call on a 50-trial study first imports what the evaluator needs
(scikit-learn, SciPy), so the clock measures the computation, not the imports.
"""

from __future__ import annotations

import importlib
import json
import math
import sys
import time
import warnings
from typing import Any

import numpy as np

CHOICES = ["adam", "sgd", "rmsprop"]


def draw(n_trials: int, seed: int = 0) -> list[tuple[dict[str, Any], float]]:
    """(params, value) per trial: lr >> optimizer > n_layers > dropout > batch_size, x is noise."""
    rng = np.random.default_rng(seed)
    out = []
    for _ in range(n_trials):
        p = {
            "x": float(rng.uniform(-5, 5)),
            "lr": float(math.exp(rng.uniform(math.log(1e-5), math.log(1e-1)))),
            "n_layers": int(rng.integers(1, 9)),
            "batch_size": int(round(math.exp(rng.uniform(math.log(16), math.log(512))))),
            "dropout": round(0.1 * int(rng.integers(0, 6)), 1),
            "optimizer": CHOICES[int(rng.integers(3))],
        }
        value = (
            4 * (math.log10(p["lr"]) + 3) ** 2
            + {"adam": 0.0, "sgd": 4.0, "rmsprop": 2.0}[p["optimizer"]]
            + 0.3 * (p["n_layers"] - 3) ** 2 / 4
            + 2 * (p["dropout"] - 0.2) ** 2
            + 0.1 * abs(math.log2(p["batch_size"]) - 6)
            + 0.1 * float(rng.normal())
        )
        out.append((p, value))
    return out


def build(lib: Any, n_trials: int) -> Any:
    d = lib.distributions
    space = {
        "x": d.FloatDistribution(-5, 5),
        "lr": d.FloatDistribution(1e-5, 1e-1, log=True),
        "n_layers": d.IntDistribution(1, 8),
        "batch_size": d.IntDistribution(16, 512, log=True),
        "dropout": d.FloatDistribution(0.0, 0.5, step=0.1),
        "optimizer": d.CategoricalDistribution(CHOICES),
    }
    study = lib.create_study()
    study.add_trials(lib.trial.create_trial(params=p, distributions=space, value=v) for p, v in draw(n_trials))
    return study


def evaluator(lib: Any, name: str) -> Any:
    if name == "fanova":
        return lib.importance.FanovaImportanceEvaluator(seed=0)
    return lib.importance.PedAnovaImportanceEvaluator()


def main() -> None:
    lib = importlib.import_module(sys.argv[1])
    lib.logging.set_verbosity(lib.logging.ERROR)
    warnings.simplefilter("ignore")
    task = json.load(sys.stdin)
    lib.importance.get_param_importances(build(lib, 50), evaluator=evaluator(lib, task["evaluator"]))
    study = build(lib, task["n_trials"])
    wall, cpu = [], []
    for _ in range(task["repeats"]):
        start_wall, start_cpu = time.perf_counter(), time.process_time()
        importances = lib.importance.get_param_importances(study, evaluator=evaluator(lib, task["evaluator"]))
        cpu.append(time.process_time() - start_cpu)
        wall.append(time.perf_counter() - start_wall)
    out = {**task, "wall": wall, "cpu": cpu, "importances": {k: float(v) for k, v in importances.items()}}
    json.dump(out, sys.stdout)


if __name__ == "__main__":
    main()
