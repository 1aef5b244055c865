"""The Parzen estimators of TPE: weighted mixtures of product kernels, one per observation plus a prior.

Numerical parameters get truncated Gaussian kernels (on the log scale for ``log=True``; for a grid
of ``step``, the kernel mass of the grid cell), categorical ones a smoothed one-hot kernel.
Observations and samples are arrays of internal representations, one column per parameter.

TPE needs two mixtures over one space (the good and the bad trials), so :class:`ParzenEstimator`
fits several groups of observations at once: the kernels of all groups sit side by side in the same
arrays, and a density evaluation is a few numpy calls for all of them (the continuous dimensions as
one matrix product), whatever the number of observations and dimensions.
"""

from __future__ import annotations

import functools
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

import hpo.samplers._tpe._truncnorm as _truncnorm
from hpo.distributions import BaseDistribution, CategoricalDistribution, FloatDistribution, IntDistribution

_EPS = 1e-12
# Below this kernel width (relative to the domain) the expanded square of the matrix product loses
# too many digits; such estimators (consider_magic_clip=False) take the direct path.
_MIN_QUADRATIC_SIGMA = 1e-4
_INSIDE = 8.5  # Phi(-8.5) ~ 1e-17: a kernel this many widths inside both bounds has mass 1 in doubles


@dataclass(frozen=True)
class ParzenEstimatorParameters:
    """The kernel options of :class:`~hpo.samplers.TPESampler`."""

    consider_prior: bool
    prior_weight: float
    consider_magic_clip: bool
    consider_endpoints: bool


class _Space:
    """Per-dimension arrays of a search space (internal representation), shared by every estimator on it."""

    def __init__(self, space: tuple[BaseDistribution, ...]) -> None:
        self.n_dims = len(space)
        self.categorical = [i for i, d in enumerate(space) if isinstance(d, CategoricalDistribution)]
        self.n_choices = [len(space[i].choices) for i in self.categorical]  # type: ignore[attr-defined]
        numerical = [i for i, d in enumerate(space) if not isinstance(d, CategoricalDistribution)]
        self.numerical = np.array(numerical, dtype=np.intp)
        dists: list[FloatDistribution | IntDistribution] = [space[i] for i in numerical]  # type: ignore[misc]
        self.log_mask = np.array([d.log for d in dists], dtype=bool)
        self.any_log = bool(self.log_mask.any())
        self.step = np.array([d.step or 0.0 for d in dists], dtype=float)  # IntDistribution always has one
        self.raw_low = np.array([d.low for d in dists], dtype=float)
        self.raw_high = np.array([d.high for d in dists], dtype=float)
        self.continuous = np.flatnonzero(self.step == 0)
        self.gridded = np.flatnonzero(self.step > 0)
        # The kernels live on the log scale for log=True, on a domain widened by half a step.
        low, high = self.raw_low - self.step / 2, self.raw_high + self.step / 2
        self.low = np.where(self.log_mask, np.log(np.where(self.log_mask, low, 1.0)), low)
        self.high = np.where(self.log_mask, np.log(np.where(self.log_mask, high, 1.0)), high)
        self.width = self.high - self.low
        self.center = (self.low + self.high) / 2

    def kernel_scale(self, x: np.ndarray) -> np.ndarray:
        """The numerical columns of ``x`` (internal representation) on the kernels' scale."""
        values = x[:, self.numerical]
        if self.any_log:
            values[:, self.log_mask] = np.log(values[:, self.log_mask])
        return values


@functools.lru_cache(maxsize=64)
def _space(space: tuple[BaseDistribution, ...]) -> _Space:
    return _Space(space)


