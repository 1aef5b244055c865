"""``hpo doctor``: checks that the broker, the storage, the coordinator, the workers, the objectives and
the clocks can run studies, and says how to mend each thing that cannot."""

from __future__ import annotations

import dataclasses
import json
import time
import traceback
from collections import defaultdict
from collections.abc import Sequence
from typing import TYPE_CHECKING, Literal
from urllib.parse import urlsplit

import click
import redis

from hpo.cli._options import STORAGE_ENVS, display_url, sqlite_path
from hpo.distributed import wire
from hpo.distributed.broker import redis_client, unreachable
from hpo.distributed.config import Settings, masked_url
from hpo.exceptions import HpoError, ImportTargetError, StorageVersionError, WireError
from hpo.importing import import_module, import_object

if TYPE_CHECKING:
    from hpo.storages import RDBStorage

Status = Literal["ok", "warn", "FAIL"]

#: Seconds of clock difference above which a host is out of sync (NTP keeps hosts within milliseconds).
WARN_SKEW_S = 1.0
#: Seconds of clock difference that fail the check. hpo measures liveness on the servers' own clocks
#: (Redis key expiry, the database's now()), so skew does not end trials; but 30 s is the default
#: worker heartbeat timeout and the journal file lock's stale age: times that hosts write into one study
#: (trial start and end of in-process studies, logs) then disagree by more than hpo's liveness window,
#: and a file journal on a shared filesystem would break a live lock.
FAIL_SKEW_S = 30.0
#: Seconds the broker has to answer.
BROKER_TIMEOUT_S = 5.0
NTP_FIX = ("Synchronise the clocks of every host and server with NTP (chrony or systemd-timesyncd; "
           "`timedatectl status` says whether this host is synchronised).")
#: Reads the database server's clock, in seconds since the epoch (SQLite runs in this process).
_SQL_NOW = {
    "postgresql": "SELECT extract(epoch FROM clock_timestamp())",
    "mysql": "SELECT UNIX_TIMESTAMP(SYSDATE(6))",
    "mariadb": "SELECT UNIX_TIMESTAMP(SYSDATE(6))",
}


@dataclasses.dataclass(frozen=True)
class Finding:
    """One line of the report: what was checked, its status, what was found, and the fix (empty when ok)."""

    check: str
    status: Status
    found: str
    fix: str = ""


def check_broker(url: str) -> tuple[Finding, redis.Redis | None]:
    """Whether the broker answers with the URL's credentials and TLS settings; its client if it does."""
    shown = masked_url(url)
    try:
        client = redis_client(url)
    except HpoError as e:
        return Finding("broker", "FAIL", f"{shown}: the broker URL is not usable", str(e)), None
    client.connection_pool.connection_kwargs.update(
        socket_connect_timeout=BROKER_TIMEOUT_S, socket_timeout=BROKER_TIMEOUT_S
    )
    parts = urlsplit(url)
    try:
        client.ping()
    except redis.AuthenticationError as e:
        if parts.password is None:
            found = f"{shown}: the broker requires a password and the URL gives none"
        else:
            found = f"{shown}: the broker refused the {'user and ' if parts.username else ''}password in the URL ({e})"
        return Finding("broker", "FAIL", found, (
            "Put the password of the broker (redis-server's requirepass, or its ACL user's) in the URL: "
            "redis://[USER]:PASSWORD@HOST:PORT/DB, the same in HPO_BROKER_URL on every host."
        )), None
    except redis.RedisError as e:
        fix = (f"Nothing answers at {parts.hostname}:{parts.port or 6379}: start Redis there (docker compose up -d "
               "redis, or redis-server), or point hpo at yours with --broker URL or HPO_BROKER_URL.")
        if parts.scheme == "rediss" and "SSL" in str(e):
            fix = "The broker does not speak TLS on that port: write redis:// if it serves plain Redis."
        found = f"{shown}: {str(e).rstrip('.')}"
        explained = unreachable(url, e, fix).removeprefix(f"Cannot reach the broker at {found}. ")
        return Finding("broker", "FAIL", found + " (so the coordinator, workers and Redis settings are not checked)",
                       explained), None
    return Finding("broker", "ok", f"{shown}: Redis answers"), client


