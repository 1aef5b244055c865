"""Record Optuna 5's figures on a few fixed studies, as test data for ``hpo.visualization``.

Run with the Python of a separate environment that has Optuna 5.0.0 and plotly (never hpo's)::

    python3 -m venv .venv-optuna && .venv-optuna/bin/pip install optuna==5.0.0 plotly==7.1.0
    .venv-optuna/bin/python tests/visualization/make_optuna_figures.py

The studies are built here from seeded random trials (the same on every run) and stored with the
figures in ``data/optuna_figures.json``: each study's trials (params, distributions, values,
states, intermediate values, constraints, user attrs, datetimes) and, for each plot call, the
figure's traces and layout (``fig.to_json()`` without the template) and the warnings and log
lines Optuna gave. ``test_optuna_figures.py`` rebuilds the studies in hpo and compares.
"""

from __future__ import annotations

import datetime
import json
import logging
import math
import random
import warnings
from pathlib import Path
from typing import Any

import optuna
from optuna.distributions import (
    CategoricalDistribution,
    FloatDistribution,
    IntDistribution,
    distribution_to_json,
)
from optuna.trial import TrialState
from rebuild import rebuild

OUT = Path(__file__).parent / "data" / "optuna_figures.json"
EPOCH = datetime.datetime(2024, 1, 1, 12, 0, 0)

#: Named targets: the test maps the same names to the same functions.
TARGETS = {
    "negated": lambda t: -t.values[0],
    "second": lambda t: t.values[1],
    "sum": lambda t: sum(t.values),
}
TARGET_LISTS = {"swapped": lambda t: [t.values[1], t.values[0]]}

X = FloatDistribution(-5.0, 5.0)
LR = FloatDistribution(1e-5, 1e-1, log=True)
N = IntDistribution(1, 8)
UNITS = IntDistribution(4, 512, log=True)
C = CategoricalDistribution(["relu", "tanh", None])
Z = CategoricalDistribution([1, 2, 4])


def single_trials(seed: int, n: int, *, constraints: bool = False, odd_states: bool = True) -> list[dict[str, Any]]:
    """Trials of a single-objective study: a conditional param, PRUNED/FAIL/RUNNING/WAITING trials, an inf."""
    rng = random.Random(seed)
    trials = []
    for i in range(n):
        params = {
            "x": round(rng.uniform(-5, 5), 3),
            "lr": 10 ** rng.uniform(-5, -1),
            "n": rng.randint(1, 8),
            "units": int(2 ** rng.uniform(2, 9)),
            "c": rng.choice(["relu", "tanh", None]),
        }
        distributions = {"x": X, "lr": LR, "n": N, "units": UNITS, "c": C}
        if params["c"] == "tanh":
            params["z"] = rng.choice([1, 2, 4])
            distributions["z"] = Z
        value = params["x"] ** 2 + params["n"] - math.log10(params["lr"])
        state = TrialState.COMPLETE
        if odd_states and i % 7 == 3:
            state = TrialState.PRUNED
        if odd_states and i == 5:
            state = TrialState.FAIL
        if odd_states and i == n - 1:
            state = TrialState.RUNNING
        curve = {} if i % 5 == 4 else {step: value + 10 / (step + 1) for step in range(0, rng.randint(2, 6))}
        trial = {
            "state": state.name,
            "values": [value] if state == TrialState.COMPLETE else None,
            "params": params,
            "distributions": {k: distribution_to_json(d) for k, d in distributions.items()},
            "intermediate_values": curve,
            "system_attrs": {"constraints": [params["x"] - 2.0, -1.0]} if constraints else {},
            "user_attrs": {"note": f"t{i}", "tags": [i, "x"]} if i == 2 else {},
            "datetime_start": (EPOCH + datetime.timedelta(seconds=10 * i)).isoformat(),
            "datetime_complete": (
                (EPOCH + datetime.timedelta(seconds=10 * i + rng.uniform(1, 20))).isoformat()
                if state != TrialState.RUNNING
                else None
            ),
        }
        if odd_states and i == 9:
            trial["values"] = [float("inf")]
        trials.append(trial)
    if odd_states:
        trials.append({**trials[0], "state": "WAITING", "values": None, "params": {}, "distributions": {},
                       "intermediate_values": {}, "datetime_start": None, "datetime_complete": None})
    return trials


