"""vSBX: a simulated binary crossover that can reach every region of the space."""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

from hpo.samplers.nsgaii._crossovers._base import BaseCrossover
from hpo.samplers.nsgaii._crossovers._sbx import _check_sbx_args, default_eta, mix_children

if TYPE_CHECKING:
    from hpo.study import Study


class VSBXCrossover(BaseCrossover):
    """Like :class:`SBXCrossover` but without the gap SBX leaves between two parents.

    Ballester and Carter, "Real-Parameter Genetic Algorithms for Finding Multiple Optimal
    Solutions in Multi-modal Optimization", GECCO 2003. The arguments are those of SBX.
    """

    n_parents = 2

    def __init__(
        self, eta: float | None = None, uniform_crossover_prob: float = 0.5, use_child_gene_prob: float = 0.5
    ) -> None:
        _check_sbx_args(eta, uniform_crossover_prob, use_child_gene_prob)
        self._eta = eta
        self._uniform_crossover_prob = uniform_crossover_prob
        self._use_child_gene_prob = use_child_gene_prob

    def crossover(
        self, parents_params: np.ndarray, rng: np.random.RandomState, study: Study, search_space_bounds: np.ndarray
    ) -> np.ndarray:
        eta = default_eta(self._eta, study)
        p1, p2 = parents_params[0], parents_params[1]
        u = rng.rand(len(search_space_bounds))
        beta1 = np.power(1.0 / np.maximum(2.0 * u, 1e-10), 1.0 / (eta + 1.0))
        beta2 = np.power(1.0 / np.maximum(2.0 * (1.0 - u), 1e-10), 1.0 / (eta + 1.0))
        if rng.rand() <= 0.5:
            child1 = 0.5 * ((1.0 + beta1) * p1 + (1.0 - beta2) * p2)
        else:
            child1 = 0.5 * ((1.0 - beta1) * p1 + (1.0 + beta2) * p2)
        if rng.rand() <= 0.5:
            child2 = 0.5 * ((3.0 - beta1) * p1 - (1.0 - beta2) * p2)
        else:
            child2 = 0.5 * (-(1.0 - beta1) * p1 + (3.0 - beta2) * p2)
        return mix_children(
            child1, child2, parents_params, rng, self._use_child_gene_prob, self._uniform_crossover_prob
        )
