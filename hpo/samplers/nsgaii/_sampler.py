"""NSGA-II: the non-dominated sorting genetic algorithm for (multi-objective) optimization."""

from __future__ import annotations

import threading
from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import numpy as np

from hpo.distributions import BaseDistribution
from hpo.records import TrialState
from hpo.samplers._base import ConstraintsFunc, IndependentFallbackSampler
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

_GENERATION_KEY = "NSGAIISampler:generation"
_PARENTS_KEY_PREFIX = "NSGAIISampler:parent:"


class NSGAIISampler(IndependentFallbackSampler):
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
        self._population_size = population_size
        self._seed = seed
        self._rng = np.random.RandomState(seed)
        # The first generation, parameters left to mutation, and those outside the relative search space.
        self._independent_sampler = RandomSampler(seed=seed)
        constraints = _resolve("constraints_func", constraints_func)
        self._elite_selection: EliteSelection = _resolve(
            "elite_population_selection_strategy", elite_population_selection_strategy
        ) or NSGAIIElitePopulationSelectionStrategy(population_size=population_size)
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
        self._caches: dict[tuple[int, int, str], _StudyCache] = {}
        self._lock = threading.Lock()

    def __repr__(self) -> str:
        return f"NSGAIISampler(population_size={self._population_size}, seed={self._seed!r})"

    @property
    def population_size(self) -> int:
        return self._population_size

    def reseed_rng(self) -> None:
        self._rng.seed()
        super().reseed_rng()

    # --- the sampler interface -----------------------------------------------------------------
    def infer_relative_search_space(self, study: Study, trial: FrozenTrial) -> dict[str, BaseDistribution]:
        with self._lock:
            space = self._cache(study).search_space.calculate(study)
        return {name: dist for name, dist in space.items() if not dist.single()}

    def sample_relative(
        self, study: Study, trial: FrozenTrial, search_space: dict[str, BaseDistribution]
    ) -> dict[str, Any]:
        with self._lock:
            generation = self._trial_generation(study, trial)
            parents = self._parent_population(study, generation)
            if not parents or not search_space:
                return {}
            return self._child_generation(study, search_space, parents)

    def after_trial(
        self, study: Study, trial: FrozenTrial, state: TrialState, values: Sequence[float] | None
    ) -> None:
        self._after_trial(study, trial, state, values)
        super().after_trial(study, trial, state, values)

    # --- generations -------------------------------------------------------------------------
    def _cache(self, study: Study) -> _StudyCache:
        return self._caches.setdefault((id(study.storage), study.study_id, study.study_name), _StudyCache())

    def _trial_generation(self, study: Study, trial: FrozenTrial) -> int:
        """The trial's generation: the latest one, or the next once the latest has a full population."""
        stored = trial.system_attrs.get(_GENERATION_KEY)
        if stored is not None:
            return stored
        cache = self._cache(study)
        for t in study.get_trials(deepcopy=False, states=(TrialState.COMPLETE,)):
            if t.number not in cache.counted:  # a COMPLETE trial never changes, so it is counted once
                cache.counted.add(t.number)
                if _GENERATION_KEY in t.system_attrs:
                    cache.sizes[t.system_attrs[_GENERATION_KEY]] += 1
        latest = max(cache.sizes, default=0)
        generation = latest + 1 if cache.sizes[latest] >= self._population_size else latest
        study.storage.set_trial_system_attr(trial.trial_id, _GENERATION_KEY, generation)
        return generation

    def _population(self, study: Study, generation: int) -> list[FrozenTrial]:
        return [
            t
            for t in study.get_trials(deepcopy=False, states=(TrialState.COMPLETE,))
            if t.system_attrs.get(_GENERATION_KEY) == generation
        ]

    def _parent_population(self, study: Study, generation: int) -> list[FrozenTrial]:
        """The elite that breeds ``generation``: chosen once, stored in the study's system attributes."""
        if generation == 0:
            return []
        cache = self._cache(study)
        if generation not in cache.parents:
            key = f"{_PARENTS_KEY_PREFIX}{generation}"
            stored_ids = study.storage.get_study_system_attrs(study.study_id).get(key)
            if stored_ids is not None:
                ids = set(stored_ids)
                parents = [t for t in study.get_trials(deepcopy=False) if t.trial_id in ids]
            else:
                previous = self._population(study, generation - 1) + self._parent_population(study, generation - 1)
                parents = sorted(self._elite_selection(study, previous), key=lambda t: t.number)
                study.storage.set_study_system_attr(study.study_id, key, [t.trial_id for t in parents])
            cache.parents[generation] = parents
        return cache.parents[generation]


@dataclass
class _StudyCache:
    """What the sampler keeps of one study; all of it derives from finished trials, which never change."""

    search_space: IntersectionSearchSpace = field(default_factory=IntersectionSearchSpace)
    counted: set[int] = field(default_factory=set)  # numbers of the COMPLETE trials counted in `sizes`
    sizes: Counter[int] = field(default_factory=Counter)  # COMPLETE trials per generation
    parents: dict[int, list[FrozenTrial]] = field(default_factory=dict)  # parent population per generation


def _resolve(name: str, value: Callable[..., Any] | str | None) -> Any:
    """A callable argument, imported when given as ``"module:function"``."""
    if isinstance(value, str):
        value = import_path(value)
    if value is not None and not callable(value):
        raise TypeError(f"{name} must be a function or a 'module:function' string, got {value!r}.")
    return value