def multi_trials(seed: int, n: int, n_objectives: int, *, constraints: bool) -> list[dict[str, Any]]:
    rng = random.Random(seed)
    trials = []
    for i in range(n):
        a, b = rng.uniform(0, 1), rng.uniform(0, 1)
        values = [a, 1 - a**0.5 + b / 3, a * b + b][:n_objectives]
        if i % 6 == 1:  # a duplicate of an earlier point
            values = trials[i - 1]["values"]
        trials.append(
            {
                "state": "PRUNED" if i == 4 else "COMPLETE",
                "values": None if i == 4 else [round(v, 4) for v in values],
                "params": {"a": a, "b": b},
                "distributions": {"a": distribution_to_json(FloatDistribution(0, 1)),
                                  "b": distribution_to_json(FloatDistribution(0, 1))},
                "intermediate_values": {},
                "system_attrs": {"constraints": [b - 0.8]} if constraints else {},
                "user_attrs": {},
                "datetime_start": (EPOCH + datetime.timedelta(seconds=i)).isoformat(),
                "datetime_complete": (EPOCH + datetime.timedelta(seconds=i + 0.5)).isoformat(),
            }
        )
    return trials


STUDIES: dict[str, dict[str, Any]] = {
    "single": {"directions": ["minimize"], "trials": single_trials(1, 24)},
    "single_b": {"directions": ["minimize"], "trials": single_trials(2, 18)},
    "constrained": {"directions": ["maximize"], "trials": single_trials(3, 20, constraints=True, odd_states=False)},
    "multi2": {"directions": ["minimize", "maximize"], "trials": multi_trials(4, 30, 2, constraints=False)},
    "multi2c": {"directions": ["minimize", "minimize"], "trials": multi_trials(5, 30, 2, constraints=True)},
    "multi3": {"directions": ["minimize", "minimize", "maximize"], "trials": multi_trials(6, 25, 3, constraints=False)},
    "empty": {"directions": ["minimize"], "trials": []},
}

