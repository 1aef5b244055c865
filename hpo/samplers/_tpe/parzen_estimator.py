"""The Parzen estimator of TPE: a weighted mixture of product kernels, one per observation plus a prior.

Numerical parameters get truncated Gaussian kernels (on the log scale for ``log=True``; for a grid
of ``step``, the kernel mass of the grid cell), categorical ones a smoothed one-hot kernel.
Observations and samples are arrays of internal representations, one column per parameter.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from hpo.distributions import BaseDistribution, CategoricalDistribution, FloatDistribution, IntDistribution
from hpo.samplers._tpe import _truncnorm

_EPS = 1e-12


@dataclass(frozen=True)
class ParzenEstimatorParameters:
    """The kernel options of :class:`~hpo.samplers.TPESampler`."""

    consider_prior: bool
    prior_weight: float
    consider_magic_clip: bool
    consider_endpoints: bool


class ParzenEstimator:
    """A mixture density over ``space`` fitted to ``observations`` (shape ``(n, len(space))``).

    ``weights`` (length ``n``, non-negative) weigh the observations; the prior kernel, centered on
    the domain with the domain's width, gets ``prior_weight`` when ``consider_prior`` (always when
    there is no observation).
    """

    def __init__(
        self,
        observations: np.ndarray,
        space: Sequence[BaseDistribution],
        weights: np.ndarray,
        parameters: ParzenEstimatorParameters,
    ) -> None:
        n = len(observations)
        with_prior = parameters.consider_prior or n == 0
        kernel_weights = np.append(weights, parameters.prior_weight) if with_prior else np.asarray(weights, float)
        if n == 0 or kernel_weights.sum() <= 0:
            kernel_weights = np.ones(len(kernel_weights))
        self._weights = kernel_weights / kernel_weights.sum()
        with np.errstate(divide="ignore"):
            self._log_weights = np.log(self._weights)
        self._n_kernels = len(kernel_weights)

        numerical = [i for i, d in enumerate(space) if not isinstance(d, CategoricalDistribution)]
        self._n_dims = len(space)
        self._numerical = np.array(numerical, dtype=int)
        self._categorical = [i for i, d in enumerate(space) if isinstance(d, CategoricalDistribution)]
        dims = [_NumericalDim(space[i]) for i in numerical]  # type: ignore[arg-type]
        self._log_mask = np.array([d.log for d in dims], dtype=bool)
        self._step = np.array([d.step for d in dims], dtype=float)
        self._low = np.array([d.low for d in dims], dtype=float)
        self._high = np.array([d.high for d in dims], dtype=float)
        self._raw_low = np.array([d.raw_low for d in dims], dtype=float)
        self._raw_high = np.array([d.raw_high for d in dims], dtype=float)

        # One row per numerical dimension, one column per kernel.
        mus = np.empty((len(dims), self._n_kernels))
        sigmas = np.empty_like(mus)
        for j, (i, dim) in enumerate(zip(numerical, dims)):
            mus[j], sigmas[j] = dim.kernels(observations[:, i], with_prior, parameters)
        self._mus, self._sigmas = mus, sigmas
        low, high = self._low[:, None], self._high[:, None]
        self._log_mass = _truncnorm.log_gauss_mass((low - mus) / sigmas, (high - mus) / sigmas)
        continuous = self._step == 0
        # Per kernel, every term of the log density that does not depend on the point.
        self._kernel_constant = (
            self._log_weights
            - np.sum(self._log_mass, axis=0)
            - np.sum(np.log(sigmas[continuous]) + _truncnorm.LOG_SQRT_2PI, axis=0)
        )
        self._cat_log_probs = [  # (choices, kernels)
            _categorical_kernels(observations[:, i].astype(int), len(space[i].choices), with_prior, parameters)  # type: ignore[attr-defined]
            for i in self._categorical
        ]

    def sample(self, rng: np.random.RandomState, size: int) -> np.ndarray:
        """``size`` draws, shape ``(size, len(space))``, in the internal representation."""
        active = rng.choice(self._n_kernels, p=self._weights, size=size)
        out = np.empty((size, self._n_dims))
        if len(self._numerical):
            mus, sigmas = self._mus[:, active].T, self._sigmas[:, active].T
            x = _truncnorm.sample((self._low - mus) / sigmas, (self._high - mus) / sigmas, mus, sigmas, rng)
            x[:, self._log_mask] = np.exp(x[:, self._log_mask])
            gridded = self._step > 0
            if gridded.any():
                low, step = self._raw_low[gridded], self._step[gridded]
                x[:, gridded] = low + np.round((x[:, gridded] - low) / step) * step
            out[:, self._numerical] = np.clip(x, self._raw_low, self._raw_high)
        for i, log_probs in zip(self._categorical, self._cat_log_probs):
            cumulative = np.cumsum(np.exp(log_probs[:, active].T), axis=1)
            u = rng.uniform(size=(size, 1)) * cumulative[:, -1:]
            out[:, i] = np.minimum((cumulative < u).sum(axis=1), log_probs.shape[0] - 1)
        return out

    def log_pdf(self, x: np.ndarray) -> np.ndarray:
        """Log density (up to the Jacobian of log scales, common to all estimators) of each row of ``x``."""
        log_p = np.repeat(self._kernel_constant[None, :], len(x), axis=0)
        for j, i in enumerate(self._numerical):
            values = x[:, i]
            if self._step[j] > 0:
                log_p += self._grid_log_mass(j, values)
                continue
            if self._log_mask[j]:
                values = np.log(values)
            z = values[:, None] - self._mus[j]
            z /= self._sigmas[j]
            z *= z
            z *= 0.5
            log_p -= z
        for i, log_probs in zip(self._categorical, self._cat_log_probs):
            log_p += log_probs[x[:, i].astype(int)]
        peak = log_p.max(axis=1, keepdims=True)
        peak[~np.isfinite(peak)] = 0.0
        log_p -= peak
        np.exp(log_p, out=log_p)
        with np.errstate(divide="ignore"):
            return np.log(log_p.sum(axis=1)) + peak[:, 0]

    def _grid_log_mass(self, j: int, values: np.ndarray) -> np.ndarray:
        """Log kernel mass (not normalized) of the grid cells around ``values`` in gridded dimension ``j``.

        Evaluated once per distinct value and distinct (mu, sigma) pair: integer parameters repeat a lot.
        """
        half = self._step[j] / 2
        unique_x, x_index = np.unique(values, return_inverse=True)
        left, right = unique_x - half, unique_x + half
        if self._log_mask[j]:
            left, right = np.log(left), np.log(right)
        mu, sigma, k_index = _unique_pairs(self._mus[j], self._sigmas[j])
        mass = _truncnorm.log_gauss_mass((left[:, None] - mu) / sigma, (right[:, None] - mu) / sigma)
        return mass[x_index.ravel()][:, k_index]


def _unique_pairs(a: np.ndarray, b: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Distinct ``(a, b)`` pairs and the index of each input pair among them (``np.unique`` on rows, faster)."""
    order = np.lexsort((b, a))
    a_sorted, b_sorted = a[order], b[order]
    first = np.empty(len(a), dtype=bool)
    first[:1] = True
    first[1:] = (a_sorted[1:] != a_sorted[:-1]) | (b_sorted[1:] != b_sorted[:-1])
    inverse = np.empty(len(a), dtype=np.int64)
    inverse[order] = np.cumsum(first) - 1
    return a_sorted[first], b_sorted[first], inverse


