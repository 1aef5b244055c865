"""Parameter importances of a study, as Optuna's ``optuna.importance``.

``get_param_importances(study)`` rates each parameter with PED-ANOVA (Optuna 5's default);
``FanovaImportanceEvaluator`` and ``MeanDecreaseImpurityImportanceEvaluator`` fit a random forest
and need scikit-learn (``pip install 'hpo[importance]'``), imported only when one is made.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from hpo.importance._base import BaseImportanceEvaluator, TargetFunc
from hpo.importance._fanova import FanovaImportanceEvaluator
from hpo.importance._mean_decrease_impurity import MeanDecreaseImpurityImportanceEvaluator
from hpo.importance._ped_anova import PedAnovaImportanceEvaluator

if TYPE_CHECKING:
    from hpo.study import Study

__all__ = [
    "BaseImportanceEvaluator",
    "FanovaImportanceEvaluator",
    "MeanDecreaseImpurityImportanceEvaluator",
    "PedAnovaImportanceEvaluator",
    "get_param_importances",
]


def get_param_importances(
    study: Study,
    *,
    evaluator: BaseImportanceEvaluator | None = None,
    params: list[str] | None = None,
    target: TargetFunc | None = None,
    normalize: bool = True,
) -> dict[str, float]:
    """Importance of each parameter for the study's COMPLETE trials, most important first.

    Args:
        study: The study to analyse.
        evaluator: How to rate the parameters; :class:`PedAnovaImportanceEvaluator` by default.
        params: The parameters to rate. ``None``: PED-ANOVA rates every parameter of the completed
            trials (conditional ones too), the forest evaluators those every completed trial has.
            ``[]`` gives ``{}``.
        target: The value to explain per trial, e.g. ``lambda t: t.values[0]`` for the first
            objective; required for a multi-objective study except with PED-ANOVA, which then rates
            reaching the Pareto front. PED-ANOVA assumes lower ``target`` values are better.
        normalize: Scale the importances to sum to 1.0 (all equal when every one is 0.0).

    Returns:
        ``{name: importance}``: non-negative floats, most important first.
    """
    if evaluator is None:
        evaluator = PedAnovaImportanceEvaluator()
    if not isinstance(evaluator, BaseImportanceEvaluator):
        raise TypeError(
            f"evaluator must be an instance of a BaseImportanceEvaluator subclass, e.g. "
            f"hpo.importance.FanovaImportanceEvaluator(); got {evaluator!r}."
        )
    evaluated = evaluator.evaluate(study, params=params, target=target)
    importances = {name: float(value) for name, value in evaluated.items()}
    if not normalize:
        return importances
    total = sum(importances.values())
    if total == 0.0:
        return {name: 1.0 / len(importances) for name in importances}
    return {name: value / total for name, value in importances.items()}
