"""Record Optuna 5's pruning decisions on many histories, as test data for hpo's pruners.

Run with the Python of a separate environment that has Optuna 5.0.0 (never hpo's)::

    python3 -m venv .venv-optuna && .venv-optuna/bin/pip install optuna==5.0.0 scipy
    .venv-optuna/bin/python tests/pruners/make_optuna_decisions.py

Each history is a plan (trials, their curves, the order of their reports) played on a real
in-memory Optuna study with ``ask``, ``report``, ``should_prune`` and ``tell``: a trial pruned
stops reporting and is told PRUNED (or, for the Wilcoxon pruner, COMPLETE with its mean, as its
documentation suggests). What happened is stored as events, each report with Optuna's decision,
in ``data/<family>.json``; ``test_optuna_decisions.py`` replays the events on hpo and compares.
Random plans use fixed seeds, so the files are the same on every run.
"""

from __future__ import annotations

import json
import math
import random
import sys
import warnings
from pathlib import Path
from typing import Any

import optuna
from optuna.trial import TrialState

DATA = Path(__file__).parent / "data"
Spec = dict[str, Any]
Event = dict[str, Any]


# --- playing a plan on Optuna ---------------------------------------------------------------------
def build(spec: Spec) -> optuna.pruners.BasePruner:
    kwargs = {k: build(v) if isinstance(v, dict) and "class" in v else v for k, v in spec["kwargs"].items()}
    return getattr(optuna.pruners, spec["class"])(**kwargs)


def play(plan: dict[str, Any]) -> dict[str, Any]:
    """Run ``plan`` on Optuna; the case to store: the plan's settings and the events with decisions.

    ``plan["schedule"]`` lists ``["start", i]``, ``["report", i, step]`` and ``["end", i]``; trial
    ``i`` reports ``curves[i][step]`` and ends with ``ends[i]`` (``"COMPLETE"``, value = its last
    value; ``"FAIL"``). Reports and ends of a pruned trial are skipped.
    """
    study = optuna.create_study(
        study_name=plan["study_name"],
        direction=plan["direction"],
        pruner=build(plan["pruner"]),
        sampler=optuna.samplers.RandomSampler(seed=0),
    )
    events: list[Event] = []
    for trial in plan.get("prefab", []):
        study.add_trial(
            optuna.trial.create_trial(
                state=TrialState[trial["state"]],
                value=trial.get("value"),
                intermediate_values={int(k): v for k, v in trial["intermediate_values"].items()},
            )
        )
        events.append({"op": "add", **trial})
    running: dict[int, optuna.trial.Trial] = {}
    stopped: set[int] = set()
    curves, ends = plan["curves"], plan["ends"]
    for item in plan["schedule"]:
        op, index = item[0], item[1]
        if op == "start":
            running[index] = study.ask()
            events.append({"op": "ask", "trial": index})
        elif index in stopped:
            continue
        elif op == "report":
            trial, step = running[index], item[2]
            value = curves[index][str(step)]
            trial.report(value, step)
            pruned = bool(trial.should_prune())
            events.append({"op": "report", "trial": index, "step": step, "value": value, "prune": pruned})
            if pruned:
                stopped.add(index)
                events.append(finish(study, trial, index, plan.get("on_prune", "PRUNED")))
        else:
            stopped.add(index)
            events.append(finish(study, running[index], index, ends[index]))
    case = {k: plan[k] for k in ("name", "study_name", "direction", "pruner")}
    case["events"] = events
    rung_attrs = {
        str(t.number): {k: v for k, v in sorted(t.system_attrs.items()) if k.startswith("completed_rung_")}
        for t in study.get_trials(deepcopy=False)
    }
    if any(rung_attrs.values()):
        case["rung_attrs"] = rung_attrs
    return case


def finish(study: optuna.Study, trial: optuna.trial.Trial, index: int, end: str) -> Event:
    values = list(study._storage.get_trial(trial._trial_id).intermediate_values.values())
    if end == "COMPLETE":
        value = values[-1] if values else 0.0
        study.tell(trial, value)
        return {"op": "tell", "trial": index, "state": "COMPLETE", "value": value}
    if end == "MEAN":  # the Wilcoxon pruner's documented pattern: a pruned trial returns its mean so far
        value = sum(values) / len(values)
        study.tell(trial, value)
        return {"op": "tell", "trial": index, "state": "COMPLETE", "value": value}
    study.tell(trial, state=TrialState[end])
    return {"op": "tell", "trial": index, "state": end}


