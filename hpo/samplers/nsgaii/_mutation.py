"""Mutations of :class:`~hpo.samplers.NSGAIISampler`: the interface and polynomial mutation."""

from __future__ import annotations

import abc
from typing import TYPE_CHECKING, Any

import numpy as np

from hpo.specs import record_init_args

if TYPE_CHECKING:
    from hpo.study import Study


class BaseMutation(abc.ABC):
    """Changes one numerical parameter of a child, in the sampler's continuous space."""

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        record_init_args(cls)  # lets a mutation travel inside a sampler's JSON spec

    def __str__(self) -> str:
        return type(self).__name__

    @abc.abstractmethod
    def mutation(
        self, param: float, rng: np.random.RandomState, study: Study, search_space_bounds: np.ndarray
    ) -> float:
        """The mutated value of ``param``, a point of the interval ``search_space_bounds`` (shape ``(2,)``)."""


class PolynomialMutation(BaseMutation):
    """Moves the value by a polynomially distributed amount; larger ``eta`` keeps it closer.

    As in revision 1.1.6 of Deb's NSGA-II code (Deb, Pratap, Agarwal and Meyarivan, "A fast and
    elitist multiobjective genetic algorithm: NSGA-II", IEEE TEC 6(2), 2002).
    """

    def __init__(self, eta: float = 20.0) -> None:
        if not eta >= 0.0:
            raise ValueError(f"eta must be a non-negative number, got {eta!r}.")
        self._eta = eta

    def mutation(
        self, param: float, rng: np.random.RandomState, study: Study, search_space_bounds: np.ndarray
    ) -> float:
        low, high = float(search_space_bounds[0]), float(search_space_bounds[1])
        width = high - low
        if width <= 0.0:
            return param
        u = rng.rand()
        power = 1.0 / (self._eta + 1.0)
        if u <= 0.5:
            room = 1.0 - (param - low) / width
            delta = (2.0 * u + (1.0 - 2.0 * u) * room ** (self._eta + 1.0)) ** power - 1.0
        else:
            room = 1.0 - (high - param) / width
            delta = 1.0 - (2.0 * (1.0 - u) + 2.0 * (u - 0.5) * room ** (self._eta + 1.0)) ** power
        return param + delta * width
