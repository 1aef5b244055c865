"""``FastAIV2PruningCallback`` (alias ``FastAIPruningCallback``): reports a fastai v2 ``Learner``'s metric
after each epoch and prunes, as optuna-integration's."""

from __future__ import annotations

from typing import TYPE_CHECKING

from hpo.exceptions import TrialPruned
from hpo.integration._imports import try_import

if TYPE_CHECKING:
    from hpo.trial import BaseTrial

with try_import("fastai") as _imports:
    import fastai

    if int(fastai.__version__.split(".")[0]) < 2:
        raise ImportError(f"You don't have fastai V2 installed! Fastai version: {fastai.__version__}")
    from fastai.callback.core import CancelFitException
    from fastai.callback.tracker import TrackerCallback

if not _imports.is_successful():
    TrackerCallback = object  # lets the module import without fastai

__all__ = ["FastAIPruningCallback", "FastAIV2PruningCallback"]


class FastAIV2PruningCallback(TrackerCallback):
    """fastai (>= 2.0) callback that reports ``monitor`` from the recorder at step ``epoch`` (counted
    from 0) after each epoch; when the trial should be pruned it cancels the fit, and raises
    :class:`~hpo.TrialPruned` once fastai has finished the fit.

    Pass it to ``learn.fit(..., cbs=[FastAIV2PruningCallback(trial)])`` (or ``fit_one_cycle``). As a
    ``TrackerCallback``, it runs after the ``Recorder`` and not during ``lr_find``; a ``monitor`` the
    recorder does not have fails the fit at its start with a ``ValueError`` listing the recorded names.

    Args:
        trial: The trial of the objective that trains the learner.
        monitor: The recorded value to report, e.g. ``"valid_loss"`` or a metric's name such as
            ``"accuracy"``.
    """

    def __init__(self, trial: BaseTrial, monitor: str = "valid_loss") -> None:
        _imports.check()
        super().__init__(monitor=monitor)
        self.trial = trial

    def before_fit(self) -> None:
        names = list(self.recorder.metric_names[1:])
        if self.monitor not in names:
            raise ValueError(
                f"The learner records no {self.monitor!r} to monitor for pruning; it records {names}. Pass "
                "monitor= one of those (a metric's name, e.g. 'accuracy', or 'valid_loss')."
            )
        super().before_fit()

    def after_epoch(self) -> None:
        super().after_epoch()
        self.trial.report(self.recorder.final_record[self.idx], step=self.epoch)
        if self.trial.should_prune():
            raise CancelFitException()

    def after_fit(self) -> None:
        super().after_fit()
        if self.trial.should_prune():
            raise TrialPruned(f"Trial was pruned at epoch {self.epoch}.")


FastAIPruningCallback = FastAIV2PruningCallback
