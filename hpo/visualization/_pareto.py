"""Losses and hypervolume histories for the multi-objective plots (fronts, ranks and hypervolumes are
:mod:`hpo.multi_objective`'s).

Every function takes losses: one row per trial, every objective minimized (maximized objectives
negated). Duplicated rows share their front and rank, as in Optuna.
"""

from __future__ import annotations

import bisect
from collections.abc import Sequence

import numpy as np

from hpo.multi_objective import hypervolume
from hpo.records import StudyDirection


def losses(values: np.ndarray, directions: Sequence[StudyDirection]) -> np.ndarray:
    """``values`` (n, d) with the maximized objectives negated."""
    signs = np.array([-1.0 if d == StudyDirection.MAXIMIZE else 1.0 for d in directions])
    return values * signs


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
