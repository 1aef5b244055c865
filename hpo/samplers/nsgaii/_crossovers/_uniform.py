"""Uniform crossover: each coordinate from one parent or the other."""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

from hpo.samplers.nsgaii._crossovers._base import BaseCrossover

if TYPE_CHECKING:
    from hpo.study import Study


class UniformCrossover(BaseCrossover):
    """Takes each parameter from the second parent with probability ``swapping_prob``, else from the first.

    Syswerda, "Uniform Crossover in Genetic Algorithms", ICGA 1989.
    """

    n_parents = 2

    def __init__(self, swapping_prob: float = 0.5) -> None:
        if not 0.0 <= swapping_prob <= 1.0:
            raise ValueError(f"swapping_prob must be a probability in [0, 1], got {swapping_prob!r}.")
        self._swapping_prob = swapping_prob

    def crossover(
        self, parents_params: np.ndarray, rng: np.random.RandomState, study: Study, search_space_bounds: np.ndarray
    ) -> np.ndarray:
        dim = parents_params.shape[1]
        from_second = rng.rand(dim) < self._swapping_prob
        return np.where(from_second, parents_params[1], parents_params[0])
