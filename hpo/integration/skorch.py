"""``SkorchPruningCallback``: reports a skorch net's history metric each epoch and prunes, as optuna-integration's."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from hpo.exceptions import TrialPruned
from hpo.integration._imports import try_import

if TYPE_CHECKING:
    from hpo.trial import BaseTrial

with try_import("skorch") as _imports:
    from skorch.callbacks import Callback

if not _imports.is_successful():
    Callback = object  # lets the module import without skorch

__all__ = ["SkorchPruningCallback"]


class SkorchPruningCallback(Callback):
    """Skorch callback that reports ``net.history[-1, monitor]`` at step ``epoch`` (counted from 0) after
    each epoch and raises :class:`~hpo.TrialPruned` when the trial should be pruned.

    Args:
        trial: The trial of the objective that trains the net.
        monitor: The history key to report, e.g. ``"valid_loss"`` or ``"valid_acc"``; a key the
            history lacks raises skorch's ``KeyError`` at the end of the first epoch.
    """

    def __init__(self, trial: BaseTrial, monitor: str) -> None:
        _imports.check()
        super().__init__()
        self._trial = trial
        self._monitor = monitor

    def on_epoch_end(self, net: Any, **kwargs: Any) -> None:
        history = net.history
        if not history:
            return
        epoch = len(history) - 1
        self._trial.report(history[-1, self._monitor], epoch)
        if self._trial.should_prune():
            raise TrialPruned(f"Trial was pruned at epoch {epoch}.")
