"""NSGA-III quality: hpo's ``NSGAIIISampler`` against Optuna 5's on DTLZ2 with 3 and 4 objectives.

    python benchmarks/nsga3/run.py [--seeds 10] [--trials 1500] [--population 50] [--figure nsga3.png]

Both samplers run with their defaults (uniform crossover, reference points of dividing parameter
3) at the same population and budget, on the same seeds, each library in its own interpreter
(``OPTUNA_PYTHON``, default ``.venv-optuna/bin/python``). Prints, for each problem and budget, the
median (and quartiles) over seeds of the hypervolume of every trial so far (reference point 1.1
per objective; the true front's is 1.1^m minus the sphere's orthant: 0.8074 for 3 objectives,
1.1557 for 4), and draws the medians against trials when ``--figure`` is given.
"""

from __future__ import annotations

import argparse
import json
import os
import pathlib
import subprocess
import sys
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import numpy as np

HERE = pathlib.Path(__file__).resolve().parent
ROOT = HERE.parent.parent
LIBS = {"hpo": sys.executable, "optuna": os.environ.get("OPTUNA_PYTHON", str(ROOT / ".venv-optuna" / "bin" / "python"))}
REFERENCE = 1.1


def _side(python: str, mode: str, payload: Any) -> Any:
    done = subprocess.run(
        [python, str(HERE / "_side.py"), mode], input=json.dumps(payload), capture_output=True, text=True, check=False
    )
    if done.returncode:
        raise RuntimeError(f"{python} _side.py {mode} failed:\n{done.stderr[-3000:]}")
    return json.loads(done.stdout)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--seeds", type=int, default=10)
    parser.add_argument("--trials", type=int, default=1500)
    parser.add_argument("--population", type=int, default=50)
    parser.add_argument("--objectives", type=int, nargs="+", default=[3, 4])
    parser.add_argument("--jobs", type=int, default=2, help="side processes at once")
    parser.add_argument("--figure", type=pathlib.Path, help="PNG of the median hypervolume against trials")
    args = parser.parse_args()

    tasks = [
        {"objectives": m, "seed": seed, "trials": args.trials, "population": args.population}
        for m in args.objectives
        for seed in range(args.seeds)
    ]
    jobs = [(lib, task) for lib in LIBS for task in tasks]
    with ThreadPoolExecutor(args.jobs) as pool:
        histories = list(pool.map(lambda job: _side(LIBS[job[0]], job[0], [job[1]])[0], jobs))

    budgets = sorted({*range(args.population * 5, args.trials + 1, args.population * 5), args.trials})
    curves: dict[tuple[str, int], np.ndarray] = {}  # (lib, objectives) -> (seed, budget) hypervolumes
    for m in args.objectives:
        for lib in LIBS:
            sets = [values[:budget] for (name, task), values in zip(jobs, histories)
                    if name == lib and task["objectives"] == m for budget in budgets]
            volumes = _side(LIBS["optuna"], "hv", {"reference": [REFERENCE] * m, "sets": sets})
            curves[lib, m] = np.array(volumes).reshape(args.seeds, len(budgets))

    print(f"DTLZ2, population {args.population}, {args.seeds} seeds: hypervolume (ref {REFERENCE}), median [q1, q3]")
    for m in args.objectives:
        print(f"\n{m} objectives ({m + 9} variables)")
        print(f"{'trials':>7}  {'hpo':>26}  {'Optuna 5':>26}")
        for j, budget in enumerate(budgets):
            cells = []
            for lib in LIBS:
                q1, median, q3 = np.percentile(curves[lib, m][:, j], [25, 50, 75])
                cells.append(f"{median:.4f} [{q1:.4f}, {q3:.4f}]")
            print(f"{budget:>7}  {cells[0]:>26}  {cells[1]:>26}")
    if args.figure:
        _draw(args.figure, budgets, curves, args.objectives, args.seeds)


def _draw(path: pathlib.Path, budgets: list[int], curves: dict[tuple[str, int], np.ndarray],
          objectives: list[int], seeds: int) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, axes = plt.subplots(1, len(objectives), figsize=(5 * len(objectives), 4), squeeze=False)
    for ax, m in zip(axes[0], objectives):
        for lib, label in (("hpo", "hpo NSGAIIISampler"), ("optuna", "Optuna 5 NSGAIIISampler")):
            q1, median, q3 = np.percentile(curves[lib, m], [25, 50, 75], axis=0)
            ax.plot(budgets, median, marker="o", label=label)
            ax.fill_between(budgets, q1, q3, alpha=0.2)
        ax.set_title(f"DTLZ2, {m} objectives (median, IQR over {seeds} seeds)")
        ax.set_xlabel("trials")
        ax.set_ylabel("hypervolume (reference 1.1)")
        ax.legend()
    fig.tight_layout()
    fig.savefig(path, dpi=100)
    print(f"\nfigure: {path}")


if __name__ == "__main__":
    main()
