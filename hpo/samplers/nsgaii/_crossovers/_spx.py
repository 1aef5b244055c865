"""Simplex crossover (SPX)."""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

from hpo.samplers.nsgaii._crossovers._base import BaseCrossover

if TYPE_CHECKING:
    from hpo.study import Study


class SPXCrossover(BaseCrossover):
    """Draws the child uniformly from the parents' simplex, expanded by ``epsilon`` around its centroid.

    Tsutsui, Goldberg and Sastry, "Progress Toward Linkage Learning in Real-Coded GAs with Simplex
    Crossover", IlliGAL Report 2000.

    Args:
        epsilon: Expansion rate; default ``sqrt(dim + 2)``.
    """

    n_parents = 3

    def __init__(self, epsilon: float | None = None) -> None:
        if epsilon is not None and not epsilon > 0.0:
            raise ValueError(f"epsilon must be a positive number or None, got {epsilon!r}.")
        self._epsilon = epsilon

    def crossover(
        self, parents_params: np.ndarray, rng: np.random.RandomState, study: Study, search_space_bounds: np.ndarray
    ) -> np.ndarray:
        n = len(parents_params)
        epsilon = np.sqrt(len(search_space_bounds) + 2) if self._epsilon is None else self._epsilon
        centroid = parents_params.mean(axis=0)
        vertices = centroid + epsilon * (parents_params - centroid)
        r = np.power(rng.rand(n - 1), 1.0 / np.arange(1, n))
        offset = np.zeros(parents_params.shape[1])
        for k in range(1, n):
            offset = r[k - 1] * (vertices[k - 1] - vertices[k] + offset)
        return vertices[-1] + offset
