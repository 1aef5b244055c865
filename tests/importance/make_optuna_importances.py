"""Record Optuna 5's parameter importances on varied studies, as test data for ``hpo.importance``.

Run with the Python of a separate environment that has Optuna 5.0.0 and scikit-learn (never hpo's)::

    python3 -m venv .venv-optuna && .venv-optuna/bin/pip install optuna==5.0.0 scikit-learn
    .venv-optuna/bin/python tests/importance/make_optuna_importances.py

Each study runs an objective whose important parameters are known (float, log, stepped, int,
log-int, categorical, conditional and dynamic parameters; one to three objectives; 50 to 300
trials; random or TPE sampling, fixed seeds). Its COMPLETE trials are stored with their
distributions, floats rounded to 7 significant digits; the trials are then loaded back from that
record into a fresh Optuna study (``create_trial`` + ``add_trials``, as the test does for hpo) and
each evaluator's importances (not normalized) are stored with the settings that made them, in
``data/optuna_importances.json``. ``test_importance_vs_optuna.py`` compares hpo with them.
"""

from __future__ import annotations

import json
import math
import sys
import warnings
from collections.abc import Callable
from pathlib import Path
from typing import Any

import optuna
import sklearn
from optuna.distributions import distribution_to_json, json_to_distribution

DATA = Path(__file__).parent / "data" / "optuna_importances.json"
EVALUATORS = {
    "ped_anova": lambda: optuna.importance.PedAnovaImportanceEvaluator(),
    "fanova": lambda: optuna.importance.FanovaImportanceEvaluator(seed=0),
    "mdi": lambda: optuna.importance.MeanDecreaseImpurityImportanceEvaluator(seed=0),
}
#: Targets by name (the test has the same table): a study's value(s) seen from one side.
TARGETS: dict[str, Callable[[optuna.trial.FrozenTrial], float]] = {
    "values[0]": lambda t: t.values[0],
    "values[1]": lambda t: t.values[1],
    "-values[0]": lambda t: -t.values[0],
}
Objective = Callable[[optuna.Trial], Any]


# --- objectives: the comments say which parameters matter ---------------------------------------
def quadratic(t: optuna.Trial) -> float:  # x >> y >> z, w is noise
    x, y, z = (t.suggest_float(n, -5, 5) for n in "xyz")
    t.suggest_float("w", -5, 5)
    return 10 * x**2 + 2 * y**2 + 0.3 * z**2


def training(t: optuna.Trial) -> float:  # lr (log) >> momentum > batch_size (log-int)
    lr = t.suggest_float("lr", 1e-5, 1e-1, log=True)
    momentum = t.suggest_float("momentum", 0.0, 0.99)
    batch = t.suggest_int("batch_size", 16, 512, log=True)
    return (math.log10(lr) + 3) ** 2 + 2 * (momentum - 0.9) ** 2 + 0.1 * abs(math.log2(batch) - 6)


def layers(t: optuna.Trial) -> float:  # n_layers (int) >> dropout (stepped) > units (step 16)
    n = t.suggest_int("n_layers", 1, 8)
    dropout = t.suggest_float("dropout", 0.0, 0.5, step=0.1)
    units = t.suggest_int("units", 16, 256, step=16)
    return (n - 3) ** 2 + 4 * (dropout - 0.2) ** 2 + 1e-5 * (units - 128) ** 2


def optimizer(t: optuna.Trial) -> float:  # optimizer (categorical) >> lr > weight_decay
    opt = t.suggest_categorical("optimizer", ["adam", "sgd", "rmsprop"])
    lr = t.suggest_float("lr", 1e-4, 1.0, log=True)
    wd = t.suggest_float("weight_decay", 0.0, 0.1)
    return {"adam": 0.0, "sgd": 5.0, "rmsprop": 2.0}[opt] + abs(math.log10(lr) + 2) + 3 * wd


def mixed_choices(t: optuna.Trial) -> float:  # k (int choices) >> flag (bool) > mode (None/str)
    k = t.suggest_categorical("k", [1, 2, 4, 8])
    flag = t.suggest_categorical("flag", [True, False])
    mode = t.suggest_categorical("mode", [None, "fast", "slow"])
    x = t.suggest_float("x", 0, 1)
    return 3 * math.log2(k) + (1.5 if flag else 0.0) + (0.4 if mode == "slow" else 0.0) + 0.05 * x


