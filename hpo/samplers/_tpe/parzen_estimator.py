"""The Parzen estimator of TPE: a weighted mixture of product kernels, one per observation plus a prior.

Numerical parameters get truncated Gaussian kernels (on the log scale for ``log=True``; for a grid
of ``step``, the kernel mass of the grid cell), categorical ones a smoothed one-hot kernel.
Observations and samples are arrays of internal representations, one column per parameter.

Everything is vectorized over the kernels and the numerical dimensions: the cost of an estimator
is a few numpy calls whatever the number of observations, and the continuous dimensions of
:meth:`ParzenEstimator.log_pdf` are one matrix product.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from hpo.distributions import BaseDistribution, CategoricalDistribution, FloatDistribution, IntDistribution
from hpo.samplers._tpe import _truncnorm

_EPS = 1e-12
# Below this kernel width (relative to the domain) the expanded square of the matrix-product path
# loses too many digits; such estimators (consider_magic_clip=False) take the direct path.
_MIN_QUADRATIC_SIGMA = 1e-4


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
            log_weights = np.log(self._weights)
        self._n_kernels = len(kernel_weights)
        self._n_dims = len(space)

        self._categorical = [i for i, d in enumerate(space) if isinstance(d, CategoricalDistribution)]
        numerical = [i for i, d in enumerate(space) if not isinstance(d, CategoricalDistribution)]
        self._numerical = np.array(numerical, dtype=np.intp)
        dists: list[FloatDistribution | IntDistribution] = [space[i] for i in numerical]  # type: ignore[misc]
        self._log_mask = np.array([d.log for d in dists], dtype=bool)
        self._step = np.array([d.step or 0.0 for d in dists], dtype=float)  # IntDistribution always has one
        self._raw_low = np.array([d.low for d in dists], dtype=float)
        self._raw_high = np.array([d.high for d in dists], dtype=float)
        # The kernels live on the log scale for log=True, on a domain widened by half a step.
        low, high = self._raw_low - self._step / 2, self._raw_high + self._step / 2
        self._low = np.where(self._log_mask, np.log(np.where(self._log_mask, low, 1.0)), low)
        self._high = np.where(self._log_mask, np.log(np.where(self._log_mask, high, 1.0)), high)

        # One row per numerical dimension, one column per kernel.
        mus, sigmas = _numerical_kernels(
            self._to_kernel_scale(observations[:, self._numerical]).T, self._low, self._high, with_prior, parameters
        )
        self._mus, self._sigmas = mus, sigmas
        low_col, high_col = self._low[:, None], self._high[:, None]
        log_mass = _truncnorm.log_gauss_mass((low_col - mus) / sigmas, (high_col - mus) / sigmas)
        continuous = self._step == 0
        self._continuous = np.flatnonzero(continuous)
        self._gridded = np.flatnonzero(~continuous)
        # Per kernel, every term of the log density that does not depend on the point.
        self._kernel_constant = (
            log_weights
            - np.sum(log_mass, axis=0)
            - np.sum(np.log(sigmas[continuous]) + _truncnorm.LOG_SQRT_2PI, axis=0)
        )
        c = self._continuous
        self._unit = ((self._low[c] + self._high[c]) / 2, self._high[c] - self._low[c])
        self._quadratic = self._quadratic_form() if len(c) else None
        self._grid_kernels = [_unique_pairs(mus[j], sigmas[j]) for j in self._gridded]
        self._cat_log_probs = [  # (choices, kernels)
            _categorical_kernels(observations[:, i].astype(int), len(space[i].choices), with_prior, parameters)  # type: ignore[attr-defined]
            for i in self._categorical
        ]

    def _to_kernel_scale(self, x: np.ndarray) -> np.ndarray:
        """Numerical columns of ``x`` (internal representation) on the kernels' scale (log for log=True)."""
        if not self._log_mask.any():
            return np.asarray(x, dtype=float)
        x = np.array(x, dtype=float)
        x[:, self._log_mask] = np.log(x[:, self._log_mask])
        return x

    def _quadratic_form(self) -> np.ndarray | None:
        """``M`` with ``[u**2, u, 1] @ M = sum_j ((u_j - mu_jk) / sigma_jk)**2``, u in unit coordinates.

        None when a kernel is too narrow for the expanded square to keep its digits.
        """
        j = self._continuous
        center, width = self._unit
        mus = (self._mus[j] - center[:, None]) / width[:, None]
        sigmas = self._sigmas[j] / width[:, None]
        if sigmas.min() < _MIN_QUADRATIC_SIGMA:
            return None
        inv_var = 1.0 / (sigmas * sigmas)
        return np.vstack([inv_var, -2.0 * mus * inv_var, np.sum(mus * mus * inv_var, axis=0, keepdims=True)])

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
        values = self._to_kernel_scale(x[:, self._numerical])
        j = self._continuous
        if not len(j):
            log_p = np.repeat(self._kernel_constant[None, :], len(x), axis=0)
        elif self._quadratic is not None:
            center, width = self._unit
            u = (values[:, j] - center) / width
            features = np.hstack([u * u, u, np.ones((len(x), 1))])
            log_p = features @ self._quadratic
            log_p *= -0.5
            log_p += self._kernel_constant
        else:
            log_p = np.repeat(self._kernel_constant[None, :], len(x), axis=0)
            for k in j:
                z = (values[:, k, None] - self._mus[k]) / self._sigmas[k]
                log_p -= 0.5 * z * z
        for k, pairs in zip(self._gridded, self._grid_kernels):
            log_p += self._grid_log_mass(k, x[:, self._numerical[k]], *pairs)
        for i, log_probs in zip(self._categorical, self._cat_log_probs):
            log_p += log_probs[x[:, i].astype(int)]
        peak = log_p.max(axis=1, keepdims=True)
        peak[~np.isfinite(peak)] = 0.0
        log_p -= peak
        # Single precision: its exp is several times faster, and 1e-7 relative error is harmless here.
        kernel_p = np.exp(log_p.astype(np.float32))
        with np.errstate(divide="ignore"):
            return np.log(kernel_p.sum(axis=1, dtype=float)) + peak[:, 0]

    def _grid_log_mass(
        self, j: int, values: np.ndarray, mu: np.ndarray, sigma: np.ndarray, k_index: np.ndarray
    ) -> np.ndarray:
        """Log kernel mass (not normalized) of the grid cells around ``values`` in gridded dimension ``j``.

        Evaluated once per distinct value and distinct (mu, sigma) pair: integer parameters repeat a lot.
        """
        unique_x, x_index = np.unique(values, return_inverse=True)
        half = self._step[j] / 2
        left, right = unique_x - half, unique_x + half
        if self._log_mask[j]:
            left, right = np.log(left), np.log(right)
        mass = _truncnorm.log_gauss_mass((left[:, None] - mu) / sigma, (right[:, None] - mu) / sigma)
        return np.take(mass[x_index.ravel()], k_index, axis=1)


