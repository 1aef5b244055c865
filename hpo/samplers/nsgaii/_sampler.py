"""NSGA-II, and the machinery it shares with NSGA-III: one elitist genetic sampler, two elite selections."""

from __future__ import annotations

import abc
import threading
from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING, Any

import numpy as np

from hpo.distributions import BaseDistribution
from hpo.records import TrialState
from hpo.samplers._base import ConstraintsFunc, IndependentFallbackSampler
from hpo.samplers._ga import BaseGASampler
from hpo.samplers._random import RandomSampler
from hpo.samplers.nsgaii._after_trial import NSGAIIAfterTrialStrategy
from hpo.samplers.nsgaii._child_generation import NSGAIIChildGenerationStrategy
from hpo.samplers.nsgaii._crossovers import BaseCrossover, UniformCrossover
from hpo.samplers.nsgaii._mutation import BaseMutation
from hpo.samplers.nsgaii._selection import NSGAIIElitePopulationSelectionStrategy
from hpo.search_space import IntersectionSearchSpace
from hpo.specs import import_path
from hpo.trial import FrozenTrial

if TYPE_CHECKING:
    from hpo.study import Study

EliteSelection = Callable[["Study", list[FrozenTrial]], list[FrozenTrial]]
ChildGeneration = Callable[["Study", dict[str, BaseDistribution], list[FrozenTrial]], dict[str, Any]]
AfterTrial = Callable[["Study", FrozenTrial, TrialState, "Sequence[float] | None"], None]


class ElitistGASampler(BaseGASampler, IndependentFallbackSampler):
    """What NSGA-II and NSGA-III share: children of the elite of the previous generation and its parents.

    Each trial belongs to a generation (see :class:`~hpo.samplers.BaseGASampler`); the parents of
    generation ``g + 1`` are ``elite_selection(study, population of g + parents of g)``. Each child
    crosses parents picked by crowded binary tournaments, then mutates (see
    :class:`NSGAIIChildGenerationStrategy`). Parameters outside the intersection of past search
    spaces, those left to mutation without a ``mutation`` operator, and the whole first generation
    are drawn at random. Subclasses give the default elite selection (:meth:`_default_elite_selection`).
    """

    def __init__(
        self,
        *,
        population_size: int,
        mutation: BaseMutation | None,
        mutation_prob: float | None,
        crossover: BaseCrossover | None,
        crossover_prob: float,
        swapping_prob: float,
        seed: int | None,
        constraints_func: ConstraintsFunc | str | None,
        elite_population_selection_strategy: EliteSelection | str | None,
        child_generation_strategy: ChildGeneration | str | None,
        after_trial_strategy: AfterTrial | str | None,
    ) -> None:
        if isinstance(population_size, bool) or not isinstance(population_size, int) or population_size < 2:
            raise ValueError(f"population_size must be an integer >= 2, got {population_size!r}.")
        if seed is not None and (isinstance(seed, bool) or not isinstance(seed, int)):
            raise TypeError(f"seed must be an integer or None, got {seed!r}.")
        crossover = crossover if crossover is not None else UniformCrossover(swapping_prob)
        if isinstance(crossover, BaseCrossover) and population_size < crossover.n_parents:
            raise ValueError(
                f"{crossover} needs {crossover.n_parents} parents, so population_size must be at least "
                f"{crossover.n_parents}; got {population_size}."
            )
        super().__init__(population_size=population_size)
        self._seed = seed
        self._rng = np.random.RandomState(seed)
        # The first generation, parameters left to mutation, and those outside the relative search space.
        self._independent_sampler = RandomSampler(seed=seed)
        constraints = _resolve("constraints_func", constraints_func)
        self._elite_selection: EliteSelection = _resolve(
            "elite_population_selection_strategy", elite_population_selection_strategy
        ) or self._default_elite_selection(population_size, self._rng)
        self._child_generation: ChildGeneration = _resolve(
            "child_generation_strategy", child_generation_strategy
        ) or NSGAIIChildGenerationStrategy(
            crossover=crossover,
            crossover_prob=crossover_prob,
            swapping_prob=swapping_prob,
            mutation=mutation,
            mutation_prob=mutation_prob,
            rng=self._rng,
        )
        self._after_trial: AfterTrial = _resolve("after_trial_strategy", after_trial_strategy) or (
            NSGAIIAfterTrialStrategy(constraints_func=constraints)
        )
        self._search_spaces: dict[tuple[int, int, str], IntersectionSearchSpace] = {}
        self._lock = threading.Lock()

    @abc.abstractmethod
    def _default_elite_selection(self, population_size: int, rng: np.random.RandomState) -> EliteSelection:
        """The elite selection used when the caller gives none."""

    def __repr__(self) -> str:
        return f"{type(self).__name__}(population_size={self._population_size}, seed={self._seed!r})"

    @property
    def population_size(self) -> int:
        assert self._population_size is not None
        return self._population_size

    @population_size.setter
    def population_size(self, value: int) -> None:
        self._population_size = value

    def reseed_rng(self) -> None:
        self._rng.seed()
        super().reseed_rng()

    # --- the sampler interface -----------------------------------------------------------------
    def infer_relative_search_space(self, study: Study, trial: FrozenTrial) -> dict[str, BaseDistribution]:
        key = (id(study.storage), study.study_id, study.study_name)
        with self._lock:
            space = self._search_spaces.setdefault(key, IntersectionSearchSpace()).calculate(study)
        return {name: dist for name, dist in space.items() if not dist.single()}

    def select_parent(self, study: Study, generation: int) -> list[FrozenTrial]:
        previous = self.get_population(study, generation - 1) + self.get_parent_population(study, generation - 1)
        return self._elite_selection(study, previous)

    def sample_relative(
        self, study: Study, trial: FrozenTrial, search_space: dict[str, BaseDistribution]
    ) -> dict[str, Any]:
        with self._lock:
            parents = self.get_parent_population(study, self.get_trial_generation(study, trial))
            if not parents or not search_space:
                return {}
            return self._child_generation(study, search_space, parents)

    def after_trial(
        self, study: Study, trial: FrozenTrial, state: TrialState, values: Sequence[float] | None
    ) -> None:
        self._after_trial(study, trial, state, values)
        super().after_trial(study, trial, state, values)


