"""``PyTorchIgnitePruningHandler``: reports an Ignite evaluator's metric each epoch and prunes, as
optuna-integration's."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from hpo.exceptions import TrialPruned
from hpo.integration._imports import try_import

if TYPE_CHECKING:
    from hpo.trial import BaseTrial

with try_import("pytorch-ignite") as _imports:
    import ignite.engine  # noqa: F401

__all__ = ["PyTorchIgnitePruningHandler"]


class PyTorchIgnitePruningHandler:
    """Ignite event handler, attached to an evaluator (usually on ``Events.COMPLETED``): reports
    ``engine.state.metrics[metric]`` at step ``trainer.state.epoch`` and raises :class:`~hpo.TrialPruned`
    when the trial should be pruned.

    Args:
        trial: The trial of the objective that trains the model.
        metric: Name of the evaluator's metric to report, e.g. ``"accuracy"`` or ``"loss"``.
        trainer: The trainer ``ignite.engine.Engine``, whose epoch is the step.
    """

    def __init__(self, trial: BaseTrial, metric: str, trainer: Any) -> None:
        _imports.check()
        self._trial = trial
        self._metric = metric
        self._trainer = trainer

    def __call__(self, engine: Any) -> None:
        metrics = engine.state.metrics
        if self._metric not in metrics:
            raise KeyError(
                f"The evaluator has no metric {self._metric!r} (it has {sorted(metrics)}): pass the name the "
                "metric was attached under, e.g. Accuracy().attach(evaluator, 'accuracy')."
            )
        epoch = self._trainer.state.epoch
        self._trial.report(metrics[self._metric], epoch)
        if self._trial.should_prune():
            raise TrialPruned(f"Trial was pruned at {epoch} epoch.")
