"""Pruning benchmark: hpo's pruners against Optuna 5's same-named pruners on real learning curves.

Three sides run the same objectives (``curves.py``) with ``TPESampler(seed=s)``:

- ``hpo``: in-process ``study.optimize`` (n_jobs=1), in subprocesses of this interpreter;
- ``optuna``: the same with Optuna, in subprocesses of ``--optuna-python`` (never imported by hpo);
- ``distributed``: hpo on a local stack (embedded Redis, coordinator, one Celery worker with
  ``--slots`` slots), studies submitted one after another with ``hpo.submit_study``.

A fourth, ``replay``, feeds each in-process hpo study's history to Optuna's same pruner, report by
report, and counts the ``should_prune()`` answers that differ from hpo's.

For each task and pruner it prints the total steps reported over all trials and the best COMPLETE
value (median over seeds, with min and max), then PASS/MISS per target of issue 12. A verdict
"hpo no worse than X" is PASS when hpo's median is lower or equal, TIE (counted as met) when it is
higher but a one-sided Mann-Whitney U test over the seeds does not find hpo's values larger at
p < 0.05, MISS otherwise.

Example: ``python benchmarks/pruning/run.py --trials 20 --seeds 2`` (the full run: no flags;
``--results FILE`` keeps every finished study in FILE and skips it when run again).
"""

from __future__ import annotations

import argparse
import concurrent.futures
import json
import math
import os
import pathlib
import shutil
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from collections.abc import Callable, Iterable
from typing import Any

import numpy as np
from scipy import stats

HERE = pathlib.Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

import _side  # noqa: E402
import curves  # noqa: E402

import hpo  # noqa: E402
from hpo.distributed.local_stack import LocalStack  # noqa: E402

SIDES = ("hpo", "optuna", "replay", "distributed")
#: The sides that run studies, as the table names them.
SIDE_NAMES = {"hpo": "hpo", "optuna": "Optuna", "distributed": "hpo 8 slots"}
#: The interpreter (by library) and the mode of ``_side.py`` that run an in-process side.
IN_PROCESS = {"hpo": ("hpo", "run"), "optuna": ("optuna", "run"), "replay": ("optuna", "replay")}
ONE_THREAD = {"OMP_NUM_THREADS": "1", "OPENBLAS_NUM_THREADS": "1", "MKL_NUM_THREADS": "1"}
ALPHA = 0.05  # the Mann-Whitney U test's level for "worse beyond seed noise"
BEST_CONFIG_MAX_STEPS = 0.30  # of Nop's
DISTRIBUTED_MAX_STEPS = 1.15  # of the in-process figure

Spec = dict[str, Any]
Key = tuple[str, str, str, int, int]


def key(spec: Spec) -> Key:
    """What identifies a study's result: side, task, pruner, seed, number of trials."""
    return spec["side"], spec["task"], spec["pruner"], spec["seed"], spec["n_trials"]


def pruners_for(task: curves.Task, side: str) -> list[str]:
    """Wilcoxon (and Nop) on per-instance steps, every other pruner on learning curves."""
    names = ["nop", "wilcoxon"] if task.threshold_upper is None else [p for p in _side.PRUNERS if p != "wilcoxon"]
    return [p for p in names if side not in ("optuna", "replay") or p not in _side.HPO_ONLY]


def plan(args: argparse.Namespace) -> list[Spec]:
    """Every study the arguments ask for, side by side."""
    return [
        {
            "side": side,
            "task": task,
            "pruner": pruner,
            "seed": seed,
            "n_trials": args.trials,
            "study_name": f"{task}-{pruner}-seed{seed}",
        }
        for side in args.sides
        for task in args.tasks
        for seed in range(args.seed_offset, args.seed_offset + args.seeds)
        for pruner in pruners_for(curves.TASKS[task], side)
        if pruner in args.pruners
    ]


