"""PyTorchLightningPruningCallback with real Lightning (``lightning.pytorch`` and ``pytorch_lightning``):
values per epoch, pruning, a wrong monitor, DDP on an RDBStorage (and its refusal elsewhere), a missing
lightning."""

from __future__ import annotations

import importlib
import os
import pickle
import subprocess
import sys
import warnings
from pathlib import Path
from typing import Any

import lightning.pytorch
import pytest
import pytorch_lightning
import torch
from integration_helpers_a import error_without, study_with
from torch import nn
from torch.multiprocessing.spawn import ProcessRaisedException

import hpo
from hpo.integration import PyTorchLightningPruningCallback
from hpo.pruners import BasePruner
from hpo.study import Study
from hpo.trial import FrozenTrial, TrialState


class _Classifier:
    """A one-layer classifier on 4 rows, logging ``val_loss`` and ``accuracy`` each validation epoch
    (mixed into each package's LightningModule below; module level, so DDP's processes unpickle it)."""

    def __init__(self) -> None:
        super().__init__()
        torch.manual_seed(0)
        self.layer = nn.Linear(4, 2)
        self.logged: list[tuple[int, float]] = []

    def training_step(self, batch: Any, batch_idx: int) -> torch.Tensor:
        data, target = batch
        return nn.functional.cross_entropy(self.layer(data), target)

    def validation_step(self, batch: Any, batch_idx: int) -> None:
        data, target = batch
        loss = nn.functional.cross_entropy(self.layer(data), target)
        accuracy = (self.layer(data).argmax(dim=1) == target).double().mean()
        distributed = self.trainer.world_size > 1
        if distributed:  # a different value per process, as in Optuna's DDP test
            accuracy = torch.tensor(0.3 if self.global_rank == 0 else 0.6)
        self.log("accuracy", accuracy, sync_dist=distributed)
        self.log("val_loss", loss)
        if not self.trainer.sanity_checking:
            self.logged.append((self.current_epoch, float(loss)))

    def configure_optimizers(self) -> torch.optim.Optimizer:
        return torch.optim.SGD(self.layer.parameters(), lr=0.5)

    def train_dataloader(self) -> torch.utils.data.DataLoader:
        return self._data()

    def val_dataloader(self) -> torch.utils.data.DataLoader:
        return self._data()

    def _data(self) -> torch.utils.data.DataLoader:
        data = torch.randn(4, 4, generator=torch.Generator().manual_seed(1))
        return torch.utils.data.DataLoader(torch.utils.data.TensorDataset(data, (data[:, 0] > 0).long()), batch_size=4)


class LightningModel(_Classifier, lightning.pytorch.LightningModule):  # type: ignore[misc]
    pass


class PyTorchLightningModel(_Classifier, pytorch_lightning.LightningModule):  # type: ignore[misc]
    pass


MODELS = {"lightning.pytorch": LightningModel, "pytorch_lightning": PyTorchLightningModel}


def _trainer(package: str, root: Path, callback: Any, epochs: int = 3, **kwargs: Any) -> Any:
    pl = importlib.import_module(package)
    return pl.Trainer(max_epochs=epochs, accelerator="cpu", default_root_dir=root, enable_checkpointing=False,
                      logger=False, enable_progress_bar=False, enable_model_summary=False, callbacks=[callback],
                      **kwargs)


@pytest.fixture(autouse=True)
def _quiet() -> Any:
    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", message=".*(num_workers|does not have many workers|GPU available).*")
        yield


@pytest.mark.parametrize("package", ["lightning.pytorch", "pytorch_lightning"])
def test_reports_the_monitored_metric_each_epoch_and_prunes(package: str, tmp_path: Path) -> None:
    models = []

    def objective(trial: hpo.Trial) -> float:
        model = MODELS[package]()
        models.append(model)
        _trainer(package, tmp_path, PyTorchLightningPruningCallback(trial, monitor="val_loss")).fit(model)
        return 1.0

    study = study_with(False)
    study.optimize(objective, n_trials=1)
    trial = study.trials[0]
    assert trial.state == TrialState.COMPLETE and trial.value == 1.0
    assert trial.intermediate_values == pytest.approx(dict(models[0].logged))
    assert list(trial.intermediate_values) == [0, 1, 2]

    study = study_with(True)
    study.optimize(objective, n_trials=1)
    trial = study.trials[0]
    assert trial.state == TrialState.PRUNED and list(trial.intermediate_values) == [0]
    assert trial.intermediate_values[0] == pytest.approx(models[1].logged[0][1])


def test_pruned_message_names_the_epoch(tmp_path: Path) -> None:
    trial = study_with(True).ask()
    trainer = _trainer("lightning.pytorch", tmp_path, PyTorchLightningPruningCallback(trial, "accuracy"))
    with pytest.raises(hpo.TrialPruned, match="Trial was pruned at epoch 0."):
        trainer.fit(LightningModel())


def test_a_monitor_that_is_not_logged_warns_and_reports_nothing(tmp_path: Path) -> None:
    study = study_with(True)

    def objective(trial: hpo.Trial) -> float:
        callback = PyTorchLightningPruningCallback(trial, monitor="InvalidMonitor")
        with pytest.warns(UserWarning, match="'InvalidMonitor' is not in the evaluation logs"):
            _trainer("lightning.pytorch", tmp_path, callback, epochs=1).fit(LightningModel())
        return 1.0

    study.optimize(objective, n_trials=1)
    assert study.trials[0].state == TrialState.COMPLETE and study.trials[0].intermediate_values == {}


