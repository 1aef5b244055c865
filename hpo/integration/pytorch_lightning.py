"""PyTorch Lightning: a callback that reports a logged metric after each validation and prunes.

It works with the ``lightning`` package (``lightning.pytorch``) and with the older ``pytorch_lightning``
one; its base class comes from ``lightning.pytorch`` when that is installed.
"""

from __future__ import annotations

import importlib.util
import warnings
from typing import TYPE_CHECKING, Any

from hpo.exceptions import TrialPruned
from hpo.integration._imports import try_import
from hpo.storages import RDBStorage
from hpo.trial import BaseTrial, Trial

with try_import("lightning") as _imports:
    _lightning = importlib.import_module(
        "lightning.pytorch" if importlib.util.find_spec("lightning") is not None else "pytorch_lightning"
    )

if TYPE_CHECKING:
    from lightning.pytorch import Callback, LightningModule, Trainer
else:
    Callback = _lightning.Callback if _imports.is_successful() else object

__all__ = ["PyTorchLightningPruningCallback"]

# Trial system attrs through which the processes of a DDP run tell the main process what happened.
_EPOCH_KEY = "ddp_pl:epoch"
_INTERMEDIATE_VALUE = "ddp_pl:intermediate_value"
_PRUNED_KEY = "ddp_pl:pruned"


class PyTorchLightningPruningCallback(Callback):
    """Report ``monitor`` (a metric logged with ``self.log``, e.g. ``"val_loss"`` or ``"val_acc"``)
    after each validation, with the epoch as the step, and raise :class:`~hpo.TrialPruned` when the
    study's pruner says so (Optuna's ``PyTorchLightningPruningCallback``).

    The sanity check's validation is not reported; a ``monitor`` missing from
    ``trainer.callback_metrics`` warns and reports nothing.

    Distributed data parallel (``strategy="ddp_spawn"`` or ``"ddp_fork"``): the study must use an
    :class:`~hpo.storages.RDBStorage` (the processes share the trial through it; anything else raises
    ValueError when ``fit`` starts). Rank 0 reports and decides, every rank stops together, and you
    call :meth:`check_pruned` right after ``trainer.fit()`` to record the values in the trial and
    raise TrialPruned. On a Celery worker, train in one process per trial: DDP is refused there.
    """

    def __init__(self, trial: BaseTrial, monitor: str) -> None:
        _imports.check()
        super().__init__()
        self._trial = trial
        self.monitor = monitor
        self.is_ddp_backend = False

    def on_fit_start(self, trainer: Trainer, pl_module: LightningModule) -> None:
        self.is_ddp_backend = bool(trainer._accelerator_connector.is_distributed)
        if not self.is_ddp_backend:
            return
        trial = self._trial
        if not (isinstance(trial, Trial) and isinstance(trial.study.storage, RDBStorage)):
            raise ValueError(
                "hpo.integration.PyTorchLightningPruningCallback supports only hpo.storages.RDBStorage in DDP: "
                "create the study with storage='sqlite:///...' or a PostgreSQL URL. On a Celery worker, "
                "train each trial in one process (no DDP strategy)."
            )
        if trainer.is_global_zero:
            trial.study.storage.set_trial_system_attr(trial.trial_id, _INTERMEDIATE_VALUE, {})

    def on_validation_end(self, trainer: Trainer, pl_module: LightningModule) -> None:
        if trainer.sanity_checking:
            return
        current_score = trainer.callback_metrics.get(self.monitor)
        if current_score is None:
            warnings.warn(
                f"The metric '{self.monitor}' is not in the evaluation logs for pruning. Please make sure "
                f"you set the correct metric name (logged: {sorted(trainer.callback_metrics)}).",
                stacklevel=2,
            )
            return
        epoch = pl_module.current_epoch
        score = float(current_score.item())
        if not self.is_ddp_backend:
            self._trial.report(score, step=epoch)
            if self._trial.should_prune():
                raise TrialPruned(f"Trial was pruned at epoch {epoch}.")
            return

        should_stop = False
        if trainer.is_global_zero:
            self._trial.report(score, step=epoch)
            should_stop = self._trial.should_prune()
            storage, trial_id = self._shared_storage()
            values = storage.get_trial(trial_id).system_attrs.get(_INTERMEDIATE_VALUE, {})
            storage.set_trial_system_attr(trial_id, _INTERMEDIATE_VALUE, {**values, str(epoch): score})
        # Every process stops if rank 0 decided to.
        should_stop = trainer.strategy.broadcast(should_stop)
        trainer.should_stop = trainer.should_stop or should_stop
        if should_stop and trainer.is_global_zero:
            storage, trial_id = self._shared_storage()
            storage.set_trial_system_attr(trial_id, _PRUNED_KEY, True)
            storage.set_trial_system_attr(trial_id, _EPOCH_KEY, epoch)

    def check_pruned(self) -> None:
        """After a DDP ``trainer.fit()``: report the values rank 0 recorded, and raise
        :class:`~hpo.TrialPruned` if it pruned. Does nothing for a run without DDP."""
        if not (isinstance(self._trial, Trial) and isinstance(self._trial.study.storage, RDBStorage)):
            return
        storage, trial_id = self._shared_storage()
        attrs: dict[str, Any] = storage.get_trial(trial_id).system_attrs
        values = attrs.get(_INTERMEDIATE_VALUE)
        if values is None:
            return
        # The values are in the storage already; reporting them here puts them in this process's trial.
        for epoch, score in sorted((int(e), s) for e, s in values.items()):
            self._trial.report(score, step=epoch)
        if attrs.get(_PRUNED_KEY):
            raise TrialPruned(f"Trial was pruned at epoch {attrs.get(_EPOCH_KEY)}.")

    def _shared_storage(self) -> tuple[RDBStorage, int]:
        trial = self._trial
        assert isinstance(trial, Trial) and isinstance(trial.study.storage, RDBStorage)
        return trial.study.storage, trial.trial_id
