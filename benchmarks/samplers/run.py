"""Benchmark hpo's samplers against Optuna's same-named samplers, on the same problems and seeds.

Optuna runs in its own interpreter (``--optuna-python``), never imported by hpo; each side runs
``_side.py`` in subprocesses, ``--jobs`` at a time. Modes:

- default: single-objective quality, median final regret per problem, win rate, log10 regret ratio;
- ``--multi-objective``: hypervolume after ``--mo-trials`` trials (ZDT1, ZDT2, constrained Binh-Korn);
- ``--timing``: CPU milliseconds per trial of ask + suggest + tell, 3 parameters, in memory.

Example: ``python benchmarks/samplers/run.py --optuna-python .venv-optuna/bin/python --samplers tpe``
"""

from __future__ import annotations

import argparse
import concurrent.futures
import json
import os
import subprocess
import sys
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

import problems  # noqa: E402

LIBS = ("hpo", "optuna")
EPSILON = 1e-8  # added to regrets before taking their ratio


def side(python: str, lib: str, mode: str, tasks: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Run ``tasks`` in one subprocess of ``python`` for ``lib``."""
    env = {**os.environ, "OMP_NUM_THREADS": "1", "OPENBLAS_NUM_THREADS": "1", "MKL_NUM_THREADS": "1"}
    done = subprocess.run(
        [python, str(HERE / "_side.py"), lib, mode],
        input=json.dumps(tasks),
        capture_output=True,
        text=True,
        cwd=HERE,
        env=env,
    )
    if done.returncode != 0:
        raise RuntimeError(f"The {lib} side failed ({python}):\n{done.stderr[-4000:]}")
    return json.loads(done.stdout)


def run_all(pythons: dict[str, str], mode: str, tasks: list[dict[str, Any]], jobs: int) -> list[dict[str, Any]]:
    """Run every task, in chunks of a few tasks per subprocess (interpreter start-up is paid per chunk)."""
    chunks = []
    for lib in LIBS:
        mine = [t for t in tasks if t["lib"] == lib]
        size = max(1, min(8, len(mine) // (4 * jobs) or 1))
        chunks += [(lib, mine[i : i + size]) for i in range(0, len(mine), size)]
    chunks.sort(key=lambda c: c[0] != "optuna")  # the slower side first, for a better balance
    results: list[dict[str, Any]] = []
    with concurrent.futures.ThreadPoolExecutor(jobs) as pool:  # each thread drives one subprocess
        futures = [pool.submit(side, pythons[lib], lib, mode, chunk) for lib, chunk in chunks]
        for n, future in enumerate(concurrent.futures.as_completed(futures), 1):
            results += future.result()
            print(f"\r{n}/{len(futures)} chunks done", end="", file=sys.stderr, flush=True)
    print(file=sys.stderr)
    return results


def available(pythons: dict[str, str], wanted: Sequence[str]) -> list[str]:
    """The wanted samplers that exist on both sides."""
    both = set(side(pythons["hpo"], "hpo", "list", [])) & set(side(pythons["optuna"], "optuna", "list", []))
    skipped = [s for s in wanted if s not in both]
    if skipped:
        print(f"Skipped (missing on one side): {', '.join(skipped)}", file=sys.stderr)
    return [s for s in wanted if s in both]


def against(tasks: list[dict[str, Any]], optuna_sampler: str | None) -> list[dict[str, Any]]:
    """``tasks`` labeled with their hpo sampler; with ``optuna_sampler``, the Optuna side runs that one instead."""
    return [
        {**t, "label": t["sampler"], **({"sampler": optuna_sampler} if optuna_sampler and t["lib"] == "optuna" else {})}
        for t in tasks
    ]


def _score_table(
    results: list[dict[str, Any]],
    samplers: Sequence[str],
    names: Sequence[str],
    key: str,
    lower_is_better: bool,
    optuna_sampler: str | None = None,
) -> str:
    """Markdown: per problem the median score of each side, then win rate and median log10 ratio."""
    lines = []
    for sampler in samplers:
        label = "regret" if lower_is_better else "hypervolume"
        lines += [
            f"\n### {sampler}: median final {label} (hpo {sampler} vs Optuna {optuna_sampler or sampler})\n",
            "| problem | hpo | Optuna | hpo win rate | median log10(hpo/Optuna) | hpo wall s/run | Optuna wall s/run |",
            "|---|---|---|---|---|---|---|",
        ]
        all_wins, all_logs = [], []
        for name in names:
            by_lib = {
                lib: {r["seed"]: r for r in results if r["lib"] == lib and r["label"] == sampler and r["problem"] == name}
                for lib in LIBS
            }
            ours = np.array([by_lib["hpo"][s][key] for s in sorted(by_lib["hpo"])])
            theirs = np.array([by_lib["optuna"][s][key] for s in sorted(by_lib["optuna"])])
            # Every hpo run against every Optuna run of the problem; ties count half.
            better = ours[:, None] < theirs[None, :] if lower_is_better else ours[:, None] > theirs[None, :]
            wins = better + 0.5 * (ours[:, None] == theirs[None, :])
            logs = np.log10((np.abs(ours) + EPSILON) / (np.abs(theirs) + EPSILON))
            all_wins.append(wins.ravel())
            all_logs.append(logs)
            seconds = {lib: np.mean([r["seconds"] for r in by_lib[lib].values()]) for lib in LIBS}
            lines.append(
                f"| {name} | {np.median(ours):.4g} | {np.median(theirs):.4g} | {wins.mean():.0%} | "
                f"{np.median(logs):+.3f} | {seconds['hpo']:.2f} | {seconds['optuna']:.2f} |"
            )
        lines.append(
            f"| **overall** | | | **{np.concatenate(all_wins).mean():.0%}** | "
            f"**{np.median(np.concatenate(all_logs)):+.3f}** | | |"
        )
    return "\n".join(lines)


def quality(pythons: dict[str, str], args: argparse.Namespace, samplers: list[str]) -> str:
    names = args.problems or list(problems.SINGLE_OBJECTIVE)
    tasks = [
        {"lib": lib, "sampler": s, "problem": p, "seed": seed, "n_trials": args.n_trials}
        for lib in LIBS
        for s in samplers
        for p in names
        for seed in range(args.seed_offset, args.seed_offset + args.seeds)
    ]
    results = run_all(pythons, "quality", against(tasks, args.optuna_sampler), args.jobs)
    return _score_table(results, samplers, names, "regret", lower_is_better=True, optuna_sampler=args.optuna_sampler)


def multi_objective(pythons: dict[str, str], args: argparse.Namespace, samplers: list[str]) -> str:
    names = args.problems or list(problems.MULTI_OBJECTIVE)
    tasks = [
        {"lib": lib, "sampler": s, "problem": p, "seed": seed, "n_trials": args.mo_trials}
        for lib in LIBS
        for s in samplers
        for p in names
        for seed in range(args.seed_offset, args.seed_offset + args.seeds)
    ]
    results = run_all(pythons, "multi", against(tasks, args.optuna_sampler), args.jobs)
    return _score_table(
        results, samplers, names, "hypervolume", lower_is_better=False, optuna_sampler=args.optuna_sampler
    )


def timing(pythons: dict[str, str], args: argparse.Namespace, samplers: list[str]) -> str:
    """One study per side and sampler, run one at a time so that they do not slow each other down."""
    marks = sorted({m for m in (100, 1000, 5000) if m <= args.timing_max_trials} | {args.timing_max_trials})
    lines = [
        "\n### CPU milliseconds per trial (ask + 3 suggests + tell, in memory; mean of the last "
        "min(50, n/10) trials before n)\n",
        "| sampler | " + " | ".join(f"hpo @{m} | Optuna @{m} | ratio @{m}" for m in marks) + " |",
        "|---" * (1 + 3 * len(marks)) + "|",
    ]
    for sampler in samplers:
        ms = {}
        for lib in LIBS:
            task = {"lib": lib, "sampler": sampler, "seed": 0, "n_trials": args.timing_max_trials}
            (result,) = side(pythons[lib], lib, "timing", [task])
            ms[lib] = [float(np.mean(result["cpu_ms"][m - min(50, m // 10) : m])) for m in marks]
        cells = [f"{h:.2f} | {o:.2f} | {h / o:.2f}x" for h, o in zip(ms["hpo"], ms["optuna"])]
        lines.append(f"| {sampler} | " + " | ".join(cells) + " |")
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--optuna-python", required=True, help="interpreter of a venv with optuna==5.0.0")
    parser.add_argument("--samplers", default="tpe", help="comma-separated: tpe,cmaes,gp,random,qmc,nsga2")
    parser.add_argument(
        "--optuna-sampler", help="Optuna sampler to run against each hpo sampler (e.g. tpe against gp); quality modes"
    )
    parser.add_argument("--problems", type=lambda s: s.split(","), help="comma-separated problem names")
    parser.add_argument("--seeds", type=int, default=10)
    parser.add_argument("--seed-offset", type=int, default=0, help="first seed (default 0): checks on unseen seeds")
    parser.add_argument("--n-trials", type=int, default=100)
    parser.add_argument("--jobs", type=int, default=2, help="subprocesses at a time")
    parser.add_argument("--multi-objective", action="store_true", help="hypervolume mode")
    parser.add_argument("--mo-trials", type=int, default=200)
    parser.add_argument("--timing", action="store_true", help="time per trial mode")
    parser.add_argument("--timing-max-trials", type=int, default=5000)
    args = parser.parse_args()

    # A relative path is made absolute: the sides run with the benchmark folder as working directory.
    optuna_python = os.path.abspath(args.optuna_python) if os.sep in args.optuna_python else args.optuna_python
    pythons = {"hpo": sys.executable, "optuna": optuna_python}
    samplers = available(pythons, [s.strip() for s in args.samplers.split(",") if s.strip()])
    start = time.perf_counter()
    if args.timing:
        table = timing(pythons, args, samplers)
    elif args.multi_objective:
        table = multi_objective(pythons, args, samplers)
    else:
        table = quality(pythons, args, samplers)
    print(table)
    print(f"\nCommand: python {' '.join(sys.argv)}\nWall time: {time.perf_counter() - start:.0f} s")


if __name__ == "__main__":
    main()
