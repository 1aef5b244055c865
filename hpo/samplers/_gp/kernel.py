"""The Matern-5/2 kernel with ARD lengthscales; categorical dimensions use a Hamming distance."""

from __future__ import annotations

import numpy as np

_SQRT5 = np.sqrt(5.0)


def matern52(r2: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """``k(r2)`` and ``dk/dr2`` of the unit-scale Matern-5/2 kernel at squared distances ``r2``.

    ``k = (1 + sqrt(5 r2) + 5/3 r2) exp(-sqrt(5 r2))``; its derivative with respect to ``r2`` is
    ``-5/6 (1 + sqrt(5 r2)) exp(-sqrt(5 r2))``, finite at ``r2 = 0``.
    """
    r = _SQRT5 * np.sqrt(r2)
    e = np.exp(-r)
    return e * (1.0 + r + r * r / 3.0), (-5.0 / 6.0) * (1.0 + r) * e


def squared_differences(X1: np.ndarray, X2: np.ndarray, is_categorical: np.ndarray) -> np.ndarray:
    """Per-dimension squared differences ``(n1, n2, dim)``; 0/1 mismatch for categorical dimensions."""
    D = np.square(X1[:, None, :] - X2[None, :, :])
    D[..., is_categorical] = D[..., is_categorical] > 0.0
    return D


def weighted_sqdist(
    X1: np.ndarray, X2: np.ndarray, inv_sq_lengthscales: np.ndarray, is_categorical: np.ndarray
) -> np.ndarray:
    """``sum_j w_j d_j(x1, x2)`` for all pairs, ``(n1, n2)``, without an ``(n1, n2, dim)`` temporary."""
    cont = ~is_categorical
    sw = np.sqrt(inv_sq_lengthscales[cont])
    A, B = X1[:, cont] * sw, X2[:, cont] * sw
    r2 = np.square(A).sum(1)[:, None] + np.square(B).sum(1)[None, :] - 2.0 * (A @ B.T)
    np.maximum(r2, 0.0, out=r2)
    for j in np.flatnonzero(is_categorical):
        r2 += inv_sq_lengthscales[j] * (X1[:, j, None] != X2[None, :, j])
    return r2