class NSGAIISampler(ElitistGASampler):
    """Evolves a population of trials: children of the best ``population_size`` trials so far.

    Each trial belongs to a generation; generation ``g + 1`` starts once ``population_size``
    trials of generation ``g`` are COMPLETE (trials may run in parallel meanwhile). Its parents are
    the elite of generation ``g`` and its parents: whole Pareto fronts, then the least crowded
    trials of the next front. Each child crosses parents picked by binary tournaments (the lower
    rank wins, then the larger crowding distance) and is made again if it equals a parent. With
    constraints, feasible trials beat infeasible ones, and less violation beats more (constrained
    domination). The parents of each generation are stored in the study's system attributes, so
    every worker and a restarted sampler agree on them. Parameters outside the intersection of past
    search spaces, and those left to mutation without a ``mutation`` operator, are drawn at random.

    Deb, Pratap, Agarwal and Meyarivan, "A fast and elitist multiobjective genetic algorithm:
    NSGA-II", IEEE TEC 6(2), 2002.

    Args:
        population_size: Trials per generation, at least the crossover's ``n_parents``.
        mutation: Operator for numerical parameters chosen to mutate (e.g. ``PolynomialMutation()``);
            default: such parameters are drawn at random.
        mutation_prob: Probability of mutating each parameter; default ``1 / n_params``.
        crossover: A crossover of :mod:`hpo.samplers.nsgaii`; default ``UniformCrossover(swapping_prob)``.
        crossover_prob: Probability that a child is a crossover rather than a copy of a parent.
        swapping_prob: Probability of taking each parameter from the other parent (uniform crossover).
        seed: Seed for reproducible runs.
        constraints_func: ``trial -> sequence of floats`` (a function or a ``"module:function"``
            string), evaluated when a trial ends COMPLETE or PRUNED; values > 0 are violations.
        elite_population_selection_strategy: ``(study, population) -> parents`` replacing the
            default selection (a function or ``"module:function"``).
        child_generation_strategy: ``(study, search_space, parents) -> params`` replacing the
            default crossover and mutation.
        after_trial_strategy: ``(study, trial, state, values) -> None`` replacing the default
            (which stores the constraints).
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
        elite_population_selection_strategy: EliteSelection | str | None = None,
        child_generation_strategy: ChildGeneration | str | None = None,
        after_trial_strategy: AfterTrial | str | None = None,
    ) -> None:
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
        return NSGAIIElitePopulationSelectionStrategy(population_size=population_size)


def _resolve(name: str, value: Callable[..., Any] | str | None) -> Any:
    """A callable argument, imported when given as ``"module:function"``."""
    if isinstance(value, str):
        value = import_path(value)
    if value is not None and not callable(value):
        raise TypeError(f"{name} must be a function or a 'module:function' string, got {value!r}.")
    return value
