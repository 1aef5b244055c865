"""``ShapleyImportanceEvaluator``: parameter importances as mean absolute SHAP values of a random forest,
as optuna-integration's evaluator of that name."""

from __future__ import annotations

import math
import warnings
from typing import TYPE_CHECKING, Any

import numpy as np

from hpo.distributions import BaseDistribution, CategoricalDistribution
from hpo.exceptions import ExperimentalWarning
from hpo.importance import BaseImportanceEvaluator, TargetFunc
from hpo.integration._imports import try_import
from hpo.search_space import intersection_search_space
from hpo.trial import FrozenTrial, TrialState

if TYPE_CHECKING:
    from hpo.study import Study

with try_import("shap", "scikit-learn") as _imports:
    from shap import TreeExplainer
    from sklearn.ensemble import RandomForestRegressor

__all__ = ["ShapleyImportanceEvaluator"]


class ShapleyImportanceEvaluator(BaseImportanceEvaluator):
    """Fits a random forest that predicts the objective (or ``target``) of the COMPLETE trials from their
    parameters, and rates each parameter by the mean absolute SHAP value of its columns (a categorical
    parameter is one-hot encoded and sums its columns; numbers are used as they are, not on a log scale).

    Rates the parameters every completed trial has unless ``params`` names others; follows the contract
    of :class:`~hpo.importance.BaseImportanceEvaluator` (a multi-objective study needs ``target``).
    Experimental, as in Optuna.

    Args:
        n_trees: Number of trees in the forest.
        max_depth: Maximum depth of each tree.
        seed: Seed of the forest.
    """

    def __init__(self, *, n_trees: int = 64, max_depth: int = 64, seed: int | None = None) -> None:
        warnings.warn(
            "ShapleyImportanceEvaluator is experimental (supported from v3.0.0). "
            "The interface can change in the future.",
            ExperimentalWarning,
            stacklevel=2,
        )
        _imports.check()
        self._forest = RandomForestRegressor(
            n_estimators=n_trees, max_depth=max_depth, min_samples_split=2, min_samples_leaf=1, random_state=seed
        )

    def evaluate(
        self,
        study: Study,
        params: list[str] | None = None,
        *,
        target: TargetFunc | None = None,
    ) -> dict[str, float]:
        if target is None and len(study.directions) > 1:
            raise ValueError(
                "If the `study` is being used for multi-objective optimization, please specify the `target`. "
                "For example, use `target=lambda t: t.values[0]` for the first objective value."
            )
        completed = study.get_trials(deepcopy=False, states=(TrialState.COMPLETE,))
        distributions = _distributions(completed, params)
        if not distributions:
            return {}
        trials, values = _usable(completed, distributions, target)
        if len(trials) <= 1:
            return dict.fromkeys(distributions, 0.0)
        x, columns = _encode(trials, distributions)
        forest = self._forest
        forest.fit(x, values)
        shap_values = np.asarray(TreeExplainer(forest).shap_values(x))
        importances = {
            name: float(np.abs(shap_values[:, cols].sum(axis=1)).mean()) for name, cols in zip(distributions, columns)
        }
        return dict(reversed(sorted(importances.items(), key=lambda item: item[1])))


def _distributions(trials: list[FrozenTrial], params: list[str] | None) -> dict[str, BaseDistribution]:
    """Without ``params``: those of every completed trial; with them: those names, checked to exist."""
    if params is None:
        return intersection_search_space(trials)
    if not isinstance(params, (list, tuple)) or any(not isinstance(p, str) for p in params):
        raise TypeError(f"Parameters must be specified as a list of names, e.g. params=['x']. Actual: {params!r}.")
    found: dict[str, BaseDistribution] = {}
    for trial in trials:
        for name in params:
            if name in trial.distributions:
                found.setdefault(name, trial.distributions[name])
    missing = [name for name in params if name not in found]
    if missing:
        raise ValueError(f"Parameters {missing} are not in any completed trial; name parameters the trials have.")
    return {name: found[name] for name in params}


def _usable(
    trials: list[FrozenTrial], distributions: dict[str, BaseDistribution], target: TargetFunc | None
) -> tuple[list[FrozenTrial], np.ndarray]:
    """The trials with every parameter and a finite value to explain."""
    kept: list[FrozenTrial] = []
    values: list[float] = []
    for trial in trials:
        if any(name not in trial.params for name in distributions):
            continue
        value = target(trial) if target is not None else _single_value(trial)
        if math.isfinite(value):
            kept.append(trial)
            values.append(value)
    return kept, np.asarray(values, dtype=float)


def _single_value(trial: FrozenTrial) -> float:
    assert trial.values is not None, "a COMPLETE trial has its values"
    return trial.values[0]


def _encode(trials: list[FrozenTrial], distributions: dict[str, BaseDistribution]) -> tuple[np.ndarray, list[Any]]:
    """The design matrix (numbers as they are, choices one-hot) and each parameter's column indices."""
    blocks: list[np.ndarray] = []
    columns: list[Any] = []
    start = 0
    for name, dist in distributions.items():
        if isinstance(dist, CategoricalDistribution):
            block = np.zeros((len(trials), len(dist.choices)))
            for row, trial in enumerate(trials):
                block[row, int(dist.to_internal_repr(trial.params[name]))] = 1.0
        else:
            block = np.asarray([[float(trial.params[name])] for trial in trials])
        blocks.append(block)
        columns.append(list(range(start, start + block.shape[1])))
        start += block.shape[1]
    return np.hstack(blocks), columns
