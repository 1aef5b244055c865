"""Distributed benchmarks of hpo, side by side with Optuna in the same run.

    python benchmarks/distributed/run.py throughput [--n-trials 2000] [--repeats 3] [--optuna-python PATH] [--postgres-url URL]
    python benchmarks/distributed/run.py latency [--optuna-python PATH]
    python benchmarks/distributed/run.py parallel

``--optuna-python`` is the interpreter of a separate virtual environment with ``optuna==5.0.0``,
``redis`` and ``psycopg[binary]`` (never a dependency of hpo). Figures are printed as a markdown table.
"""

from __future__ import annotations

import argparse
import contextlib
import dataclasses
import json
import os
import pathlib
import subprocess
import sys
import tempfile
import time
import uuid
from collections.abc import Callable, Iterator
from typing import Any

HERE = pathlib.Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

import hpo  # noqa: E402
from hpo.distributed.local_stack import EmbeddedRedis, LocalStack  # noqa: E402
from hpo_bench_objectives import LATENCY_STEPS, SlowSampler, percentiles  # noqa: E402

hpo.logging.set_verbosity(hpo.logging.WARNING)

#: Round trips per task of the protocol floor: a start and the reports of a typical trial of the
#: throughput objective under MedianPruner (5.6 to 9.6 reports per trial, from run to run).
FLOOR_ROUND_TRIPS = 8


def stack(tmp: pathlib.Path, slots: int, storage_url: str | None = None) -> LocalStack:
    return LocalStack(
        storage_url=storage_url or f"sqlite:///{tmp / 'hpo.db'}",
        n_workers=slots,
        objective_modules=["hpo_bench_objectives"],
        spec_modules=["hpo_bench_objectives"],
        pythonpath=[str(HERE)],
        log_dir=str(tmp),
    )