# --- plans ----------------------------------------------------------------------------------------
def spec(cls: str, **kwargs: Any) -> Spec:
    return {"class": cls, "kwargs": kwargs}


def sequential(n_trials: int, steps: list[list[int]]) -> list[list[Any]]:
    schedule: list[list[Any]] = []
    for i in range(n_trials):
        schedule += [["start", i], *(["report", i, s] for s in steps[i]), ["end", i]]
    return schedule


def interleaved(rng: random.Random, n_trials: int, steps: list[list[int]], width: int) -> list[list[Any]]:
    """At most ``width`` trials at once; each move reports the next step of a random running trial."""
    schedule: list[list[Any]] = []
    todo = {i: list(steps[i]) for i in range(n_trials)}
    running: list[int] = []
    next_trial = 0
    while running or next_trial < n_trials:
        while len(running) < width and next_trial < n_trials:
            schedule.append(["start", next_trial])
            running.append(next_trial)
            next_trial += 1
        i = rng.choice(running)
        if todo[i]:
            schedule.append(["report", i, todo[i].pop(0)])
        else:
            schedule.append(["end", i])
            running.remove(i)
    return schedule


def random_curve(rng: random.Random, steps: list[int], decimals: int, p_nan: float, p_inf: float) -> dict[str, float]:
    start, floor, rate = rng.uniform(0.5, 2.0), rng.uniform(0.0, 1.0), rng.uniform(0.02, 0.5)
    curve: dict[str, float] = {}
    for s in steps:
        u = rng.random()
        if u < p_nan:
            value = math.nan
        elif u < p_nan + p_inf:
            value = rng.choice([math.inf, -math.inf])
        else:
            value = round(floor + (start - floor) * math.exp(-rate * s) + rng.gauss(0, 0.05), decimals)
        curve[str(s)] = value
    return curve


def random_steps(rng: random.Random, n_steps: int, p_missing: float) -> list[int]:
    steps = [s for s in range(n_steps) if rng.random() >= p_missing]
    return steps or [n_steps - 1]


