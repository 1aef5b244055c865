"""Soak: many trials reporting at a steady pace for a long while, on a real local stack.

    python benchmarks/soak/run.py [--n-trials 64] [--duration 60] [--period-ms 10] [--workers 4]

An embedded redis-server, a coordinator (SQLite store) and ``--workers`` Celery workers (prefork)
sharing ``--n-trials`` slots; one study of ``--n-trials`` trials (RandomSampler, NopPruner), each
reporting (``trial.report`` + ``trial.should_prune``) every ``--period-ms`` for ``--duration`` s.
Printed per window of ``--window`` s: the report round trip the objective sees (p50, p99, max),
reports/s, the coordinator's CPU per report, and at the window's end the RSS of the coordinator
(and, apart, of its children: the SQL writer and sampler processes) and of redis-server, Redis's
``used_memory`` and the inbox's backlog (``XLEN``). Then the checks (:class:`Limits`):

- every trial COMPLETE;
- latency: the p99 of every later window is at most 3 times the first window's;
- memory flat from the sample at ``--flat-from`` s (20) to the end: Redis's ``used_memory`` grows
  by at most 4 MiB (it holds nothing per report); the coordinator's RSS, and its children's, by
  at most 512 bytes per report sent meanwhile (each holds the study in memory: 150 to 300 bytes
  of RSS a reported step and value; a message or reply kept per report goes past it).

The exit status is 0 when every check holds, else 1.
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import os
import pathlib
import sys
import tempfile
import threading
import time

import numpy as np
import redis

import hpo
from hpo.distributed import wire
from hpo.distributed.local_stack import LocalStack
from hpo.trial import TrialState

#: The folder of the objective's module, which the workers import.
HERE = pathlib.Path(__file__).resolve().parent
MIB = 1024 * 1024


@dataclasses.dataclass
class Sample:
    """Figures taken once a second (bytes, CPU seconds; ``at``: seconds from the epoch, then from
    the first report)."""

    at: float
    coordinator_rss: int
    children_rss: int
    redis_rss: int
    redis_used: int
    inbox: int
    coordinator_cpu: float


@dataclasses.dataclass
class Window:
    """One window of the soak: its reports' round trips (ms), the coordinator's CPU per report, and
    the sample taken last before its end."""

    start_s: float
    end_s: float
    reports: int
    p50_ms: float
    p99_ms: float
    max_ms: float
    cpu_us_per_report: float
    memory: Sample | None

    @property
    def reports_per_s(self) -> float:
        return self.reports / (self.end_s - self.start_s)


@dataclasses.dataclass
class Limits:
    """What a soak must hold to pass."""

    p99_ratio: float = 3.0
    #: RSS the coordinator (and, apart, its children) may gain per report stored after ``flat_from_s``:
    #: each holds the study in memory, where a running trial's reported steps and values took 150
    #: to 300 bytes each in RSS (its dicts are copied on write; the allocator keeps what they free).
    #: A message or reply kept per report (500 bytes and more) goes past it.
    bytes_per_report: float = 512.0
    redis_growth_mib: float = 4.0


@dataclasses.dataclass
class Soak:
    """What a soak measured: windows, samples (from ``flat_from_s`` on, memory must stay flat)."""

    n_trials: int
    duration_s: float
    period_s: float
    slots: str
    states: dict[str, int]
    windows: list[Window]
    samples: list[Sample]
    sent: np.ndarray  # when each report was sent, seconds from the first
    flat_from_s: float
    cpu_s: dict[str, float]
    load: tuple[float, float]

    @property
    def reports(self) -> int:
        return len(self.sent)

    @property
    def p99_ratio(self) -> float:
        """The highest p99 of a later window over the first window's."""
        first, *later = self.windows
        return max(w.p99_ms for w in later) / first.p99_ms

    def _settled(self) -> list[Sample]:
        return [s for s in self.samples if s.at >= self.flat_from_s] or self.samples[-1:]

    def growth(self, field: str) -> float:
        """How much ``field`` of the samples grew (bytes) from ``flat_from_s`` to the end."""
        settled = self._settled()
        return float(getattr(settled[-1], field) - getattr(settled[0], field))

    def growth_per_report(self, field: str) -> float:
        """:meth:`growth` over the reports sent meanwhile (bytes per report)."""
        settled = self._settled()
        sent = int(np.count_nonzero((self.sent >= settled[0].at) & (self.sent < settled[-1].at)))
        return self.growth(field) / max(1, sent)

    def checks(self, limits: Limits) -> dict[str, bool]:
        """Each check's description, and whether it holds."""
        per_report = limits.bytes_per_report
        return {
            f"every trial COMPLETE ({self.states})": self.states == {TrialState.COMPLETE.name: self.n_trials},
            f"p99 of every later window within {limits.p99_ratio:g}x the first's ({self.p99_ratio:.2f}x)":
                self.p99_ratio <= limits.p99_ratio,
            f"coordinator RSS gained at most {per_report:g} B per report after {self.flat_from_s:g} s "
            f"({self.growth_per_report('coordinator_rss'):.0f} B)":
                self.growth_per_report("coordinator_rss") <= per_report,
            f"its children's RSS gained at most {per_report:g} B per report "
            f"({self.growth_per_report('children_rss'):.0f} B)":
                self.growth_per_report("children_rss") <= per_report,
            f"redis used_memory gained at most {limits.redis_growth_mib:g} MiB "
            f"({self.growth('redis_used') / MIB:+.2f} MiB)":
                self.growth("redis_used") <= limits.redis_growth_mib * MIB,
        }


