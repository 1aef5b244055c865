"""The Optuna half of the distributed benchmarks; run with the Optuna venv's python (never imported by hpo).

    python optuna_side.py throughput --storage URL --n-trials 2000 --processes 2
    python optuna_side.py latency --storage URL --processes 16

Prints one JSON line with the figures.
"""

from __future__ import annotations

import argparse
import json
import multiprocessing
import time
import uuid

import numpy as np
import optuna

from bench_objectives import three_params_twenty_reports, timed_reports

optuna.logging.set_verbosity(optuna.logging.WARNING)


def make_storage(url: str) -> optuna.storages.BaseStorage | str:
    if url.startswith("redis://"):
        return optuna.storages.JournalStorage(optuna.storages.journal.JournalRedisBackend(url))
    return url


def throughput_worker(url: str, name: str, n_trials: int) -> None:
    study = optuna.load_study(study_name=name, storage=make_storage(url), sampler=optuna.samplers.TPESampler(),
                              pruner=optuna.pruners.MedianPruner())
    study.optimize(lambda t: three_params_twenty_reports(t, optuna.TrialPruned), n_trials=n_trials)


def latency_worker(url: str, name: str, n_trials: int, steps: int, pause_s: float, out: multiprocessing.Queue) -> None:
    study = optuna.load_study(study_name=name, storage=make_storage(url), pruner=optuna.pruners.MedianPruner())
    collected: list[float] = []

    def objective(trial: optuna.Trial) -> float:
        value, latencies = timed_reports(trial, optuna.TrialPruned, steps, pause_s)
        collected.extend(latencies)
        return value

    study.optimize(objective, n_trials=n_trials)
    out.put(collected)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("mode", choices=["throughput", "latency"])
    parser.add_argument("--storage", required=True)
    parser.add_argument("--n-trials", type=int, default=2000)
    parser.add_argument("--processes", type=int, default=2)
    parser.add_argument("--steps", type=int, default=50)
    parser.add_argument("--pause", type=float, default=0.005)
    args = parser.parse_args()
    name = f"bench-{uuid.uuid4().hex[:8]}"
    optuna.create_study(study_name=name, storage=make_storage(args.storage))
    ctx = multiprocessing.get_context("spawn")
    start = time.perf_counter()
    if args.mode == "throughput":
        procs = [ctx.Process(target=throughput_worker, args=(args.storage, name, args.n_trials // args.processes))
                 for _ in range(args.processes)]
        [p.start() for p in procs]
        [p.join() for p in procs]
        wall = time.perf_counter() - start
        n = len(optuna.load_study(study_name=name, storage=make_storage(args.storage)).trials)
        print(json.dumps({"trials": n, "wall_s": wall, "trials_per_s": n / wall}))
    else:
        out: multiprocessing.Queue = ctx.Queue()
        procs = [ctx.Process(target=latency_worker, args=(args.storage, name, max(1, args.n_trials // args.processes),
                                                         args.steps, args.pause, out)) for _ in range(args.processes)]
        [p.start() for p in procs]
        latencies = [x for _ in procs for x in out.get()]
        [p.join() for p in procs]
        ms = np.asarray(latencies) * 1e3
        print(json.dumps({"reports": len(ms), "p50_ms": float(np.percentile(ms, 50)), "p99_ms": float(np.percentile(ms, 99))}))


if __name__ == "__main__":
    main()
