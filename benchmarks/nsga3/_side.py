"""One side of the NSGA-III benchmark, run by ``run.py`` in hpo's or Optuna's interpreter.

``python _side.py LIB`` reads a JSON list of tasks on stdin (problem, objectives, seed, trials,
population) and writes, for each, the objective values of every trial. ``python _side.py hv`` reads
``{"reference": [...], "sets": [[points...], ...]}`` and writes each set's exact hypervolume,
computed with Optuna's WFG implementation (run in Optuna's interpreter, so both sides are measured
by the same instrument, which is neither side's sampler code).
"""

from __future__ import annotations

import importlib
import json
import logging
import math
import sys
import warnings
from typing import Any

import numpy as np


def dtlz2(x: np.ndarray, n_objectives: int) -> list[float]:
    """DTLZ2 (Deb, Thiele, Laumanns and Zitzler, 2002): the Pareto front is the unit sphere's positive orthant."""
    g = float(np.sum((x[n_objectives - 1 :] - 0.5) ** 2))
    angles = x[: n_objectives - 1] * math.pi / 2
    values = []
    for i in range(n_objectives):
        value = 1.0 + g
        value *= float(np.prod(np.cos(angles[: n_objectives - 1 - i])))
        if i > 0:
            value *= math.sin(angles[n_objectives - 1 - i])
        values.append(value)
    return values


def run(lib: Any, task: dict[str, Any]) -> list[list[float]]:
    n_objectives, n_vars = task["objectives"], task["objectives"] + 9  # k = 10 distance variables

    def objective(trial: Any) -> list[float]:
        x = np.array([trial.suggest_float(f"x{i}", 0.0, 1.0) for i in range(n_vars)])
        return dtlz2(x, n_objectives)

    sampler = lib.samplers.NSGAIIISampler(population_size=task["population"], seed=task["seed"])
    study = lib.create_study(directions=["minimize"] * n_objectives, sampler=sampler)
    study.optimize(objective, n_trials=task["trials"])
    return [list(t.values) for t in study.trials]


def main() -> None:
    warnings.simplefilter("ignore")
    if sys.argv[1] == "hv":
        from optuna._hypervolume import compute_hypervolume

        request = json.load(sys.stdin)
        reference = np.array(request["reference"])
        volumes = []
        for points in request["sets"]:
            loss = np.array(points).reshape(-1, len(reference))
            loss = loss[np.all(loss < reference, axis=1)]
            volumes.append(float(compute_hypervolume(loss, reference)) if len(loss) else 0.0)
        json.dump(volumes, sys.stdout)
        return
    lib = importlib.import_module(sys.argv[1])
    lib.logging.set_verbosity(logging.ERROR)
    json.dump([run(lib, task) for task in json.load(sys.stdin)], sys.stdout)


if __name__ == "__main__":
    main()