class Results:
    """Finished studies, appended to a JSON-lines file (when given) as they come."""

    def __init__(self, path: pathlib.Path | None) -> None:
        self._path = path
        self._lock = threading.Lock()
        self.by_key: dict[Key, Spec] = {}
        if path is not None and path.exists():
            for line in path.read_text().splitlines():
                result = json.loads(line)
                self.by_key[key(result)] = result

    def add(self, result: Spec) -> None:
        with self._lock:
            self.by_key[key(result)] = result
            if self._path is not None:
                with self._path.open("a") as out:
                    out.write(json.dumps(result) + "\n")
            what = (
                f"{len(result['differ'])} of {result['decisions']} answers differ"
                if result["side"] == "replay"
                else f"steps {result['steps']}, best {result['best']}"
            )
            print(
                f"{len(self.by_key):4d} {result['side']:11s} {result['task']:16s} {result['pruner']:18s} "
                f"seed {result['seed']}: {what}, {result['seconds']:.0f} s, load {result['load']:.1f}",
                file=sys.stderr,
                flush=True,
            )


def run_side(python: str, side: str, specs: list[Spec], results: Results) -> None:
    """One subprocess of ``python`` runs ``specs`` in-process, one result line per study."""
    lib, mode = IN_PROCESS[side]
    process = subprocess.Popen(
        [python, str(HERE / "_side.py"), lib, mode],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
        cwd=HERE,
        env={**os.environ, **ONE_THREAD},
    )
    assert process.stdin is not None and process.stdout is not None
    process.stdin.write(json.dumps(specs))
    process.stdin.close()
    for line in process.stdout:
        results.add({**json.loads(line), "side": side})
    if process.wait() != 0:
        raise RuntimeError(f"The {side} side ({python}) exited with code {process.returncode}.")


def run_in_process(pythons: dict[str, str], specs: list[Spec], jobs: int, results: Results) -> None:
    """``jobs`` subprocesses at a time, each running one (side, task, seed)'s pruners; ``pythons`` by library."""
    chunks: dict[tuple[str, str, int], list[Spec]] = {}
    for spec in specs:
        chunks.setdefault((spec["side"], spec["task"], spec["seed"]), []).append(spec)
    with concurrent.futures.ThreadPoolExecutor(jobs) as pool:
        futures = [
            pool.submit(run_side, pythons[IN_PROCESS[side][0]], side, chunk, results)
            for (side, _, _), chunk in chunks.items()
        ]
        for future in concurrent.futures.as_completed(futures):
            future.result()


def run_distributed(specs: list[Spec], slots: int, results: Results) -> None:
    """One local stack with one worker of ``slots`` slots; the studies run one after another."""
    if not specs:
        return
    workdir = pathlib.Path(tempfile.mkdtemp(prefix="hpo-pruning-"))
    # The stack's state file goes to a folder of its own, never over an `hpo run` of the user's.
    os.environ.update(ONE_THREAD, HPO_HOME=str(workdir / "home"))
    with LocalStack(
        storage_url=f"sqlite:///{workdir / 'hpo.db'}",
        n_workers=slots,
        objective_modules=["hpo_curves"],
        pythonpath=[str(HERE)],
        log_dir=str(workdir),
    ) as stack:
        for spec in specs:
            task = curves.TASKS[spec["task"]]
            start = time.perf_counter()
            study = hpo.submit_study(
                f"hpo_curves:{spec['task']}",
                n_trials=spec["n_trials"],
                study_name=f"pruning-{spec['task']}-{spec['pruner']}-{spec['seed']}-{uuid.uuid4().hex[:8]}",
                direction="minimize",
                sampler=hpo.samplers.TPESampler(seed=spec["seed"]),
                pruner=_side.make_pruner(hpo, spec["pruner"], task),
                broker_url=stack.broker_url,
                storage=stack.storage_url,
            ).wait(progress=False)
            seconds = time.perf_counter() - start
            results.add({**spec, **_side.summarize(study.trials, task.max_steps), "seconds": seconds})
    shutil.rmtree(workdir, ignore_errors=True)


def values(
    results: Results, side: str, task: str, pruner: str, seeds: Iterable[int], n_trials: int, field: str
) -> np.ndarray:
    """``field`` per seed (an empty array if a side did not run); no COMPLETE trial counts as +inf."""
    found = [results.by_key.get((side, task, pruner, seed, n_trials)) for seed in seeds]
    return np.array([math.inf if r[field] is None else r[field] for r in found if r is not None], dtype=float)


