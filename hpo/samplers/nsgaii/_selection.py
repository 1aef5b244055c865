"""NSGA-II selection: constrained non-dominated sorting, crowding distance, and crowded binary tournaments."""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING

import numpy as np

from hpo.multi_objective import is_pareto_front
from hpo.records import StudyDirection
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
    return float(sum(c for c in trial.constraints.values() if c > 0))


def is_constrained(trials: Sequence[FrozenTrial]) -> bool:
    return any(trial.constraints for trial in trials)


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


def crowded_comparison(trials: Sequence[FrozenTrial], directions: Sequence[StudyDirection]) -> np.ndarray:
    """Per trial, its non-domination rank and its crowding distance within its front (shape ``(n, 2)``).

    Deb's crowded comparison prefers the lower rank, then the larger distance; with constraints,
    the ranks are those of constrained domination.
    """
    ranks = non_domination_ranks(trials, directions)
    distance = np.zeros(len(trials))
    for rank in np.unique(ranks):
        members = np.flatnonzero(ranks == rank)
        distance[members] = crowding_distance(_loss([trials[i] for i in members.tolist()], directions))
    return np.column_stack([ranks, distance])


def tournament(candidates: Sequence[int], comparison: np.ndarray, rng: np.random.RandomState) -> int:
    """The winner among two random ``candidates`` (indices into ``comparison``); the second on a tie."""
    first = candidates[rng.choice(len(candidates))]
    second = candidates[rng.choice(len(candidates))]
    (rank_first, distance_first), (rank_second, distance_second) = comparison[first], comparison[second]
    if rank_first != rank_second:
        return first if rank_first < rank_second else second
    return first if distance_first > distance_second else second


def _loss(trials: Sequence[FrozenTrial], directions: Sequence[StudyDirection]) -> np.ndarray:
    signs = np.array([-1.0 if d == StudyDirection.MAXIMIZE else 1.0 for d in directions])
    values = np.array([t.values for t in trials], dtype=float).reshape(len(trials), len(directions))
    return values * signs
