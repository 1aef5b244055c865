"""Uniform random sampling (log-uniform on log scales)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import numpy as np

from hpo.distributions import BaseDistribution, CategoricalDistribution, FloatDistribution, IntDistribution
from hpo.samplers._base import BaseSampler
from hpo.trial import FrozenTrial

if TYPE_CHECKING:
    from hpo.study import Study


class RandomSampler(BaseSampler):
    """Draws every parameter independently and uniformly; reproducible with ``seed``."""

    def __init__(self, seed: int | None = None) -> None:
        self._seed = seed
        self._rng = np.random.RandomState(seed)

    def reseed_rng(self) -> None:
        self._rng = np.random.RandomState()

    def infer_relative_search_space(self, study: Study, trial: FrozenTrial) -> dict[str, BaseDistribution]:
        return {}

    def sample_relative(
        self, study: Study, trial: FrozenTrial, search_space: dict[str, BaseDistribution]
    ) -> dict[str, Any]:
        return {}

    def sample_independent(
        self, study: Study, trial: FrozenTrial, param_name: str, param_distribution: BaseDistribution
    ) -> Any:
        return sample_uniform(self._rng, param_distribution)


def sample_uniform(rng: np.random.RandomState, dist: BaseDistribution) -> Any:
    """One uniform draw from ``dist``, in the external representation."""
    if isinstance(dist, CategoricalDistribution):
        return dist.choices[int(rng.randint(len(dist.choices)))]
    assert isinstance(dist, (FloatDistribution, IntDistribution))
    if dist.log:
        low, high = np.log(dist.low), np.log(dist.high)
        if isinstance(dist, IntDistribution):
            # Draw on [low - 0.5, high + 0.5] in log space so the end points are as likely as others.
            low, high = np.log(dist.low - 0.5), np.log(dist.high + 0.5)
        value = float(np.exp(rng.uniform(low, high)))
    elif dist.step is not None:
        n_steps = int(round((dist.high - dist.low) / dist.step))
        value = dist.low + int(rng.randint(n_steps + 1)) * dist.step
    else:
        value = float(rng.uniform(dist.low, dist.high))
    if isinstance(dist, IntDistribution):
        return int(min(max(round(value), dist.low), dist.high))
    return float(min(max(value, dist.low), dist.high))