class ParzenEstimator:
    """Mixture densities over ``space``, one per group of ``(observations, weights)``.

    ``observations`` has shape ``(n, len(space))``, ``weights`` (length ``n``, non-negative) weigh
    them; each mixture's prior kernel, centered on the domain with the domain's width, gets
    ``prior_weight`` when ``consider_prior`` (always when the group has no observation).
    """

    def __init__(
        self,
        groups: Sequence[tuple[np.ndarray, np.ndarray]],
        space: Sequence[BaseDistribution],
        parameters: ParzenEstimatorParameters,
    ) -> None:
        self._space = s = _space(tuple(space))
        mus, sigmas, weights = [], [], []
        codes: list[tuple[np.ndarray, float, bool]] = []
        self._offsets = [0]  # group g owns kernels offsets[g]:offsets[g + 1], its prior last
        for observations, group_weights in groups:
            n = len(observations)
            with_prior = parameters.consider_prior or n == 0
            w = np.append(group_weights, parameters.prior_weight) if with_prior else np.asarray(group_weights, float)
            if n == 0 or w.sum() <= 0:
                w = np.ones(len(w))
            weights.append(w / w.sum())
            group_mus, group_sigmas = _numerical_kernels(s.kernel_scale(observations).T, s, with_prior, parameters)
            mus.append(group_mus)
            sigmas.append(group_sigmas)
            smoothing = parameters.prior_weight / len(w) if parameters.consider_prior else 0.0
            codes.append((observations[:, s.categorical].astype(np.intp), smoothing, with_prior))
            self._offsets.append(self._offsets[-1] + len(w))
        self._weights = weights
        self._mus, self._sigmas = np.hstack(mus), np.hstack(sigmas)
        with np.errstate(divide="ignore"):
            log_weights = np.log(np.concatenate(weights))
        log_mass = _log_kernel_mass(
            (s.low[:, None] - self._mus) / self._sigmas, (s.high[:, None] - self._mus) / self._sigmas
        )
        # Per kernel, every term of the log density that does not depend on the point.
        self._kernel_constant = (
            log_weights
            - log_mass.sum(axis=0)
            - np.sum(np.log(self._sigmas[s.continuous]) + _truncnorm.LOG_SQRT_2PI, axis=0)
        )
        self._quadratic = self._quadratic_form() if len(s.continuous) else None
        self._grid_kernels = [_unique_pairs(self._mus[j], self._sigmas[j]) for j in s.gridded]
        # Categorical kernels, (choices, kernels) per dimension.
        self._cat_log_probs = [
            _categorical_table(n_choices, [(c[:, k], smoothing, prior) for c, smoothing, prior in codes])
            for k, n_choices in enumerate(s.n_choices)
        ]

    def _quadratic_form(self) -> np.ndarray | None:
        """``M`` with ``[u**2, u, 1] @ M = sum_j ((u_j - mu_jk) / sigma_jk)**2``, u in unit coordinates.

        None when a kernel is too narrow for the expanded square to keep its digits.
        """
        s, j = self._space, self._space.continuous
        mus = (self._mus[j] - s.center[j, None]) / s.width[j, None]
        sigmas = self._sigmas[j] / s.width[j, None]
        if sigmas.min() < _MIN_QUADRATIC_SIGMA:
            return None
        inv_var = 1.0 / (sigmas * sigmas)
        return np.vstack([inv_var, -2.0 * mus * inv_var, np.sum(mus * mus * inv_var, axis=0, keepdims=True)])

    def sample(self, rng: np.random.RandomState, size: int, group: int = 0) -> np.ndarray:
        """``size`` draws from the mixture of ``group``, shape ``(size, len(space))``, in the internal
        representation."""
        s = self._space
        start = self._offsets[group]
        active = start + rng.choice(len(self._weights[group]), p=self._weights[group], size=size)
        out = np.empty((size, s.n_dims))
        if len(s.numerical):
            mus, sigmas = self._mus[:, active].T, self._sigmas[:, active].T
            x = _truncnorm.sample((s.low - mus) / sigmas, (s.high - mus) / sigmas, mus, sigmas, rng)
            if s.any_log:
                x[:, s.log_mask] = np.exp(x[:, s.log_mask])
            if len(s.gridded):
                low, step = s.raw_low[s.gridded], s.step[s.gridded]
                x[:, s.gridded] = low + np.round((x[:, s.gridded] - low) / step) * step
            out[:, s.numerical] = np.clip(x, s.raw_low, s.raw_high)
        for i, log_probs in zip(s.categorical, self._cat_log_probs):
            cumulative = np.cumsum(np.exp(log_probs[:, active].T), axis=1)
            u = rng.uniform(size=(size, 1)) * cumulative[:, -1:]
            out[:, i] = np.minimum((cumulative < u).sum(axis=1), log_probs.shape[0] - 1)
        return out

    def log_pdf(self, x: np.ndarray) -> np.ndarray:
        """Log densities, shape ``(groups, len(x))``, up to the Jacobian of log scales (common to all groups)."""
        s = self._space
        values = s.kernel_scale(x)
        j = s.continuous
        if self._quadratic is not None:
            u = (values[:, j] - s.center[j]) / s.width[j]
            log_p = np.hstack([u * u, u, np.ones((len(x), 1))]) @ self._quadratic
            log_p *= -0.5
            log_p += self._kernel_constant
        else:
            log_p = np.repeat(self._kernel_constant[None, :], len(x), axis=0)
            for k in j:
                z = (values[:, k, None] - self._mus[k]) / self._sigmas[k]
                log_p -= 0.5 * z * z
        for k, pairs in zip(s.gridded.tolist(), self._grid_kernels):
            log_p += self._grid_log_mass(k, x[:, s.numerical[k]], *pairs)
        for i, log_probs in zip(s.categorical, self._cat_log_probs):
            log_p += log_probs[x[:, i].astype(np.intp)]
        out = np.empty((len(self._weights), len(x)))
        for g in range(len(self._weights)):
            group = log_p[:, self._offsets[g] : self._offsets[g + 1]]
            peak = group.max(axis=1, keepdims=True)
            peak[~np.isfinite(peak)] = 0.0
            # Single precision: its exp is several times faster, and 1e-7 relative error is harmless here.
            kernel_p = np.exp((group - peak).astype(np.float32))
            with np.errstate(divide="ignore"):
                out[g] = np.log(kernel_p.sum(axis=1, dtype=float)) + peak[:, 0]
        return out

    def _grid_log_mass(
        self, j: int, values: np.ndarray, mu: np.ndarray, sigma: np.ndarray, k_index: np.ndarray
    ) -> np.ndarray:
        """Log kernel mass (not normalized) of the grid cells around ``values`` in gridded dimension ``j``.

        Evaluated once per distinct value and distinct (mu, sigma) pair: integer parameters repeat a lot.
        """
        s = self._space
        unique_x, x_index = np.unique(values, return_inverse=True)
        half = s.step[j] / 2
        left, right = unique_x - half, unique_x + half
        if s.log_mask[j]:
            left, right = np.log(left), np.log(right)
        mass = _truncnorm.log_gauss_mass((left[:, None] - mu) / sigma, (right[:, None] - mu) / sigma)
        return np.take(mass[x_index.ravel()], k_index, axis=1)


