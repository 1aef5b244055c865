"""The GP's view of a search space: every parameter mapped to one column of a matrix.

Float and int parameters are normalized to ``[0, 1]`` (in log space when ``log``); a parameter
with a step covers ``[low - step / 2, high + step / 2]`` so that each grid point owns an equal
slice. Categorical parameters keep their choice index, which the kernel compares by equality.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import numpy as np
from scipy.stats import qmc

from hpo.distributions import BaseDistribution, CategoricalDistribution, FloatDistribution, IntDistribution

# Grids with more points than this are relaxed to a continuous range during gradient ascent and
# searched only near the current point; shorter grids and categorical parameters are searched fully.
MAX_EXHAUSTIVE_GRID = 32


class SearchSpace:
    """Normalization, grids and sampling for a fixed, ordered set of distributions."""

    def __init__(self, distributions: Mapping[str, BaseDistribution]) -> None:
        self.names = list(distributions)
        self.distributions = list(distributions.values())
        self.dim = len(self.names)
        self.is_categorical = np.array([isinstance(d, CategoricalDistribution) for d in self.distributions])
        self._lows = np.zeros(self.dim)
        self._highs = np.ones(self.dim)
        self._is_log = np.zeros(self.dim, dtype=bool)
        self._value_lows = np.zeros(self.dim)
        self._steps = np.zeros(self.dim)
        self.n_grid = np.zeros(self.dim, dtype=np.int64)  # 0 for a continuous dimension
        for i, dist in enumerate(self.distributions):
            if isinstance(dist, CategoricalDistribution):
                self.n_grid[i] = len(dist.choices)
                continue
            assert isinstance(dist, (FloatDistribution, IntDistribution))
            step = float(dist.step or 0)
            low, high = dist.low - step / 2, dist.high + step / 2
            self._is_log[i] = dist.log
            self._lows[i], self._highs[i] = (np.log(low), np.log(high)) if dist.log else (low, high)
            self._value_lows[i], self._steps[i] = dist.low, step
            if step > 0:
                self.n_grid[i] = int(round((dist.high - dist.low) / step)) + 1
        self.continuous = self.n_grid == 0
        # Dimensions that gradient ascent moves: continuous ones and long grids (rounded afterwards).
        self.relaxed = self.continuous | (~self.is_categorical & (self.n_grid > MAX_EXHAUSTIVE_GRID))
        self.discrete = np.flatnonzero(~self.continuous)

    def grid_points(self, i: int, k: np.ndarray) -> np.ndarray:
        """Normalized values of the grid points ``k`` of discrete dimension ``i``."""
        if self.is_categorical[i]:
            return k.astype(float)
        return self._normalize_column(i, self._value_lows[i] + self._steps[i] * k)

    def grid_index(self, i: int, x: np.ndarray) -> np.ndarray:
        """The index of the grid point of discrete dimension ``i`` nearest to normalized ``x``."""
        if self.is_categorical[i]:
            return np.clip(np.floor(x), 0, self.n_grid[i] - 1).astype(np.int64)
        values = self._unnormalize_column(i, x)
        k = np.round((values - self._value_lows[i]) / self._steps[i])
        return np.clip(k, 0, self.n_grid[i] - 1).astype(np.int64)

    def _normalize_column(self, i: int, values: np.ndarray) -> np.ndarray:
        values = np.log(values) if self._is_log[i] else values
        return (values - self._lows[i]) / (self._highs[i] - self._lows[i])

    def _unnormalize_column(self, i: int, x: np.ndarray) -> np.ndarray:
        values = self._lows[i] + x * (self._highs[i] - self._lows[i])
        return np.exp(values) if self._is_log[i] else values

    def normalize(self, params: Sequence[Mapping[str, float]]) -> np.ndarray:
        """Rows of internal parameter values (choice index for categoricals) as an ``(n, dim)`` matrix."""
        X = np.array([[p[name] for name in self.names] for p in params], dtype=float).reshape(-1, self.dim)
        for i in np.flatnonzero(~self.is_categorical).tolist():
            X[:, i] = self._normalize_column(i, X[:, i])
        return X

    def round(self, X: np.ndarray) -> np.ndarray:
        """``X`` (normalized, ``(n, dim)``) with every discrete column snapped to its nearest grid point."""
        X = X.copy()
        for i in self.discrete.tolist():
            X[:, i] = self.grid_points(i, self.grid_index(i, X[:, i]))
        return X

    def sample(self, n: int, rng: np.random.RandomState) -> np.ndarray:
        """``n`` scrambled-Sobol points (normalized, snapped to the grids)."""
        X = qmc.Sobol(self.dim, scramble=True, seed=rng.randint(2**31 - 1)).random(n)
        X[:, self.is_categorical] *= self.n_grid[self.is_categorical]
        return self.round(X)

    def unnormalize(self, x: np.ndarray) -> dict[str, float]:
        """Internal values (choice index for categoricals) of one normalized point."""
        params: dict[str, float] = {}
        for i, (name, dist) in enumerate(zip(self.names, self.distributions)):
            if self.n_grid[i] > 0:
                k = float(self.grid_index(i, np.array([x[i]]))[0])
                value = k if self.is_categorical[i] else self._value_lows[i] + k * self._steps[i]
            else:
                value = float(self._unnormalize_column(i, np.array([x[i]]))[0])
            if not self.is_categorical[i]:
                assert isinstance(dist, (FloatDistribution, IntDistribution))
                value = min(max(value, dist.low), dist.high)
            params[name] = float(value)
        return params
