"""BLX-alpha crossover: uniform in the parents' box, widened by ``alpha`` of its size."""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

from hpo.samplers.nsgaii._crossovers._base import BaseCrossover

if TYPE_CHECKING:
    from hpo.study import Study


class BLXAlphaCrossover(BaseCrossover):
    """Draws the child uniformly from the box spanned by two parents, extended by ``alpha`` times its width.

    Eshelman and Schaffer, "Real-Coded Genetic Algorithms and Interval-Schemata", FOGA 1992.
    """

    n_parents = 2

    def __init__(self, alpha: float = 0.5) -> None:
        if not alpha >= 0.0:
            raise ValueError(f"alpha must be a non-negative number, got {alpha!r}.")
        self._alpha = alpha

    def crossover(
        self, parents_params: np.ndarray, rng: np.random.RandomState, study: Study, search_space_bounds: np.ndarray
    ) -> np.ndarray:
        low, high = parents_params.min(axis=0), parents_params.max(axis=0)
        margin = self._alpha * (high - low)
        return rng.uniform(low - margin, high + margin)