class _NumericalDim:
    """A numerical distribution in the space where kernels live: log-transformed, widened by half a step."""

    def __init__(self, dist: FloatDistribution | IntDistribution) -> None:
        assert isinstance(dist, (FloatDistribution, IntDistribution))
        self.log = dist.log
        self.raw_low, self.raw_high = float(dist.low), float(dist.high)
        self.step = float(dist.step) if dist.step is not None else 0.0  # IntDistribution always has one
        low, high = self.raw_low - self.step / 2, self.raw_high + self.step / 2
        self.low: float = math.log(low) if self.log else low
        self.high: float = math.log(high) if self.log else high

    def kernels(
        self, observed: np.ndarray, with_prior: bool, parameters: ParzenEstimatorParameters
    ) -> tuple[np.ndarray, np.ndarray]:
        """Centers and bandwidths: each kernel as wide as its larger gap to a neighbor (or bound)."""
        mus = np.log(observed) if self.log else np.asarray(observed, dtype=float)
        width = self.high - self.low
        order = np.argsort(mus)
        gaps = np.diff(np.concatenate(([self.low], mus[order], [self.high])))
        sorted_sigmas = np.maximum(gaps[:-1], gaps[1:])
        if not parameters.consider_endpoints and len(mus) >= 2:
            sorted_sigmas[0], sorted_sigmas[-1] = gaps[1], gaps[-2]
        sigmas = np.empty_like(sorted_sigmas)
        sigmas[order] = sorted_sigmas
        min_sigma = width / min(100.0, 2.0 + len(mus)) if parameters.consider_magic_clip else _EPS
        sigmas = np.clip(sigmas, min_sigma, width)
        if with_prior:
            mus = np.append(mus, 0.5 * (self.low + self.high))
            sigmas = np.append(sigmas, width)
        return mus, sigmas


def _categorical_kernels(
    observed: np.ndarray, n_choices: int, with_prior: bool, parameters: ParzenEstimatorParameters
) -> np.ndarray:
    """Log probabilities, shape (choices, kernels): one-hot kernels smoothed by the prior, then a uniform one."""
    n_kernels = len(observed) + int(with_prior)
    smoothing = parameters.prior_weight / n_kernels if parameters.consider_prior else 0.0
    probs = np.full((len(observed), n_choices), smoothing)
    probs[np.arange(len(observed)), observed] += 1.0
    if with_prior:
        probs = np.vstack([probs, np.full(n_choices, 1.0 / n_choices)])
    probs /= probs.sum(axis=1, keepdims=True)
    with np.errstate(divide="ignore"):
        return np.ascontiguousarray(np.log(probs).T)