def conditional(t: optuna.Trial) -> float:  # model > its own parameters; a shared x matters a little
    model = t.suggest_categorical("model", ["svm", "forest"])
    x = t.suggest_float("x", 0, 1)
    if model == "svm":
        c = t.suggest_float("svm_c", 1e-3, 1e3, log=True)
        return 1.0 + abs(math.log10(c)) + 0.5 * x
    depth = t.suggest_int("forest_depth", 2, 32)
    return 0.2 * abs(depth - 10) + 0.5 * x


def dynamic(t: optuna.Trial) -> float:  # lr comes from a different range per model (two regimes)
    model = t.suggest_categorical("model", ["small", "large"])
    low, high = (1e-4, 1e-1) if model == "small" else (1e-5, 1e-2)
    lr = t.suggest_float("lr", low, high, log=True)
    y = t.suggest_float("y", -1, 1)
    return (math.log10(lr) + 3) ** 2 + 0.3 * y**2 + (0.5 if model == "large" else 0.0)


def accuracy(t: optuna.Trial) -> float:  # maximized: depth >> rate > seed-like noise param
    depth = t.suggest_int("depth", 1, 12)
    rate = t.suggest_float("rate", 0.01, 0.3)
    t.suggest_int("noise", 0, 100)
    return 0.95 - 0.01 * (depth - 7) ** 2 - 0.5 * (rate - 0.1) ** 2


def geometric(t: optuna.Trial) -> float:  # p0 > p1 > ... > p7, each half the weight of the last
    return sum(2.0 ** -i * t.suggest_float(f"p{i}", -1, 1) ** 2 for i in range(8))


def branin(t: optuna.Trial) -> float:  # x1 and x2, plus two noise parameters
    x1, x2 = t.suggest_float("x1", -5, 10), t.suggest_float("x2", 0, 15)
    t.suggest_float("noise_a", 0, 1)
    t.suggest_int("noise_b", 0, 10)
    b, c = 5.1 / (4 * math.pi**2), 5 / math.pi
    return (x2 - b * x1**2 + c * x1 - 6) ** 2 + 10 * (1 - 1 / (8 * math.pi)) * math.cos(x1) + 10


def rosenbrock(t: optuna.Trial) -> float:
    x = [t.suggest_float(f"x{i}", -2, 2) for i in range(4)]
    return sum(100 * (x[i + 1] - x[i] ** 2) ** 2 + (1 - x[i]) ** 2 for i in range(3))


def interaction(t: optuna.Trial) -> float:  # a*b is a pure interaction; c alone matters less
    a, b, c = (t.suggest_float(n, -1, 1) for n in "abc")
    return 5 * a * b + c**2


def noisy(t: optuna.Trial) -> float:  # x matters, y a little, plus noise from a hidden stream
    x, y = t.suggest_float("x", -3, 3), t.suggest_float("y", -3, 3)
    return x**2 + 0.3 * y**2 + 0.5 * math.sin(97.0 * t.number)


def with_infinities(t: optuna.Trial) -> float:  # every 7th trial is +inf: skipped by every evaluator
    x, y = t.suggest_float("x", 0, 1), t.suggest_float("y", 0, 1)
    return math.inf if t.number % 7 == 3 else 3 * x + y


def with_single(t: optuna.Trial) -> float:  # a constant parameter (one value, one choice) rates 0
    x = t.suggest_float("x", -2, 2)
    t.suggest_float("fixed", 1.0, 1.0)
    t.suggest_categorical("only", ["one"])
    y = t.suggest_int("y", 0, 4)
    return x**2 + 0.2 * y


def many_choices(t: optuna.Trial) -> float:  # 8 choices, one clearly best, against a float
    c = t.suggest_categorical("color", ["red", "orange", "yellow", "green", "blue", "indigo", "violet", "black"])
    x = t.suggest_float("x", 0, 1)
    return (0.0 if c == "green" else 1.0 + 0.1 * len(c)) + 0.3 * x


def log_int(t: optuna.Trial) -> float:  # n_estimators (log-int) >> max_leaves (log-int) > subsample
    n = t.suggest_int("n_estimators", 10, 2000, log=True)
    leaves = t.suggest_int("max_leaves", 2, 256, log=True)
    s = t.suggest_float("subsample", 0.5, 1.0)
    return abs(math.log(n / 300)) + 0.3 * abs(math.log(leaves / 31)) + 0.2 * s