def check_redis_config(client: redis.Redis) -> list[Finding]:
    """The eviction policy (hpo's keys must never be evicted) and persistence (queued trials survive a restart)."""
    try:
        memory = client.config_get("maxmemory*")
        append = client.config_get("append*")
        save = client.config_get("save").get("save") or ""
    except redis.ResponseError as e:
        return [Finding("redis config", "warn", f"CONFIG GET is refused (renamed or not allowed to this user: {e}), "
                        "so the eviction policy and persistence are not checked",
                        "Check them on the server (redis.conf, or redis-cli as an admin): maxmemory-policy noeviction, "
                        "appendonly yes.")]
    policy, limit = memory.get("maxmemory-policy") or "noeviction", int(memory.get("maxmemory") or 0)
    limit_text = f"maxmemory {limit} bytes" if limit else "maxmemory 0: no limit, nothing evicted until one is set"
    policy_fix = ("redis-cli CONFIG SET maxmemory-policy noeviction, and maxmemory-policy noeviction in redis.conf "
                  "(or --maxmemory-policy noeviction on redis-server's command line) so that it stays.")
    if policy.startswith("allkeys-"):
        eviction = Finding("eviction", "warn", f"maxmemory-policy {policy} ({limit_text}): when Redis is full it "
                           "evicts any key, hpo's queued trials, inbox and coordinator lease included", policy_fix)
    elif policy.startswith("volatile-"):
        eviction = Finding("eviction", "warn", f"maxmemory-policy {policy} ({limit_text}): when Redis is full it "
                           "evicts keys that expire: the coordinator's lease, the workers' announcements and trial "
                           "heartbeats (running trials would be ended as dead)", policy_fix)
    else:
        eviction = Finding("eviction", "ok", f"maxmemory-policy {policy} ({limit_text.partition(':')[0]})")
    if append.get("appendonly") == "yes":
        persistence = Finding("persistence", "ok", f"append-only file on (appendfsync {append.get('appendfsync')})")
    elif save.strip():
        persistence = Finding("persistence", "ok", f"RDB snapshots (save {save}), no append-only file: a crash "
                              "loses the writes since the last snapshot")
    else:
        persistence = Finding("persistence", "warn", "no append-only file and no RDB save points: a restart of "
                              "Redis loses the queued trials, the coordinator's inbox and the workers' replies",
                              "redis-cli CONFIG SET appendonly yes, and appendonly yes in redis.conf (or --appendonly "
                              "yes on redis-server's command line) so that it stays.")
    return [eviction, persistence]


def check_coordinator(client: redis.Redis) -> Finding:
    """Whether a coordinator holds this broker's lease, and which."""
    holder = client.get(wire.coordinator_key())
    if holder is None:
        return Finding("coordinator", "FAIL", "no coordinator holds this broker's lease: submitted studies do not run",
                       "Start one (one per broker): hpo coordinator start --storage URL --broker URL.")
    owner = holder.decode(errors="replace") if isinstance(holder, bytes) else str(holder)
    return Finding("coordinator", "ok", f"alive, lease held by {owner}")


def check_workers(client: redis.Redis, study_queues: dict[str, list[str]]) -> list[Finding]:
    """The workers announced per queue with their slots; a FAIL for each queue a running study uses that no
    worker consumes (``study_queues``: queue -> study names)."""
    findings: list[Finding] = []
    workers: dict[str, list[wire.WorkerInfo]] = defaultdict(list)
    keys = list(client.scan_iter(match=wire.WORKERS_PATTERN, count=1000))
    for key, raw in zip(keys, client.mget(keys) if keys else []):
        if raw is None:  # expired between the scan and the read
            continue
        try:
            info = wire.parse(raw, wire.WorkerInfo)
        except WireError as e:
            findings.append(Finding("workers", "warn", f"{key.decode(errors='replace')} is not this hpo's "
                                    f"announcement: {e}", "Run the same hpo version on every host."))
            continue
        for queue in info.queues:
            workers[queue].append(info)
    for queue, infos in sorted(workers.items()):
        hosts = sorted({info.hostname.rpartition("@")[2] for info in infos})
        slots = sum(info.concurrency for info in infos)
        gpus = [f"{info.hostname.rpartition('@')[2]}:{gpu}" for info in infos for gpu in info.gpus or ()]
        findings.append(Finding("workers", "ok", f"queue {queue}: {len(infos)} worker(s), {slots} slot(s), "
                                f"on {', '.join(hosts)}" + (f"; GPUs {', '.join(gpus)}" if gpus else "")))
    for queue, studies in sorted(study_queues.items()):
        if queue not in workers:
            findings.append(Finding("workers", "FAIL", f"queue {queue}: no worker consumes it, and running studies "
                                    f"wait for one: {', '.join(sorted(studies))}", _start_worker(queue)))
    if not workers and not study_queues:
        findings.append(Finding("workers", "warn", "no worker announces itself on this broker: submitted studies "
                                "will wait", _start_worker("cpu") + " (-Q gpu on GPU boxes)"))
    return findings


