"""The Tree-structured Parzen Estimator sampler."""

from hpo.samplers._tpe.sampler import (
    TPESampler,
    default_gamma,
    default_gamma_multiobjective,
    default_weights,
    hyperopt_default_gamma,
)

__all__ = [
    "TPESampler",
    "default_gamma",
    "default_gamma_multiobjective",
    "default_weights",
    "hyperopt_default_gamma",
]
