"""One side of the pruning benchmark, in whichever interpreter runs this file.

``python _side.py LIB run`` (LIB: ``hpo`` or ``optuna``) reads a JSON list of studies to run
in-process (task, pruner, seed, n_trials) on stdin and writes one JSON line per finished study
on stdout, with its history. ``python _side.py optuna replay`` reads such histories of hpo studies
and feeds each to Optuna's same pruner, report by report, counting the answers that differ from
hpo's. ``run.py`` drives it, and builds the distributed side's pruners with :func:`make_pruner`
too, so every side gets the same pruner arguments.
"""

from __future__ import annotations

import importlib
import json
import logging
import os
import sys
import time
import warnings
from typing import Any

import curves

#: hpo's system attr on a trial its pruner pruned (hpo.pruners.PRUNE_REASON_KEY; not imported: this
#: file also runs with Optuna).
PRUNE_REASON_KEY = "hpo:prune_reason"

#: The pruners measured; those ending in ``_running`` (``compare_running=True``) exist in hpo only.
#: ``successive_halving_min1`` fixes the first rung at step 1 (``"auto"`` waits for a COMPLETE trial).
PRUNERS = (
    "nop",
    "median",
    "percentile25",
    "successive_halving",
    "successive_halving_min1",
    "hyperband",
    "threshold",
    "patient",
    "wilcoxon",
    "median_running",
    "percentile25_running",
)
HPO_ONLY = ("median_running", "percentile25_running")


def make_pruner(lib: Any, name: str, task: curves.Task) -> Any:
    """The pruner ``name`` of library ``lib`` (the module ``hpo`` or ``optuna``) for ``task``."""
    pruners = lib.pruners
    if name == "nop":
        return pruners.NopPruner()
    if name == "median":
        return pruners.MedianPruner()
    if name == "percentile25":
        return pruners.PercentilePruner(25.0)
    if name == "successive_halving":
        return pruners.SuccessiveHalvingPruner()
    if name == "successive_halving_min1":
        return pruners.SuccessiveHalvingPruner(min_resource=1)
    if name == "hyperband":
        return pruners.HyperbandPruner()
    if name == "threshold":
        return pruners.ThresholdPruner(upper=task.threshold_upper)
    if name == "patient":
        return pruners.PatientPruner(pruners.MedianPruner(), patience=2)
    if name == "wilcoxon":
        return pruners.WilcoxonPruner()
    if name == "median_running":
        return pruners.MedianPruner(compare_running=True)
    if name == "percentile25_running":
        return pruners.PercentilePruner(25.0, compare_running=True)
    raise ValueError(f"Unknown pruner {name!r}; known: {', '.join(PRUNERS)}.")


def summarize(trials: list[Any], max_steps: int) -> dict[str, Any]:
    """Steps reported over all trials, the best COMPLETE value, how many trials stopped early (pruned,
    or ``svr_splits`` told to stop) or failed, and the machine's load average now."""
    complete = [t.value for t in trials if t.state.name == "COMPLETE"]
    return {
        "steps": sum(len(t.intermediate_values) for t in trials),
        "best": min(complete) if complete else None,
        "stopped": sum(len(t.intermediate_values) < max_steps for t in trials),
        "failed": sum(t.state.name == "FAIL" for t in trials),
        "trials": len(trials),
        "load": os.getloadavg()[0],
    }


def history(trials: list[Any]) -> list[dict[str, Any]]:
    """Each trial's state, value, reports in the order made, and whether an hpo pruner recorded
    why it pruned it (then its last report's ``should_prune()`` said True, and no other did)."""
    return [
        {
            "state": t.state.name,
            "value": t.value,
            "reports": list(t.intermediate_values.items()),
            "pruned": PRUNE_REASON_KEY in t.system_attrs,
        }
        for t in trials
    ]


def run(lib: Any, spec: dict[str, Any]) -> dict[str, Any]:
    task = curves.TASKS[spec["task"]]
    study = lib.create_study(
        study_name=spec["study_name"],
        direction="minimize",
        sampler=lib.samplers.TPESampler(seed=spec["seed"]),
        pruner=make_pruner(lib, spec["pruner"], task),
    )
    start = time.perf_counter()
    study.optimize(lambda trial: task.objective(trial, lib.TrialPruned), n_trials=spec["n_trials"])
    seconds = time.perf_counter() - start
    return {**spec, **summarize(study.trials, task.max_steps), "seconds": seconds, "history": history(study.trials)}


def replay(lib: Any, spec: dict[str, Any]) -> dict[str, Any]:
    """Run an hpo study's trials again in ``lib``, one after another as they ran (each trial reports
    its values, asking ``should_prune()`` after each, then ends as it ended), under the same study
    name (Hyperband's brackets hash it) and ``lib``'s same pruner; list the answers that differ."""
    task = curves.TASKS[spec["task"]]
    study = lib.create_study(
        study_name=spec["study_name"], direction="minimize", pruner=make_pruner(lib, spec["pruner"], task)
    )
    start = time.perf_counter()
    decisions, differ = 0, []
    for number, past in enumerate(spec["history"]):
        trial = study.ask()
        for i, (step, value) in enumerate(past["reports"]):
            trial.report(value, step)
            theirs = trial.should_prune()
            ours = past["pruned"] and i == len(past["reports"]) - 1
            decisions += 1
            if theirs != ours:
                differ.append({"trial": number, "step": step, "hpo": ours, "other": theirs})
        state = lib.trial.TrialState[past["state"]]
        study.tell(trial, past["value"] if state == lib.trial.TrialState.COMPLETE else None, state=state)
    keep = ("task", "pruner", "seed", "n_trials")
    return {
        **{k: spec[k] for k in keep},
        "decisions": decisions,
        "differ": differ,
        "seconds": time.perf_counter() - start,
        "load": os.getloadavg()[0],
    }


def main() -> None:
    lib = importlib.import_module(sys.argv[1])
    act = {"run": run, "replay": replay}[sys.argv[2]]
    lib.logging.set_verbosity(logging.ERROR)
    warnings.simplefilter("ignore")  # Optuna's ExperimentalWarning, WilcoxonPruner's notes
    for spec in json.load(sys.stdin):
        print(json.dumps(act(lib, spec)), flush=True)


if __name__ == "__main__":
    main()
