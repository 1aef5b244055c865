"""The optuna-examples-style artifact scripts run as scripts (each in a fresh directory) and say what they did."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

EXAMPLES = Path(__file__).resolve().parents[2] / "examples" / "optuna_style"


def run(name: str, cwd: Path) -> str:
    env = {k: v for k, v in os.environ.items() if k not in ("HPO_STORAGE_URL", "OPTUNA_STORAGE")}
    done = subprocess.run([sys.executable, str(EXAMPLES / name)], capture_output=True, text=True, env=env,
                          timeout=120, cwd=cwd)
    assert done.returncode == 0, done.stderr[-3000:]
    return done.stdout


def test_file_system_store_example(tmp_path: Path) -> None:
    out = run("artifacts_filesystem.py", tmp_path)
    best = re.search(r"Best trial: (\d+), MSE (\S+),", out)
    assert best is not None, out
    assert float(best[2]) < 0.5
    assert f"Its artifact: predictions-{best[1]}.csv (text/csv), 20 rows" in out
    assert "Study artifacts: ['dataset.csv']" in out
    assert len(list((tmp_path / "artifacts").iterdir())) == 31  # 30 trials' predictions and the data set


def test_s3_backoff_example(tmp_path: Path, s3_env: dict[str, str]) -> None:
    out = run("artifacts_s3_backoff.py", tmp_path)
    match = re.search(r"Best trial: \d+, value \S+, params \{'degree': (\d+),.*\n"
                      r"Its artifact: model-\d+\.json\.gz \(application/json, gzip\) in s3://hpo-artifacts-demo/\S+\n"
                      r"Downloaded model: degree (\d+)", out)
    assert match is not None and match[1] == match[2], out


def test_custom_store_example(tmp_path: Path) -> None:
    out = run("artifacts_custom_store.py", tmp_path)
    assert "Trial 0: [('log-0.json', 'application/json')]" in out
    best = re.search(r"Best trial (\d+): width (\d+)\nRemoved: No artifact \S+\.", out)
    assert best is not None, out
