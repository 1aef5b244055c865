"""The benchmark objectives as hpo workers import them (module allowed through HPO_OBJECTIVE_MODULES)."""

from __future__ import annotations

import time

import numpy as np

import hpo
from bench_objectives import sleep_half_second, three_params_twenty_reports, timed_reports

LATENCY_STEPS = 50
LATENCY_PAUSE_S = 0.005


def throughput(trial: hpo.trial.BaseTrial) -> float:
    return three_params_twenty_reports(trial, hpo.TrialPruned)


def latency(trial: hpo.trial.BaseTrial) -> float:
    value, latencies = timed_reports(trial, hpo.TrialPruned, LATENCY_STEPS, LATENCY_PAUSE_S)
    trial.set_user_attr("report_latency_s", latencies)
    return value


def sleepy(trial: hpo.trial.BaseTrial) -> float:
    return sleep_half_second(trial)


class SlowSampler(hpo.samplers.RandomSampler):
    """Holds a CPU (and the GIL, in pure Python) for ``seconds`` per trial, like a slow GP would."""

    def __init__(self, seconds: float = 1.0) -> None:
        super().__init__()
        self._seconds = seconds

    def sample_independent(self, study, trial, param_name, param_distribution):  # type: ignore[no-untyped-def]
        end = time.perf_counter() + self._seconds
        acc = 0
        while time.perf_counter() < end:
            acc += 1
        return super().sample_independent(study, trial, param_name, param_distribution)


def percentiles(values: list[float]) -> tuple[float, float]:
    arr = np.asarray(values) * 1e3
    return float(np.percentile(arr, 50)), float(np.percentile(arr, 99))
