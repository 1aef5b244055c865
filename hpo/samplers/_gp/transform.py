"""Transforms of observed values before a GP is fitted to them."""

from __future__ import annotations

import warnings

import numpy as np
import scipy.stats

_EPS = 1e-10


def standardize(values: np.ndarray) -> tuple[np.ndarray, float, float]:
    """``values`` with infinities clipped to the finite range, shifted and scaled to mean 0 and std 1;
    also the mean and standard deviation used."""
    finite = np.isfinite(values)
    if not finite.all():
        low, high = (values[finite].min(), values[finite].max()) if finite.any() else (0.0, 0.0)
        values = np.clip(values, low, high)
    mean, std = float(values.mean()), float(values.std())
    return (values - mean) / max(std, _EPS), mean, std


def warp(values: np.ndarray) -> np.ndarray:
    """Standardized ``values`` made closer to Gaussian by a Yeo-Johnson power transform (its exponent
    fitted by maximum likelihood), standardized again.

    The transform is monotone, so the best value stays the best; it compresses long tails such as
    Rosenbrock's, which would otherwise force a short lengthscale and a flat, uninformative GP
    around the optimum.
    """
    y = standardize(values)[0]
    if np.ptp(y) == 0.0:
        return y
    with warnings.catch_warnings(), np.errstate(all="ignore"):
        warnings.simplefilter("ignore", RuntimeWarning)
        warped = scipy.stats.yeojohnson(y)[0]
    if not np.all(np.isfinite(warped)) or np.ptp(warped) == 0.0:
        return y
    return standardize(warped)[0]
