"""``TFKerasPruningCallback``: reports a ``tf.keras`` metric after each epoch and prunes, as optuna-integration's."""

from __future__ import annotations

import warnings
from typing import TYPE_CHECKING, Any

from hpo.exceptions import TrialPruned
from hpo.integration._imports import try_import

if TYPE_CHECKING:
    from hpo.trial import BaseTrial

with try_import("tensorflow") as _imports:
    from tensorflow.keras.callbacks import Callback

if not _imports.is_successful():
    Callback = object  # lets the module import without TensorFlow

__all__ = ["TFKerasPruningCallback"]


class TFKerasPruningCallback(Callback):
    """``tf.keras`` callback that reports ``logs[monitor]`` at step ``epoch`` (counted from 0) after each
    epoch and raises :class:`~hpo.TrialPruned` when the trial should be pruned.

    A ``monitor`` missing from the epoch's logs gives a warning naming it and reports nothing. With
    Keras 3 on any backend, :class:`~hpo.integration.KerasPruningCallback` does the same without TensorFlow.

    Args:
        trial: The trial of the objective that trains the model.
        monitor: The metric to report, e.g. ``"val_loss"`` or ``"val_accuracy"``.
    """

    def __init__(self, trial: BaseTrial, monitor: str) -> None:
        _imports.check()
        super().__init__()
        self._trial = trial
        self._monitor = monitor

    def on_epoch_end(self, epoch: int, logs: dict[str, Any] | None = None) -> None:
        current = (logs or {}).get(self._monitor)
        if current is None:
            warnings.warn(
                f"The metric '{self._monitor}' is not in the evaluation logs for pruning. "
                "Please make sure you set the correct metric name.",
                stacklevel=2,
            )
            return
        self._trial.report(float(current), step=epoch)
        if self._trial.should_prune():
            raise TrialPruned(f"Trial was pruned at epoch {epoch}.")