def _start_worker(queue: str) -> str:
    return (f"Start one with this broker in HPO_BROKER_URL: celery -A hpo.workers worker -Q {queue} "
            "--concurrency N")


def check_storage(url: str) -> tuple[Finding, RDBStorage | None]:
    """Whether the database answers and has this hpo's schema; the storage, opened, if so."""
    from hpo.storages import RDBStorage, current_version

    shown = display_url(url)
    create = (f"The coordinator creates hpo's schema when it starts (hpo coordinator start --storage '{shown}'), "
              f"or create it now: hpo storage upgrade --storage '{shown}'.")
    path = sqlite_path(url)
    if path is not None and not path.exists():
        return Finding("storage", "warn", f"no SQLite database at {path} yet", "Check the path. " + create), None
    version = None
    try:
        version = current_version(url)
        if version is None:
            return Finding("storage", "warn", f"{shown}: no hpo tables yet", create), None
        storage = RDBStorage(url, skip_table_creation=True)
    except StorageVersionError as e:
        return Finding("storage", "FAIL", f"{shown}: schema version {version!r} is not this hpo's", str(e)), None
    except (HpoError, ImportError) as e:
        return Finding("storage", "FAIL", f"cannot open {shown}", str(e)), None
    return Finding("storage", "ok", f"{shown}: schema version {version}, this hpo's"), storage


def running_study_queues(storage: RDBStorage) -> dict[str, list[str]]:
    """Queue -> names of the studies whose jobs run on it, as the coordinator stored them."""
    from hpo.coordinator import job_queue

    queues: dict[str, list[str]] = defaultdict(list)
    for study in storage.get_all_studies():
        queue = job_queue(study.system_attrs)
        if queue is not None:
            queues[queue].append(study.study_name)
    return dict(queues)


def check_objectives(targets: Sequence[str]) -> list[Finding]:
    """Whether each objective module (or ``module:function``) imports on this host."""
    if not targets:
        return [Finding("objectives", "ok", "none named (--objective, HPO_OBJECTIVE_MODULES): nothing to import")]
    findings = []
    for target in targets:
        try:
            if ":" in target:
                function = import_object(target)
                if not callable(function):
                    raise ImportTargetError(f"{target} is a {type(function).__name__}, not a function.")
                where = getattr(function, "__module__", target)
            else:
                where = import_module(target).__file__ or target
        except ImportTargetError as e:
            findings.append(Finding("objectives", "FAIL", f"{target} does not import on this host", str(e)))
        except Exception as e:  # a user's module may raise anything when imported
            frame = traceback.extract_tb(e.__traceback__)[-1]
            findings.append(Finding(
                "objectives", "FAIL", f"importing {target} raised {type(e).__name__}: {e} "
                f"({frame.filename}:{frame.lineno})",
                "Fix the module or install what it needs on this host; every worker host imports it too.",
            ))
        else:
            findings.append(Finding("objectives", "ok", f"{target} imports ({where})"))
    return findings


def check_redis_clock(client: redis.Redis) -> Finding:
    """The broker's clock (Redis TIME) against this host's."""
    before = time.time()
    seconds, micros = client.time()
    after = time.time()
    return _skew("clock (Redis)", "Redis's", seconds + micros / 1e6 - (before + after) / 2, (after - before) / 2)


