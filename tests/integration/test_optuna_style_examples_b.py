"""optuna-examples' LightGBM and OptunaSearchCV scripts (examples/optuna_style/), run as scripts with
``import hpo as optuna`` / ``import hpo.integration.lightgbm as lgb``, each ending with a sensible result."""

from __future__ import annotations

import ast
import os
import re
import subprocess
import sys
from pathlib import Path

EXAMPLES = Path(__file__).resolve().parents[2] / "examples" / "optuna_style"


def run(script: str, cwd: Path) -> str:
    environment = {k: v for k, v in os.environ.items() if not k.startswith("HPO_")}
    environment["OMP_NUM_THREADS"] = "1"
    done = subprocess.run([sys.executable, str(EXAMPLES / script)], capture_output=True, text=True,
                          env=environment, cwd=cwd, timeout=300)
    assert done.returncode == 0, done.stderr[-4000:]
    return done.stdout


def found(pattern: str, text: str) -> str:
    match = re.search(pattern, text)
    assert match is not None, f"{pattern!r} not in:\n{text[-4000:]}"
    return match[1]


def test_lightgbm_simple(tmp_path: Path) -> None:
    out = run("lightgbm_simple.py", tmp_path)
    assert found(r"Number of finished trials: (\d+)", out) == "20"
    assert float(found(r"Value: (\S+)", out)) > 0.93  # validation accuracy; a fair booster gets 0.95+


def test_lightgbm_integration_prunes(tmp_path: Path) -> None:
    out = run("lightgbm_integration.py", tmp_path)
    assert found(r"Number of finished trials: (\d+)", out) == "30"
    assert 1 <= int(found(r"Number of pruned trials: (\d+)", out)) <= 25
    assert float(found(r"Value: (\S+)", out)) > 0.97  # validation AUC


def test_lightgbm_tuner_simple(tmp_path: Path) -> None:
    out = run("lightgbm_tuner_simple.py", tmp_path)
    params = ast.literal_eval(found(r"Best params: (\{.*\})", out))
    assert {"lambda_l1", "lambda_l2", "num_leaves", "feature_fraction", "bagging_fraction", "bagging_freq",
            "min_child_samples"} <= set(params)
    assert params["feature_pre_filter"] is False and params["metric"] == "binary_logloss"
    assert float(found(r"Accuracy = (\S+)", out)) > 0.93


def test_lightgbm_tuner_cv(tmp_path: Path) -> None:
    out = run("lightgbm_tuner_cv.py", tmp_path)
    assert 64 <= int(found(r"Number of trials: (\d+)", out)) <= 68  # 7 + 20 + 10 + (3 to 6) + 20 + 5
    assert 0 < float(found(r"Best score: (\S+)", out)) < 0.2  # 3-fold log loss
    assert found(r"Boosters of the best trial: (\d+)", out) == "3"
    assert set(ast.literal_eval(found(r"Best params: (\{.*\})", out))) >= {"num_leaves", "lambda_l1"}


def test_sklearn_optuna_search_cv(tmp_path: Path) -> None:
    out = run("sklearn_optuna_search_cv.py", tmp_path)
    assert float(found(r"Value:\s+(\S+)", out)) > 0.9  # 5-fold accuracy of an SVC on iris
    assert 1e-10 <= float(found(r"    C: (\S+)", out)) <= 1e10 and 1 <= int(found(r"    degree: (\d+)", out)) <= 5
    assert found(r"Trials: (\d+)", out) == "30"
    assert float(found(r"Refit accuracy: (\S+)", out)) > 0.9