def hartmann6(t: optuna.Trial) -> float:
    alpha = [1.0, 1.2, 3.0, 3.2]
    a = [[10, 3, 17, 3.5, 1.7, 8], [0.05, 10, 17, 0.1, 8, 14], [3, 3.5, 1.7, 10, 17, 8], [17, 8, 0.05, 10, 0.1, 14]]
    p = [
        [0.1312, 0.1696, 0.5569, 0.0124, 0.8283, 0.5886],
        [0.2329, 0.4135, 0.8307, 0.3736, 0.1004, 0.9991],
        [0.2348, 0.1451, 0.3522, 0.2883, 0.3047, 0.6650],
        [0.4047, 0.8828, 0.8732, 0.5743, 0.1091, 0.0381],
    ]
    x = [t.suggest_float(f"x{i}", 0, 1) for i in range(6)]
    return -sum(alpha[i] * math.exp(-sum(a[i][j] * (x[j] - p[i][j]) ** 2 for j in range(6))) for i in range(4))


def two_objectives(t: optuna.Trial) -> tuple[float, float]:  # x drives the first, y the second
    x, y, z = t.suggest_float("x", 0, 1), t.suggest_float("y", 0, 1), t.suggest_float("z", 0, 1)
    return x + 0.1 * z, (1 - x) * 0.2 + y**2


def three_objectives(t: optuna.Trial) -> tuple[float, float, float]:  # DTLZ2-like, a, b, then noise c
    a, b, c = t.suggest_float("a", 0, 1), t.suggest_float("b", 0, 1), t.suggest_float("c", 0, 1)
    g = (c - 0.5) ** 2
    return (
        (1 + g) * math.cos(a * math.pi / 2) * math.cos(b * math.pi / 2),
        (1 + g) * math.cos(a * math.pi / 2) * math.sin(b * math.pi / 2),
        (1 + g) * math.sin(a * math.pi / 2),
    )


def mixed_objectives(t: optuna.Trial) -> tuple[float, float]:  # maximize accuracy, minimize size
    width = t.suggest_int("width", 8, 512, log=True)
    act = t.suggest_categorical("activation", ["relu", "tanh", "gelu"])
    dropout = t.suggest_float("dropout", 0.0, 0.5)
    acc = 0.9 - 0.1 / math.log2(width) - (0.05 if act == "tanh" else 0.0) - 0.2 * (dropout - 0.1) ** 2
    return acc, width * (1.2 if act == "gelu" else 1.0)


# --- the studies ---------------------------------------------------------------------------------
def spec(name: str, objective: Objective, n_trials: int, *, sampler: str = "random", seed: int = 0,
         directions: tuple[str, ...] = ("minimize",), runs: list[dict[str, Any]] | None = None) -> dict[str, Any]:
    """A study to record; ``runs`` (evaluator, target, params) default to every evaluator on the value."""
    if runs is None:
        runs = [{"evaluator": e, "target": None, "params": None} for e in EVALUATORS]
    return {"name": name, "objective": objective, "n_trials": n_trials, "sampler": sampler, "seed": seed,
            "directions": list(directions), "runs": runs}


def runs_for(target: str | None, ped_target: str | None, params: list[str] | None = None) -> list[dict[str, Any]]:
    """One run per evaluator: PED-ANOVA with ``ped_target``, the forests with ``target``."""
    return [
        {"evaluator": e, "target": ped_target if e == "ped_anova" else target, "params": params} for e in EVALUATORS
    ]