def rss(pid: int) -> int:
    """Resident set size of a process in bytes (0 once it is gone); Linux /proc."""
    try:
        for line in pathlib.Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) * 1024
    except OSError:
        pass
    return 0


def children(pid: int) -> list[int]:
    try:
        return [int(c) for c in pathlib.Path(f"/proc/{pid}/task/{pid}/children").read_text().split()]
    except OSError:
        return []


def cpu_seconds(pid: int, descendants: bool = True) -> float:
    """CPU seconds (user + system) of a process (and its descendants) so far; Linux /proc."""
    try:
        fields = pathlib.Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return 0.0
    own = (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")
    return own + (sum(cpu_seconds(child) for child in children(pid)) if descendants else 0.0)


def stack_cpu(stack: LocalStack) -> dict[str, float]:
    """CPU seconds so far by role: coordinator (with its children), workers (with theirs), redis."""
    used: dict[str, float] = {}
    for name, pid in stack.pids().items():
        role = "workers" if name.startswith("worker") else name
        used[role] = used.get(role, 0.0) + cpu_seconds(pid)
    return used


class Sampling(threading.Thread):
    """Takes a :class:`Sample` of the stack every ``every_s`` until stopped."""

    def __init__(self, stack: LocalStack, every_s: float = 1.0) -> None:
        super().__init__(name="soak-sampling", daemon=True)
        self._pids = stack.pids()
        self._client = redis.Redis.from_url(stack.broker_url)
        self._every_s = every_s
        self._stopped = threading.Event()
        self.samples: list[Sample] = []

    def run(self) -> None:
        while not self._stopped.wait(self._every_s):
            coordinator = self._pids["coordinator"]
            self.samples.append(Sample(
                at=time.time(), coordinator_rss=rss(coordinator),
                children_rss=sum(rss(child) for child in children(coordinator)), redis_rss=rss(self._pids["redis"]),
                redis_used=int(self._client.info("memory")["used_memory"]), inbox=int(self._client.xlen(wire.INBOX)),
                coordinator_cpu=cpu_seconds(coordinator, descendants=False),
            ))

    def stop(self) -> list[Sample]:
        self._stopped.set()
        self.join()
        return self.samples


def windows(sent: np.ndarray, round_trips: np.ndarray, samples: list[Sample], duration_s: float,
            window_s: float) -> list[Window]:
    """Split the reports (sent at, seconds from the first; round trip, seconds) into windows, each
    with the samples taken in it; the last one runs to the last report (trials that started late
    report past ``duration_s``)."""
    n = max(1, round(duration_s / window_s))
    index = np.minimum(n - 1, (sent // window_s).astype(int))
    out = []
    for i in range(n):
        ms = round_trips[index == i] * 1e3
        if not len(ms):
            ms = np.zeros(1)
        start, end = i * window_s, (i + 1) * window_s if i < n - 1 else max(n * window_s, float(sent.max()))
        inside = [s for s in samples if start <= s.at <= end]
        cpu = (inside[-1].coordinator_cpu - inside[0].coordinator_cpu) if len(inside) > 1 else 0.0
        counted = np.count_nonzero((sent >= inside[0].at) & (sent < inside[-1].at)) if len(inside) > 1 else 0
        out.append(Window(start, end, int(np.count_nonzero(index == i)),
                          float(np.percentile(ms, 50)), float(np.percentile(ms, 99)), float(ms.max()),
                          cpu / max(1, counted) * 1e6, inside[-1] if inside else None))
    return out


def soak(workdir: pathlib.Path, n_trials: int = 64, duration_s: float = 60.0, period_s: float = 0.01,
         n_workers: int = 4, window_s: float = 10.0, flat_from_s: float = 20.0) -> Soak:
    """Run the soak with its stack's files in ``workdir``; return what it measured."""
    timings = workdir / "timings"
    timings.mkdir()
    slots = [n_trials // n_workers + (i < n_trials % n_workers) for i in range(n_workers)]
    load_before = os.getloadavg()[0]
    with LocalStack(storage_url=f"sqlite:///{workdir / 'hpo.db'}", n_workers=0, objective_modules=["soak_objectives"],
                    pythonpath=[str(HERE)], log_dir=str(workdir)) as stack:
        stack.env.update(HPO_SOAK_DIR=str(timings), HPO_SOAK_DURATION_S=str(duration_s),
                         HPO_SOAK_PERIOD_S=str(period_s))
        for concurrency in slots:
            stack.add_worker(concurrency)
        cpu_before = stack_cpu(stack)
        sampling = Sampling(stack)
        sampling.start()
        handle = hpo.submit_study("soak_objectives:reporter", n_trials=n_trials, study_name="soak",
                                  sampler=hpo.samplers.RandomSampler(seed=0), pruner=hpo.pruners.NopPruner(),
                                  broker_url=stack.broker_url, storage=stack.storage_url)
        study = handle.wait(progress=False, timeout=duration_s + 300)
        samples = sampling.stop()
        cpu = {role: used - cpu_before.get(role, 0.0) for role, used in stack_cpu(stack).items()}
    sent_at: list[float] = []
    round_trips: list[float] = []
    for path in timings.glob("trial-*.json"):
        data = json.loads(path.read_text())
        sent_at += data["sent"]
        round_trips += data["round_trip"]
    first, last = min(sent_at), max(sent_at)
    sent = np.asarray(sent_at) - first
    samples = [dataclasses.replace(s, at=s.at - first) for s in samples if first <= s.at <= last]
    states: dict[str, int] = {}
    for trial in study.trials:
        states[trial.state.name] = states.get(trial.state.name, 0) + 1
    return Soak(n_trials=n_trials, duration_s=duration_s, period_s=period_s,
                slots=" + ".join(str(s) for s in slots), states=states,
                windows=windows(sent, np.asarray(round_trips), samples, duration_s, window_s), samples=samples,
                sent=sent, flat_from_s=flat_from_s, cpu_s=cpu, load=(load_before, os.getloadavg()[0]))


def print_soak(result: Soak, limits: Limits) -> None:
    wall = float(result.sent.max())
    print(f"\nSoak: {result.n_trials} trials (worker slots {result.slots}), a report every "
          f"{result.period_s * 1e3:g} ms for {result.duration_s:g} s each; load average {result.load[0]:.2f} "
          f"before, {result.load[1]:.2f} after\n")
    print("| window s | reports | reports/s | p50 ms | p99 ms | max ms | coordinator CPU us/report | "
          "coordinator RSS MiB | its children MiB | redis RSS MiB | redis used_memory MiB | inbox backlog |")
    print("|---|---|---|---|---|---|---|---|---|---|---|---|")
    for w in result.windows:
        m = w.memory
        memory = ("| | | | |" if m is None else
                  f"| {m.coordinator_rss / MIB:.1f} | {m.children_rss / MIB:.1f} | {m.redis_rss / MIB:.1f} | "
                  f"{m.redis_used / MIB:.2f} | {m.inbox} |")
        print(f"| {w.start_s:g}-{w.end_s:.4g} | {w.reports} | {w.reports_per_s:.0f} | {w.p50_ms:.2f} | "
              f"{w.p99_ms:.2f} | {w.max_ms:.1f} | {w.cpu_us_per_report:.0f} {memory}")
    cpu = ", ".join(f"{role} {seconds / wall:.2f}" for role, seconds in sorted(result.cpu_s.items()))
    print(f"\n{result.reports} reports over {wall:.1f} s: {result.reports / wall:.0f}/s "
          f"({result.n_trials / result.period_s:.0f}/s asked for); CPU cores used: {cpu}")
    grown = {field: f"{result.growth(field) / MIB:+.2f} MiB"
             for field in ("coordinator_rss", "children_rss", "redis_rss", "redis_used")}
    print(f"from {result.flat_from_s:g} s to the end: coordinator RSS {grown['coordinator_rss']}, its children "
          f"{grown['children_rss']}, redis RSS {grown['redis_rss']}, redis used_memory {grown['redis_used']}")
    for check, ok in result.checks(limits).items():
        print(f"{'PASS' if ok else 'FAIL'}: {check}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--n-trials", type=int, default=64)
    parser.add_argument("--duration", type=float, default=60.0, help="seconds each trial reports")
    parser.add_argument("--period-ms", type=float, default=10.0, help="milliseconds between a trial's reports")
    parser.add_argument("--workers", type=int, default=4, help="Celery workers sharing the n-trials slots")
    parser.add_argument("--window", type=float, default=10.0, help="seconds per window of the table")
    parser.add_argument("--flat-from", type=float, default=20.0, help="seconds from which memory must stay flat")
    args = parser.parse_args()
    hpo.logging.set_verbosity(hpo.logging.WARNING)
    with tempfile.TemporaryDirectory(prefix="hpo-soak-") as tmp:
        result = soak(pathlib.Path(tmp), args.n_trials, args.duration, args.period_ms / 1e3, args.workers,
                      args.window, args.flat_from)
    limits = Limits()
    print_soak(result, limits)
    sys.exit(0 if all(result.checks(limits).values()) else 1)


if __name__ == "__main__":
    main()
