"""One side of the plot benchmark: builds the studies with hpo or Optuna and times each figure.

``python _side.py LIB TRIALS_JSON TIMEOUT`` (LIB is ``hpo`` or ``optuna``) reads the trials that
``run.py`` wrote, adds them to in-memory studies of LIB (``create_trial`` + ``add_trial``), then
calls each plot function once and prints a JSON object: plot -> [wall seconds, CPU seconds], or an
error text (a plot that runs longer than TIMEOUT seconds is stopped). ``run.py`` drives it; it is
not meant to be run by hand.
"""

from __future__ import annotations

import datetime
import importlib
import json
import logging
import signal
import sys
import time
import warnings
from collections.abc import Callable
from typing import Any

EPOCH = datetime.datetime(2024, 1, 1)
STATES = ["COMPLETE", "PRUNED", "FAIL"]
CHOICES = ["relu", "tanh", "gelu"]


class _Timeout(Exception):
    pass


def _alarm(signum: int, frame: Any) -> None:
    raise _Timeout


def build(lib: Any, data: dict[str, Any], multi: bool) -> Any:
    """A study of LIB holding the trials of ``data`` (two objectives if ``multi``)."""
    d = lib.distributions
    distributions = {
        "x": d.FloatDistribution(-5, 5),
        "lr": d.FloatDistribution(1e-5, 1e-1, log=True),
        "n": d.IntDistribution(1, 8),
        "c": d.CategoricalDistribution(CHOICES),
    }
    study = lib.create_study(directions=["minimize", "maximize"] if multi else ["minimize"])
    trials = []
    for i in range(len(data["x"])):
        state = lib.trial.TrialState[STATES[data["state"][i]]]
        complete = state == lib.trial.TrialState.COMPLETE
        value = data["value"][i]
        values = ([value, data["second"][i]] if multi else [value]) if complete else None
        trial = lib.trial.create_trial(
            state=state,
            values=values,
            params={"x": data["x"][i], "lr": data["lr"][i], "n": data["n"][i], "c": CHOICES[data["c"][i]]},
            distributions=distributions,
            intermediate_values={} if multi else {step: value + 1 / (step + 1) for step in range(data["steps"][i])},
        )
        trial.datetime_start = EPOCH + datetime.timedelta(seconds=i)
        trial.datetime_complete = trial.datetime_start + datetime.timedelta(seconds=data["duration"][i])
        trials.append(trial)
    study.add_trials(trials)
    return study


def plots(vis: Any, single: Any, multi: Any) -> dict[str, Callable[[], Any]]:
    return {
        "optimization_history": lambda: vis.plot_optimization_history(single),
        "intermediate_values": lambda: vis.plot_intermediate_values(single),
        "param_importances": lambda: vis.plot_param_importances(single),
        "parallel_coordinate": lambda: vis.plot_parallel_coordinate(single),
        "contour (4 params)": lambda: vis.plot_contour(single),
        "slice": lambda: vis.plot_slice(single),
        "edf": lambda: vis.plot_edf(single),
        "rank (4 params)": lambda: vis.plot_rank(single),
        "timeline": lambda: vis.plot_timeline(single),
        "pareto_front": lambda: vis.plot_pareto_front(multi),
        "hypervolume_history": lambda: vis.plot_hypervolume_history(multi, [10.0, -10.0]),
    }


def _warm_up() -> None:
    """Import plotly and load its validators before the clock runs, on both sides."""
    import plotly.graph_objects as go
    from plotly.subplots import make_subplots

    go.Figure([go.Scatter(x=[1]), go.Bar(x=[1]), go.Contour(z=[[1]]), go.Scatter3d(x=[1])]).to_dict()
    make_subplots(rows=2, cols=2).add_trace(go.Scatter(x=[1]), row=1, col=1)


def main() -> None:
    name, path, timeout = sys.argv[1], sys.argv[2], int(sys.argv[3])
    lib = importlib.import_module(name)
    lib.logging.set_verbosity(logging.ERROR)
    warnings.simplefilter("ignore")
    vis = importlib.import_module(f"{name}.visualization")
    _warm_up()

    with open(path) as f:
        data = json.load(f)
    single, multi = build(lib, data, multi=False), build(lib, data, multi=True)
    signal.signal(signal.SIGALRM, _alarm)
    results: dict[str, Any] = {}
    for plot, draw in plots(vis, single, multi).items():
        signal.alarm(timeout)
        start, cpu = time.perf_counter(), time.process_time()
        try:
            draw()
            results[plot] = [time.perf_counter() - start, time.process_time() - cpu]
        except _Timeout:
            results[plot] = f"> {timeout} s"
        except Exception as e:  # a plot this library cannot draw
            results[plot] = f"{type(e).__name__}: {e}"[:80]
        finally:
            signal.alarm(0)
    print(json.dumps(results))


if __name__ == "__main__":
    main()