def _numerical_kernels(
    observed: np.ndarray, s: _Space, with_prior: bool, parameters: ParzenEstimatorParameters
) -> tuple[np.ndarray, np.ndarray]:
    """Centers and bandwidths, shape (dims, kernels): each kernel as wide as its larger gap to a neighbor (or bound).

    ``observed`` (dims, n) is on the kernels' scale.
    """
    dims, n = observed.shape
    width = s.width[:, None]
    rows, order = np.arange(dims)[:, None], np.argsort(observed, axis=1)
    padded = np.empty((dims, n + 2))
    padded[:, 0], padded[:, 1:-1], padded[:, -1] = s.low, observed[rows, order], s.high
    gaps = padded[:, 1:] - padded[:, :-1]
    sorted_sigmas = np.maximum(gaps[:, :-1], gaps[:, 1:])
    if not parameters.consider_endpoints and n >= 2:
        sorted_sigmas[:, 0], sorted_sigmas[:, -1] = gaps[:, 1], gaps[:, -2]
    sigmas = np.empty_like(sorted_sigmas)
    sigmas[rows, order] = sorted_sigmas
    min_sigma = width / min(100.0, 2.0 + n) if parameters.consider_magic_clip else _EPS
    sigmas = np.clip(sigmas, min_sigma, width)
    if with_prior:
        return np.hstack([observed, s.center[:, None]]), np.hstack([sigmas, width])
    return observed, sigmas


def _log_kernel_mass(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """``log_gauss_mass(a, b)``, skipping the kernels far inside both bounds (their mass is 1)."""
    out = np.zeros(a.shape)
    near = (a > -_INSIDE) | (b < _INSIDE)
    out[near] = _truncnorm.log_gauss_mass(a[near], b[near])
    return out


def _unique_pairs(a: np.ndarray, b: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Distinct ``(a, b)`` pairs and the index of each input pair among them."""
    unique, inverse = np.unique(a + 1j * b, return_inverse=True)
    return unique.real, unique.imag, inverse


def _categorical_table(n_choices: int, groups: list[tuple[np.ndarray, float, bool]]) -> np.ndarray:
    """Log probabilities, shape (choices, kernels), groups side by side.

    Each group is ``(observed choices, smoothing, with_prior)``: one-hot kernels smoothed by the
    prior's share, then the uniform prior kernel.
    """
    choices = np.arange(n_choices)[:, None]
    columns: list[np.ndarray] = []
    for observed, smoothing, with_prior in groups:
        total = 1.0 + n_choices * smoothing
        with np.errstate(divide="ignore"):
            hit, miss = float(np.log((1.0 + smoothing) / total)), float(np.log(smoothing / total))  # -inf for 0
        columns.append(np.where(choices == observed, hit, miss))
        if with_prior:
            columns.append(np.full((n_choices, 1), -np.log(n_choices)))
    return np.hstack(columns)
