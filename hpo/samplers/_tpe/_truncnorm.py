"""Truncated standard normal pieces on top of ``scipy.special``, stable far in the tails.

Every function works on the standardized bounds ``a = (low - loc) / scale`` and
``b = (high - loc) / scale``. The left tail of the normal CDF is the accurate one in floating
point, so intervals on the right of zero are mirrored to the left first.
"""

from __future__ import annotations

import math

import numpy as np
from scipy.special import log_ndtr, ndtr, ndtri_exp

LOG_SQRT_2PI = 0.5 * math.log(2.0 * math.pi)
_FAR_TAIL = -30.0  # Phi(-30) ~ 5e-198; Phi underflows below about -37


def log_gauss_mass(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """``log(Phi(b) - Phi(a))`` elementwise, for ``a <= b``."""
    a, b = np.broadcast_arrays(np.asarray(a, dtype=float), np.asarray(b, dtype=float))
    mirror = a > 0
    lo = np.where(mirror, -b, a)  # after mirroring lo <= 0: Phi(lo) is accurate, and so is the difference
    hi = np.where(mirror, -a, b)
    with np.errstate(divide="ignore"):
        out = np.log(ndtr(hi) - ndtr(lo))
    far = hi < _FAR_TAIL  # Phi would underflow: use the (slower) log-space difference
    if far.any():
        log_hi = log_ndtr(hi[far])
        with np.errstate(divide="ignore"):
            out[far] = log_hi + np.log1p(-np.exp(log_ndtr(lo[far]) - log_hi))
    return out


def sample(
    a: np.ndarray, b: np.ndarray, loc: np.ndarray, scale: np.ndarray, rng: np.random.RandomState
) -> np.ndarray:
    """One draw per element from the normal ``(loc, scale)`` truncated to ``[a, b]`` (standardized)."""
    a, b, loc, scale = np.broadcast_arrays(a, b, loc, scale)
    mirror = a > 0
    lo = np.where(mirror, -b, a)
    hi = np.where(mirror, -a, b)
    quantile = rng.uniform(size=a.shape)
    with np.errstate(divide="ignore"):
        log_cdf = np.logaddexp(log_ndtr(lo), np.log(quantile) + log_gauss_mass(lo, hi))
    z = np.clip(ndtri_exp(np.minimum(log_cdf, 0.0)), lo, hi)
    return loc + scale * np.where(mirror, -z, z)

