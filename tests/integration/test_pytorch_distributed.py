"""TorchDistributedTrial in a real 2-process torch.distributed job (gloo backend, CPU)."""

from __future__ import annotations

import importlib.util
import json
import os
import socket
import subprocess
import sys
from pathlib import Path

import pytest

import hpo
from hpo.integration import TorchDistributedTrial

pytest.importorskip("torch")

# Each rank runs this: rank 0 optimizes a study; rank 1 calls the same objective with None as often.
WORKER = r'''
import json, sys, warnings
import torch, torch.distributed as dist
import hpo
from hpo.integration import TorchDistributedTrial

dist.init_process_group("gloo")
rank = dist.get_rank()
log = []

def objective(trial):
    t = TorchDistributedTrial(trial)
    x = t.suggest_float("x", -1, 1)
    lr = t.suggest_float("lr", 1e-4, 1, log=True)
    n = t.suggest_int("n", 1, 8, step=1)
    act = t.suggest_categorical("act", ["relu", None, 3])
    value = (x + rank * 0.0) ** 2  # every rank computes the same value from the shared parameters
    t.set_user_attr("seen_by", "rank0" if rank == 0 else "other")
    pruned = False
    for step in range(3):
        t.report(value + step, step)
        if t.should_prune():
            pruned = True
            break
    try:
        t.suggest_float("x", 5, 6, log=True)  # a changed distribution: rank 0's ValueError on every rank
        error = None
    except ValueError as e:
        error = str(e)
    log.append({"number": t.number, "params": t.params, "user_attrs": t.user_attrs, "pruned": pruned,
                "distributions": sorted(type(d).__name__ for d in t.distributions.values()),
                "started": t.datetime_start.isoformat(), "error": error})
    if pruned:
        raise hpo.TrialPruned()
    return value

if rank == 0:
    study = hpo.create_study(sampler=hpo.samplers.RandomSampler(seed=0),
                             pruner=hpo.pruners.ThresholdPruner(upper=float(sys.argv[2])))
    study.optimize(objective, n_trials=3)
    states = [t.state.name for t in study.trials]
    values = [t.intermediate_values for t in study.trials]
else:
    for _ in range(3):
        try:
            objective(None)
        except hpo.TrialPruned:
            pass
    states = values = None
    try:
        TorchDistributedTrial(hpo.create_study().ask())
    except ValueError as e:
        log.append({"wrong_trial": str(e)})
with open(sys.argv[1] + f".{rank}", "w") as f:
    values = values and [{str(k): v for k, v in iv.items()} for iv in values]
    json.dump({"log": log, "states": states, "values": values}, f)
dist.barrier()  # both ranks tear gloo down together (one rank leaving first can abort the other in C++)
dist.destroy_process_group()
'''


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _run_job(tmp_path: Path, prune_above: float) -> tuple[dict, dict]:
    env = {**os.environ, "MASTER_ADDR": "127.0.0.1", "MASTER_PORT": str(_free_port()), "WORLD_SIZE": "2"}
    out = tmp_path / "out"
    procs = [
        subprocess.Popen([sys.executable, "-c", WORKER, str(out), str(prune_above)], env={**env, "RANK": str(rank)},
                         stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
        for rank in (0, 1)
    ]
    try:
        outputs = [p.communicate(timeout=90)[0] for p in procs]
    finally:
        for p in procs:
            p.kill()
    for p, output in zip(procs, outputs):
        assert p.returncode == 0, output
    return json.loads(Path(f"{out}.0").read_text()), json.loads(Path(f"{out}.1").read_text())


def test_two_processes_share_parameters_reports_pruning_and_errors(tmp_path: Path) -> None:
    rank0, rank1 = _run_job(tmp_path, prune_above=2.5)
    assert rank1["log"][-1]["wrong_trial"].startswith("Non-rank 0 node is supposed to receive None")
    entries0, entries1 = rank0["log"], rank1["log"][:-1]
    assert len(entries0) == len(entries1) == 3
    for a, b in zip(entries0, entries1):
        assert a == b  # same number, params, attrs, distributions, start time, pruning decision and error
        assert set(a["params"]) == {"x", "lr", "n", "act"} and a["user_attrs"] == {"seen_by": "rank0"}
        assert "Cannot change" in a["error"]
    # rank 0's study holds what both ranks computed: values reported until the threshold pruned the trial
    for entry, state, values in zip(entries0, rank0["states"], rank0["values"]):
        x2 = entry["params"]["x"] ** 2
        expected_steps = [s for s in range(3) if s == 0 or x2 + s - 1 <= 2.5]
        assert values == {str(s): pytest.approx(x2 + s) for s in expected_steps}
        assert (state == "PRUNED") == entry["pruned"] == (x2 + 2 > 2.5)
    assert sorted(set(rank0["states"])) == ["COMPLETE", "PRUNED"]


def test_outside_a_distributed_job_the_error_says_to_initialize() -> None:
    with pytest.warns(hpo.exceptions.ExperimentalWarning, match="TorchDistributedTrial is experimental"):
        with pytest.raises(RuntimeError, match="init_process_group"):
            TorchDistributedTrial(hpo.create_study().ask())


def test_without_torch_the_error_names_the_package(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(sys.modules, "torch", None)
    monkeypatch.setitem(sys.modules, "torch.distributed", None)
    spec = importlib.util.find_spec("hpo.integration.pytorch_distributed")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    with pytest.raises(ImportError, match="pip install torch"):
        module.TorchDistributedTrial(None)
