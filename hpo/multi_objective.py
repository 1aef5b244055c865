"""Pareto fronts, hypervolumes and the rank-then-hypervolume choice of the best trials of a multi-objective
study, for studies, samplers (TPE, NSGA-II), importance and plots alike. Every function takes losses: one
row per trial, one column per objective, all minimized (multiply maximized objectives by -1).
"""

from __future__ import annotations

import bisect
import functools
from collections.abc import Sequence
from typing import TYPE_CHECKING

import numpy as np

from hpo.records import StudyDirection

if TYPE_CHECKING:
    from hpo.trial import FrozenTrial

__all__ = [
    "best_by_rank",
    "hypervolume",
    "hypervolume_reference",
    "is_pareto_front",
    "nondomination_ranks",
    "pareto_front_trials",
    "select_by_hypervolume",
]

_GRID_LIMIT = 2_000_000  # n ** (d + 1) booleans at most for the grid method


def pareto_front_trials(trials: Sequence[FrozenTrial], directions: Sequence[StudyDirection]) -> list[FrozenTrial]:
    """The trials no other trial dominates (better or equal in every objective, better in one)."""
    if not trials:
        return []
    signs = np.array([-1.0 if d == StudyDirection.MAXIMIZE else 1.0 for d in directions])
    loss = np.array([t.values for t in trials], dtype=float) * signs
    return [trials[i] for i in np.flatnonzero(is_pareto_front(loss)).tolist()]


def hypervolume_reference(loss: np.ndarray) -> np.ndarray:
    """The reference point 10% beyond the worst loss of each objective (1e-12 where that is 0), as MOTPE's."""
    worst = np.max(loss, axis=0)
    reference = np.maximum(1.1 * worst, 0.9 * worst)
    reference[reference == 0] = 1e-12
    return reference


def best_by_rank(loss: np.ndarray, n_best: int) -> np.ndarray:
    """Indices of ``n_best`` rows: whole non-domination ranks, the last one cut greedily by hypervolume
    contribution (reference :func:`hypervolume_reference` of that rank), as Optuna's MOTPE and PED-ANOVA."""
    chosen: list[np.ndarray] = []
    remaining = np.arange(len(loss))
    left = n_best
    while left > 0 and remaining.size:
        front = remaining[is_pareto_front(loss[remaining])]
        if len(front) > left:
            front = front[select_by_hypervolume(loss[front], left, hypervolume_reference(loss[front]))]
        chosen.append(front)
        left -= len(front)
        remaining = np.setdiff1d(remaining, front, assume_unique=True)
    return np.concatenate(chosen) if chosen else np.zeros(0, dtype=int)


def hypervolume(points: np.ndarray, reference: np.ndarray) -> float:
    """The volume dominated by ``points`` and bounded by ``reference`` (exact)."""
    points = points[np.all(points < reference, axis=1)]
    n, d = points.shape
    if n == 0:
        return 0.0
    if d == 2:
        order = np.argsort(points[:, 0], kind="stable")
        x, y = points[order, 0], np.minimum.accumulate(points[order, 1])
        return float(np.sum((np.append(x[1:], reference[0]) - x) * (reference[1] - y)))
    if n ** (d + 1) <= _GRID_LIMIT:
        return _grid_volume(points, reference)
    # Slice along the last axis: each slab is the (d-1)-volume of the points below it.
    points = points[np.argsort(points[:, -1], kind="stable")]
    thickness = np.diff(np.append(points[:, -1], reference[-1]))
    return sum(
        float(thickness[i]) * hypervolume(points[: i + 1, :-1], reference[:-1])
        for i in range(n)
        if thickness[i] > 0
    )


def _grid_volume(points: np.ndarray, reference: np.ndarray) -> float:
    """Volume on the grid of the points' coordinates: a cell counts when a point weakly dominates its corner."""
    n, d = points.shape
    edges = [np.unique(np.append(points[:, i], reference[i])) for i in range(d)]
    dominated = np.ones((n,) + tuple(len(e) - 1 for e in edges), dtype=bool)
    for i, e in enumerate(edges):
        shape = [n] + [1] * d
        shape[i + 1] = len(e) - 1
        dominated &= (points[:, i, None] <= e[None, :-1]).reshape(shape)
    cell_volume = functools.reduce(np.multiply.outer, [np.diff(e) for e in edges])
    return float(np.sum(cell_volume, where=dominated.any(axis=0)))


