"""An objective run on real Celery workers by test_integrations_on_workers.py: XGBoost, CatBoost or
Lightning training with hpo's pruning callbacks, unchanged from in-process use.

``fast`` picks a learning rate whose first evaluation is below 0.65 (kept by ``ThresholdPruner(upper=0.65)``)
or one whose first evaluation is above it (pruned at step 0).
"""

from __future__ import annotations

import tempfile

import catboost
import lightning.pytorch as pl
import torch
import xgboost
from sklearn.datasets import make_classification

import hpo
from hpo.integration import CatBoostPruningCallback, PyTorchLightningPruningCallback, XGBoostPruningCallback

X, Y = make_classification(n_samples=120, n_features=6, random_state=0)


class OneWeight(pl.LightningModule):
    """``w * x`` fitted to ``y = 1`` at ``x = 1`` from ``w = 0``: val_loss is 1.0 before any step, then
    ``(1 - w) ** 2`` with ``w <- w + 2 * lr * (1 - w)`` per epoch (one batch)."""

    def __init__(self, lr: float) -> None:
        super().__init__()
        self.w = torch.nn.Parameter(torch.zeros(1))
        self.lr = lr

    def _loss(self, batch: list[torch.Tensor]) -> torch.Tensor:
        x, y = batch
        return ((self.w * x - y) ** 2).mean()

    def training_step(self, batch: list[torch.Tensor], batch_idx: int) -> torch.Tensor:
        return self._loss(batch)

    def validation_step(self, batch: list[torch.Tensor], batch_idx: int) -> None:
        self.log("val_loss", self._loss(batch))

    def configure_optimizers(self) -> torch.optim.Optimizer:
        return torch.optim.SGD(self.parameters(), lr=self.lr)

    def train_dataloader(self) -> torch.utils.data.DataLoader:
        return torch.utils.data.DataLoader(torch.utils.data.TensorDataset(torch.ones(1, 1), torch.ones(1, 1)))

    def val_dataloader(self) -> torch.utils.data.DataLoader:
        return self.train_dataloader()


def train(trial: hpo.trial.BaseTrial) -> float:
    framework = trial.suggest_categorical("framework", ["xgboost", "catboost", "lightning"])
    fast = trial.suggest_categorical("fast", [True, False])
    if framework == "xgboost":
        log: dict = {}
        xgboost.train({"objective": "binary:logistic", "eta": 0.5 if fast else 0.01, "nthread": 1},
                      xgboost.DMatrix(X[:80], label=Y[:80]), 4,
                      evals=[(xgboost.DMatrix(X[80:], label=Y[80:]), "validation")], evals_result=log,
                      callbacks=[XGBoostPruningCallback(trial, "validation-logloss")], verbose_eval=False)
        return float(log["validation"]["logloss"][-1])
    if framework == "catboost":
        callback = CatBoostPruningCallback(trial, "Logloss")
        model = catboost.CatBoostClassifier(iterations=4, learning_rate=0.5 if fast else 0.01, thread_count=1,
                                            verbose=0, allow_writing_files=False, random_seed=0)
        model.fit(X[:80], Y[:80], eval_set=(X[80:], Y[80:]), callbacks=[callback])
        callback.check_pruned()
        return float(model.get_evals_result()["validation"]["Logloss"][-1])
    with tempfile.TemporaryDirectory() as root:
        trainer = pl.Trainer(max_epochs=3, accelerator="cpu", default_root_dir=root, logger=False,
                             enable_checkpointing=False, enable_progress_bar=False, enable_model_summary=False,
                             callbacks=[PyTorchLightningPruningCallback(trial, monitor="val_loss")])
        trainer.fit(OneWeight(lr=0.25 if fast else 0.0))
        return float(trainer.callback_metrics["val_loss"])