def check_sql_clock(storage: RDBStorage) -> Finding:
    """The database server's clock against this host's."""
    dialect = storage.engine.dialect.name
    query = _SQL_NOW.get(dialect)
    if query is None:  # SQLite, the one other dialect hpo supports
        return Finding("clock (SQL)", "ok", "SQLite runs in this process: its clock is this host's")
    with storage.engine.connect() as conn:
        before = time.time()
        now = float(conn.exec_driver_sql(query).scalar_one())
        after = time.time()
    return _skew("clock (SQL)", f"the {dialect} server's", now - (before + after) / 2, (after - before) / 2)


def _skew(check: str, whose: str, skew: float, error: float) -> Finding:
    found = f"{whose} clock is {skew:+.3f} s from this host's (measured within {error:.3f} s)"
    if abs(skew) > FAIL_SKEW_S:
        return Finding(check, "FAIL", f"{found}: over {FAIL_SKEW_S:g} s", NTP_FIX)
    if abs(skew) > WARN_SKEW_S:
        return Finding(check, "warn", f"{found}: over {WARN_SKEW_S:g} s", NTP_FIX)
    return Finding(check, "ok", found)


def diagnose(broker_url: str, storage_url: str | None, objectives: Sequence[str]) -> list[Finding]:
    """Every check, in the report's order."""
    storage: RDBStorage | None = None
    study_queues: dict[str, list[str]] = {}
    if storage_url is None:
        storage_finding = Finding("storage", "warn", "no storage given: not checked",
                                  "Pass --storage URL or set HPO_STORAGE_URL (the coordinator's database).")
    else:
        storage_finding, storage = check_storage(storage_url)
    try:
        if storage is not None:
            try:
                study_queues = running_study_queues(storage)
            except HpoError as e:
                storage_finding = dataclasses.replace(
                    storage_finding, found=f"{storage_finding.found}; the studies' queues are unreadable ({e})"
                )
        broker, client = check_broker(broker_url)
        findings = [broker]
        if client is not None:
            findings += [*check_redis_config(client), check_coordinator(client), *check_workers(client, study_queues)]
        findings += [storage_finding, *check_objectives(objectives)]
        if client is not None:
            findings.append(check_redis_clock(client))
        if storage is not None:
            findings.append(check_sql_clock(storage))
        return findings
    finally:
        if storage is not None:
            storage.close()


@click.command()
@click.option("--broker", metavar="URL", envvar="HPO_BROKER_URL", show_envvar=True,
              help="Redis URL of the broker.  [default: the settings' (HPO_CONFIG_FILE, a running local stack, "
                   "redis://127.0.0.1:6379/0)]")
@click.option("--storage", metavar="URL", envvar=list(STORAGE_ENVS), show_envvar=True,
              help="The coordinator's database, e.g. postgresql+psycopg://user:password@host/db.")
@click.option("--objective", "objectives", metavar="MODULE", multiple=True,
              help="An objective module (or MODULE:FUNCTION) that must import on this host; repeat for several. "
                   "HPO_OBJECTIVE_MODULES adds its own.")
@click.option("-f", "--format", "fmt", type=click.Choice(["table", "json"], case_sensitive=False), default="table",
              show_default=True, help="Output format.")
def doctor(broker: str | None, storage: str | None, objectives: tuple[str, ...], fmt: str) -> None:
    """Check that this cluster can run studies, and say how to mend what cannot.

    Checks the broker (reachable, authenticated, eviction policy, persistence), the coordinator's
    lease, the workers of each queue and their slots, the storage's schema version, the objective
    modules on this host, and the clocks of Redis and the database against this host's. Exits 1 when
    a check fails (something blocks running), 0 when there are only warnings.
    """
    settings = Settings.from_env()
    findings = diagnose(broker or settings.broker_url, storage or settings.storage_url,
                        list(dict.fromkeys([*objectives, *settings.objective_modules])))
    if fmt.lower() == "json":
        click.echo(json.dumps([dataclasses.asdict(finding) for finding in findings], indent=2))
    else:
        width = max(len(finding.check) for finding in findings)
        for finding in findings:
            click.echo(f"{finding.status:<4}  {finding.check:<{width}}  {finding.found}")
            if finding.fix:
                click.echo(f"{'':<4}  {'':<{width}}  fix: {finding.fix}")
    if any(finding.status == "FAIL" for finding in findings):
        raise SystemExit(1)
