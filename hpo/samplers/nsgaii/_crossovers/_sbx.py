"""Simulated binary crossover (SBX), bounded."""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

from hpo.samplers.nsgaii._crossovers._base import BaseCrossover

if TYPE_CHECKING:
    from hpo.study import Study


class SBXCrossover(BaseCrossover):
    """Spreads two children around two parents with a polynomial distribution whose spread shrinks with ``eta``.

    SBX makes two children; one is returned. Each coordinate takes the children's genes with
    probability ``use_child_gene_prob`` (else the parents' genes), swapped between the two with
    probability ``uniform_crossover_prob``.
    Deb and Agrawal, "Simulated Binary Crossover for Continuous Search Space", Complex Systems 9, 1995.

    Args:
        eta: Distribution index; default 20 for multi-objective studies, 2 otherwise.
        uniform_crossover_prob: Probability in ``[0, 1]`` of swapping a coordinate between the two children.
        use_child_gene_prob: Probability in ``(0, 1]`` of using the crossed gene rather than the parent's.
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
        low, high = search_space_bounds[:, 0], search_space_bounds[:, 1]
        x_min, x_max = parents_params.min(axis=0), parents_params.max(axis=0)
        span = np.clip(x_max - x_min, 1e-10, None)
        u = rng.rand(len(search_space_bounds))
        # The spread factor of each child, truncated so that children stay inside the bounds.
        beta_low = _spread(u, 1.0 + 2.0 * (x_min - low) / span, eta)
        beta_high = _spread(u, 1.0 + 2.0 * (high - x_max) / span, eta)
        child_low = 0.5 * ((x_min + x_max) - beta_low * span)
        child_high = 0.5 * ((x_min + x_max) + beta_high * span)
        return mix_children(
            child_low, child_high, parents_params, rng, self._use_child_gene_prob, self._uniform_crossover_prob
        )


def _spread(u: np.ndarray, beta: np.ndarray, eta: float) -> np.ndarray:
    alpha = 2.0 - np.power(beta, -(eta + 1.0))
    inner = np.where(u <= 1.0 / alpha, u * alpha, 1.0 / (2.0 - u * alpha))
    return np.power(inner, 1.0 / (eta + 1.0))


def default_eta(eta: float | None, study: Study) -> float:
    """``eta``, or 20 for multi-objective studies and 2 otherwise."""
    if eta is not None:
        return eta
    return 20.0 if len(study.directions) > 1 else 2.0


def mix_children(
    child1: np.ndarray,
    child2: np.ndarray,
    parents_params: np.ndarray,
    rng: np.random.RandomState,
    use_child_gene_prob: float,
    uniform_crossover_prob: float,
) -> np.ndarray:
    """One of two children, each coordinate from the crossed pair or the parents, maybe swapped."""
    dim = len(child1)
    use_child = rng.rand(dim) < use_child_gene_prob
    first = np.where(use_child, child1, parents_params[0])
    second = np.where(use_child, child2, parents_params[1])
    swap = rng.rand(dim) < uniform_crossover_prob
    first, second = np.where(swap, second, first), np.where(swap, first, second)
    return first if rng.rand() < 0.5 else second


def _check_sbx_args(eta: float | None, uniform_crossover_prob: float, use_child_gene_prob: float) -> None:
    if eta is not None and not eta >= 0.0:
        raise ValueError(f"eta must be a non-negative number or None, got {eta!r}.")
    if not 0.0 <= uniform_crossover_prob <= 1.0:
        raise ValueError(f"uniform_crossover_prob must be in [0, 1], got {uniform_crossover_prob!r}.")
    if not 0.0 < use_child_gene_prob <= 1.0:
        raise ValueError(f"use_child_gene_prob must be in (0, 1], got {use_child_gene_prob!r}.")
