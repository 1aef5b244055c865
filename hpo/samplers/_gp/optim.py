"""Maximizing an acquisition function over a mixed search space.

Scrambled-Sobol candidates are scored; the best one, a few drawn with probability proportional to
``exp(acquisition)``, and the given warm starts each seed a local search. The local searches run
as one batch, alternating L-BFGS-B over the continuous dimensions (and long integer/step grids,
relaxed and then rounded), preconditioned by the lengthscales, with a discrete search over each
grid dimension: every choice for categorical parameters and short grids, nearby points for long ones.
"""

from __future__ import annotations

import numpy as np

from hpo.samplers._gp.acquisition import Acquisition
from hpo.samplers._gp.batched_lbfgsb import batched_lbfgsb
from hpo.samplers._gp.blas import single_threaded_blas
from hpo.samplers._gp.search_space import MAX_EXHAUSTIVE_GRID, SearchSpace

N_CANDIDATES = 2048
N_LOCAL_SEARCHES = 10
_MAX_ROUNDS = 10
_NEIGHBORS = np.arange(-4, 5)  # grid offsets tried around the current point on a long grid


def optimize_acquisition(
    acq: Acquisition, space: SearchSpace, rng: np.random.RandomState, warm_starts: np.ndarray
) -> np.ndarray:
    """The best normalized point found (on the grids)."""
    with single_threaded_blas():
        return _optimize(acq, space, rng, warm_starts)


def _optimize(
    acq: Acquisition, space: SearchSpace, rng: np.random.RandomState, warm_starts: np.ndarray
) -> np.ndarray:
    candidates = space.sample(N_CANDIDATES, rng)
    values = acq(candidates)
    best = int(np.argmax(values))
    probs = np.exp(values - values[best])
    probs[best] = 0.0
    n_extra = min(N_LOCAL_SEARCHES - 1 - len(warm_starts), int(np.count_nonzero(probs > 0.0)))
    chosen = [best]
    if n_extra > 0:
        chosen += list(rng.choice(len(candidates), size=n_extra, replace=False, p=probs / probs.sum()))
    X, f = _local_search(acq, space, np.vstack([candidates[chosen], warm_starts]))
    return X[int(np.argmax(f))]


def _local_search(acq: Acquisition, space: SearchSpace, X: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Improve every row of ``X`` until neither gradient ascent nor a discrete move helps."""
    X, f = X.copy(), acq(X)
    active = np.arange(len(X))

    def keep_better(X_new: np.ndarray, f_new: np.ndarray) -> np.ndarray:
        better = f_new > f[active]
        X[active[better]], f[active[better]] = X_new[better], f_new[better]
        return better

    for _ in range(_MAX_ROUNDS):
        keep_better(*_gradient_ascent(acq, space, X[active]))
        moved = np.zeros(len(active), dtype=bool)
        for i in space.discrete:
            moved |= keep_better(*_discrete_search(acq, space, X[active], int(i)))
        active = active[moved]
        if len(active) == 0:
            break
    return X, f


def _gradient_ascent(acq: Acquisition, space: SearchSpace, X0: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    relaxed = space.relaxed
    if not relaxed.any():
        return X0, np.full(len(X0), -np.inf)
    # Optimizing u = x / lengthscale makes the problem roughly isotropic.
    scales = acq.lengthscales[relaxed]

    def negative_acq(ids: np.ndarray, U: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        X = X0[ids]
        X[:, relaxed] = U * scales
        values, grads = acq.value_and_grad(X)
        return -values, -grads[:, relaxed] * scales

    bounds = np.column_stack([np.zeros(len(scales)), 1.0 / scales])
    U = batched_lbfgsb(negative_acq, X0[:, relaxed] / scales, bounds, pgtol=1e-2, maxiter=200)
    X = X0.copy()
    X[:, relaxed] = np.clip(U * scales, 0.0, 1.0)
    X = space.round(X)
    return X, acq(X)


def _discrete_search(acq: Acquisition, space: SearchSpace, X0: np.ndarray, i: int) -> tuple[np.ndarray, np.ndarray]:
    """For each row, the best value of dimension ``i`` among its choices (or its grid neighbors)."""
    n = int(space.n_grid[i])
    if space.is_categorical[i] or n <= MAX_EXHAUSTIVE_GRID:
        ks = np.broadcast_to(np.arange(n), (len(X0), n))
    else:
        ks = np.clip(space.grid_index(i, X0[:, i])[:, None] + _NEIGHBORS, 0, n - 1)
    X = np.repeat(X0[:, None, :], ks.shape[1], axis=1)
    X[:, :, i] = space.grid_points(i, ks)
    values = acq(X.reshape(-1, X0.shape[1])).reshape(ks.shape)
    best = np.argmax(values, axis=1)
    rows = np.arange(len(X0))
    return X[rows, best], values[rows, best]
