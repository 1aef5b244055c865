"""Samplers: decide the parameters of each trial."""

from hpo.samplers._base import BaseSampler
from hpo.samplers._random import RandomSampler

__all__ = ["BaseSampler", "RandomSampler", "default_sampler"]


def default_sampler(n_objectives: int = 1) -> BaseSampler:
    """The sampler a study gets when none is given."""
    return RandomSampler()
