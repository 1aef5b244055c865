"""Objectives shared by the distributed benchmarks. Imports neither hpo nor optuna: both sides run them."""

from __future__ import annotations

import os
import time
from typing import Any

N_REPORTS = 20


class Pruned(Exception):
    """Raised when the pruner stops a trial; each side maps it to its own TrialPruned."""


def three_params_twenty_reports(trial: Any, pruned_exc: type[Exception]) -> float:
    """3 parameters, 20 report/should_prune calls: the throughput benchmark's trial."""
    x = trial.suggest_float("x", -5, 5)
    y = trial.suggest_float("y", -5, 5)
    z = trial.suggest_int("z", 0, 10)
    value = (x - 1) ** 2 + (y + 2) ** 2 + (z - 3) ** 2
    for step in range(N_REPORTS):
        trial.report(value * (1 + (N_REPORTS - step) / N_REPORTS), step)
        if trial.should_prune():
            raise pruned_exc()
    return value


def timed_reports(trial: Any, pruned_exc: type[Exception], n_steps: int, pause_s: float) -> tuple[float, list[float]]:
    """Report ``n_steps`` times with ``pause_s`` between; return the value and each report+should_prune latency."""
    x = trial.suggest_float("x", -5, 5)
    latencies = []
    for step in range(n_steps):
        time.sleep(pause_s)
        start = time.perf_counter()
        trial.report((x - 1) ** 2 + 1.0 / (step + 1), step)
        trial.should_prune()
        latencies.append(time.perf_counter() - start)
    return (x - 1) ** 2, latencies


def sleep_half_second(trial: Any) -> float:
    x = trial.suggest_float("x", 0, 1)
    time.sleep(float(os.environ.get("HPO_BENCH_SLEEP", "0.5")))
    return x