def verdict(ours: np.ndarray, theirs: np.ndarray) -> str:
    """PASS when our median is at most theirs, TIE when higher within seed noise, MISS otherwise."""
    if np.median(ours) <= np.median(theirs):
        return "PASS"
    if len(ours) < 2 or len(theirs) < 2:
        return "MISS"
    p_value = stats.mannwhitneyu(ours, theirs, alternative="greater").pvalue
    return "TIE" if p_value >= ALPHA else "MISS"


def met(word: str) -> bool:
    """A TIE counts as met."""
    return word in ("PASS", "TIE")


def spread(x: np.ndarray, fmt: Callable[[float], str]) -> str:
    """``median [min, max]``, or ``-`` when nothing ran."""
    return f"{fmt(float(np.median(x)))} [{fmt(float(x.min()))}, {fmt(float(x.max()))}]" if len(x) else "-"


class Report:
    """The table and the targets, from the results of one configuration (trials, seeds)."""

    def __init__(self, results: Results, args: argparse.Namespace) -> None:
        self.results = results
        self.args = args
        self.seeds = range(args.seed_offset, args.seed_offset + args.seeds)

    def get(self, side: str, task: str, pruner: str, field: str) -> np.ndarray:
        """``field`` of each seed's study."""
        return values(self.results, side, task, pruner, self.seeds, self.args.trials, field)

    def ratio(self, side: str, task: str, pruner: str) -> float:
        """Median steps over Nop's median steps, on the same side."""
        nop = self.get(side, task, "nop", "steps")
        ours = self.get(side, task, pruner, "steps")
        return float(np.median(ours) / np.median(nop)) if len(ours) and len(nop) else math.nan

    def nop_at_same_steps(self, task: str, pruner: str) -> np.ndarray:
        """Per seed, the best COMPLETE value of hpo's in-process Nop study among its first trials
        that together took no more steps than ``pruner``'s study: Nop on the same budget."""
        best = []
        max_steps = curves.TASKS[task].max_steps
        for seed in self.seeds:
            nop = self.results.by_key.get(("hpo", task, "nop", seed, self.args.trials))
            ours = self.results.by_key.get(("hpo", task, pruner, seed, self.args.trials))
            if nop is None or ours is None:
                continue
            first = nop["history"][: ours["steps"] // max_steps]
            best.append(min((t["value"] for t in first if t["state"] == "COMPLETE"), default=math.inf))
        return np.array(best, dtype=float)

    def table(self) -> str:
        """Markdown: per task and pruner, each side's median steps, steps over Nop's, best error, and
        the best error hpo's Nop reached on the same steps."""
        sides = [s for s in SIDE_NAMES if s in self.args.sides]
        names = [SIDE_NAMES[s] for s in sides]
        lines = [
            "| task | pruner | "
            + " | ".join(f"steps {n}" for n in names)
            + " | "
            + " | ".join(f"/ Nop {n}" for n in names)
            + " | "
            + " | ".join(f"best error {n}, median [min, max]" for n in names)
            + " | Nop on these steps (hpo) | stopped early (hpo) |",
            "|---|---|" + "---|" * (3 * len(sides) + 2),
        ]
        for task in self.args.tasks:
            for pruner in pruners_for(curves.TASKS[task], "hpo"):
                if pruner not in self.args.pruners:
                    continue
                steps = [self.get(s, task, pruner, "steps") for s in sides]
                errors = [self.get(s, task, pruner, "best") for s in sides]
                ratios = [self.ratio(s, task, pruner) for s in sides]
                stopped = self.get("hpo", task, pruner, "stopped")
                stopped_cell = f"{np.median(stopped):.0f}" if len(stopped) else "-"
                lines.append(
                    f"| {task} | {pruner} | "
                    + " | ".join(f"{np.median(x):.0f}" if len(x) else "-" for x in steps)
                    + " | "
                    + " | ".join("-" if math.isnan(r) else f"{r:.2f}" for r in ratios)
                    + " | "
                    + " | ".join(spread(x, lambda v: f"{v:.4f}") for x in errors)
                    + f" | {spread(self.nop_at_same_steps(task, pruner), lambda v: f'{v:.4f}')} | {stopped_cell} |"
                )
        return "\n".join(lines)

    def against_optuna(self) -> list[str]:
        """Target 1: each pruner in-process, steps and error no worse than Optuna's same pruner."""
        lines = []
        for task in self.args.tasks:
            for pruner in pruners_for(curves.TASKS[task], "optuna"):
                steps = [self.get(s, task, pruner, "steps") for s in ("hpo", "optuna")]
                errors = [self.get(s, task, pruner, "best") for s in ("hpo", "optuna")]
                if pruner not in self.args.pruners or not all(len(x) for x in steps):
                    continue
                a, b = verdict(*steps), verdict(*errors)
                lines.append(
                    f"{'PASS' if met(a) and met(b) else 'MISS'} in-process {task} {pruner}: steps {a} "
                    f"({np.median(steps[0]):.0f} vs Optuna {np.median(steps[1]):.0f}), best error {b} "
                    f"({np.median(errors[0]):.4f} vs {np.median(errors[1]):.4f})"
                )
        return lines

    def same_decisions(self) -> list[str]:
        """hpo's in-process answers against Optuna's same pruner's on the same histories."""
        lines = []
        for task in self.args.tasks:
            for pruner in pruners_for(curves.TASKS[task], "replay"):
                found = [
                    self.results.by_key.get(("replay", task, pruner, seed, self.args.trials)) for seed in self.seeds
                ]
                replays = [r for r in found if r is not None]
                if pruner not in self.args.pruners or not replays:
                    continue
                differ = [(r["seed"], d) for r in replays for d in r["differ"]]
                decisions = sum(r["decisions"] for r in replays)
                example = ""
                if differ:
                    seed, d = differ[0]
                    example = (
                        f", first: seed {seed} trial {d['trial']} step {d['step']}, hpo "
                        f"{'prunes' if d['hpo'] else 'goes on'}, Optuna {'prunes' if d['other'] else 'goes on'}"
                    )
                lines.append(
                    f"{'MISS' if differ else 'PASS'} same decisions {task} {pruner}: {len(differ)} of {decisions} "
                    f"should_prune() answers on hpo's histories differ from Optuna's{example}"
                )
        return lines

    def best_configuration(self) -> list[str]:
        """Target 2: per task, the hpo pruner with the fewest steps among those no worse than Nop."""
        lines = []
        good_everywhere: set[str] | None = None
        for task in self.args.tasks:
            nop = self.get("hpo", task, "nop", "best")
            if not len(nop):
                continue
            candidates = []
            for pruner in pruners_for(curves.TASKS[task], "hpo"):
                errors = self.get("hpo", task, pruner, "best")
                if pruner != "nop" and pruner in self.args.pruners and len(errors):
                    candidates.append((self.ratio("hpo", task, pruner), pruner, verdict(errors, nop)))
            if curves.TASKS[task].threshold_upper is not None:  # a learning curve
                good = {p for r, p, v in candidates if met(v) and r <= BEST_CONFIG_MAX_STEPS}
                good_everywhere = good if good_everywhere is None else good_everywhere & good
            fair = sorted(c for c in candidates if met(c[2]))
            if not fair:
                lines.append(f"MISS best configuration {task}: no pruner keeps Nop's best error")
                continue
            ratio, pruner, word = fair[0]
            lines.append(
                f"{'PASS' if ratio <= BEST_CONFIG_MAX_STEPS else 'MISS'} best configuration {task}: {pruner} at "
                f"{ratio:.2f} of Nop's steps, best error {word} against Nop "
                f"({np.median(self.get('hpo', task, pruner, 'best')):.4f} vs {np.median(nop):.4f})"
            )
        if good_everywhere:
            lines.append(f"PASS best configuration on every learning curve run: {', '.join(sorted(good_everywhere))}")
        return lines

    def distributed(self) -> list[str]:
        """Target 3: distributed steps within 15% of in-process, with an error no worse."""
        lines = []
        for task in self.args.tasks:
            for pruner in pruners_for(curves.TASKS[task], "hpo"):
                steps = [self.get(s, task, pruner, "steps") for s in ("distributed", "hpo")]
                errors = [self.get(s, task, pruner, "best") for s in ("distributed", "hpo")]
                if pruner not in self.args.pruners or not all(len(x) for x in steps):
                    continue
                ratio = float(np.median(steps[0]) / np.median(steps[1]))
                word = verdict(*errors)
                lines.append(
                    f"{'PASS' if ratio <= DISTRIBUTED_MAX_STEPS and met(word) else 'MISS'} distributed "
                    f"{task} {pruner}: steps {ratio:.2f} of in-process ({np.median(steps[0]):.0f} vs "
                    f"{np.median(steps[1]):.0f}), best error {word} ({np.median(errors[0]):.4f} vs "
                    f"{np.median(errors[1]):.4f})"
                )
        return lines

    def machine(self) -> str:
        """The load the studies ran under, their seconds per side, and failed trials (expected: none)."""
        found = [
            r for r in self.results.by_key.values() if r["n_trials"] == self.args.trials and r["seed"] in self.seeds
        ]
        load = np.array([r["load"] for r in found])
        seconds = {s: sum(r["seconds"] for r in found if r["side"] == s) for s in self.args.sides}
        failed = sum(r.get("failed", 0) for r in found)
        return (
            f"1-minute load average at the end of each study: median {np.median(load):.1f}, "
            f"range {load.min():.1f} to {load.max():.1f} ({os.cpu_count()} CPUs); study seconds summed: "
            + ", ".join(f"{s} {v:.0f}" for s, v in seconds.items())
            + f"; failed trials: {failed}"
        )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--trials", type=int, default=100)
    parser.add_argument("--seeds", type=int, default=6)
    parser.add_argument("--seed-offset", type=int, default=0)
    parser.add_argument("--tasks", type=lambda s: s.split(","), default=list(curves.TASKS))
    parser.add_argument("--pruners", type=lambda s: s.split(","), default=list(_side.PRUNERS))
    parser.add_argument(
        "--sides", type=lambda s: s.split(","), default=list(SIDES), help="hpo,optuna,replay,distributed"
    )
    parser.add_argument("--jobs", type=int, default=2, help="in-process subprocesses at a time")
    parser.add_argument("--slots", type=int, default=8, help="worker slots of the distributed side")
    parser.add_argument(
        "--optuna-python",
        default=os.environ.get("OPTUNA_PYTHON", str(HERE.parents[1] / ".venv-optuna" / "bin" / "python")),
        help="interpreter of a venv with optuna==5.0.0 and scikit-learn (default: $OPTUNA_PYTHON, else .venv-optuna)",
    )
    parser.add_argument("--results", type=pathlib.Path, help="JSON-lines file of finished studies (resumes)")
    args = parser.parse_args()
    for name, given, known in (
        ("task", args.tasks, curves.TASKS),
        ("pruner", args.pruners, _side.PRUNERS),
        ("side", args.sides, SIDES),
    ):
        unknown = set(given) - set(known)
        if unknown:
            parser.error(f"unknown {name}s {sorted(unknown)}; known: {', '.join(known)}")

    hpo.logging.set_verbosity(hpo.logging.WARNING)
    results = Results(args.results)
    todo = [spec for spec in plan(args) if key(spec) not in results.by_key]
    start = time.perf_counter()
    print(f"{len(todo)} studies to run, load average {os.getloadavg()[0]:.1f}", file=sys.stderr)
    pythons = {"hpo": sys.executable, "optuna": args.optuna_python}
    run_in_process(pythons, [s for s in todo if s["side"] in ("hpo", "optuna")], args.jobs, results)
    replays = []
    for spec in (s for s in todo if s["side"] == "replay"):
        ran = results.by_key.get(key({**spec, "side": "hpo"}))
        if ran is None:
            print(f"No hpo study to replay for {spec['study_name']}: run the hpo side too.", file=sys.stderr)
        else:
            replays.append({**spec, "history": ran["history"]})
    run_in_process(pythons, replays, args.jobs, results)
    run_distributed([s for s in todo if s["side"] == "distributed"], args.slots, results)

    report = Report(results, args)
    print(f"\n{args.trials} trials, TPE, seeds {args.seed_offset}..{args.seed_offset + args.seeds - 1}\n")
    print(report.table())
    print()
    print(
        "\n".join(
            report.against_optuna() + report.same_decisions() + report.best_configuration() + report.distributed()
        )
    )
    print(f"\n{report.machine()}")
    print(f"Command: python {' '.join(sys.argv)}\nWall time: {time.perf_counter() - start:.0f} s")


if __name__ == "__main__":
    main()
