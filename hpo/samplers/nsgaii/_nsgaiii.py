"""NSGA-III: NSGA-II's genetic machinery with reference-point niching for many objectives."""

from __future__ import annotations

from typing import Any

import numpy as np

from hpo.samplers._base import ConstraintsFunc
from hpo.samplers.nsgaii._crossovers import BaseCrossover
from hpo.samplers.nsgaii._mutation import BaseMutation
from hpo.samplers.nsgaii._niching import NSGAIIIElitePopulationSelectionStrategy
from hpo.samplers.nsgaii._sampler import AfterTrial, ChildGeneration, EliteSelection, ElitistGASampler


class NSGAIIISampler(ElitistGASampler):
    """Multi-objective genetic sampler for many objectives: NSGA-III (Deb and Jain, 2014).

    As :class:`~hpo.samplers.NSGAIISampler` (generations, crossover, mutation, constraints, stored
    parents), except for how the last front that fits only partly into the next parents is thinned:
    instead of crowding distance, which loses its meaning with many objectives, trials are kept
    niche by niche around reference points, so the parents spread over the whole Pareto front.

    Deb and Jain, "An evolutionary many-objective optimization algorithm using reference-point-based
    nondominated sorting approach, part I", IEEE TEC 18(4), 2014.

    Args:
        reference_points: A 2-D array, one row per reference point and one column per objective,
            in the normalized objective space (ideal point at 0, extreme points at 1, every
            objective minimized); trials near them are preferred, which expresses preferences.
            Default: the Das-Dennis points of the unit simplex (see ``dividing_parameter``).
        dividing_parameter: Divisions of each objective's axis for the default reference points:
            ``C(n_objectives + dividing_parameter - 1, dividing_parameter)`` points (10 for three
            objectives and the default 3). Unused when ``reference_points`` are given.

    The other arguments are :class:`~hpo.samplers.NSGAIISampler`'s.
    """

    def __init__(
        self,
        *,
        population_size: int = 50,
        mutation: BaseMutation | None = None,
        mutation_prob: float | None = None,
        crossover: BaseCrossover | None = None,
        crossover_prob: float = 0.9,
        swapping_prob: float = 0.5,
        seed: int | None = None,
        constraints_func: ConstraintsFunc | str | None = None,
        reference_points: Any = None,
        dividing_parameter: int = 3,
        elite_population_selection_strategy: EliteSelection | str | None = None,
        child_generation_strategy: ChildGeneration | str | None = None,
        after_trial_strategy: AfterTrial | str | None = None,
    ) -> None:
        # Set before super().__init__(), which builds the default elite selection (checking them) from them.
        self._reference_points = reference_points
        self._dividing_parameter = dividing_parameter
        super().__init__(
            population_size=population_size,
            mutation=mutation,
            mutation_prob=mutation_prob,
            crossover=crossover,
            crossover_prob=crossover_prob,
            swapping_prob=swapping_prob,
            seed=seed,
            constraints_func=constraints_func,
            elite_population_selection_strategy=elite_population_selection_strategy,
            child_generation_strategy=child_generation_strategy,
            after_trial_strategy=after_trial_strategy,
        )

    def _default_elite_selection(self, population_size: int, rng: np.random.RandomState) -> EliteSelection:
        return NSGAIIIElitePopulationSelectionStrategy(
            population_size=population_size,
            reference_points=self._reference_points,
            dividing_parameter=self._dividing_parameter,
            rng=rng,
        )
