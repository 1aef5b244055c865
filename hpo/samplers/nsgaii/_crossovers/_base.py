"""The crossover interface of :class:`~hpo.samplers.NSGAIISampler`."""

from __future__ import annotations

import abc
from typing import TYPE_CHECKING, Any

import numpy as np

from hpo.specs import record_init_args

if TYPE_CHECKING:
    from hpo.study import Study


class BaseCrossover(abc.ABC):
    """Makes one child from ``n_parents`` parents, in the continuous space of the numerical parameters.

    Categorical parameters are always crossed uniformly by the sampler itself.
    """

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        record_init_args(cls)  # lets a crossover travel inside a sampler's JSON spec

    def __str__(self) -> str:
        return type(self).__name__

    @property
    @abc.abstractmethod
    def n_parents(self) -> int:
        """How many parents one crossover takes."""

    @abc.abstractmethod
    def crossover(
        self, parents_params: np.ndarray, rng: np.random.RandomState, study: Study, search_space_bounds: np.ndarray
    ) -> np.ndarray:
        """The child of ``parents_params`` (``n_parents x dim``), inside or near ``search_space_bounds`` (``dim x 2``).

        A child outside the bounds is rejected and the crossover is tried again.
        """