SPECS = [
    spec("quadratic", quadratic, 100),
    spec("quadratic_tpe", quadratic, 200, sampler="tpe", seed=1),
    spec("training", training, 150, seed=2),
    spec("layers", layers, 120, seed=3),
    spec("optimizer", optimizer, 150, seed=4),
    spec("mixed_choices", mixed_choices, 120, seed=5),
    spec("conditional", conditional, 200, seed=6),
    spec("conditional_params", conditional, 150, seed=7, runs=runs_for(None, None, ["model", "x"])),
    spec("dynamic", dynamic, 200, seed=8),
    spec("accuracy_max", accuracy, 100, seed=9, directions=("maximize",)),
    spec("geometric", geometric, 300, seed=10),
    spec("geometric_subset", geometric, 200, seed=11, runs=runs_for(None, None, ["p0", "p2", "p5"])),
    spec("small", quadratic, 50, seed=12),
    spec("branin", branin, 200, seed=13),
    spec("branin_tpe", branin, 150, sampler="tpe", seed=14),
    spec("rosenbrock", rosenbrock, 250, seed=15),
    spec("interaction", interaction, 200, seed=16),
    spec("noisy", noisy, 150, seed=17),
    spec("with_infinities", with_infinities, 100, seed=18),
    spec("with_single", with_single, 100, seed=19),
    spec("many_choices", many_choices, 200, seed=20),
    spec("log_int", log_int, 150, seed=21),
    spec("log_int_negated_target", log_int, 100, seed=22, runs=runs_for("-values[0]", "-values[0]")),
    spec("hartmann6", hartmann6, 300, seed=23),
    spec("training_tpe", training, 200, sampler="tpe", seed=24),
    spec("two_objectives_front", two_objectives, 150, seed=25, directions=("minimize", "minimize"),
         runs=runs_for("values[1]", None)),
    spec("two_objectives_target", two_objectives, 150, seed=26, directions=("minimize", "minimize"),
         runs=runs_for("values[0]", "values[0]")),
    spec("three_objectives_front", three_objectives, 200, seed=27, directions=("minimize",) * 3,
         runs=runs_for("values[0]", None)),
    spec("mixed_objectives_front", mixed_objectives, 150, seed=28, directions=("maximize", "minimize"),
         runs=runs_for("values[1]", None)),
]


def _round(x: float) -> float:
    return float(f"{x:.7g}") if math.isfinite(x) else x


def _record_trials(study: optuna.Study) -> tuple[dict[str, str], list[dict[str, Any]]]:
    """Distributions (by key, one per distinct distribution of a name) and the COMPLETE trials."""
    dists: dict[str, str] = {}
    keys: dict[tuple[str, str], str] = {}
    trials = []
    for t in study.get_trials(states=(optuna.trial.TrialState.COMPLETE,)):
        params = {}
        for name, value in t.params.items():
            dist = t.distributions[name]
            as_json = distribution_to_json(dist)
            key = keys.get((name, as_json))
            if key is None:
                key = keys[(name, as_json)] = name if name not in dists else f"{name}#{len(keys)}"
                dists[key] = as_json
            if isinstance(dist, optuna.distributions.FloatDistribution) and dist.step is None:
                value = min(max(_round(value), dist.low), dist.high)
            params[key] = value
        trials.append({"params": params, "values": [_round(v) for v in t.values]})
    return dists, trials


def load(record: dict[str, Any]) -> optuna.Study:
    """A fresh Optuna study holding the recorded trials (the test loads hpo the same way)."""
    dists = {key: json_to_distribution(d) for key, d in record["distributions"].items()}
    study = optuna.create_study(directions=record["directions"])
    study.add_trials(
        optuna.trial.create_trial(
            params={key.split("#")[0]: v for key, v in t["params"].items()},
            distributions={key.split("#")[0]: dists[key] for key in t["params"]},
            values=t["values"],
        )
        for t in record["trials"]
    )
    return study


def make(s: dict[str, Any]) -> dict[str, Any]:
    sampler = (optuna.samplers.TPESampler if s["sampler"] == "tpe" else optuna.samplers.RandomSampler)(seed=s["seed"])
    study = optuna.create_study(directions=s["directions"], sampler=sampler)
    study.optimize(s["objective"], n_trials=s["n_trials"])
    dists, trials = _record_trials(study)
    record = {"name": s["name"], "directions": s["directions"], "distributions": dists, "trials": trials}
    loaded = load(record)
    runs = []
    for run in s["runs"]:
        target = TARGETS[run["target"]] if run["target"] else None
        importances = optuna.importance.get_param_importances(
            loaded, evaluator=EVALUATORS[run["evaluator"]](), params=run["params"], target=target, normalize=False
        )
        runs.append({**run, "importances": {k: float(v) for k, v in importances.items()}})
    return {**record, "runs": runs}


def main() -> None:
    optuna.logging.set_verbosity(optuna.logging.ERROR)
    warnings.simplefilter("ignore")
    studies = [make(s) for s in SPECS]
    DATA.parent.mkdir(exist_ok=True)
    out = {"optuna": optuna.__version__, "sklearn": sklearn.__version__, "studies": studies}
    DATA.write_text(json.dumps(out, separators=(",", ":")) + "\n")
    print(f"{len(studies)} studies, {sum(len(s['trials']) for s in studies)} trials -> {DATA}", file=sys.stderr)


if __name__ == "__main__":
    main()
