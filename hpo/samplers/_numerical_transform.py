"""A continuous box for numerical search spaces, the coordinates evolutionary and QMC samplers work in."""

from __future__ import annotations

import math
from typing import Any

import numpy as np

from hpo.distributions import BaseDistribution, FloatDistribution, IntDistribution

NumericalDistribution = FloatDistribution | IntDistribution


class NumericalTransform:
    """Maps the parameters of ``search_space`` (float and int distributions) to a box and back.

    Log-scaled parameters are mapped through ``log``. With ``transform_step`` a stepped parameter
    gets half a step of room at each end, so that every grid point owns an interval of equal width.
    With ``unit_cube`` the box is rescaled to ``[0, 1]`` in every dimension. :meth:`untransform`
    rounds onto the grid and clips into the distribution, so any point maps to a valid value.
    """

    def __init__(
        self,
        search_space: dict[str, BaseDistribution],
        transform_step: bool = True,
        unit_cube: bool = False,
    ) -> None:
        for name, dist in search_space.items():
            if not isinstance(dist, (FloatDistribution, IntDistribution)):
                raise TypeError(f"Parameter {name!r} has {dist!r}; only float and int distributions map to a box.")
        self._space: dict[str, NumericalDistribution] = dict(search_space)  # type: ignore[arg-type]
        self._unit_cube = unit_cube
        raw = [_raw_bounds(dist, transform_step) for dist in self._space.values()]
        self._raw_bounds = np.array(raw, dtype=float).reshape(len(raw), 2)
        self._width = self._raw_bounds[:, 1] - self._raw_bounds[:, 0]

    @property
    def names(self) -> list[str]:
        return list(self._space)

    @property
    def distributions(self) -> dict[str, BaseDistribution]:
        return dict(self._space)

    @property
    def bounds(self) -> np.ndarray:
        """``(dim, 2)`` lower and upper bounds of the box."""
        if self._unit_cube:
            return np.tile([0.0, 1.0], (len(self._space), 1))
        return self._raw_bounds.copy()

    def transform(self, params: dict[str, Any]) -> np.ndarray:
        """The point of the box for ``params`` (external representation, every name present)."""
        x = np.array([_to_raw(params[name], dist) for name, dist in self._space.items()], dtype=float)
        if not self._unit_cube:
            return x
        flat = self._width == 0.0
        unit = np.full(len(x), 0.5)
        unit[~flat] = (x[~flat] - self._raw_bounds[~flat, 0]) / self._width[~flat]
        return unit

    def untransform(self, x: np.ndarray) -> dict[str, Any]:
        """The parameters (external representation, inside their distributions) for a point ``x``."""
        if x.shape != (len(self._space),):
            raise ValueError(f"Expected a point of shape ({len(self._space)},), got {x.shape}.")
        raw = self._raw_bounds[:, 0] + x * self._width if self._unit_cube else x
        return {name: _from_raw(float(v), dist) for (name, dist), v in zip(self._space.items(), raw)}


def _raw_bounds(dist: NumericalDistribution, transform_step: bool) -> tuple[float, float]:
    if dist.log:
        if isinstance(dist, IntDistribution) and transform_step:
            return math.log(dist.low - 0.5), math.log(dist.high + 0.5)
        return math.log(dist.low), math.log(dist.high)
    half = 0.5 * dist.step if (dist.step is not None and transform_step) else 0.0
    return dist.low - half, dist.high + half


def _to_raw(value: Any, dist: NumericalDistribution) -> float:
    return math.log(value) if dist.log else float(value)


def _from_raw(raw: float, dist: NumericalDistribution) -> int | float:
    value = math.exp(raw) if dist.log else raw
    if isinstance(dist, IntDistribution):
        if not dist.log:
            value = dist.low + math.floor((value - dist.low) / dist.step + 0.5) * dist.step
        return int(min(max(round(value), dist.low), dist.high))
    if dist.step is not None:
        value = dist.low + round((value - dist.low) / dist.step) * dist.step
    return float(min(max(value, dist.low), dist.high))
