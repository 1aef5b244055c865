"""NSGA-II: the sampler, its crossovers and mutations, and its default strategies."""

from hpo.samplers._nsga2._after_trial import NSGAIIAfterTrialStrategy
from hpo.samplers._nsga2._child_generation import NSGAIIChildGenerationStrategy
from hpo.samplers._nsga2._crossovers import (
    BaseCrossover,
    BLXAlphaCrossover,
    SBXCrossover,
    SPXCrossover,
    UNDXCrossover,
    UniformCrossover,
    VSBXCrossover,
)
from hpo.samplers._nsga2._mutation import BaseMutation, PolynomialMutation
from hpo.samplers._nsga2._sampler import NSGAIISampler
from hpo.samplers._nsga2._selection import NSGAIIElitePopulationSelectionStrategy

__all__ = [
    "BLXAlphaCrossover",
    "BaseCrossover",
    "BaseMutation",
    "NSGAIIAfterTrialStrategy",
    "NSGAIIChildGenerationStrategy",
    "NSGAIIElitePopulationSelectionStrategy",
    "NSGAIISampler",
    "PolynomialMutation",
    "SBXCrossover",
    "SPXCrossover",
    "UNDXCrossover",
    "UniformCrossover",
    "VSBXCrossover",
]
