"""Random forests over a study's trials: the model behind fANOVA and mean decrease impurity."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, NamedTuple

import numpy as np

from hpo.distributions import BaseDistribution, CategoricalDistribution
from hpo.importance._base import (
    BaseImportanceEvaluator,
    TargetFunc,
    common_distributions,
    completed_trials,
    require_target,
    sort_by_importance,
    usable_trials,
)
from hpo.trial import FrozenTrial

if TYPE_CHECKING:
    from sklearn.ensemble import RandomForestRegressor

    from hpo.study import Study


class Encoded(NamedTuple):
    """Trials as a matrix: one column per numerical parameter, one per choice of a categorical one."""

    x: np.ndarray  # (n_trials, n_columns)
    bounds: np.ndarray  # (n_columns, 2): the box the columns live in
    columns: list[np.ndarray]  # per parameter (in the order given), its column indices


def encode(trials: list[FrozenTrial], distributions: dict[str, BaseDistribution]) -> Encoded:
    """Numerical values as they are (log parameters too, as Optuna's evaluators), categoricals one-hot."""
    blocks: list[np.ndarray] = []
    bounds: list[tuple[float, float]] = []
    columns: list[np.ndarray] = []
    for name, dist in distributions.items():
        values = [t.params[name] for t in trials]
        start = len(bounds)
        if isinstance(dist, CategoricalDistribution):
            index = _choice_indices(values, dist)
            one_hot = np.zeros((len(values), len(dist.choices)))
            one_hot[np.arange(len(values)), index] = 1.0
            blocks.append(one_hot)
            bounds.extend([(0.0, 1.0)] * len(dist.choices))
        else:
            blocks.append(np.array(values, dtype=float).reshape(-1, 1))
            bounds.append((float(dist.low), float(dist.high)))  # type: ignore[attr-defined]
        columns.append(np.arange(start, len(bounds)))
    x = np.hstack(blocks) if blocks else np.empty((len(trials), 0))
    return Encoded(x, np.array(bounds, dtype=float).reshape(-1, 2), columns)


def _choice_indices(values: list[Any], dist: CategoricalDistribution) -> np.ndarray:
    """The index of each value among the choices (looked up once per distinct value)."""
    known: dict[tuple[type, Any], int] = {}
    index = np.empty(len(values), dtype=np.intp)
    for i, value in enumerate(values):
        key = (type(value), value)
        found = known.get(key)
        if found is None:
            found = known[key] = int(dist.to_internal_repr(value))
        index[i] = found
    return index


class ForestEvaluator(BaseImportanceEvaluator):
    """An evaluator that fits scikit-learn's ``RandomForestRegressor`` to the trials.

    :meth:`evaluate` selects the COMPLETE trials and the parameters all of them have, fits the forest and
    hands it to :meth:`_importances`; subclasses say which parameters they rate (:meth:`_rated`; the
    others get 0.0) and how the forest rates them.
    """

    def __init__(self, *, n_trees: int = 64, max_depth: int = 64, seed: int | None = None) -> None:
        for name, value in (("n_trees", n_trees), ("max_depth", max_depth)):
            if not isinstance(value, int) or value < 1:
                raise ValueError(f"{name} must be a positive integer, got {value!r}.")
        self._forest_class = _forest_class()
        self._n_trees = n_trees
        self._max_depth = max_depth
        self._seed = seed

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
        rated = self._rated(distributions)
        unrated = dict.fromkeys((name for name in distributions if name not in rated), 0.0)
        if not rated:
            return unrated
        trials, values = usable_trials(trials, distributions, target)
        if len(trials) <= 1:
            return dict.fromkeys(params if params is not None else distributions, 0.0)
        encoded = encode(trials, rated)
        importances = self._importances(self._fit(encoded.x, values), encoded, len(trials))
        return sort_by_importance({**dict(zip(rated, importances.tolist())), **unrated})

    def _rated(self, distributions: dict[str, BaseDistribution]) -> dict[str, BaseDistribution]:
        """The parameters the forest rates (all, by default)."""
        return distributions

    def _importances(self, forest: RandomForestRegressor, encoded: Encoded, n_trials: int) -> np.ndarray:
        """One importance per rated parameter, in ``encoded.columns``' order."""
        raise NotImplementedError

    def _fit(self, x: np.ndarray, y: np.ndarray) -> RandomForestRegressor:
        forest = self._forest_class(
            n_estimators=self._n_trees,
            max_depth=self._max_depth,
            min_samples_split=2,
            min_samples_leaf=1,
            random_state=self._seed,
        )
        forest.fit(x, y)
        return forest


def _forest_class() -> type[RandomForestRegressor]:
    try:
        from sklearn.ensemble import RandomForestRegressor
    except ImportError as error:
        raise ImportError(
            "This importance evaluator fits a random forest and needs scikit-learn: "
            "pip install 'hpo[importance]' (or pip install scikit-learn), or use the default "
            "PedAnovaImportanceEvaluator, which does not."
        ) from error
    return RandomForestRegressor
