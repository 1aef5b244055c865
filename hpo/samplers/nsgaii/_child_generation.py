"""NSGA-II child generation: crowded tournament selection of parents, crossover, then mutation."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import numpy as np

from hpo.distributions import BaseDistribution, CategoricalDistribution
from hpo.samplers._numerical_transform import NumericalTransform
from hpo.samplers.nsgaii._crossovers import BaseCrossover
from hpo.samplers.nsgaii._mutation import BaseMutation
from hpo.samplers.nsgaii._selection import crowded_comparison, tournament
from hpo.trial import FrozenTrial

if TYPE_CHECKING:
    from hpo.study import Study

# Crossovers may produce children outside the bounds; they are redrawn this many times, then clipped.
_MAX_CROSSOVER_TRIES = 100
# A child identical to a parent would spend a trial on a known point; it is redrawn this many times.
_MAX_DUPLICATE_TRIES = 20


class NSGAIIChildGenerationStrategy:
    """Makes a child's parameters from the parent population.

    With probability ``crossover_prob`` the child is a crossover (``crossover`` for numerical
    parameters, uniform crossover with ``swapping_prob`` for categorical ones) of parents chosen by
    binary tournaments under Deb's crowded comparison: the lower non-domination rank wins, then the
    larger crowding distance. Otherwise it copies one random parent. Each parameter then mutates
    with probability ``mutation_prob`` (default ``1 / n_params``): by ``mutation`` when given and
    the parameter is numerical, else by leaving it out so that it is drawn at random. A child equal
    to a parent (nothing crossed or mutated, as happens often with few parameters) is made again.
    """

    def __init__(
        self,
        *,
        crossover: BaseCrossover,
        crossover_prob: float,
        swapping_prob: float,
        mutation: BaseMutation | None,
        mutation_prob: float | None,
        rng: np.random.RandomState,
    ) -> None:
        if not isinstance(crossover, BaseCrossover):
            raise TypeError(
                f"crossover must be a crossover of hpo.samplers.nsgaii (e.g. SBXCrossover()), got {crossover!r}."
            )
        if mutation is not None and not isinstance(mutation, BaseMutation):
            raise TypeError(
                "mutation must be a mutation of hpo.samplers.nsgaii (e.g. PolynomialMutation()) or None, "
                f"got {mutation!r}."
            )
        for name, prob in (("crossover_prob", crossover_prob), ("swapping_prob", swapping_prob)):
            if not _is_probability(prob):
                raise ValueError(f"{name} must be a probability in [0, 1], got {prob!r}.")
        if mutation_prob is not None and not _is_probability(mutation_prob):
            raise ValueError(
                f"mutation_prob must be a probability in [0, 1] or None (1 / n_params), got {mutation_prob!r}."
            )
        self._crossover = crossover
        self._crossover_prob = crossover_prob
        self._swapping_prob = swapping_prob
        self._mutation = mutation
        self._mutation_prob = mutation_prob
        self._rng = rng
        # The crowded comparison of the last parent population: (study, trial ids) -> ranks and distances.
        self._comparison: tuple[tuple[int, int, tuple[int, ...]], np.ndarray] | None = None

    def __call__(
        self, study: Study, search_space: dict[str, BaseDistribution], parent_population: list[FrozenTrial]
    ) -> dict[str, Any]:
        for _ in range(_MAX_DUPLICATE_TRIES):
            params = self._child(study, search_space, parent_population)
            if len(params) < len(search_space) or not any(_is_copy(params, p) for p in parent_population):
                break
        return params

    def _child(
        self, study: Study, search_space: dict[str, BaseDistribution], parent_population: list[FrozenTrial]
    ) -> dict[str, Any]:
        """One child: every parameter, except those left out to be drawn at random."""
        rng = self._rng
        if rng.rand() < self._crossover_prob and len(parent_population) >= self._crossover.n_parents:
            child = self._crossover_child(study, search_space, parent_population)
        else:
            parent = parent_population[rng.choice(len(parent_population))]
            child = {name: parent.params[name] for name in search_space}
        mutation_prob = self._mutation_prob if self._mutation_prob is not None else 1.0 / max(1, len(child))
        params = {}
        for name, value in child.items():
            if rng.rand() >= mutation_prob:
                params[name] = value
            elif self._mutation is not None and not isinstance(search_space[name], CategoricalDistribution):
                params[name] = self._mutate(self._mutation, study, name, search_space[name], value)
        return params

    def _crossover_child(
        self, study: Study, search_space: dict[str, BaseDistribution], population: list[FrozenTrial]
    ) -> dict[str, Any]:
        categorical = [n for n, d in search_space.items() if isinstance(d, CategoricalDistribution)]
        numerical = {n: d for n, d in search_space.items() if not isinstance(d, CategoricalDistribution)}
        if not numerical:
            return self._uniform_child(self._select_parents(study, population), categorical)
        transform = NumericalTransform(numerical)
        bounds = transform.bounds
        for _ in range(_MAX_CROSSOVER_TRIES):
            parents = self._select_parents(study, population)
            x = self._crossover.crossover(
                np.array([transform.transform(p.params) for p in parents]), self._rng, study, bounds
            )
            if np.all((bounds[:, 0] <= x) & (x <= bounds[:, 1])):
                break
        # After the last try, the point is clipped into the bounds.
        return {**self._uniform_child(parents, categorical), **transform.untransform(x)}

    def _uniform_child(self, parents: list[FrozenTrial], names: list[str]) -> dict[str, Any]:
        """Each of ``names`` from the first or (with ``swapping_prob``) the last parent."""
        return {
            name: (parents[-1] if self._rng.rand() < self._swapping_prob else parents[0]).params[name] for name in names
        }

    def _select_parents(self, study: Study, population: list[FrozenTrial]) -> list[FrozenTrial]:
        """``n_parents`` distinct parents, each the winner of a crowded binary tournament."""
        key = (id(study.storage), study.study_id, tuple(t.trial_id for t in population))
        if self._comparison is None or self._comparison[0] != key:
            self._comparison = (key, crowded_comparison(population, study.directions))
        comparison = self._comparison[1]
        chosen: list[int] = []
        for _ in range(self._crossover.n_parents):
            candidates = [i for i in range(len(population)) if i not in chosen]
            chosen.append(tournament(candidates, comparison, self._rng))
        return [population[i] for i in chosen]

    def _mutate(
        self, mutation: BaseMutation, study: Study, name: str, distribution: BaseDistribution, value: Any
    ) -> Any:
        transform = NumericalTransform({name: distribution})
        bounds = transform.bounds[0]
        mutated = mutation.mutation(float(transform.transform({name: value})[0]), self._rng, study, bounds)
        return transform.untransform(np.array([np.clip(mutated, bounds[0], bounds[1])]))[name]


def _is_copy(params: dict[str, Any], parent: FrozenTrial) -> bool:
    return all(parent.params.get(name) == value for name, value in params.items())


def _is_probability(value: object) -> bool:
    return not isinstance(value, bool) and isinstance(value, (int, float)) and 0.0 <= value <= 1.0