def _ddp_objective(root: Path, strategy: str) -> Any:
    def objective(trial: hpo.Trial) -> float:
        callback = PyTorchLightningPruningCallback(trial, monitor="accuracy")
        trainer = _trainer("lightning.pytorch", root, callback, devices=2, strategy=strategy)
        trainer.fit(LightningModel())
        callback.check_pruned()
        return 1.0

    return objective


class PruneFromStep(BasePruner):
    """Prunes once the trial has reported ``step``."""

    def __init__(self, step: int) -> None:
        self.step = step

    def prune(self, study: Study, trial: FrozenTrial) -> bool:
        return trial.last_step is not None and trial.last_step >= self.step


SPAWN = pytest.mark.skipif(
    os.environ.get("HPO_TEST_DDP_SPAWN") != "1",
    reason="ddp_spawn starts 2 fresh interpreters that import torch and Lightning (25-50 s on 2 cores); run it with "
    "HPO_TEST_DDP_SPAWN=1 (test_the_callback_travels_by_pickle checks what spawning needs)",
)


# ddp_fork forks this process, which hangs inside a pytest-xdist worker (its threads): there, the fork tests
# run in a fresh pytest process of their own (test_fork_tests_in_a_process_of_their_own).
IN_XDIST = "PYTEST_XDIST_WORKER" in os.environ
FORKS = pytest.mark.skipif(IN_XDIST, reason="run by test_fork_tests_in_a_process_of_their_own")
FORK_TESTS = "ddp_fork or travels_by_pickle or in_memory_study_fails"


def test_fork_tests_in_a_process_of_their_own() -> None:
    if not IN_XDIST:
        pytest.skip("not under pytest-xdist: the fork tests run directly")
    env = {k: v for k, v in os.environ.items() if not k.startswith("PYTEST_XDIST")}
    done = subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-p", "no:xdist", "-p", "no:cacheprovider", __file__, "-k", FORK_TESTS,
         "--rootdir", str(Path(__file__).parents[2])],
        env=env, capture_output=True, text=True, timeout=280,
    )
    assert done.returncode == 0, done.stdout[-4000:] + done.stderr[-2000:]
    assert "3 passed" in done.stdout, done.stdout[-2000:]


# ddp_fork starts its processes in about a second; ddp_spawn (Optuna's DDP tests use it) pickles the trial.
@pytest.mark.parametrize("strategy", [pytest.param("ddp_fork", marks=FORKS),
                                      pytest.param("ddp_spawn", marks=[pytest.mark.slow, SPAWN])])
def test_ddp_on_an_rdb_storage_reports_rank_zeros_values_and_decision(strategy: str, tmp_path: Path) -> None:
    study = hpo.create_study(storage=f"sqlite:///{tmp_path / 'ddp.db'}", pruner=PruneFromStep(1))
    study.optimize(_ddp_objective(tmp_path, strategy), n_trials=1)  # 2 processes, 3 epochs; pruned after epoch 1
    trial = study.trials[0]
    assert trial.state == TrialState.PRUNED
    assert trial.intermediate_values == pytest.approx({0: 0.45, 1: 0.45})  # the mean of the ranks' 0.3 and 0.6


@FORKS
def test_the_callback_travels_by_pickle(tmp_path: Path) -> None:
    """What ddp_spawn does to the callback: a copy unpickled elsewhere reports to the same trial."""
    study = hpo.create_study(storage=f"sqlite:///{tmp_path / 'pickle.db'}", pruner=PruneFromStep(0))
    callback = PyTorchLightningPruningCallback(study.ask(), monitor="accuracy")
    copy = pickle.loads(pickle.dumps(callback))
    trainer = _trainer("lightning.pytorch", tmp_path, copy, devices=2, strategy="ddp_fork")
    copy.on_fit_start(trainer, LightningModel())  # rank 0 of a DDP run: sets up the shared attrs
    copy._trial.report(0.5, step=0)
    assert copy._trial.should_prune()
    assert study.trials[0].intermediate_values == {0: 0.5}
    assert study.trials[0].system_attrs["ddp_pl:intermediate_value"] == {}


@FORKS
def test_ddp_with_an_in_memory_study_fails_in_every_process(tmp_path: Path) -> None:
    study = study_with(True)
    with pytest.raises(ProcessRaisedException, match="supports only hpo.storages.RDBStorage in DDP"):
        study.optimize(_ddp_objective(tmp_path, "ddp_fork"), n_trials=1)
    assert study.trials[0].state == TrialState.FAIL


@pytest.mark.parametrize("storage", [None, "none (FixedTrial)"])
def test_ddp_refuses_a_trial_the_processes_cannot_share(storage: str | None, tmp_path: Path) -> None:
    if storage is None:  # in memory: each process would see its own copy
        trial: Any = hpo.create_study().ask()
    else:  # a trial that is not a storage's (as on a Celery worker)
        trial = hpo.trial.FixedTrial({})
    callback = PyTorchLightningPruningCallback(trial, monitor="accuracy")
    trainer = _trainer("lightning.pytorch", tmp_path, callback, devices=2, strategy="ddp_spawn")
    with pytest.raises(ValueError, match="supports only hpo.storages.RDBStorage in DDP"):
        callback.on_fit_start(trainer, LightningModel())
    callback.check_pruned()  # nothing to do outside DDP


def test_without_lightning_using_the_callback_names_the_package() -> None:
    message = error_without(["lightning", "pytorch_lightning"],
                            "hpo.integration.PyTorchLightningPruningCallback(trial, 'val_loss')")
    assert "pip install lightning" in message
