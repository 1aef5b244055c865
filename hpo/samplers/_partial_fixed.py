"""A sampler wrapper that pins some parameters to given values."""

from __future__ import annotations

import warnings
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from hpo.distributions import BaseDistribution
from hpo.samplers._base import BaseSampler, IndependentFallbackSampler
from hpo.trial import FrozenTrial

if TYPE_CHECKING:
    from hpo.study import Study


class PartialFixedSampler(IndependentFallbackSampler):
    """Returns ``fixed_params[name]`` for the parameters it names, and asks ``base_sampler`` for the rest.

    A fixed value outside the distribution of its ``suggest_*`` call is used anyway, with a warning.

    Args:
        fixed_params: Parameter name to value (external representation).
        base_sampler: The sampler of the other parameters.
    """

    def __init__(self, fixed_params: dict[str, Any], base_sampler: BaseSampler) -> None:
        if not isinstance(fixed_params, Mapping):
            raise TypeError(f"fixed_params must be a dict of parameter name to value, got {fixed_params!r}.")
        if not isinstance(base_sampler, BaseSampler):
            raise TypeError(f"base_sampler must be a sampler (a BaseSampler), got {base_sampler!r}.")
        self._fixed_params = dict(fixed_params)
        self._independent_sampler = base_sampler  # samples every parameter that is not fixed

    def __repr__(self) -> str:
        return f"PartialFixedSampler(fixed_params={self._fixed_params!r}, base_sampler={self._independent_sampler!r})"

    def infer_relative_search_space(self, study: Study, trial: FrozenTrial) -> dict[str, BaseDistribution]:
        space = self._independent_sampler.infer_relative_search_space(study, trial)
        return {name: dist for name, dist in space.items() if name not in self._fixed_params}

    def sample_relative(
        self, study: Study, trial: FrozenTrial, search_space: dict[str, BaseDistribution]
    ) -> dict[str, Any]:
        return self._independent_sampler.sample_relative(study, trial, search_space)

    def sample_independent(
        self, study: Study, trial: FrozenTrial, param_name: str, param_distribution: BaseDistribution
    ) -> Any:
        if param_name not in self._fixed_params:
            return super().sample_independent(study, trial, param_name, param_distribution)
        value = self._fixed_params[param_name]
        if not param_distribution._contains(param_distribution.to_internal_repr(value)):
            warnings.warn(
                f"The fixed value {value!r} of parameter {param_name!r} is outside {param_distribution!r}; "
                "it is used anyway.",
                UserWarning,
                stacklevel=2,
            )
        return value
