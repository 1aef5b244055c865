"""``KerasPruningCallback``: reports a Keras 3 metric at the end of epochs and prunes, as optuna-integration's.

Keras 3 runs on any backend (``KERAS_BACKEND=torch``, ``jax`` or ``tensorflow``, set before keras is imported).
"""

from __future__ import annotations

import warnings
from typing import TYPE_CHECKING

from hpo.exceptions import TrialPruned
from hpo.integration._imports import try_import

if TYPE_CHECKING:
    from hpo.trial import BaseTrial

with try_import("keras") as _imports:
    from keras.callbacks import Callback

if not _imports.is_successful():
    Callback = object  # lets the module import without keras

__all__ = ["KerasPruningCallback"]


class KerasPruningCallback(Callback):
    """Keras callback that reports ``logs[monitor]`` at step ``epoch`` (counted from 0) after every
    ``interval``-th epoch and raises :class:`~hpo.TrialPruned` when the trial should be pruned.

    A ``monitor`` missing from the epoch's logs gives a warning naming it and reports nothing.

    Args:
        trial: The trial of the objective that trains the model.
        monitor: The metric to report, e.g. ``"val_loss"`` or ``"val_accuracy"``.
        interval: Report (and check pruning) every ``interval`` epochs only.
    """

    def __init__(self, trial: BaseTrial, monitor: str, interval: int = 1) -> None:
        _imports.check()
        super().__init__()
        self._trial = trial
        self._monitor = monitor
        self._interval = interval

    def on_epoch_end(self, epoch: int, logs: dict[str, float] | None = None) -> None:
        if (epoch + 1) % self._interval != 0:
            return
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
