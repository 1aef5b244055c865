"""Parameter importance: hpo against Optuna 5, compute time and agreement.

    python benchmarks/importance/run.py --optuna-python .venv-optuna/bin/python

Times ``get_param_importances`` on the same study (``_side.py``: six parameters of every kind) at
1,000 and 10,000 trials, with the default evaluator (PED-ANOVA) and ``FanovaImportanceEvaluator(seed=0)``;
each side runs in its own subprocess (Optuna with its own interpreter), one at a time. Then the
agreement: the Spearman rank correlation of the importances on those studies, and over the 29
studies Optuna rated in ``tests/importance/data/optuna_importances.json`` (the rule of
``tests/importance/test_importance_vs_optuna.py``: shares under 1% count as tied).
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import subprocess
import sys
import warnings
from pathlib import Path
from typing import Any

import numpy as np
from scipy.stats import spearmanr

HERE = Path(__file__).resolve().parent
RECORDED = HERE.parent.parent / "tests" / "importance" / "data" / "optuna_importances.json"
NOISE = 0.01


def side(python: str, lib: str, task: dict[str, Any], limit: float) -> dict[str, Any]:
    """The side's result; past ``limit`` wall seconds it is stopped: ``{"stopped_cpu": CPU seconds it used}``."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    try:
        done = subprocess.run(
            [python, str(HERE / "_side.py"), lib],
            input=json.dumps(task), capture_output=True, text=True, timeout=limit, check=True, cwd=HERE,
        )
    except subprocess.TimeoutExpired:  # subprocess.run has killed and reaped it: its CPU time is counted
        after = resource.getrusage(resource.RUSAGE_CHILDREN)
        return {"stopped_cpu": after.ru_utime + after.ru_stime - before.ru_utime - before.ru_stime}
    except subprocess.CalledProcessError as error:
        sys.exit(f"{lib} side failed:\n{error.stderr}")
    return json.loads(done.stdout)


def shares(importances: dict[str, float], names: list[str]) -> np.ndarray:
    values = np.array([importances[n] for n in names])
    values = values / values.sum() if values.sum() > 0 else np.full(len(values), 1 / len(values))
    return np.where(values < NOISE, 0.0, values)


def spearman(ours: dict[str, float], theirs: dict[str, float]) -> float:
    names = sorted(theirs)
    return float(spearmanr(shares(ours, names), shares(theirs, names)).statistic)


def max_difference(ours: dict[str, float], theirs: dict[str, float]) -> float:
    """Largest difference of normalized importances, in points of the total."""
    names = sorted(theirs)
    a = np.array([ours[n] for n in names]) / max(sum(ours.values()), 1e-300)
    b = np.array([theirs[n] for n in names]) / max(sum(theirs.values()), 1e-300)
    return float(np.max(np.abs(a - b)))


def timing(args: argparse.Namespace) -> str:
    lines = [
        "| evaluator | trials | hpo s (CPU) | Optuna s (CPU) | Optuna / hpo | Spearman | max diff |",
        "|---|---|---|---|---|---|---|",
    ]
    for evaluator in args.evaluators:
        for n in args.sizes:
            repeats = {"ped_anova": 5, "fanova": 3}[evaluator]
            ours = side(sys.executable, "hpo", {"evaluator": evaluator, "n_trials": n, "repeats": repeats}, args.limit)
            theirs = side(
                args.optuna_python, "optuna",
                {"evaluator": evaluator, "n_trials": n, "repeats": 1 if evaluator == "fanova" else repeats},
                args.limit,
            )
            assert "stopped_cpu" not in ours, f"hpo ran past {args.limit} s"
            hpo_s = float(np.median(ours["cpu"]))
            if "stopped_cpu" in theirs:
                used = theirs["stopped_cpu"]
                cells = f"> {used:.0f} (stopped after {args.limit:.0f} s wall) | > {used / hpo_s:.0f}x | | "
            else:
                optuna_s = float(np.median(theirs["cpu"]))
                rho = spearman(ours["importances"], theirs["importances"])
                diff = max_difference(ours["importances"], theirs["importances"])
                cells = f"{optuna_s:.3f} | {optuna_s / hpo_s:.1f}x | {rho:.3f} | {diff:.1e} "
            lines.append(f"| {evaluator} | {n:,} | {hpo_s:.3f} | {cells}|")
            print(lines[-1], file=sys.stderr, flush=True)
    return "\n".join(lines)


