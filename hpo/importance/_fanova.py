"""fANOVA (Hutter, Hoos and Leyton-Brown, ICML 2014) over scikit-learn's random forest trees.

A regression tree is piecewise constant over boxes (its leaves). For a parameter's columns ``G``
(one, or the one-hot columns of a categorical parameter), the tree's splits on ``G`` cut ``G``'s
range into cells; the marginal prediction on a cell is the mean of the leaves covering it, each
weighted by its volume in the other dimensions. The variance of that marginal over the cells (each
weighted by its size), divided by the variance of the tree's prediction over the whole box, is the
fraction of the variance the parameter explains alone; the importance is its mean over the trees.
Everything is computed with array operations: the leaves' boxes level by level, each marginal
with a difference array over the cells (``2**k`` corners for ``k`` split columns).
"""

from __future__ import annotations

import functools
import itertools
from typing import TYPE_CHECKING, Any

import numpy as np

from hpo.distributions import BaseDistribution
from hpo.importance._forest import Encoded, ForestEvaluator

if TYPE_CHECKING:
    from sklearn.ensemble import RandomForestRegressor


class FanovaImportanceEvaluator(ForestEvaluator):
    """fANOVA importance: the share of the objective's variance each parameter explains on its own.

    Fits a random forest (scikit-learn's ``RandomForestRegressor``, an ``importance`` extra) that
    predicts the objective of the COMPLETE trials from their parameters, then decomposes each tree's
    prediction over the search space (`Hutter et al., 2014
    <http://proceedings.mlr.press/v32/hutter14.html>`__). The importances are only as good as the
    forest: samplers that explore the whole space (``RandomSampler``, ``QMCSampler``) give the most
    faithful figures. Rates the parameters every completed trial has (conditional ones are left
    out); a parameter with a single possible value gets 0.0.

    Args:
        n_trees: Number of trees in the forest.
        max_depth: Maximum depth of each tree.
        seed: Seed of the forest; give one for the same importances on every call.
    """

    def _rated(self, distributions: dict[str, BaseDistribution]) -> dict[str, BaseDistribution]:
        return {name: dist for name, dist in distributions.items() if not dist.single()}

    def _importances(self, forest: RandomForestRegressor, encoded: Encoded, n_trials: int) -> np.ndarray:
        low, width = encoded.bounds[:, 0], encoded.bounds[:, 1] - encoded.bounds[:, 0]
        totals, shares = [], []
        for estimator in forest.estimators_:
            total, marginals = _tree_variances(estimator.tree_, low, width, encoded.columns)
            totals.append(total)
            shares.append(marginals / total if total > 0 else marginals)
        explained = np.array(totals) > 0
        if not explained.any():
            raise RuntimeError(
                f"fANOVA found no variance to explain: every tree of the forest predicts one value for the "
                f"{n_trials} usable trials (their objective values are all equal). Run more trials with "
                "different outcomes, or rate another target."
            )
        return np.mean(np.array(shares)[explained], axis=0)


def _tree_variances(
    tree: Any, low: np.ndarray, width: np.ndarray, groups: list[np.ndarray]
) -> tuple[float, np.ndarray]:
    """The variance of ``tree``'s prediction over the box, and the variance of each group's marginal.

    ``tree`` is a fitted ``sklearn.tree._tree.Tree``; the box is ``low + [0, width]`` per column.
    Coordinates are rescaled to the unit cube first: the variances do not change, and the volumes of
    small leaves in many dimensions cannot underflow.
    """
    feature = tree.feature
    split = feature >= 0
    thresholds = np.where(split, (tree.threshold - low[np.maximum(feature, 0)]) / width[np.maximum(feature, 0)], 0.0)
    lower, upper = _node_boxes(feature, thresholds, tree.children_left, tree.children_right, len(low))
    leaves = ~split
    lower, upper = lower[leaves], upper[leaves]
    value = tree.value.reshape(tree.node_count, -1)[leaves, 0]
    sides = upper - lower
    volume = np.prod(sides, axis=1)
    total = _weighted_variance(value, volume)
    marginals = np.zeros(len(groups))
    if total <= 0:
        return 0.0, marginals
    split_features, split_thresholds = feature[split], thresholds[split]
    for i, columns in enumerate(groups):
        cells = []
        for column in columns:
            edges = np.unique(np.concatenate(([0.0], split_thresholds[split_features == column], [1.0])))
            if len(edges) > 2:  # a column the tree never splits on leaves the marginal unchanged
                cells.append((column, edges))
        if cells:
            marginals[i] = _marginal_variance(value, lower, upper, sides, cells)
    return total, marginals


def _node_boxes(
    feature: np.ndarray, threshold: np.ndarray, left: np.ndarray, right: np.ndarray, n_columns: int
) -> tuple[np.ndarray, np.ndarray]:
    """Lower and upper corners of every node's box in the unit cube, one tree level at a time."""
    lower = np.zeros((len(feature), n_columns))
    upper = np.ones((len(feature), n_columns))
    level = np.array([0])
    while level.size:
        parents = level[feature[level] >= 0]
        f, t = feature[parents], threshold[parents]
        lefts, rights = left[parents], right[parents]
        lower[lefts] = lower[parents]
        upper[lefts] = upper[parents]
        upper[lefts, f] = t
        lower[rights] = lower[parents]
        upper[rights] = upper[parents]
        lower[rights, f] = t
        level = np.concatenate((lefts, rights))
    return lower, upper


def _marginal_variance(
    value: np.ndarray,
    lower: np.ndarray,
    upper: np.ndarray,
    sides: np.ndarray,
    cells: list[tuple[int, np.ndarray]],
) -> float:
    """Variance over the grid of cells of the marginal prediction on the columns of ``cells``.

    Each leaf covers a block of cells (its box's edges are among the cells' edges) and adds its
    value, weighted by its volume in the other columns, to every cell of the block: a difference
    array takes the ``2**k`` corners of each block, cumulative sums along each axis fill it in.
    """
    columns = [column for column, _ in cells]
    other = np.ones(sides.shape[1], dtype=bool)
    other[columns] = False
    weight = np.prod(sides[:, other], axis=1)
    starts = [np.searchsorted(edges, lower[:, column]) for column, edges in cells]
    ends = [np.searchsorted(edges, upper[:, column]) for column, edges in cells]
    shape = tuple(len(edges) for _, edges in cells)  # cells per column, plus one for the block ends
    n_slots = int(np.prod(shape))
    weighted = np.zeros(n_slots)
    covered = np.zeros(n_slots)
    for corner in itertools.product((0, 1), repeat=len(cells)):
        index = np.ravel_multi_index([ends[d] if c else starts[d] for d, c in enumerate(corner)], shape)
        sign = -1.0 if sum(corner) % 2 else 1.0
        weighted += np.bincount(index, weights=sign * weight * value, minlength=n_slots)
        covered += np.bincount(index, weights=sign * weight, minlength=n_slots)
    sums = np.stack((weighted, covered)).reshape((2, *shape))
    for axis in range(1, sums.ndim):
        sums = np.cumsum(sums, axis=axis)
    inner = (slice(None), *(slice(0, n - 1) for n in shape))
    weighted_sum, covered_sum = sums[inner]
    marginal = weighted_sum / covered_sum
    size = functools.reduce(np.multiply.outer, [np.diff(edges) for _, edges in cells])
    return max(_weighted_variance(marginal.ravel(), np.ravel(size)), 0.0)


def _weighted_variance(values: np.ndarray, weights: np.ndarray) -> float:
    mean = np.average(values, weights=weights)
    return float(np.average((values - mean) ** 2, weights=weights))