def random_plan(
    rng: random.Random,
    name: str,
    pruner: Spec,
    *,
    n_trials: int,
    n_steps: int,
    direction: str | None = None,
    width: int | None = None,
    decimals: int | None = None,
    p_nan: float = 0.0,
    p_inf: float = 0.0,
    p_missing: float = 0.0,
    p_fail: float = 0.05,
    shuffle_steps: bool = False,
    on_prune: str = "PRUNED",
    study_name: str | None = None,
) -> dict[str, Any]:
    steps = [random_steps(rng, rng.randint(max(1, n_steps // 2), n_steps), p_missing) for _ in range(n_trials)]
    if shuffle_steps:
        for s in steps:
            rng.shuffle(s)
    decimals = rng.choice([1, 2, 6]) if decimals is None else decimals
    curves = [random_curve(rng, s, decimals, p_nan, p_inf) for s in steps]
    width = rng.choice([1, 1, 3, 8]) if width is None else width
    schedule = sequential(n_trials, steps) if width == 1 else interleaved(rng, n_trials, steps, width)
    return {
        "name": name,
        "study_name": study_name or name,
        "direction": direction or rng.choice(["minimize", "maximize"]),
        "pruner": pruner,
        "curves": curves,
        "ends": ["FAIL" if rng.random() < p_fail else "COMPLETE" for _ in range(n_trials)],
        "schedule": schedule,
        "on_prune": on_prune,
    }


def hand_plan(
    name: str, pruner: Spec, direction: str, curves: list[dict[int, float]], *, prefab: list[dict[str, Any]] = (),
    width: int = 1, ends: list[str] | None = None, on_prune: str = "PRUNED",
) -> dict[str, Any]:
    steps = [sorted(c) for c in curves]
    schedule = sequential(len(curves), steps) if width == 1 else interleaved(random.Random(0), len(curves), steps, width)
    return {
        "name": name,
        "study_name": name,
        "direction": direction,
        "pruner": pruner,
        "prefab": list(prefab),
        "curves": [{str(k): v for k, v in c.items()} for c in curves],
        "ends": ends or ["COMPLETE"] * len(curves),
        "schedule": schedule,
        "on_prune": on_prune,
    }


nan, inf = math.nan, math.inf


def percentile_plans() -> list[dict[str, Any]]:
    flat = [{s: 1.0 for s in range(4)}] * 6
    plans = [
        hand_plan("median-ties", spec("MedianPruner", n_startup_trials=2), "minimize", flat),
        hand_plan("median-nan", spec("MedianPruner", n_startup_trials=1),
                  "minimize", [{0: 1.0, 1: 0.5}, {0: nan, 1: nan}, {0: 2.0, 1: nan}, {0: nan, 1: 0.1}]),
        hand_plan("median-prefab-nan", spec("MedianPruner", n_startup_trials=0), "maximize",
                  [{0: 0.5, 1: 0.7}, {0: 0.2}], prefab=[
                      {"state": "COMPLETE", "value": 1.0, "intermediate_values": {"0": nan, "1": 1.0}},
                      {"state": "COMPLETE", "value": 0.0, "intermediate_values": {"0": 0.3, "1": nan}},
                      {"state": "PRUNED", "intermediate_values": {"0": 9.0}},
                  ]),
    ]
    rng = random.Random(1)
    for seed in range(40):
        kwargs: dict[str, Any] = {
            "n_startup_trials": rng.choice([0, 1, 3, 5]),
            "n_warmup_steps": rng.choice([0, 0, 2, 5]),
            "interval_steps": rng.choice([1, 1, 2, 3]),
            "n_min_trials": rng.choice([1, 1, 2, 4]),
        }
        if seed % 2:
            pruner = spec("PercentilePruner", percentile=rng.choice([0.0, 10.0, 25.0, 33.3, 75.0, 100.0]), **kwargs)
        else:
            pruner = spec("MedianPruner", **kwargs)
        plans.append(random_plan(rng, f"percentile-random-{seed}", pruner, n_trials=rng.randint(8, 25), n_steps=12,
                                 p_nan=rng.choice([0.0, 0.05]), p_missing=rng.choice([0.0, 0.2])))
    return plans


def successive_halving_plans() -> list[dict[str, Any]]:
    plans = [
        hand_plan("sh-ties", spec("SuccessiveHalvingPruner", min_resource=1, reduction_factor=2), "minimize",
                  [{s: 1.0 for s in range(9)}] * 6),
        hand_plan("sh-nan", spec("SuccessiveHalvingPruner", min_resource=1, reduction_factor=2), "minimize",
                  [{0: 1.0, 1: 0.5, 2: 0.4}, {0: nan, 1: 0.1}, {0: 0.9, 1: nan}, {0: 0.2, 1: 0.1, 2: 0.1, 3: 0.0}]),
        hand_plan("sh-jump-rungs", spec("SuccessiveHalvingPruner", min_resource=1, reduction_factor=2), "maximize",
                  [{0: 0.1, 9: 0.5}, {20: 0.6}, {0: 0.3, 1: 0.2, 2: 0.1, 30: 0.9}, {17: 0.55}, {40: 0.4}]),
        hand_plan("sh-auto", spec("SuccessiveHalvingPruner"), "minimize",
                  [{s: 1.0 / (s + 1) for s in range(300)}] + [{s: 1.0 / (s + 1) + k * 0.01 for s in range(0, 40, 3)}
                                                             for k in range(-3, 6)]),
        hand_plan("sh-bootstrap-parallel", spec("SuccessiveHalvingPruner", min_resource=2, reduction_factor=3,
                                                bootstrap_count=2), "minimize",
                  [{s: (k % 4) * 0.1 + 1 / (s + 1) for s in range(20)} for k in range(12)], width=6),
    ]
    rng = random.Random(2)
    for seed in range(50):
        bootstrap = rng.choice([0, 0, 1, 3])
        pruner = spec(
            "SuccessiveHalvingPruner",
            min_resource="auto" if bootstrap == 0 and rng.random() < 0.25 else rng.choice([1, 2, 3]),
            reduction_factor=rng.choice([2, 3, 4]),
            min_early_stopping_rate=rng.choice([0, 0, 1]),
            bootstrap_count=bootstrap,
        )
        plans.append(random_plan(rng, f"sh-random-{seed}", pruner, n_trials=rng.randint(10, 30), n_steps=30,
                                 p_nan=rng.choice([0.0, 0.03]), p_inf=rng.choice([0.0, 0.02]),
                                 p_missing=rng.choice([0.0, 0.3, 0.6])))
    return plans


def hyperband_plans() -> list[dict[str, Any]]:
    plans = []
    rng = random.Random(3)
    names = ["hb", "hyperband-study", "Study 7", "日本語", "a_1"]
    for seed in range(40):
        bootstrap = rng.choice([0, 0, 2])
        pruner = spec(
            "HyperbandPruner",
            min_resource=rng.choice([1, 2]),
            max_resource="auto" if bootstrap == 0 and rng.random() < 0.5 else rng.choice([9, 27, 30]),
            reduction_factor=rng.choice([2, 3]),
            bootstrap_count=bootstrap,
        )
        plans.append(random_plan(rng, f"hb-random-{seed}", pruner, n_trials=rng.randint(15, 40), n_steps=30,
                                 p_nan=rng.choice([0.0, 0.02]), p_missing=rng.choice([0.0, 0.3]),
                                 study_name=f"{rng.choice(names)}-{seed}"))
    return plans


def threshold_plans() -> list[dict[str, Any]]:
    plans = [
        hand_plan("threshold-inf", spec("ThresholdPruner", upper=10.0), "minimize", [{0: 1.0, 1: inf}, {0: -inf}]),
        hand_plan("threshold-lower", spec("ThresholdPruner", lower=0.5), "maximize", [{0: 0.4}, {0: 0.5, 1: 0.49}]),
    ]
    rng = random.Random(4)
    for seed in range(30):
        lower = rng.choice([None, 0.3, 0.6])
        upper = rng.choice([None, 1.2, 1.8]) if lower is not None else rng.choice([1.2, 1.8])
        pruner = spec("ThresholdPruner", lower=lower, upper=upper, n_warmup_steps=rng.choice([0, 0, 3]),
                      interval_steps=rng.choice([1, 2, 4]))
        plans.append(random_plan(rng, f"threshold-random-{seed}", pruner, n_trials=rng.randint(5, 12), n_steps=15,
                                 p_nan=rng.choice([0.0, 0.05]), p_inf=0.02, p_missing=rng.choice([0.0, 0.3])))
    return plans


def patient_plans() -> list[dict[str, Any]]:
    plans = [
        hand_plan("patient-nan-window", spec("PatientPruner", wrapped_pruner=None, patience=1), "minimize",
                  [{0: 1.0, 1: nan, 2: nan}, {0: nan, 1: nan, 2: 1.0, 3: 2.0}, {0: 1.0, 1: 1.0, 2: 1.0}]),
    ]
    rng = random.Random(5)
    for seed in range(30):
        wrapped = rng.choice([
            None,
            spec("MedianPruner", n_startup_trials=rng.choice([0, 2]), n_warmup_steps=rng.choice([0, 2])),
            spec("ThresholdPruner", upper=1.0),
        ])
        pruner = spec("PatientPruner", wrapped_pruner=wrapped, patience=rng.choice([0, 1, 2, 4]),
                      min_delta=rng.choice([0.0, 0.0, 0.05]))
        plans.append(random_plan(rng, f"patient-random-{seed}", pruner, n_trials=rng.randint(6, 15), n_steps=15,
                                 p_nan=rng.choice([0.0, 0.05]), p_missing=rng.choice([0.0, 0.2])))
    return plans


def wilcoxon_plans() -> list[dict[str, Any]]:
    same = {s: 1.0 for s in range(8)}
    plans = [
        hand_plan("wilcoxon-zeros", spec("WilcoxonPruner"), "minimize", [same, same, {**same, 7: 1.5}]),
        hand_plan("wilcoxon-average-rule", spec("WilcoxonPruner", p_threshold=0.5), "minimize",
                  [{s: 1.0 for s in range(6)}, {0: 1.1, 1: 1.1, 2: 1.1, 3: 1.1, 4: 1.1, 5: 0.0}]),
        hand_plan("wilcoxon-missing-steps", spec("WilcoxonPruner", p_threshold=0.3), "maximize",
                  [{s: 1.0 for s in range(0, 10, 2)}, {s: 0.5 for s in range(10)}], on_prune="MEAN"),
        hand_plan("wilcoxon-best-without-values", spec("WilcoxonPruner"), "minimize", [{0: 5.0, 1: 5.0, 2: 5.0}],
                  prefab=[{"state": "COMPLETE", "value": 0.0, "intermediate_values": {}}]),
        hand_plan("wilcoxon-best-nan", spec("WilcoxonPruner"), "minimize", [{0: 1.0, 1: 2.0, 2: 3.0}],
                  prefab=[{"state": "COMPLETE", "value": 0.0, "intermediate_values": {"0": nan, "1": 0.0}}]),
    ]
    rng = random.Random(6)
    for seed in range(40):
        pruner = spec("WilcoxonPruner", p_threshold=rng.choice([0.05, 0.1, 0.3]), n_startup_steps=rng.choice([0, 2, 5]))
        plans.append(random_plan(rng, f"wilcoxon-random-{seed}", pruner, n_trials=rng.randint(4, 10), n_steps=16,
                                 p_nan=rng.choice([0.0, 0.01]), p_inf=rng.choice([0.0, 0.01]),
                                 p_missing=rng.choice([0.0, 0.1, 0.3]), shuffle_steps=True,
                                 on_prune=rng.choice(["PRUNED", "MEAN"]), decimals=3))
    return plans


def brackets() -> list[dict[str, Any]]:
    """Optuna's bracket of trials 0..299 for several study names and Hyperband settings."""
    cases = []
    for name in ["hb", "", "hyperband-study", "Study 7", "日本語", "a_1", "x" * 100]:
        for min_resource, max_resource, reduction_factor in [(1, 81, 3), (1, 100, 2), (2, 30, 3), (1, 9, 4), (5, 6, 2)]:
            pruner = optuna.pruners.HyperbandPruner(min_resource, max_resource, reduction_factor)
            study = optuna.create_study(study_name=name, pruner=pruner)
            pruner._try_initialization(study)
            numbers = []
            for number in range(300):
                trial = optuna.trial.create_trial(value=0.0)
                trial.number = number
                numbers.append(pruner._get_bracket_id(study, trial))
            cases.append({
                "study_name": name, "min_resource": min_resource, "max_resource": max_resource,
                "reduction_factor": reduction_factor, "n_brackets": pruner._n_brackets, "brackets": numbers,
            })
    return cases


FAMILIES = {
    "percentile": percentile_plans,
    "successive_halving": successive_halving_plans,
    "hyperband": hyperband_plans,
    "threshold": threshold_plans,
    "patient": patient_plans,
    "wilcoxon": wilcoxon_plans,
}


def main() -> None:
    assert optuna.__version__ == "5.0.0", f"needs Optuna 5.0.0, found {optuna.__version__}"
    optuna.logging.set_verbosity(optuna.logging.ERROR)
    warnings.simplefilter("ignore")
    DATA.mkdir(exist_ok=True)
    for family, plans in FAMILIES.items():
        cases = [play(plan) for plan in plans()]
        n = sum(e["op"] == "report" for c in cases for e in c["events"])
        pruned = sum(e.get("prune", False) for c in cases for e in c["events"])
        (DATA / f"{family}.json").write_text(json.dumps({"optuna": optuna.__version__, "cases": cases}) + "\n")
        print(f"{family}: {len(cases)} histories, {n} decisions ({pruned} prune)", file=sys.stderr)
    (DATA / "brackets.json").write_text(json.dumps({"optuna": optuna.__version__, "cases": brackets()}) + "\n")


if __name__ == "__main__":
    main()
