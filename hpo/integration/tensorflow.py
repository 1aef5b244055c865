"""``TensorFlowPruningHook``: a ``tf.estimator`` session hook that reports the estimator's latest evaluation
metric and prunes, as optuna-integration's (deprecated there, as TensorFlow removed Estimator in 2.16).

Needs TensorFlow <= 2.15 with ``tensorflow-estimator`` (which pins ``numpy<2``).
"""

from __future__ import annotations

import warnings
from typing import TYPE_CHECKING, Any

from hpo.exceptions import TrialPruned
from hpo.integration._imports import try_import

if TYPE_CHECKING:
    from hpo.trial import BaseTrial

with try_import("tensorflow==2.15.1", "tensorflow-estimator==2.15.0") as _imports:
    import tensorflow as tf
    from tensorflow.estimator import SessionRunHook
    from tensorflow_estimator.python.estimator.early_stopping import (
        read_eval_metrics,
    )

if not _imports.is_successful():
    SessionRunHook = object  # lets the module import without TensorFlow

__all__ = ["TensorFlowPruningHook"]


class TensorFlowPruningHook(SessionRunHook):
    """Session hook for ``estimator.train`` (e.g. in ``tf.estimator.train_and_evaluate``): every
    ``run_every_steps`` global steps it reads the estimator's evaluation summaries, reports the newest
    evaluation's ``metric`` at that evaluation's global step (once per evaluation; a missing value as
    NaN), and raises :class:`~hpo.TrialPruned` when the trial should be pruned.

    Args:
        trial: The trial of the objective that trains the estimator.
        estimator: The ``tf.estimator.Estimator`` being trained and evaluated.
        metric: The evaluation metric to report, e.g. ``"accuracy"`` or ``"loss"``.
        run_every_steps: How often, in global steps, to look for a new evaluation.

    Deprecated in Optuna 4.1 (removed in 6.0): a FutureWarning when made, as there.
    """

    def __init__(self, trial: BaseTrial, estimator: Any, metric: str, run_every_steps: int) -> None:
        warnings.warn(
            "TensorFlowPruningHook has been deprecated in v4.1.0. This feature will be removed in v6.0.0. "
            "See https://github.com/optuna/optuna/releases/tag/v4.1.0. Use KerasPruningCallback instead, because "
            "TensorFlow recommends migrating from Estimator to Keras APIs.",
            FutureWarning,
            stacklevel=2,
        )
        _imports.check()
        self._trial = trial
        self._estimator = estimator
        self._current_summary_step = -1
        self._metric = metric
        self._global_step_tensor: Any = None
        self._timer = tf.estimator.SecondOrStepTimer(every_secs=None, every_steps=run_every_steps)

    def begin(self) -> None:
        self._global_step_tensor = tf.compat.v1.train.get_global_step()

    def before_run(self, run_context: Any) -> Any:
        del run_context
        return tf.estimator.SessionRunArgs(self._global_step_tensor)

    def after_run(self, run_context: Any, run_values: Any) -> None:
        global_step = run_values.results
        eval_metrics = None
        if self._timer.should_trigger_for_step(global_step):
            self._timer.update_last_triggered_step(global_step)
            eval_metrics = read_eval_metrics(self._estimator.eval_dir())
        if not eval_metrics:
            return
        summary_step = next(reversed(eval_metrics))
        if summary_step > self._current_summary_step:
            if self._metric not in eval_metrics[summary_step]:
                raise KeyError(
                    f"The evaluation at step {summary_step} has no metric {self._metric!r}; it has "
                    f"{sorted(eval_metrics[summary_step])}. Pass one of those as metric=."
                )
            current = eval_metrics[summary_step][self._metric]
            self._trial.report(float("nan") if current is None else float(current), step=summary_step)
            self._current_summary_step = summary_step
        if self._trial.should_prune():
            raise TrialPruned(f"Trial was pruned at iteration {self._current_summary_step}.")