def agreement() -> str:
    """Spearman per evaluator over the recorded studies, hpo computed here."""
    import hpo
    from hpo.distributions import json_to_distribution
    from hpo.importance import (
        FanovaImportanceEvaluator,
        MeanDecreaseImpurityImportanceEvaluator,
        PedAnovaImportanceEvaluator,
    )
    from hpo.trial import create_trial

    hpo.logging.set_verbosity(hpo.logging.ERROR)
    warnings.simplefilter("ignore")
    evaluators = {
        "ped_anova": PedAnovaImportanceEvaluator,
        "fanova": lambda: FanovaImportanceEvaluator(seed=0),
        "mdi": lambda: MeanDecreaseImpurityImportanceEvaluator(seed=0),
    }
    targets = {
        "values[0]": lambda t: t.values[0],
        "values[1]": lambda t: t.values[1],
        "-values[0]": lambda t: -t.values[0],
    }
    record = json.loads(RECORDED.read_text())
    found: dict[str, list[tuple[float, float]]] = {name: [] for name in evaluators}
    for s in record["studies"]:
        dists = {key: json_to_distribution(d) for key, d in s["distributions"].items()}
        study = hpo.create_study(directions=s["directions"])
        study.add_trials(
            create_trial(
                params={key.split("#")[0]: v for key, v in t["params"].items()},
                distributions={key.split("#")[0]: dists[key] for key in t["params"]},
                values=t["values"],
            )
            for t in s["trials"]
        )
        for run in s["runs"]:
            ours = hpo.importance.get_param_importances(
                study,
                evaluator=evaluators[run["evaluator"]](),
                params=run["params"],
                target=targets[run["target"]] if run["target"] else None,
                normalize=False,
            )
            found[run["evaluator"]].append(
                (spearman(ours, run["importances"]), max_difference(ours, run["importances"]))
            )
    lines = [
        f"Over the {len(record['studies'])} recorded studies (Optuna {record['optuna']}, scikit-learn "
        f"{record['sklearn']} when recorded):\n",
        "| evaluator | studies | mean Spearman | min Spearman | max diff of normalized importances |",
        "|---|---|---|---|---|",
    ]
    for name, pairs in found.items():
        rhos, diffs = np.array([p[0] for p in pairs]), np.array([p[1] for p in pairs])
        lines.append(f"| {name} | {len(pairs)} | {rhos.mean():.3f} | {rhos.min():.3f} | {diffs.max():.1e} |")
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument(
        "--optuna-python",
        default=os.environ.get("OPTUNA_PYTHON", ".venv-optuna/bin/python"),
        help="interpreter of a venv with optuna==5.0.0 and scikit-learn (default: $OPTUNA_PYTHON)",
    )
    parser.add_argument("--sizes", type=lambda s: [int(x) for x in s.split(",")], default=[1000, 10000])
    parser.add_argument("--evaluators", type=lambda s: s.split(","), default=["ped_anova", "fanova"])
    parser.add_argument("--limit", type=float, default=3600.0, help="seconds allowed per side and task")
    args = parser.parse_args()
    args.optuna_python = os.path.abspath(args.optuna_python) if os.sep in args.optuna_python else args.optuna_python
    print("### Compute time of get_param_importances (median CPU seconds; one Optuna fANOVA run)\n")
    print(timing(args))
    print()
    print(agreement())


if __name__ == "__main__":
    main()
