"""The XGBoost, CatBoost and Lightning pruning callbacks, unchanged, on real Celery workers: every report
goes to the coordinator, whose ThresholdPruner decides, and the pruned trials end PRUNED there."""

from __future__ import annotations

from pathlib import Path

import pytest

import hpo
from hpo.distributed.local_stack import LocalStack
from hpo.pruners import PRUNE_REASON_KEY, ThresholdPruner
from hpo.samplers import GridSampler
from hpo.trial import TrialState

HERE = Path(__file__).resolve().parent

pytestmark = [pytest.mark.slow, pytest.mark.distributed]

#: Each framework's reported values when its learning rate is the fast one (see integration_objectives_a).
KEPT_STEPS = {"xgboost": [0, 1, 2, 3], "catboost": [0, 1, 2, 3], "lightning": [0, 1, 2]}


def test_pruning_callbacks_on_celery_workers(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("HPO_HOME", str(tmp_path / "home"))
    # As tests/distributed/cluster.py's make_stack, with this folder's objective module allowed instead.
    stack = LocalStack(storage_url=f"sqlite:///{tmp_path / 'hpo.db'}", n_workers=2,
                       objective_modules=["integration_objectives_a"], pythonpath=[str(HERE)], log_dir=str(tmp_path))
    grid = {"framework": ["xgboost", "catboost", "lightning"], "fast": [True, False]}
    with stack:
        handle = hpo.submit_study("integration_objectives_a:train", 6, sampler=GridSampler(grid),
                                  pruner=ThresholdPruner(upper=0.65), broker_url=stack.broker_url,
                                  storage=stack.storage_url)
        study = handle.wait(progress=False, timeout=240)
    trials = study.get_trials(deepcopy=False)
    logs = "".join(path.read_text(errors="replace")[-3000:] for path in tmp_path.glob("*.log"))
    assert sorted((t.params["framework"], t.params["fast"]) for t in trials) == sorted(
        (f, fast) for f in grid["framework"] for fast in (True, False)), logs
    for trial in trials:
        framework = trial.params["framework"]
        if trial.params["fast"]:
            assert trial.state == TrialState.COMPLETE, (trial, logs)
            assert list(trial.intermediate_values) == KEPT_STEPS[framework]
            assert trial.value == pytest.approx(trial.intermediate_values[trial.last_step])
        else:
            assert trial.state == TrialState.PRUNED, (trial, logs)
            assert list(trial.intermediate_values) == [0] and trial.intermediate_values[0] > 0.65
            assert trial.system_attrs[PRUNE_REASON_KEY]["pruner"] == "Threshold"
    lightning = {t.params["fast"]: t.intermediate_values for t in trials if t.params["framework"] == "lightning"}
    assert lightning[False] == pytest.approx({0: 1.0})  # w stays 0
    assert lightning[True] == pytest.approx({0: 0.25, 1: 0.0625, 2: 0.015625})  # w = 0.5, 0.75, 0.875
