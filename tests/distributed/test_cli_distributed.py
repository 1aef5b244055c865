"""The distributed commands of the CLI against a real cluster, and `hpo run --workers` end to end."""

from __future__ import annotations

import json
import os
import pathlib
import subprocess
import sys

from hpo.distributed.local_stack import LocalStack

REPO = pathlib.Path(__file__).resolve().parents[2]


def hpo_cli(*args: str, env: dict[str, str], cwd: pathlib.Path | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "hpo.cli", *args], env=env, cwd=cwd, capture_output=True,
                          text=True, timeout=300)


def test_submit_status_cancel(broker_env: LocalStack) -> None:
    env = dict(broker_env.env)
    done = hpo_cli("study", "submit", "hpo_test_objectives:conditional", "--n-trials", "5", "--study-name", "cli",
                   "--sampler", "random", "--wait", env=env)
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip().splitlines()[0] == "cli"
    status = hpo_cli("study", "status", "cli", "--format", "json", env=env)
    assert status.returncode == 0, status.stderr
    assert json.loads(status.stdout)["status"] == "done"
    missing = hpo_cli("study", "cancel", "no-such-study", env=env)
    assert missing.returncode != 0 and "no-such-study" in missing.stderr and "Traceback" not in missing.stderr


def test_run_with_workers_starts_and_stops_a_local_stack(tmp_path: pathlib.Path) -> None:
    env = {k: v for k, v in os.environ.items() if k not in ("HPO_BROKER_URL", "HPO_STORAGE_URL")}
    env["HPO_HOME"] = str(tmp_path / "home")
    result = hpo_cli("run", str(REPO / "examples" / "quadratic.py") + ":objective", "--n-trials", "20",
                     "--workers", "2", "--no-progress", env=env, cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    assert "Ran 20 trials (20 complete)" in result.stdout
    assert (tmp_path / "hpo.db").exists()
    assert not (tmp_path / "home" / "stack.json").exists()  # torn down
    leftovers = subprocess.run(["pgrep", "-f", f"hpo.coordinator --storage sqlite:///hpo.db"], capture_output=True)
    assert leftovers.returncode == 1
