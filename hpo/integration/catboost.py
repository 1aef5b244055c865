"""CatBoost: a callback that reports an evaluation metric each iteration and stops training to prune."""

from __future__ import annotations

import warnings
from typing import Any

from hpo.exceptions import ExperimentalWarning, TrialPruned
from hpo.integration._imports import try_import
from hpo.trial import BaseTrial

with try_import("catboost") as _imports:
    import catboost  # noqa: F401  (imported to find out whether it is installed)

__all__ = ["CatBoostPruningCallback"]


class CatBoostPruningCallback:
    """Report ``metric`` on an eval set after every CatBoost iteration; stop training when the
    study's pruner says so (Optuna's ``CatBoostPruningCallback``).

    CatBoost turns an exception raised in a callback into a ``CatBoostError``, so pruning stops
    training (``after_iteration`` returns False) and you call :meth:`check_pruned` after ``fit`` to
    raise :class:`~hpo.TrialPruned`::

        pruning_callback = CatBoostPruningCallback(trial, "Logloss")
        model.fit(train_x, train_y, eval_set=[(valid_x, valid_y)], callbacks=[pruning_callback])
        pruning_callback.check_pruned()

    ``metric`` is a CatBoost metric name (``"Logloss"``, ``"AUC"``...) computed on the eval set;
    with several eval sets, ``eval_set_index`` says which one (0, 1...). Iteration ``i`` (from 0) is
    step ``i``. A wrong ``metric`` or ``eval_set_index`` raises ValueError in the callback, which
    ``fit`` raises as ``CatBoostError`` with the same message. CatBoost on GPUs does not call user
    callbacks. Experimental, as in Optuna (an ExperimentalWarning when made).
    """

    def __init__(self, trial: BaseTrial, metric: str, eval_set_index: int | None = None) -> None:
        warnings.warn(
            "CatBoostPruningCallback is experimental (supported from v3.0.0). The interface can change in the future.",
            ExperimentalWarning,
            stacklevel=2,
        )
        _imports.check()
        self._trial = trial
        self._metric = metric
        self._valid_name = "validation" if eval_set_index is None else f"validation_{eval_set_index}"
        self._pruned = False
        self._message = ""

    def after_iteration(self, info: Any) -> bool:
        """Called by CatBoost with ``info.iteration`` (from 1) and ``info.metrics``
        (``{eval name: {metric: [values]}}``); False stops training."""
        step = info.iteration - 1
        if self._valid_name not in info.metrics:
            raise ValueError(
                f'The entry associated with the validation name "{self._valid_name}" is not found in the '
                f"evaluation result list {info}. Pass eval_set to fit(), and eval_set_index only when "
                "there are several eval sets."
            )
        metrics = info.metrics[self._valid_name]
        if self._metric not in metrics:
            raise ValueError(
                f'The entry associated with the metric name "{self._metric}" is not found in the evaluation '
                f"result list {info}. Use one of {sorted(metrics)}, or add it with eval_metric/custom_metric."
            )
        self._trial.report(metrics[self._metric][-1], step=step)
        if self._trial.should_prune():
            self._message = f"Trial was pruned at iteration {step}."
            self._pruned = True
            return False
        return True

    def check_pruned(self) -> None:
        """Raise :class:`~hpo.TrialPruned` if training was stopped to prune; call it after ``fit``."""
        if self._pruned:
            raise TrialPruned(self._message)
