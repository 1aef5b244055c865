"""Crossovers of :class:`~hpo.samplers.NSGAIISampler`."""

from hpo.samplers.nsgaii._crossovers._base import BaseCrossover
from hpo.samplers.nsgaii._crossovers._blxalpha import BLXAlphaCrossover
from hpo.samplers.nsgaii._crossovers._sbx import SBXCrossover
from hpo.samplers.nsgaii._crossovers._spx import SPXCrossover
from hpo.samplers.nsgaii._crossovers._undx import UNDXCrossover
from hpo.samplers.nsgaii._crossovers._uniform import UniformCrossover
from hpo.samplers.nsgaii._crossovers._vsbx import VSBXCrossover

__all__ = [
    "BLXAlphaCrossover",
    "BaseCrossover",
    "SBXCrossover",
    "SPXCrossover",
    "UNDXCrossover",
    "UniformCrossover",
    "VSBXCrossover",
]
