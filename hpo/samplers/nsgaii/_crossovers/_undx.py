"""Unimodal normal distribution crossover (UNDX)."""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

from hpo.samplers.nsgaii._crossovers._base import BaseCrossover

if TYPE_CHECKING:
    from hpo.study import Study


class UNDXCrossover(BaseCrossover):
    """Draws the child from a normal distribution along the line of two parents, widened by a third.

    The child is ``m + xi * d + D * sum(eta_i * e_i)``: ``m`` and ``d`` are the midpoint and the
    difference of the first two parents, ``D`` the distance of the third parent from their line,
    and the ``e_i`` an orthonormal basis orthogonal to that line.
    Kita, Ono and Kobayashi, "Multi-parental extension of the unimodal normal distribution
    crossover for real-coded genetic algorithms", CEC 1999.

    Args:
        sigma_xi: Standard deviation of ``xi``.
        sigma_eta: Standard deviation of the ``eta_i``; default ``0.35 / sqrt(dim)``.
    """

    n_parents = 3

    def __init__(self, sigma_xi: float = 0.5, sigma_eta: float | None = None) -> None:
        if not sigma_xi > 0.0:
            raise ValueError(f"sigma_xi must be a positive number, got {sigma_xi!r}.")
        if sigma_eta is not None and not sigma_eta > 0.0:
            raise ValueError(f"sigma_eta must be a positive number or None, got {sigma_eta!r}.")
        self._sigma_xi = sigma_xi
        self._sigma_eta = sigma_eta

    def crossover(
        self, parents_params: np.ndarray, rng: np.random.RandomState, study: Study, search_space_bounds: np.ndarray
    ) -> np.ndarray:
        p1, p2, p3 = parents_params[0], parents_params[1], parents_params[2]
        dim = len(p1)
        sigma_eta = 0.35 / np.sqrt(dim) if self._sigma_eta is None else self._sigma_eta
        d = p1 - p2
        length = np.linalg.norm(d)
        direction = d / length if length > 1e-10 else np.zeros(dim)
        # Columns 1.. of Q are an orthonormal basis of the space orthogonal to `direction`.
        q, _ = np.linalg.qr(np.column_stack([direction, np.eye(dim)]))
        v = p3 - p1
        distance = np.linalg.norm(v - np.dot(v, direction) * direction)
        xi = rng.normal(0.0, self._sigma_xi)
        etas = rng.normal(0.0, sigma_eta, size=dim - 1)
        return (p1 + p2) / 2.0 + xi * d + distance * (q[:, 1:] @ etas)
