"""Gaussian-process Bayesian optimization (NumPy/SciPy only)."""

from hpo.samplers._gp.sampler import GPSampler

__all__ = ["GPSampler"]