#: (case id, plot function, study or list of studies, keyword arguments with target names).
CALLS: list[tuple[str, str, Any, dict[str, Any]]] = [
    ("history", "plot_optimization_history", "single", {}),
    ("history_target", "plot_optimization_history", "single", {"target": "negated", "target_name": "Negated"}),
    ("history_default_name", "plot_optimization_history", "single", {"target": "negated"}),
    ("history_list", "plot_optimization_history", ["single", "single_b"], {}),
    ("history_error_bar", "plot_optimization_history", ["single", "single_b"], {"error_bar": True}),
    ("history_constrained", "plot_optimization_history", "constrained", {}),
    ("history_multi_target", "plot_optimization_history", "multi2", {"target": "second", "target_name": "B"}),
    ("history_empty", "plot_optimization_history", "empty", {}),
    ("intermediate", "plot_intermediate_values", "single", {}),
    ("intermediate_constrained", "plot_intermediate_values", "constrained", {}),
    ("intermediate_none", "plot_intermediate_values", "multi2", {}),
    ("intermediate_empty", "plot_intermediate_values", "empty", {}),
    ("parallel", "plot_parallel_coordinate", "single", {}),
    ("parallel_params", "plot_parallel_coordinate", "single", {"params": ["x", "c", "units"]}),
    ("parallel_target", "plot_parallel_coordinate", "single", {"target": "negated", "target_name": "Neg"}),
    ("parallel_constrained", "plot_parallel_coordinate", "constrained", {}),
    ("parallel_multi", "plot_parallel_coordinate", "multi2", {}),
    ("parallel_multi3", "plot_parallel_coordinate", "multi3", {}),
    ("parallel_empty", "plot_parallel_coordinate", "empty", {}),
    ("contour", "plot_contour", "single", {"params": ["x", "n", "c"]}),
    ("contour_log", "plot_contour", "single", {"params": ["lr", "x"]}),
    ("contour_cat", "plot_contour", "single", {"params": ["c", "units"]}),
    ("contour_target", "plot_contour", "single", {"params": ["n", "x"], "target": "negated", "target_name": "Neg"}),
    ("contour_constrained", "plot_contour", "constrained", {"params": ["x", "n", "lr"]}),
    ("contour_multi_target", "plot_contour", "multi2", {"target": "second", "target_name": "B"}),
    ("contour_one_param", "plot_contour", "single", {"params": ["x"]}),
    ("contour_empty", "plot_contour", "empty", {}),
    ("slice", "plot_slice", "single", {}),
    ("slice_log", "plot_slice", "single", {"params": ["lr"]}),
    ("slice_cat", "plot_slice", "single", {"params": ["c"]}),
    ("slice_constrained", "plot_slice", "constrained", {"params": ["x", "z"]}),
    ("slice_target", "plot_slice", "multi2", {"target": "second", "target_name": "B"}),
    ("slice_empty", "plot_slice", "empty", {}),
    ("edf", "plot_edf", "single", {}),
    ("edf_list", "plot_edf", ["single", "single_b", "empty"], {}),
    ("edf_target", "plot_edf", "multi2", {"target": "sum", "target_name": "Sum"}),
    ("edf_empty", "plot_edf", "empty", {}),
    ("rank", "plot_rank", "single", {"params": ["x", "lr", "c"]}),
    ("rank_pair", "plot_rank", "single", {"params": ["lr", "units"]}),
    ("rank_target", "plot_rank", "multi2", {"target": "second", "target_name": "B"}),
    ("rank_constrained", "plot_rank", "constrained", {"params": ["x", "n"]}),
    ("rank_empty", "plot_rank", "empty", {}),
    ("pareto", "plot_pareto_front", "multi2", {}),
    ("pareto_front_only", "plot_pareto_front", "multi2",
     {"include_dominated_trials": False, "target_names": ["A", "B"]}),
    ("pareto_constrained", "plot_pareto_front", "multi2c", {}),
    ("pareto_3d", "plot_pareto_front", "multi3", {}),
    ("pareto_targets", "plot_pareto_front", "multi3", {"targets": "swapped", "target_names": ["b", "a"]}),
    ("hypervolume", "plot_hypervolume_history", "multi2", {"reference_point": [1.0, 0.0]}),
    ("hypervolume_constrained", "plot_hypervolume_history", "multi2c", {"reference_point": [0.9, 1.5]}),
    ("hypervolume_3d", "plot_hypervolume_history", "multi3", {"reference_point": [1.0, 1.5, 0.0]}),
    ("importances", "plot_param_importances", "single", {}),
    ("importances_params", "plot_param_importances", "single", {"params": ["x", "lr", "units"]}),
    ("importances_constrained", "plot_param_importances", "constrained", {}),
    ("importances_target", "plot_param_importances", "multi2", {"target": "second", "target_name": "B"}),
    ("importances_multi", "plot_param_importances", "multi3", {}),
    ("importances_empty", "plot_param_importances", "empty", {}),
    ("timeline", "plot_timeline", "single", {}),
    ("timeline_recent", "plot_timeline", "single", {"n_recent_trials": 5}),
    ("timeline_constrained", "plot_timeline", "constrained", {}),
    ("timeline_empty", "plot_timeline", "empty", {}),
]


def build(name: str) -> optuna.Study:
    return rebuild(optuna, name, STUDIES[name])


class _Lines(logging.Handler):
    def __init__(self) -> None:
        super().__init__(logging.WARNING)
        self.lines: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.lines.append(record.getMessage())


def figure_json(figure: Any) -> dict[str, Any]:
    data = json.loads(figure.to_json())
    data["layout"].pop("template", None)
    return {"data": data["data"], "layout": data["layout"]}


def main() -> None:
    optuna.logging.set_verbosity(optuna.logging.WARNING)
    studies = {name: build(name) for name in STUDIES}
    lines = _Lines()
    logging.getLogger("optuna").addHandler(lines)
    cases = {}
    for case, function, study, kwargs in CALLS:
        arguments = dict(kwargs)
        if "target" in arguments:
            arguments["target"] = TARGETS[arguments["target"]]
        if "targets" in arguments:
            arguments["targets"] = TARGET_LISTS[arguments["targets"]]
        target_studies = [studies[s] for s in study] if isinstance(study, list) else studies[study]
        lines.lines.clear()
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            figure = getattr(optuna.visualization, function)(target_studies, **arguments)
        cases[case] = {
            "function": function,
            "study": study,
            "kwargs": kwargs,
            "warnings": [
                f"{w.category.__name__}: {w.message}" for w in caught if w.category.__name__ != "ExperimentalWarning"
            ],
            "log": list(lines.lines),
            "figure": figure_json(figure),
        }
    OUT.parent.mkdir(exist_ok=True)
    OUT.write_text(json.dumps({"optuna_version": optuna.__version__, "studies": STUDIES, "cases": cases}) + "\n")
    print(f"wrote {len(cases)} figures to {OUT} ({OUT.stat().st_size // 1024} KiB)")


if __name__ == "__main__":
    main()