def _numerical_kernels(
    observed: np.ndarray, low: np.ndarray, high: np.ndarray, with_prior: bool, parameters: ParzenEstimatorParameters
) -> tuple[np.ndarray, np.ndarray]:
    """Centers and bandwidths, shape (dims, kernels): each kernel as wide as its larger gap to a neighbor (or bound).

    ``observed`` (dims, n) is on the kernels' scale; ``low`` and ``high`` (dims,) bound it.
    """
    dims, n = observed.shape
    width = (high - low)[:, None]
    rows, order = np.arange(dims)[:, None], np.argsort(observed, axis=1)
    padded = np.empty((dims, n + 2))
    padded[:, 0], padded[:, 1:-1], padded[:, -1] = low, observed[rows, order], high
    gaps = padded[:, 1:] - padded[:, :-1]
    sorted_sigmas = np.maximum(gaps[:, :-1], gaps[:, 1:])
    if not parameters.consider_endpoints and n >= 2:
        sorted_sigmas[:, 0], sorted_sigmas[:, -1] = gaps[:, 1], gaps[:, -2]
    sigmas = np.empty_like(sorted_sigmas)
    sigmas[rows, order] = sorted_sigmas
    min_sigma = width / min(100.0, 2.0 + n) if parameters.consider_magic_clip else _EPS
    sigmas = np.clip(sigmas, min_sigma, width)
    if with_prior:
        return np.hstack([observed, (low + high)[:, None] / 2]), np.hstack([sigmas, width])
    return observed, sigmas


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


def _categorical_kernels(
    observed: np.ndarray, n_choices: int, with_prior: bool, parameters: ParzenEstimatorParameters
) -> np.ndarray:
    """Log probabilities, shape (choices, kernels): one-hot kernels smoothed by the prior, then a uniform one."""
    n_kernels = len(observed) + int(with_prior)
    smoothing = parameters.prior_weight / n_kernels if parameters.consider_prior else 0.0
    total = 1.0 + n_choices * smoothing
    with np.errstate(divide="ignore"):
        hit, miss = np.log((1.0 + smoothing) / total), np.log(smoothing / total)
    table = np.where(np.arange(n_choices)[:, None] == observed, hit, miss)
    if with_prior:
        table = np.hstack([table, np.full((n_choices, 1), -np.log(n_choices))])
    return table