def is_pareto_front(loss: np.ndarray) -> np.ndarray:
    """Boolean mask of the rows of ``loss`` (all objectives minimized) that no other row dominates
    (better or equal in every objective, better in one); duplicates all count."""
    if len(loss) == 0:
        return np.zeros(0, dtype=bool)
    unique, inverse = np.unique(loss, axis=0, return_inverse=True)  # lexicographically sorted
    inverse = inverse.ravel()
    on_front = np.zeros(len(unique), dtype=bool)
    if unique.shape[1] == 2:
        # Sorted by the first objective, a point is on the front iff it beats every earlier second objective.
        best_before = np.minimum.accumulate(np.concatenate(([np.inf], unique[:-1, 1])))
        on_front = unique[:, 1] < best_before
    else:
        remaining = np.arange(len(unique))
        while remaining.size:
            head = remaining[0]  # the lexicographically smallest remaining point is never dominated
            on_front[head] = True
            rest = remaining[1:]
            remaining = rest[np.any(unique[rest] < unique[head], axis=1)]
    return on_front[inverse]


def select_by_hypervolume(loss: np.ndarray, subset_size: int, reference: np.ndarray) -> np.ndarray:
    """Indices of ``subset_size`` rows of ``loss`` chosen greedily by hypervolume contribution.

    ``loss`` holds mutually non-dominated points; duplicates are chosen only after every distinct point.
    """
    if subset_size >= len(loss):
        return np.arange(len(loss))
    unique, first = np.unique(loss, axis=0, return_index=True)
    if len(unique) <= subset_size:
        rest = np.setdiff1d(np.arange(len(loss)), first)
        return np.sort(np.concatenate((first, rest[: subset_size - len(unique)])))
    if not np.all(np.isfinite(reference)):
        return first[:subset_size]
    if unique.shape[1] == 2:
        chosen = _greedy_2d(unique, subset_size, reference)
    else:
        chosen = _greedy_nd(unique, subset_size, reference)
    return first[chosen]


def _greedy_2d(front: np.ndarray, subset_size: int, reference: np.ndarray) -> np.ndarray:
    """Greedy selection on a lexsorted 2-d front: each contribution is a rectangle bounded by the chosen."""
    corner = np.tile(reference, (len(front), 1))  # upper corner of each point's exclusive rectangle
    available = np.ones(len(front), dtype=bool)
    chosen = np.empty(subset_size, dtype=int)
    for k in range(subset_size):
        contribution = np.where(available, np.prod(corner - front, axis=1), -np.inf)
        best = int(np.argmax(contribution))
        chosen[k] = best
        available[best] = False
        corner[:best, 0] = np.minimum(corner[:best, 0], front[best, 0])  # points left of it (x smaller)
        corner[best + 1 :, 1] = np.minimum(corner[best + 1 :, 1], front[best, 1])
    return chosen


def _greedy_nd(points: np.ndarray, subset_size: int, reference: np.ndarray) -> np.ndarray:
    """Lazy greedy selection: exact contributions are computed only for candidates whose upper bound
    could still win. Contributions only shrink as the subset grows (submodularity), and the
    contribution next to the latest chosen point alone bounds them too.
    """
    volume = np.prod(reference - points, axis=1)
    bound = volume.copy()
    available = np.ones(len(points), dtype=bool)
    chosen: list[int] = []
    while True:
        best = int(np.argmax(np.where(available, bound, -np.inf)))
        chosen.append(best)
        available[best] = False
        if len(chosen) == subset_size:
            return np.array(chosen, dtype=int)
        overlap = np.prod(reference - np.maximum(points, points[best]), axis=1)
        bound = np.minimum(bound, volume - overlap)
        selected = points[chosen]
        winner = -np.inf
        for i in np.argsort(-np.where(available, bound, -np.inf)):
            if not available[i] or bound[i] <= winner:
                break
            bound[i] = volume[i] - hypervolume(np.maximum(selected, points[i]), reference)
            winner = max(winner, bound[i])


def nondomination_ranks(loss: np.ndarray) -> np.ndarray:
    """0 for the Pareto front, 1 for the front of what is left, and so on."""
    if len(loss) == 0:
        return np.zeros(0, dtype=int)
    unique, inverse = np.unique(loss, axis=0, return_inverse=True)
    inverse = inverse.reshape(-1)
    if unique.shape[1] == 1:
        return inverse
    ranks = np.zeros(len(unique), dtype=int)
    if unique.shape[1] == 2:
        # Rows sorted lexicographically: an earlier row dominates a later one iff its second loss is
        # not larger, so a row's rank is the number of ranks whose smallest second loss is <= its own.
        smallest: list[float] = []
        for i, b in enumerate(unique[:, 1].tolist()):
            rank = bisect.bisect_right(smallest, b)
            if rank == len(smallest):
                smallest.append(b)
            else:
                smallest[rank] = b
            ranks[i] = rank
        return ranks[inverse]
    left = np.arange(len(unique))
    rank = 0
    while left.size:
        front = is_pareto_front(unique[left])
        ranks[left[front]] = rank
        left = left[~front]
        rank += 1
    return ranks[inverse]
