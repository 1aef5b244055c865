"""NSGA-II: :class:`NSGAIISampler` (also ``hpo.samplers.NSGAIISampler``), its crossovers and mutations.

NSGA-III shares the machinery and lives here too; it is exported as ``hpo.samplers.NSGAIIISampler``
(as in Optuna, not from this module's ``__all__``).
"""

from hpo.samplers.nsgaii._crossovers import (
    BaseCrossover,
    BLXAlphaCrossover,
    SBXCrossover,
    SPXCrossover,
    UNDXCrossover,
    UniformCrossover,
    VSBXCrossover,
)
from hpo.samplers.nsgaii._mutation import BaseMutation, PolynomialMutation
from hpo.samplers.nsgaii._nsgaiii import NSGAIIISampler as NSGAIIISampler
from hpo.samplers.nsgaii._sampler import NSGAIISampler

__all__ = [
    "BLXAlphaCrossover",
    "BaseCrossover",
    "BaseMutation",
    "NSGAIISampler",
    "PolynomialMutation",
    "SBXCrossover",
    "SPXCrossover",
    "UNDXCrossover",
    "UniformCrossover",
    "VSBXCrossover",
]
