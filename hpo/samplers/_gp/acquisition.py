"""Acquisition functions (to maximize): log expected improvement plus log probabilities of feasibility.

All values are computed in log space with stable formulas (Ament et al., 2023, "Unexpected
Improvements to Expected Improvement for Bayesian Optimization"), so they stay finite far from
the incumbent, and come with hand-written gradients with respect to the point.
"""

from __future__ import annotations

import math

import numpy as np
from scipy.special import erfcx, log_ndtr, ndtr

from hpo.samplers._gp.gp import GPRegressor

_LOG_SQRT_2PI = 0.5 * math.log(2.0 * math.pi)
_SQRT_HALF = math.sqrt(0.5)
_SQRT_HALF_PI = math.sqrt(0.5 * math.pi)
_STABILIZING_NOISE = 1e-12
_Z_SMALL = -1.0  # below this, log(z Phi(z) + phi(z)) is computed through erfcx
_Z_TINY = -1e3  # below this, an asymptotic series is exact to double precision
_Z_MIN = -1e100  # z is clipped here so that z^2 stays finite


def log_h(z: np.ndarray) -> np.ndarray:
    """``log(z * Phi(z) + phi(z))``, the log expected improvement of a standard normal over ``-z``."""
    z = np.maximum(np.asarray(z, dtype=float), _Z_MIN)
    out = np.empty_like(z)
    mid = z >= _Z_SMALL
    zm = z[mid]
    out[mid] = np.log(zm * ndtr(zm) + np.exp(_log_phi(zm)))
    small = (z < _Z_SMALL) & (z >= _Z_TINY)
    zs = z[small]
    # h(z) = phi(z) (1 + sqrt(pi / 2) z erfcx(-z / sqrt 2))
    out[small] = _log_phi(zs) + np.log1p(_SQRT_HALF_PI * zs * erfcx(-_SQRT_HALF * zs))
    tiny = z < _Z_TINY
    zt = z[tiny]
    # h(z) = phi(z) / z^2 (1 - 3 / z^2 + 15 / z^4 - ...)
    out[tiny] = _log_phi(zt) - 2.0 * np.log(-zt) + np.log1p(-3.0 / zt**2 + 15.0 / zt**4)
    return out


def _log_phi(z: np.ndarray) -> np.ndarray:
    return -0.5 * z * z - _LOG_SQRT_2PI


class Acquisition:
    """``logEI`` of the objective GP (omitted while no trial is feasible) plus ``log P(feasible)`` of each
    constraint GP. Every GP models a quantity to maximize; improvement / feasibility is exceeding the
    matching threshold.
    """

    def __init__(
        self,
        objective: GPRegressor,
        best: float | None,
        constraints: list[tuple[GPRegressor, float]],
    ) -> None:
        self.objective = objective
        self.best = best
        self.constraints = constraints

    @property
    def lengthscales(self) -> np.ndarray:
        return self.objective.lengthscales

    def __call__(self, x: np.ndarray) -> np.ndarray:
        """Values at the rows of ``x``."""
        return self._evaluate(x, with_grad=False)[0]

    def value_and_grad(self, x: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Values ``(n,)`` and gradients ``(n, dim)`` at the rows of ``x``."""
        value, grad = self._evaluate(x, with_grad=True)
        assert grad is not None
        return value, grad

    def _evaluate(self, x: np.ndarray, with_grad: bool) -> tuple[np.ndarray, np.ndarray | None]:
        value = np.zeros(len(x))
        grad = np.zeros_like(x) if with_grad else None
        terms: list[tuple[GPRegressor, float, bool]] = [(gp, t, False) for gp, t in self.constraints]
        if self.best is not None:
            terms.append((self.objective, self.best, True))
        for gp, threshold, is_ei in terms:
            mean, var, mean_grad, var_grad = gp.posterior(x, with_grad)
            sigma = np.sqrt(var + _STABILIZING_NOISE)
            z = np.maximum((mean - threshold) / sigma, _Z_MIN)
            if is_ei:
                lh = log_h(z)
                value += lh + np.log(sigma)
                # d log h / dz = Phi(z) / h(z)
                dz = np.exp(log_ndtr(z) - lh)
                d_sigma = (1.0 - dz * z) / sigma
            else:
                value += log_ndtr(z)
                dz = np.exp(_log_phi(z) - log_ndtr(z))
                d_sigma = -dz * z / sigma
            if grad is not None:
                assert mean_grad is not None and var_grad is not None
                grad += (dz / sigma)[:, None] * mean_grad + (d_sigma / (2.0 * sigma))[:, None] * var_grad
        return value, grad
