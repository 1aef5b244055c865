"""optuna-examples' XGBoost, CatBoost, PyTorch Lightning and MLflow scripts, run as scripts with
``import hpo as optuna`` (examples/optuna_style/), each ending with a sensible result."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest
from mlflow.tracking import MlflowClient

EXAMPLES = Path(__file__).resolve().parents[2] / "examples" / "optuna_style"


def run(script: str, cwd: Path, *args: str, env: dict[str, str] | None = None) -> str:
    """Run ``script`` in ``cwd`` (what it writes lands there); one thread per library, as 2 busy cores need."""
    environment = {k: v for k, v in os.environ.items() if not k.startswith(("HPO_", "MLFLOW_"))}
    environment.update(OMP_NUM_THREADS="1", MLFLOW_DISABLE_TELEMETRY="true", **(env or {}))
    done = subprocess.run([sys.executable, str(EXAMPLES / script), *args], capture_output=True, text=True,
                          env=environment, cwd=cwd, timeout=300)
    assert done.returncode == 0, done.stderr[-4000:]
    return done.stdout + done.stderr


def number(pattern: str, text: str) -> float:
    match = re.search(pattern, text)
    assert match is not None, f"{pattern!r} not in:\n{text[-4000:]}"
    return float(match[1])


def test_xgboost_simple(tmp_path: Path) -> None:
    out = run("xgboost_simple.py", tmp_path)
    assert number(r"Number of finished trials:\s+(\d+)", out) == 20
    assert 0.5 < number(r"Value: (\S+)", out) <= 1.0  # unseeded split and trials: best accuracy seen 0.69 to 0.97


def test_xgboost_integration_prunes_with_the_median_pruner(tmp_path: Path) -> None:
    out = run("xgboost_integration.py", tmp_path)
    assert "state=<TrialState.COMPLETE" in out or "state=TrialState.COMPLETE" in out, out[-3000:]
    assert number(r"values=\[([\d.]+)\]", out) > 0.9
    assert len(re.findall(r"Trial \d+ (?:finished|pruned)", out)) == 30


def test_catboost_pruning(tmp_path: Path) -> None:
    out = run("catboost_pruning.py", tmp_path)
    assert number(r"Number of finished trials: (\d+)", out) == 10
    assert number(r"Value: (\S+)", out) > 0.85
    assert not (tmp_path / "catboost_info").exists()


@pytest.mark.slow
def test_pytorch_lightning_simple_with_pruning(tmp_path: Path) -> None:
    out = run("pytorch_lightning_simple.py", tmp_path, "--pruning")
    assert number(r"Number of finished trials: (\d+)", out) == 8
    assert number(r"Value: (\S+)", out) > 0.1  # 10 classes: better than chance (runs gave 0.16 to 0.5)
    assert (tmp_path / "lightning_logs").is_dir()


def test_mlflow_callback_runs_read_back_with_mlflows_client(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    uri = f"file:{tmp_path / 'mlruns'}"  # a file store (MLflow 3 wants the variable below): quicker than SQLite
    monkeypatch.setenv("MLFLOW_ALLOW_FILE_STORE", "true")
    out = run("mlflow_callback.py", tmp_path, env={"MLFLOW_TRACKING_URI": uri, "MLFLOW_ALLOW_FILE_STORE": "true"})
    assert number(r"Number of finished trials: (\d+)", out) == 10
    client = MlflowClient(uri)
    experiment = client.get_experiment_by_name("mlflow-example")
    assert experiment is not None
    runs = client.search_runs([experiment.experiment_id])
    assert sorted(run.info.run_name for run in runs) == sorted(str(n) for n in range(10))
    for found in runs:
        assert set(found.data.metrics) == {"accuracy", "accuracy_std"}
        assert set(found.data.params) == {"svc_c", "svc_gamma"}
        assert found.data.tags["model"] == "SVC" and found.data.tags["direction"] == "MAXIMIZE"
    assert max(found.data.metrics["accuracy"] for found in runs) == pytest.approx(number(r"Value: (\S+)", out))
