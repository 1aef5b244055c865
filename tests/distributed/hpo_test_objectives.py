"""Objectives the distributed tests run on real Celery workers (imported by the workers by module name)."""

from __future__ import annotations

import os
import time

import hpo

N_STEPS = 10


def quadratic(trial: hpo.trial.BaseTrial) -> float:
    """Minimum 0 at x=2, y=-1; reports a decreasing curve so MedianPruner has something to judge."""
    x = trial.suggest_float("x", -5, 5)
    y = trial.suggest_float("y", -5, 5)
    value = (x - 2) ** 2 + (y + 1) ** 2
    for step in range(N_STEPS):
        trial.report(value + (N_STEPS - step), step)
        if trial.should_prune():
            raise hpo.TrialPruned()
    return value


def conditional(trial: hpo.trial.BaseTrial) -> float:
    kind = trial.suggest_categorical("kind", ["linear", "log"])
    if kind == "linear":
        return abs(trial.suggest_float("a", -1, 1))
    return trial.suggest_float("b", 1e-3, 1, log=True)


def sleepy(trial: hpo.trial.BaseTrial) -> float:
    """Records when and where it ran, for the GPU and parallelism tests."""
    x = trial.suggest_float("x", 0, 1)
    start = time.time()
    time.sleep(float(os.environ.get("HPO_TEST_SLEEP", "0.5")))
    trial.set_user_attr("cuda_visible_devices", os.environ.get("CUDA_VISIBLE_DEVICES"))
    trial.set_user_attr("span", [start, time.time()])
    return x


@hpo.objective(name="registered-quadratic")
def registered(trial: hpo.trial.BaseTrial) -> float:
    return quadratic(trial)


def broken(trial: hpo.trial.BaseTrial) -> float:
    x = trial.suggest_float("x", 0, 1)
    if x > 0.5:
        raise RuntimeError("boom")
    return "not a number"  # type: ignore[return-value]


def huge_attr(trial: hpo.trial.BaseTrial) -> float:
    """Sets a user attr larger than a message may carry."""
    trial.suggest_float("x", 0, 1)
    trial.set_user_attr("blob", "x" * (8 * 1024 * 1024))
    return 0.0


def steady(trial: hpo.trial.BaseTrial) -> float:
    """About 0.2 s with 5 reports: long enough for a fault to land mid-trial."""
    x = trial.suggest_float("x", -1, 1)
    for step in range(5):
        time.sleep(0.04)
        trial.report(x * x + 1 / (step + 1), step)
    return x * x


def dies(trial: hpo.trial.BaseTrial) -> float:
    """Dies the way the trial's parameter says: sys.exit(3), SIGKILL, a segfault, or a hang."""
    how = trial.suggest_categorical("how", ["exit", "kill", "segfault", "hang"])
    trial.report(1.0, 0)
    if how == "exit":
        raise SystemExit(3)
    if how == "kill":
        os.kill(os.getpid(), 9)
    if how == "segfault":
        import ctypes

        ctypes.string_at(0)
    while True:  # hang, ignoring nothing but the process's death
        time.sleep(0.05)


def dies_once(trial: hpo.trial.BaseTrial) -> float:
    """Its first attempt's process is killed after a report; the retry finishes from its 'checkpoint'."""
    x = trial.suggest_float("x", -1, 1)
    trial.report(x * x + 1.0, 0)
    if trial.attempt == 0:
        os.kill(os.getpid(), 9)
    trial.set_user_attr("attempt", trial.attempt)
    return x * x


def chaotic(trial: hpo.trial.BaseTrial) -> float:
    """0.2 to 1 s with reports; writes each run (trial, attempt, process) to HPO_TEST_RUNS_FILE, so a
    test can tell a trial that ran twice."""
    x = trial.suggest_float("x", -2, 2)
    y = trial.suggest_int("y", 0, 8)
    runs = os.environ.get("HPO_TEST_RUNS_FILE")
    if runs:
        with open(runs, "a") as out:
            out.write(f"{trial.number} {trial.attempt} {os.getpid()}\n")
    duration = 0.2 + 0.8 * ((y + abs(x)) % 1.0)
    for step in range(5):
        time.sleep(duration / 5)
        trial.report(chaos_value(x, y) + 5 - step, step)
    return chaos_value(x, y)


def chaos_value(x: float, y: int) -> float:
    return (x - 0.5) ** 2 + 0.1 * y


#: Set by tests/distributed/test_pruning_wave.py: when step 0 of every trial of the wave is reported
#: (``time.time()``); step ``s`` follows ``s * WAVE_STEP_S`` later, so hundreds of trials report each
#: step, each rung, at once.
WAVE_START = 0.0
WAVE_STEP_S = 0.5
WAVE_STEPS = 9


def wave(trial: hpo.trial.BaseTrial) -> float:
    """A learning curve whose level is set by x; each step reported at the wave's common time."""
    x = trial.suggest_float("x", 0, 1)
    for step in range(WAVE_STEPS):
        time.sleep(max(0.0, WAVE_START + step * WAVE_STEP_S - time.time()))
        trial.report(x + 1 / (step + 1), step)
        if trial.should_prune():
            raise hpo.TrialPruned()
    return x


def curve(trial: hpo.trial.BaseTrial) -> float:
    """A short learning curve with its optimum at x = 0.3, for the pruners on real workers."""
    x = trial.suggest_float("x", 0, 1)
    for step in range(9):
        time.sleep(0.01)
        trial.report((x - 0.3) ** 2 + 1 / (step + 1), step)
        if trial.should_prune():
            raise hpo.TrialPruned()
    return (x - 0.3) ** 2
