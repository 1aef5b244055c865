"""The soak's objective, as hpo workers import it (module allowed through HPO_OBJECTIVE_MODULES).

Configured by the environment the workers start with: ``HPO_SOAK_DIR`` (where each trial writes
its timings), ``HPO_SOAK_DURATION_S`` (how long each trial reports), ``HPO_SOAK_PERIOD_S`` (the
pace of its reports).
"""

from __future__ import annotations

import json
import os
import pathlib
import time

import hpo


def reporter(trial: hpo.trial.BaseTrial) -> float:
    """Report (and ask ``should_prune``) every period for the duration; write, per report, when it
    was sent (epoch seconds) and its round trip (seconds) to ``HPO_SOAK_DIR/trial-N.json``.

    The pace holds when the round trips allow it; a report that is late goes at once, and the
    missed ones are not made up in a burst.
    """
    duration_s = float(os.environ["HPO_SOAK_DURATION_S"])
    period_s = float(os.environ["HPO_SOAK_PERIOD_S"])
    x = trial.suggest_float("x", 0.0, 1.0)
    sent: list[float] = []
    round_trips: list[float] = []
    start = time.perf_counter()
    epoch = time.time() - start
    due = start
    step = 0
    while True:
        due += period_s
        now = time.perf_counter()
        if now - start >= duration_s:
            break
        if due > now:
            time.sleep(due - now)
        else:
            due = now
        before = time.perf_counter()
        trial.report(x + step * 1e-6, step)
        if trial.should_prune():
            raise hpo.TrialPruned()
        round_trips.append(time.perf_counter() - before)
        sent.append(epoch + before)
        step += 1
    out = pathlib.Path(os.environ["HPO_SOAK_DIR"]) / f"trial-{trial.number}.json"
    out.write_text(json.dumps({"sent": sent, "round_trip": round_trips}))
    return x
