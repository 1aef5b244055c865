"""Mean decrease impurity: the random forest's own ``feature_importances_``, summed per parameter."""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

from hpo.importance._base import (
    TargetFunc,
    common_distributions,
    completed_trials,
    require_target,
    sort_by_importance,
    usable_trials,
)
from hpo.importance._forest import ForestEvaluator, encode

if TYPE_CHECKING:
    from hpo.study import Study


class MeanDecreaseImpurityImportanceEvaluator(ForestEvaluator):
    """Mean decrease impurity (MDI) over a random forest fitted to the COMPLETE trials.

    The forest (scikit-learn's ``RandomForestRegressor``, an ``importance`` extra) predicts the
    objective from the parameters; a parameter's importance is how much the splits on it reduce the
    squared error, averaged over the trees (a categorical parameter sums its one-hot columns).
    Rates the parameters every completed trial has (conditional ones are left out).

    Args:
        n_trees: Number of trees in the forest.
        max_depth: Maximum depth of each tree.
        seed: Seed of the forest; give one for the same importances on every call.
    """

    def evaluate(
        self,
        study: Study,
        params: list[str] | None = None,
        *,
        target: TargetFunc | None = None,
    ) -> dict[str, float]:
        require_target(study, target)
        trials = completed_trials(study)
        distributions = common_distributions(trials, params)
        if not distributions:
            return {}
        trials, values = usable_trials(trials, distributions, target)
        if len(trials) <= 1:
            return dict.fromkeys(params if params is not None else distributions, 0.0)
        encoded = encode(trials, distributions)
        forest = self._fit(encoded.x, values)
        per_column = forest.feature_importances_
        importances = {name: float(np.sum(per_column[cols])) for name, cols in zip(distributions, encoded.columns)}
        return sort_by_importance(importances)