@contextlib.contextmanager
def fresh_postgres(server_url: str) -> Iterator[str]:
    """A new, empty database on the server of ``server_url`` (dropped afterwards): hpo and Optuna
    both name a table ``studies``, so each side gets its own database."""
    import sqlalchemy

    url = sqlalchemy.engine.make_url(server_url)
    name = f"bench_{uuid.uuid4().hex[:8]}"
    admin = sqlalchemy.create_engine(url, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.exec_driver_sql(f'CREATE DATABASE "{name}"')
    try:
        yield url.set(database=name).render_as_string(hide_password=False)
    finally:
        with admin.connect() as conn:
            conn.exec_driver_sql(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        admin.dispose()


def use(s: LocalStack) -> None:
    os.environ["HPO_BROKER_URL"] = s.broker_url
    os.environ["HPO_STORAGE_URL"] = s.storage_url


def optuna_side(python: str, *args: str) -> dict[str, Any]:
    out = subprocess.run([python, str(HERE / "optuna_side.py"), *args], capture_output=True, text=True, cwd=HERE)
    if out.returncode != 0:
        return {"error": out.stderr.strip().splitlines()[-1] if out.stderr.strip() else f"exit {out.returncode}"}
    return json.loads(out.stdout.strip().splitlines()[-1])


def cpu_seconds(pid: int) -> float:
    """CPU seconds (user + system) of a process and all its descendants so far (Linux /proc)."""
    try:
        fields = pathlib.Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        children = pathlib.Path(f"/proc/{pid}/task/{pid}/children").read_text().split()
    except FileNotFoundError:
        return 0.0
    own = (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")
    return own + sum(cpu_seconds(int(child)) for child in children)


def stack_cpu(s: LocalStack) -> dict[str, float]:
    """CPU seconds so far by role: coordinator (with its SQL writer), workers (with their children), redis."""
    used: dict[str, float] = {}
    for name, pid in s.pids().items():
        role = "workers" if name.startswith("worker") else name
        used[role] = used.get(role, 0.0) + cpu_seconds(pid)
    return used


def hpo_throughput(n_trials: int, storage_url: str | None, tmp: pathlib.Path) -> dict[str, Any]:
    with stack(tmp, slots=2, storage_url=storage_url) as s:
        use(s)
        before = stack_cpu(s)
        start = time.perf_counter()
        study = hpo.submit_study(
            "hpo_bench_objectives:throughput", n_trials=n_trials, study_name=f"throughput-{time.time_ns()}",
            sampler=hpo.samplers.TPESampler(), pruner=hpo.pruners.MedianPruner(),
        ).wait(progress=False)
        wall = time.perf_counter() - start
        cpu = {role: used - before.get(role, 0.0) for role, used in stack_cpu(s).items()}
        n = len(study.trials)
        reports = sum(len(t.intermediate_values) for t in study.trials)
    return {"trials": n, "wall_s": wall, "trials_per_s": n / wall, "cpu_ms_per_trial": {r: c / n * 1e3 for r, c in cpu.items()},
            "reports_per_trial": reports / n}


def celery_floor(n_tasks: int, round_trips: int, tmp: pathlib.Path) -> dict[str, Any]:
    """hpo's Celery configuration with nothing of hpo behind it: ``n_tasks`` tasks (published up front)
    through one worker with 2 child processes, as the hpo rows run, each doing ``round_trips`` round
    trips to a process that answers at once; what a trial costs before the coordinator does any work."""
    import multiprocessing

    import redis

    import celery_floor as floor

    server = EmbeddedRedis(tmp)
    server.start()
    env = {**os.environ, "HPO_BROKER_URL": server.url, "FLOOR_ROUND_TRIPS": str(round_trips),
           "PYTHONPATH": os.pathsep.join([str(HERE), os.environ.get("PYTHONPATH", "")])}
    env.pop("HPO_OBJECTIVE_MODULES", None)
    echo = multiprocessing.get_context("spawn").Process(target=floor.echo, args=(server.url,))
    echo.start()
    log = open(tmp / "floor-worker.log", "ab")
    worker = subprocess.Popen(
        [sys.executable, "-m", "celery", "-A", "celery_floor", "worker", "--concurrency", "2", "-Q", "floor",
         "--pool", "prefork", "--without-gossip", "--without-mingle", "--loglevel", "WARNING"],
        env=env, cwd=HERE, stdout=log, stderr=subprocess.STDOUT, start_new_session=True,
    )
    client = redis.Redis.from_url(server.url)
    try:
        app = floor.create_app(dataclasses.replace(floor.settings, broker_url=server.url))
        app.send_task(floor.TASK_NAME, args=[{}], queue="floor")  # the worker is up once this one ran
        deadline = time.monotonic() + 60
        while int(client.get(floor.COUNTER_KEY) or 0) < 1:
            if time.monotonic() > deadline or worker.poll() is not None:
                raise RuntimeError(f"the floor worker did not start; see {tmp / 'floor-worker.log'}")
            time.sleep(0.05)
        payload = hpo.distributed.wire.TrialTask(study_id=1, study_name="floor", trial_id=1, number=1, attempt=0, token="0" * 32,
                                     objective="m:f", n_objectives=1, params={}, reply_timeout_s=120.0,
                                     heartbeat_timeout_s=30.0).to_dict()
        for i in range(n_tasks):
            app.send_task(floor.TASK_NAME, args=[payload], queue="floor", task_id=f"floor-{i}", shadow=f"floor[{i}]")
        pids = {"workers": worker.pid, "redis": server.pid or 0, "echo": echo.pid or 0}
        before = {role: cpu_seconds(pid) for role, pid in pids.items()}
        start = time.perf_counter()
        while int(client.get(floor.COUNTER_KEY) or 0) < n_tasks + 1:
            time.sleep(0.01)
        wall = time.perf_counter() - start
        cpu = {role: cpu_seconds(pid) - before[role] for role, pid in pids.items()}
    finally:
        client.xadd(floor.STREAM, {"m": floor.STOP, "r": "-"})
        echo.join(10)
        worker.terminate()
        worker.wait(30)
        server.stop()
    return {"trials": n_tasks, "wall_s": wall, "trials_per_s": n_tasks / wall,
            "cpu_ms_per_trial": {"coordinator": cpu["echo"] / n_tasks * 1e3, "workers": cpu["workers"] / n_tasks * 1e3,
                                 "redis": cpu["redis"] / n_tasks * 1e3},
            "reports_per_trial": max(0, round_trips - 1)}


def in_tmp(fn: Callable[[pathlib.Path], dict[str, Any]]) -> Callable[[], dict[str, Any]]:
    def run() -> dict[str, Any]:
        with tempfile.TemporaryDirectory() as tmp:
            return fn(pathlib.Path(tmp))
    return run


def optuna_throughput(args: argparse.Namespace, storage: str) -> Callable[[], dict[str, Any]]:
    """A run of Optuna's side: ``storage`` is ``sqlite``, ``postgresql`` or ``redis`` (the journal)."""
    common = ["throughput", "--n-trials", str(args.n_trials), "--processes", "2"]

    def run(tmp: pathlib.Path) -> dict[str, Any]:
        if storage == "sqlite":
            return optuna_side(args.optuna_python, *common, "--storage", f"sqlite:///{tmp}/optuna.db")
        if storage == "postgresql":
            with fresh_postgres(args.postgres_url) as url:
                return optuna_side(args.optuna_python, *common, "--storage", url)
        server = EmbeddedRedis(tmp)
        server.start()
        try:
            return optuna_side(args.optuna_python, *common, "--storage", server.url)
        finally:
            server.stop()

    return in_tmp(run)


def median_runs(setups: list[tuple[str, Callable[[], dict[str, Any]]]], repeats: int) -> list[tuple[str, dict[str, Any]]]:
    """Run every setup ``repeats`` times, round-robin (a drifting machine load hits all alike); keep each
    setup's median run by trials/s, with every run's trials/s in ``runs``."""
    results: dict[str, list[dict[str, Any]]] = {name: [] for name, _ in setups}
    for _ in range(repeats):
        for name, run in setups:
            results[name].append(run())
    rows = []
    for name, runs in results.items():
        ok = sorted((r for r in runs if "error" not in r), key=lambda r: r["trials_per_s"])
        row = dict(ok[(len(ok) - 1) // 2]) if ok else runs[0]
        row["runs"] = [r["trials_per_s"] for r in ok]
        rows.append((name, row))
    return rows


def throughput(args: argparse.Namespace) -> None:
    setups: list[tuple[str, Callable[[], dict[str, Any]]]] = [
        ("floor: Celery alone, an empty task per trial, same app config, 1 worker x 2 children",
         in_tmp(lambda tmp: celery_floor(args.n_trials, 0, tmp))),
        (f"floor: same, each task {FLOOR_ROUND_TRIPS} round trips (a start, {FLOOR_ROUND_TRIPS - 1} reports) "
         "to a process that answers at once",
         in_tmp(lambda tmp: celery_floor(args.n_trials, FLOOR_ROUND_TRIPS, tmp))),
        ("hpo, 2 workers, coordinator + SQLite", in_tmp(lambda tmp: hpo_throughput(args.n_trials, None, tmp))),
    ]
    if args.postgres_url:
        def hpo_postgres(tmp: pathlib.Path) -> dict[str, Any]:
            with fresh_postgres(args.postgres_url) as url:
                return hpo_throughput(args.n_trials, url, tmp)
        setups.append(("hpo, 2 workers, coordinator + PostgreSQL", in_tmp(hpo_postgres)))
    if args.optuna_python:
        setups.append(("Optuna, 2 processes, RDB SQLite", optuna_throughput(args, "sqlite")))
        if args.postgres_url:
            setups.append(("Optuna, 2 processes, RDB PostgreSQL", optuna_throughput(args, "postgresql")))
        setups.append(("Optuna, 2 processes, Journal Redis", optuna_throughput(args, "redis")))
    rows = median_runs(setups, args.repeats)
    ours = next(r for name, r in rows if name.startswith("hpo"))["trials_per_s"]
    print(f"\nThroughput: TPE + MedianPruner, 3 params, 20 report/should_prune per trial, {args.n_trials} trials, "
          f"median of {args.repeats} runs\n")
    print("| setup | trials | wall s | trials/s (median) | every run's trials/s | hpo (SQLite) / this |")
    print("|---|---|---|---|---|---|")
    for name, r in rows:
        if "error" in r:
            print(f"| {name} | failed: {r['error']} | | | | |")
            continue
        runs = ", ".join(f"{x:.1f}" for x in r["runs"])
        print(f"| {name} | {r['trials']} | {r['wall_s']:.1f} | {r['trials_per_s']:.1f} | {runs} | {ours / r['trials_per_s']:.1f}x |")
    print("\nCPU milliseconds per trial of each part of the hpo stack (robust to a shared machine's load):\n")
    print("| setup | reports/trial | coordinator | workers | redis | total |")
    print("|---|---|---|---|---|---|")
    for name, r in rows:
        if "cpu_ms_per_trial" in r:
            c = r["cpu_ms_per_trial"]
            print(f"| {name} | {r['reports_per_trial']:.1f} | {c.get('coordinator', 0):.2f} | {c.get('workers', 0):.2f} | "
                  f"{c.get('redis', 0):.2f} | {sum(c.values()):.2f} |")


def hpo_latency(slow_study: bool, tmp: pathlib.Path, n_trials: int) -> dict[str, float]:
    with stack(tmp, slots=16) as s:
        use(s)
        if slow_study:
            hpo.submit_study("hpo_bench_objectives:sleepy", n_trials=10_000, study_name="slow-sampler",
                             sampler=SlowSampler(seconds=1.0))
        study = hpo.submit_study(
            "hpo_bench_objectives:latency", n_trials=n_trials, study_name="latency", pruner=hpo.pruners.MedianPruner()
        ).wait(progress=False)
    latencies = [x for t in study.trials for x in t.user_attrs.get("report_latency_s", [])]
    p50, p99 = percentiles(latencies)
    return {"reports": len(latencies), "p50_ms": p50, "p99_ms": p99}


def redis_floor(tmp: pathlib.Path, n: int = 300) -> dict[str, float]:
    """Round trip of one process to another through Redis (XADD + BLPOP <- XREADGROUP + RPUSH), no hpo:
    what this machine's scheduling costs before the coordinator does any work."""
    import multiprocessing

    import redis

    import celery_floor as floor

    server = EmbeddedRedis(tmp)
    server.start()
    try:
        client = redis.Redis.from_url(server.url)
        echo = multiprocessing.get_context("spawn").Process(target=floor.echo, args=(server.url,))
        echo.start()
        latencies = []
        for i in range(n):
            time.sleep(0.005)
            start = time.perf_counter()
            pipe = client.pipeline(transaction=False)
            pipe.xadd(floor.STREAM, {"m": json.dumps({"seq": i}), "r": "r"})
            pipe.blpop(["r"], timeout=10)
            pipe.execute()
            latencies.append(time.perf_counter() - start)
        client.xadd(floor.STREAM, {"m": floor.STOP, "r": "r"})
        echo.join(10)
    finally:
        server.stop()
    p50, p99 = percentiles(latencies)
    return {"reports": n, "p50_ms": p50, "p99_ms": p99}


def latency(args: argparse.Namespace) -> None:
    rows = []
    with tempfile.TemporaryDirectory() as tmp:
        rows.append(("floor: one bare round trip through Redis between two processes, no hpo", redis_floor(pathlib.Path(tmp))))
    with tempfile.TemporaryDirectory() as tmp:
        rows.append(("hpo: report round trip to the coordinator", hpo_latency(False, pathlib.Path(tmp), args.n_trials)))
    with tempfile.TemporaryDirectory() as tmp:
        rows.append(("hpo: same, while a 1 s/trial sampler is busy on another study",
                     hpo_latency(True, pathlib.Path(tmp), args.n_trials)))
    if args.optuna_python:
        with tempfile.TemporaryDirectory() as tmp:
            common = ["latency", "--processes", "16", "--n-trials", str(args.n_trials),
                      "--steps", str(LATENCY_STEPS)]
            rows.append(("Optuna: report + should_prune on RDB SQLite",
                         optuna_side(args.optuna_python, *common, "--storage", f"sqlite:///{tmp}/optuna.db")))
            if args.postgres_url:
                with fresh_postgres(args.postgres_url) as url:
                    rows.append(("Optuna: report + should_prune on RDB PostgreSQL",
                                 optuna_side(args.optuna_python, *common, "--storage", url)))
    print(f"\nReport-to-decision latency, 16 trials reporting at once, {LATENCY_STEPS} reports each\n")
    print("| setup | reports | p50 ms | p99 ms |")
    print("|---|---|---|---|")
    for name, r in rows:
        if "error" in r:
            print(f"| {name} | failed: {r['error']} | | |")
            continue
        print(f"| {name} | {r['reports']} | {r['p50_ms']:.2f} | {r['p99_ms']:.2f} |")


def parallel(args: argparse.Namespace) -> None:
    n, slots, sleep = 200, 8, 0.5
    with tempfile.TemporaryDirectory() as tmp, stack(pathlib.Path(tmp), slots=slots) as s:
        use(s)
        hpo.load_study(study_name=hpo.create_study(storage=s.storage_url).study_name, storage=s.storage_url)
        # ^ this process's one-time imports (SQL storage, default sampler) happen before the clock starts
        start = time.perf_counter()
        hpo.submit_study("hpo_bench_objectives:sleepy", n_trials=n, study_name="parallel").wait(progress=False)
        wall = time.perf_counter() - start
    ideal = n * sleep / slots
    print(f"\nParallel efficiency: {slots} worker processes, {sleep} s sleep objective, {n} trials\n")
    print("| wall s | ideal s | wall / ideal |")
    print("|---|---|---|")
    print(f"| {wall:.2f} | {ideal:.2f} | {wall / ideal:.3f} |")


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("benchmark", choices=["throughput", "latency", "parallel"])
    parser.add_argument("--n-trials", type=int, default=None)
    parser.add_argument("--repeats", type=int, default=3, help="throughput: runs per setup (the median is shown)")
    parser.add_argument("--optuna-python", default=os.environ.get("OPTUNA_PYTHON"))
    parser.add_argument("--postgres-url", default=os.environ.get("HPO_TEST_POSTGRES_URL"))
    args = parser.parse_args()
    if args.optuna_python:  # its runs start in this directory; absolute, not resolved: a venv's python is a link
        args.optuna_python = str(pathlib.Path(args.optuna_python).absolute())
    if args.benchmark == "throughput":
        args.n_trials = args.n_trials or 2000
        throughput(args)
    elif args.benchmark == "latency":
        args.n_trials = args.n_trials or 48
        latency(args)
    else:
        parallel(args)


if __name__ == "__main__":
    main()
