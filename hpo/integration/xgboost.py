"""XGBoost: a training callback that reports an evaluation metric each boosting round and prunes."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from hpo.exceptions import TrialPruned
from hpo.integration._imports import try_import
from hpo.trial import BaseTrial

with try_import("xgboost") as _imports:
    import xgboost

if TYPE_CHECKING or _imports.is_successful():
    from xgboost.callback import TrainingCallback
else:
    TrainingCallback = object

__all__ = ["XGBoostPruningCallback"]


class XGBoostPruningCallback(TrainingCallback):
    """Report ``observation_key`` after every boosting round and raise :class:`~hpo.TrialPruned` when
    the study's pruner says so (Optuna's ``XGBoostPruningCallback``).

    ``observation_key`` is ``"<eval name>-<metric>"`` as in XGBoost's ``evals_log``: e.g.
    ``"validation-logloss"`` for ``xgb.train(..., evals=[(dvalid, "validation")])``, or
    ``"validation_0-logloss"`` for the scikit-learn API's first ``eval_set``; with ``xgb.cv`` the mean
    over the folds is reported (e.g. ``"test-logloss"``). Round ``i`` (from 0) is step ``i``. Whether
    smaller is better comes from the study's direction. Works wherever ``trial.report`` does,
    on Celery workers too.
    """

    def __init__(self, trial: BaseTrial, observation_key: str) -> None:
        _imports.check()
        super().__init__()
        self._trial = trial
        self._observation_key = observation_key
        self._is_cv = False

    def before_training(self, model: Any) -> Any:
        # xgb.cv passes its packed fold boosters, whose logs hold (mean, std) pairs.
        self._is_cv = not isinstance(model, xgboost.Booster)
        return model

    def after_iteration(self, model: Any, epoch: int, evals_log: Any) -> bool:
        scores: dict[str, float] = {}
        for dataset, metrics in evals_log.items():
            for metric, history in metrics.items():
                last = history[-1]
                scores[f"{dataset}-{metric}"] = float(last[0] if self._is_cv else last)
        if self._observation_key not in scores:
            raise KeyError(
                f"observation_key {self._observation_key!r} is not in XGBoost's evaluation log, which has "
                f"{sorted(scores)}. Pass one of these ('<eval name>-<metric>'), and give XGBoost the evals "
                "(or eval_set) and eval_metric it names."
            )
        self._trial.report(scores[self._observation_key], step=epoch)
        if self._trial.should_prune():
            raise TrialPruned(f"Trial was pruned at iteration {epoch}.")
        return False
