"""Mean decrease impurity: the random forest's own ``feature_importances_``, summed per parameter."""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

from hpo.importance._forest import Encoded, ForestEvaluator

if TYPE_CHECKING:
    from sklearn.ensemble import RandomForestRegressor


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

    def _importances(self, forest: RandomForestRegressor, encoded: Encoded, n_trials: int) -> np.ndarray:
        per_column = forest.feature_importances_
        return np.array([np.sum(per_column[columns]) for columns in encoded.columns])
