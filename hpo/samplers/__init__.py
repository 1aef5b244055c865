"""Samplers: decide the parameters of each trial.

Samplers other than the base and random ones are imported on first use: some pull in SciPy's
statistics or ``cmaes``, which would slow down every ``import hpo`` (and every worker start).
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

from hpo.samplers._base import BaseSampler
from hpo.samplers._ga import BaseGASampler
from hpo.samplers._random import RandomSampler

if TYPE_CHECKING:
    from hpo.samplers import nsgaii
    from hpo.samplers._brute_force import BruteForceSampler
    from hpo.samplers._cmaes import CmaEsSampler
    from hpo.samplers._gp import GPSampler
    from hpo.samplers._grid import GridSampler
    from hpo.samplers._partial_fixed import PartialFixedSampler
    from hpo.samplers._qmc import QMCSampler
    from hpo.samplers._tpe import TPESampler
    from hpo.samplers.nsgaii import NSGAIIISampler, NSGAIISampler

_LAZY = {
    "BruteForceSampler": "hpo.samplers._brute_force",
    "CmaEsSampler": "hpo.samplers._cmaes",
    "GPSampler": "hpo.samplers._gp",
    "GridSampler": "hpo.samplers._grid",
    "NSGAIISampler": "hpo.samplers.nsgaii",
    "NSGAIIISampler": "hpo.samplers.nsgaii",
    "PartialFixedSampler": "hpo.samplers._partial_fixed",
    "QMCSampler": "hpo.samplers._qmc",
    "TPESampler": "hpo.samplers._tpe",
}

__all__ = [
    "BaseGASampler",
    "BaseSampler",
    "BruteForceSampler",
    "CmaEsSampler",
    "GPSampler",
    "GridSampler",
    "NSGAIIISampler",
    "NSGAIISampler",
    "PartialFixedSampler",
    "QMCSampler",
    "RandomSampler",
    "TPESampler",
    "default_sampler",
    "nsgaii",
]


def __getattr__(name: str) -> Any:
    if name == "nsgaii":
        return importlib.import_module("hpo.samplers.nsgaii")
    if name in _LAZY:
        value = getattr(importlib.import_module(_LAZY[name]), name)
        globals()[name] = value
        return value
    raise AttributeError(f"module 'hpo.samplers' has no attribute {name!r}")


def __dir__() -> list[str]:
    return sorted(__all__)


def default_sampler(n_objectives: int = 1) -> BaseSampler:
    """The sampler a study gets when none is given: TPE."""
    from hpo.samplers._tpe import TPESampler

    return TPESampler()
