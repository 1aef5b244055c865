"""NSGA-II selection: constrained non-dominated sorting, crowding distance, and binary tournaments."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING

import numpy as np

from hpo.study._multi_objective import is_pareto_front
from hpo.study._study import CONSTRAINTS_KEY
from hpo.study._study_direction import StudyDirection
from hpo.trial import FrozenTrial

if TYPE_CHECKING:
    from hpo.study import Study



class NSGAIIElitePopulationSelectionStrategy:
    """Keeps the best ``population_size`` trials: whole fronts by rank, the last one by crowding distance.

    When trials carry constraint values, feasible trials rank first and infeasible ones follow,
    ordered by their total violation.
    """

    def __init__(self, *, population_size: int) -> None:
        if isinstance(population_size, bool) or not isinstance(population_size, int) or population_size < 2:
            raise ValueError(f"population_size must be an integer >= 2, got {population_size!r}.")
        self._population_size = population_size

    def __call__(self, study: Study, population: list[FrozenTrial]) -> list[FrozenTrial]:
        ranks = non_domination_ranks(population, study.directions)
        elite: list[FrozenTrial] = []
        for rank in range(int(ranks.max(initial=-1)) + 1):
            front = [t for t, r in zip(population, ranks) if r == rank]
            if len(elite) + len(front) <= self._population_size:
                elite.extend(front)
                continue
            distance = crowding_distance(_loss(front, study.directions))
            order = np.argsort(-distance, kind="stable")
            elite.extend(front[i] for i in order[: self._population_size - len(elite)])
            break
        return elite


def violation(trial: FrozenTrial) -> float:
    """Total constraint violation (sum of the positive constraint values); 0 for a feasible trial."""
    return float(sum(c for c in trial.system_attrs.get(CONSTRAINTS_KEY) or () if c > 0))


def is_constrained(trials: Sequence[FrozenTrial]) -> bool:
    return any(trial.system_attrs.get(CONSTRAINTS_KEY) is not None for trial in trials)


def non_domination_ranks(trials: Sequence[FrozenTrial], directions: Sequence[StudyDirection]) -> np.ndarray:
    """Rank 0 for the Pareto front, 1 for the front once it is removed, ...

    Feasible trials are ranked by their objectives; infeasible ones after them, by violation.
    """
    loss = _loss(trials, directions)
    penalty = np.array([violation(t) for t in trials]) if is_constrained(trials) else np.zeros(len(trials))
    ranks = np.full(len(trials), -1, dtype=int)
    feasible = np.flatnonzero(penalty <= 0)
    next_rank = 0
    while feasible.size:
        front = is_pareto_front(loss[feasible])
        ranks[feasible[front]] = next_rank
        feasible = feasible[~front]
        next_rank += 1
    infeasible = np.flatnonzero(penalty > 0)
    levels = np.unique(penalty[infeasible])
    ranks[infeasible] = next_rank + np.searchsorted(levels, penalty[infeasible])
    return ranks


def crowding_distance(loss: np.ndarray) -> np.ndarray:
    """For each point, the sum over objectives of the normalized gap between its two neighbours.

    The extreme points of an objective get an infinite distance, so the front's ends survive.
    """
    n, n_objectives = loss.shape
    distance = np.zeros(n)
    for j in range(n_objectives):
        order = np.argsort(loss[:, j], kind="stable")
        values = loss[order, j]
        if values[0] == values[-1]:
            continue
        padded = np.concatenate([[-np.inf], values, [np.inf]])
        with np.errstate(invalid="ignore"):
            gaps = np.where(padded[2:] == padded[:-2], 0.0, padded[2:] - padded[:-2])
        finite = values[np.isfinite(values)]
        width = finite.max() - finite.min() if finite.size else 0.0
        distance[order] += gaps / (width if width > 0 else 1.0)
    return distance


def dominates(a: FrozenTrial, b: FrozenTrial, directions: Sequence[StudyDirection]) -> bool:
    """Whether ``a`` is at least as good as ``b`` in every objective and better in one."""
    assert a.values is not None and b.values is not None
    strictly = False
    for va, vb, direction in zip(a.values, b.values, directions):
        if direction == StudyDirection.MAXIMIZE:
            va, vb = -va, -vb
        if va > vb:
            return False
        strictly = strictly or va < vb
    return strictly


def constrained_dominates(a: FrozenTrial, b: FrozenTrial, directions: Sequence[StudyDirection]) -> bool:
    """Domination where feasible beats infeasible and, between infeasible trials, less violation wins."""
    violation_a, violation_b = violation(a), violation(b)
    if violation_a <= 0 and violation_b <= 0:
        return dominates(a, b, directions)
    return violation_a < violation_b


def tournament(
    population: Sequence[FrozenTrial],
    rng: np.random.RandomState,
    directions: Sequence[StudyDirection],
    better: Callable[[FrozenTrial, FrozenTrial, Sequence[StudyDirection]], bool],
) -> FrozenTrial:
    """The better of two random members (the second one when neither dominates)."""
    first = population[rng.choice(len(population))]
    second = population[rng.choice(len(population))]
    return first if better(first, second, directions) else second


def _loss(trials: Sequence[FrozenTrial], directions: Sequence[StudyDirection]) -> np.ndarray:
    signs = np.array([-1.0 if d == StudyDirection.MAXIMIZE else 1.0 for d in directions])
    values = np.array([t.values for t in trials], dtype=float).reshape(len(trials), len(directions))
    return values * signs
