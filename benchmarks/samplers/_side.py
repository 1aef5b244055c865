"""One side of the benchmark: runs tasks with hpo or with Optuna, in whichever interpreter runs this file.

``python _side.py LIB MODE`` reads a JSON list of tasks on stdin and writes a JSON list of results on
stdout. LIB is ``hpo`` or ``optuna``; MODE is ``list`` (the sampler names this library has),
``quality``, ``multi`` or ``timing``. ``run.py`` drives it; it is not meant to be run by hand.
"""

from __future__ import annotations

import importlib
import inspect
import json
import logging
import sys
import time
import warnings
from typing import Any

import numpy as np
import problems

# Short name -> class name in ``<lib>.samplers``; a sampler runs only where both libraries have it.
SAMPLERS = {
    "tpe": "TPESampler",
    "cmaes": "CmaEsSampler",
    "gp": "GPSampler",
    "random": "RandomSampler",
    "qmc": "QMCSampler",
    "nsga2": "NSGAIISampler",
}


def _import(lib: str) -> Any:
    module = importlib.import_module(lib)
    module.logging.set_verbosity(logging.ERROR)
    warnings.simplefilter("ignore")
    return module


def _sampler(lib: Any, name: str, seed: int, constraints: bool) -> Any:
    cls = getattr(lib.samplers, SAMPLERS[name])
    kwargs: dict[str, Any] = {"seed": seed}
    if constraints and "constraints_func" in inspect.signature(cls).parameters:
        kwargs["constraints_func"] = problems.user_attr_constraints
    return cls(**kwargs)


def run_quality(lib: Any, task: dict[str, Any]) -> dict[str, Any]:
    problem = problems.SINGLE_OBJECTIVE[task["problem"]]
    study = lib.create_study(sampler=_sampler(lib, task["sampler"], task["seed"], constraints=False))
    start = time.perf_counter()
    study.optimize(problem.objective, n_trials=task["n_trials"])
    return {**task, "regret": study.best_value - problem.optimum, "seconds": time.perf_counter() - start}


def run_multi(lib: Any, task: dict[str, Any]) -> dict[str, Any]:
    problem = problems.MULTI_OBJECTIVE[task["problem"]]
    sampler = _sampler(lib, task["sampler"], task["seed"], constraints=problem.constrained)
    study = lib.create_study(directions=["minimize"] * problem.n_objectives, sampler=sampler)
    start = time.perf_counter()
    study.optimize(problem.objective, n_trials=task["n_trials"])
    seconds = time.perf_counter() - start
    feasible = [
        t.values
        for t in study.get_trials(deepcopy=False)
        if t.values is not None
        and t.state.name == "COMPLETE"
        and all(c <= 0 for c in t.user_attrs.get("constraints", ()))
    ]
    hypervolume = problems.hypervolume_2d(np.array(feasible), problem.reference_point)
    return {**task, "hypervolume": hypervolume, "seconds": seconds}


def run_timing(lib: Any, task: dict[str, Any]) -> dict[str, Any]:
    """CPU milliseconds of ask + suggest + tell per trial (the sampler and storage overhead)."""
    study = lib.create_study(sampler=_sampler(lib, task["sampler"], task["seed"], constraints=False))
    cpu_ms = []
    for _ in range(task["n_trials"]):
        start = time.process_time()
        trial = study.ask()
        x = trial.suggest_float("x", -10.0, 10.0)
        y = trial.suggest_int("y", 0, 100)
        z = trial.suggest_categorical("z", ["a", "b", "c"])
        study.tell(trial, x * x + (y - 30) ** 2 / 100 + (z == "b"))
        cpu_ms.append(1000 * (time.process_time() - start))
    return {**task, "cpu_ms": cpu_ms}


def main() -> None:
    lib_name, mode = sys.argv[1], sys.argv[2]
    lib = _import(lib_name)
    if mode == "list":
        json.dump([short for short, cls in SAMPLERS.items() if hasattr(lib.samplers, cls)], sys.stdout)
        return
    runner = {"quality": run_quality, "multi": run_multi, "timing": run_timing}[mode]
    json.dump([runner(lib, task) for task in json.load(sys.stdin)], sys.stdout)


if __name__ == "__main__":
    main()
