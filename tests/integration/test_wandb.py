"""WeightsAndBiasesCallback with real wandb in offline mode; what it logged is read back from the
offline runs' ``.wandb`` files (LevelDB-style log records of wandb's protobuf ``Record``)."""

from __future__ import annotations

import importlib.util
import json
import struct
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

import hpo
from hpo.integration import WeightsAndBiasesCallback

wandb = pytest.importorskip("wandb")
from wandb.proto import wandb_internal_pb2  # noqa: E402

hpo.logging.set_verbosity(hpo.logging.ERROR)


@pytest.fixture(autouse=True)
def offline(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    """Offline W&B; each test passes ``dir`` in ``wandb_kwargs`` (wandb reads WANDB_DIR once per process)."""
    monkeypatch.setenv("WANDB_MODE", "offline")
    monkeypatch.setenv("WANDB_SILENT", "true")
    monkeypatch.setenv("WANDB_DISABLE_GIT", "true")
    yield tmp_path
    wandb.finish()


def _records(path: Path) -> list[Any]:
    data = path.read_bytes()
    assert data[:4] == b":W&B"
    pos, pending, records = 7, b"", []
    while pos + 7 <= len(data):
        if 32768 - pos % 32768 < 7:  # a block's tail too short for a header is padding
            pos += 32768 - pos % 32768
            continue
        _, length, kind = struct.unpack("<IHB", data[pos:pos + 7])
        if kind == 0:
            break
        pending += data[pos + 7:pos + 7 + length]
        pos += 7 + length
        if kind in (1, 4):  # FULL or LAST
            record = wandb_internal_pb2.Record()
            record.ParseFromString(pending)
            records.append(record)
            pending = b""
    return records


def _finished_records(path: Path) -> list[Any]:
    """The records of a finished run: wandb's core process writes them on after ``wandb.finish()`` returns."""
    deadline = time.monotonic() + 20
    while True:
        records = _records(path)
        if any(r.WhichOneof("record_type") == "exit" for r in records) or time.monotonic() > deadline:
            return records
        time.sleep(0.05)


def _runs(root: Path) -> list[dict[str, Any]]:
    """Per offline run, in start order: its name, tags, config and history rows (user keys only)."""
    runs = []
    for path in sorted(root.glob("wandb/offline-run-*/run-*.wandb"), key=lambda p: p.stat().st_mtime):
        run: dict[str, Any] = {"name": None, "tags": [], "config": {}, "history": []}
        for record in _finished_records(path):
            kind = record.WhichOneof("record_type")
            if kind == "run":
                run["name"] = record.run.display_name or run["name"]
                run["tags"] = list(record.run.tags) or run["tags"]
            elif kind == "config":
                for item in record.config.update:
                    run["config"][item.key or item.nested_key[0]] = json.loads(item.value_json)
            elif kind == "history":
                row = {item.key or item.nested_key[0]: json.loads(item.value_json) for item in record.history.item}
                run["history"].append({k: v for k, v in row.items() if k == "_step" or not k.startswith("_")})
        runs.append(run)
    return runs


def test_one_run_for_the_study_with_a_step_per_trial(offline: Path) -> None:
    callback = WeightsAndBiasesCallback(metric_name="loss", wandb_kwargs={"project": "hpo-test", "dir": str(offline)})
    study = hpo.create_study(sampler=hpo.samplers.RandomSampler(seed=0))

    def objective(trial: hpo.Trial) -> float:
        x = trial.suggest_float("x", -1, 1)
        if trial.number == 1:
            raise hpo.TrialPruned()
        return x**2

    study.optimize(objective, n_trials=3, callbacks=[callback])
    wandb.finish()
    (run,) = _runs(offline)
    t0, t1, t2 = study.trials
    assert run["history"] == [
        {"_step": 0, "x": t0.params["x"], "loss": t0.value},
        {"_step": 1, "x": t1.params["x"]},  # a pruned trial logs its parameters only
        {"_step": 2, "x": t2.params["x"], "loss": t2.value},
    ]
    assert run["config"]["direction"] == ["MINIMIZE"]


def test_multi_objective_names_are_broadcast_or_checked(offline: Path) -> None:
    study = hpo.create_study(directions=["minimize", "maximize"])
    kwargs = {"dir": str(offline)}
    study.optimize(lambda t: (t.suggest_float("x", 0, 1), 1.0), n_trials=1,
                   callbacks=[WeightsAndBiasesCallback(wandb_kwargs=kwargs)])
    with pytest.raises(ValueError, match="2 objective values, but 3 names"):
        study.optimize(lambda t: (0.0, 1.0), n_trials=1, callbacks=[WeightsAndBiasesCallback(["a", "b", "c"], kwargs)])
    wandb.finish()
    history = _runs(offline)[0]["history"]
    assert history[0] == {"_step": 0, "x": study.trials[0].params["x"], "value_0": study.trials[0].values[0],
                          "value_1": 1.0}
    assert _runs(offline)[0]["config"]["direction"] == ["MINIMIZE", "MAXIMIZE"]


def test_multirun_makes_a_run_per_trial_and_track_in_wandb_logs_into_it(offline: Path) -> None:
    kwargs = {"project": "hpo-test", "tags": ["mine"], "dir": str(offline)}
    callback = WeightsAndBiasesCallback(wandb_kwargs=kwargs, as_multirun=True)

    @callback.track_in_wandb()
    def objective(trial: hpo.Trial) -> float:
        x = trial.suggest_float("x", -1, 1)
        wandb.log({"inside": trial.number * 10})
        return x**2

    study = hpo.create_study(study_name="multi")
    study.optimize(objective, n_trials=2, callbacks=[callback])
    runs = _runs(offline)
    assert len(runs) == 2
    for number, run in enumerate(runs):
        trial = study.trials[number]
        assert run["name"].startswith(f"trial/{number}/")
        assert run["tags"] == ["mine", "multi"]
        assert run["config"]["x"] == trial.params["x"] and run["config"]["direction"] == ["MINIMIZE"]
        rows = run["history"]
        assert rows[0] == {"_step": 0, "inside": number * 10}
        if number == 1:  # logged at step trial.number, as optuna-integration does
            assert rows[1] == {"_step": 1, "x": trial.params["x"], "value": trial.value, "trial_number": 1}
        else:  # ... which W&B drops for trial 0: the objective's row already took step 0
            assert len(rows) == 1


def test_metric_name_must_be_a_string_or_a_sequence() -> None:
    with pytest.raises(TypeError, match="metric_name"):
        WeightsAndBiasesCallback(metric_name=3, as_multirun=True)  # type: ignore[arg-type]


def test_without_wandb_the_error_names_the_package(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(sys.modules, "wandb", None)
    spec = importlib.util.find_spec("hpo.integration.wandb")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    with pytest.raises(ImportError, match="pip install wandb"):
        module.WeightsAndBiasesCallback(as_multirun=True)


def test_deprecated_and_track_in_wandb_experimental_as_in_optuna() -> None:
    with pytest.warns(FutureWarning, match="WeightsAndBiasesCallback has been deprecated in v4.9.0"):
        callback = WeightsAndBiasesCallback(as_multirun=True)
    with pytest.warns(hpo.exceptions.ExperimentalWarning, match="track_in_wandb is experimental"):
        callback.track_in_wandb()
