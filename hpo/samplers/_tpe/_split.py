"""Which finished trials are "good" (below) for TPE: the ``n_below`` best, ranked in tiers.

Tiers, best first: feasible COMPLETE trials (by value; by non-domination rank and hypervolume
contribution for several objectives), feasible PRUNED trials (by the last reported step, then that
step's value), infeasible trials (by their total constraint violation).
"""

from __future__ import annotations

import numpy as np

from hpo.multi_objective import best_by_rank
from hpo.records import TrialState


def below_mask(
    states: np.ndarray,
    loss: np.ndarray,
    violation: np.ndarray,
    pruned_step: np.ndarray,
    pruned_loss: np.ndarray,
    numbers: np.ndarray,
    n_below: int,
) -> np.ndarray:
    """Boolean mask of the below trials.

    ``loss`` (n, objectives) is minimized; ``violation`` > 0 marks infeasible trials; ``pruned_step``
    is the last reported step of a pruned trial (-1 without one) and ``pruned_loss`` its value.
    Ties go to the older trial (smaller ``numbers``).
    """
    mask = np.zeros(len(states), dtype=bool)
    feasible = violation <= 0
    complete = np.flatnonzero(feasible & (states == TrialState.COMPLETE))
    take = min(n_below, len(complete))
    if take > 0:
        if loss.shape[1] == 1:
            best = np.lexsort((numbers[complete], loss[complete, 0]))[:take]
        else:
            best = best_by_rank(loss[complete], take)
        mask[complete[best]] = True
    n_below -= take

    pruned = np.flatnonzero(feasible & (states == TrialState.PRUNED))
    take = min(n_below, len(pruned))
    if take > 0:
        step = pruned_step[pruned]
        value = np.where(step < 0, 0.0, np.nan_to_num(pruned_loss[pruned], nan=np.inf))
        # Deeper trials first; a trial that never reported goes after every one that did.
        depth = np.where(step < 0, 1.0, -step.astype(float))
        mask[pruned[np.lexsort((numbers[pruned], value, depth))[:take]]] = True
    n_below -= take

    infeasible = np.flatnonzero(~feasible)
    take = min(n_below, len(infeasible))
    if take > 0:
        mask[infeasible[np.lexsort((numbers[infeasible], violation[infeasible]))[:take]]] = True
    return mask


