"""Pareto fronts, non-domination ranks and hypervolumes for the multi-objective plots.

Every function takes losses: one row per trial, every objective minimized (maximized objectives
negated). Duplicated rows share their front and rank, as in Optuna.
"""

from __future__ import annotations

import bisect
from collections.abc import Sequence

import numpy as np

from hpo.records import StudyDirection


def losses(values: np.ndarray, directions: Sequence[StudyDirection]) -> np.ndarray:
    """``values`` (n, d) with the maximized objectives negated."""
    signs = np.array([-1.0 if d == StudyDirection.MAXIMIZE else 1.0 for d in directions])
    return values * signs


def pareto_mask(loss: np.ndarray) -> np.ndarray:
    """True for the rows no other row dominates."""
    if len(loss) == 0:
        return np.zeros(0, dtype=bool)
    unique, inverse = np.unique(loss, axis=0, return_inverse=True)  # lexicographically sorted
    on_front = np.zeros(len(unique), dtype=bool)
    if unique.shape[1] == 1:
        on_front[0] = True
    elif unique.shape[1] == 2:
        # Sorted by the first objective, a row is on the front iff it beats every earlier second objective.
        best_before = np.minimum.accumulate(np.concatenate(([np.inf], unique[:-1, 1])))
        on_front = unique[:, 1] < best_before
    else:
        remaining = np.arange(len(unique))
        while remaining.size:
            head = remaining[0]  # the lexicographically smallest remaining row is never dominated
            on_front[head] = True
            rest = remaining[1:]
            remaining = rest[np.any(unique[rest] < unique[head], axis=1)]
    return on_front[inverse.reshape(-1)]


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
        front = pareto_mask(unique[left])
        ranks[left[front]] = rank
        left = left[~front]
        rank += 1
    return ranks[inverse]


def hypervolume(points: np.ndarray, reference: np.ndarray) -> float:
    """The volume the points dominate inside the box below ``reference`` (exact)."""
    points = points[np.all(points < reference, axis=1)]
    if len(points) == 0:
        return 0.0
    if points.shape[1] == 2:
        order = np.argsort(points[:, 0], kind="stable")
        x, y = points[order, 0], np.minimum.accumulate(points[order, 1])
        return float(np.sum((np.append(x[1:], reference[0]) - x) * (reference[1] - y)))
    # Slabs along the last objective: each is as thick as the gap to the next point and as wide as
    # the (d-1)-volume of the points below it.
    points = points[np.argsort(points[:, -1], kind="stable")]
    thickness = np.diff(np.append(points[:, -1], reference[-1]))
    return sum(
        float(thickness[i]) * hypervolume(points[: i + 1, :-1], reference[:-1])
        for i in range(len(points))
        if thickness[i] > 0
    )


def hypervolume_history(loss: np.ndarray, feasible: np.ndarray, reference: np.ndarray) -> np.ndarray:
    """The hypervolume of the feasible rows among the first ``i + 1``, for every ``i``.

    Rows outside the reference box or weakly dominated by an earlier counted row change nothing;
    two objectives are swept along the front in O(n log n), more update the front point by point.
    """
    history = np.zeros(len(loss))
    counted = feasible & np.all(loss <= reference, axis=1)
    if loss.shape[1] == 2:
        _history_2d(loss, counted, reference, history)
        return history
    front = np.empty((0, loss.shape[1]))
    volume = 0.0
    for i in range(len(loss)):
        if counted[i]:
            point = loss[i]
            if not np.any(np.all(front <= point, axis=1)):
                limited = np.maximum(front, point)
                volume += float(np.prod(reference - point)) - hypervolume(limited, reference)
                front = np.vstack([front[np.any(front < point, axis=1)], point])
        history[i] = volume
    return history


def _history_2d(loss: np.ndarray, counted: np.ndarray, reference: np.ndarray, history: np.ndarray) -> None:
    # The front, sorted by the first loss (ascending), so the second loss descends.
    xs: list[float] = []
    ys: list[float] = []
    ref_x, ref_y = float(reference[0]), float(reference[1])
    volume = 0.0
    for i, (x, y) in enumerate(loss.tolist()):
        if counted[i]:
            at = bisect.bisect_right(xs, x)
            if at == 0 or ys[at - 1] > y:  # not weakly dominated by the front
                lo = bisect.bisect_left(xs, x)
                hi = lo
                while hi < len(xs) and ys[hi] >= y:  # the front points the new one dominates
                    hi += 1
                # The area the new point adds: under the old staircase, above y, right of x.
                edges = [x, *xs[lo:hi], xs[hi] if hi < len(xs) else ref_x]
                heights = [ys[lo - 1] if lo > 0 else ref_y, *ys[lo:hi]]
                volume += sum((edges[k + 1] - edges[k]) * (heights[k] - y) for k in range(len(heights)))
                xs[lo:hi] = [x]
                ys[lo:hi] = [y]
        history[i] = volume
