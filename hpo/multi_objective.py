"""Pareto fronts of multi-objective studies, for studies and samplers alike."""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING

import numpy as np

from hpo.records import StudyDirection

if TYPE_CHECKING:
    from hpo.trial import FrozenTrial

__all__ = ["is_pareto_front", "pareto_front_trials"]


def pareto_front_trials(trials: Sequence[FrozenTrial], directions: Sequence[StudyDirection]) -> list[FrozenTrial]:
    """The trials no other trial dominates (better or equal in every objective, better in one)."""
    if not trials:
        return []
    signs = np.array([-1.0 if d == StudyDirection.MAXIMIZE else 1.0 for d in directions])
    loss = np.array([t.values for t in trials], dtype=float) * signs
    return [trials[i] for i in np.flatnonzero(is_pareto_front(loss)).tolist()]


def is_pareto_front(loss: np.ndarray) -> np.ndarray:
    """Boolean mask of the non-dominated rows of ``loss`` (all objectives minimized)."""
    n = len(loss)
    order = np.lexsort(loss.T[::-1])  # sort by the first objective, then the next ones
    on_front = np.zeros(n, dtype=bool)
    front: list[int] = []
    for i in order:
        point = loss[i]
        if front:
            f = loss[front]
            dominated = np.any(np.all(f <= point, axis=1) & np.any(f < point, axis=1))
            if dominated:
                continue
        front.append(i)
        on_front[i] = True
    return on_front
