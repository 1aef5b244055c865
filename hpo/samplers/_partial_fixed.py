"""A sampler wrapper that pins some parameters to given values."""

from __future__ import annotations

import warnings
from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any

from hpo.distributions import BaseDistribution
from hpo.samplers._base import BaseSampler
from hpo.trial import FrozenTrial, TrialState

if TYPE_CHECKING:
    from hpo.study import Study


class PartialFixedSampler(BaseSampler):
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
        self._base_sampler = base_sampler

    def __repr__(self) -> str:
        return f"PartialFixedSampler(fixed_params={self._fixed_params!r}, base_sampler={self._base_sampler!r})"

    def reseed_rng(self) -> None:
        self._base_sampler.reseed_rng()

    def infer_relative_search_space(self, study: Study, trial: FrozenTrial) -> dict[str, BaseDistribution]:
        space = self._base_sampler.infer_relative_search_space(study, trial)
        return {name: dist for name, dist in space.items() if name not in self._fixed_params}

    def sample_relative(
        self, study: Study, trial: FrozenTrial, search_space: dict[str, BaseDistribution]
    ) -> dict[str, Any]:
        return self._base_sampler.sample_relative(study, trial, search_space)

    def sample_independent(
        self, study: Study, trial: FrozenTrial, param_name: str, param_distribution: BaseDistribution
    ) -> Any:
        if param_name not in self._fixed_params:
            return self._base_sampler.sample_independent(study, trial, param_name, param_distribution)
        value = self._fixed_params[param_name]
        if not param_distribution._contains(param_distribution.to_internal_repr(value)):
            warnings.warn(
                f"The fixed value {value!r} of parameter {param_name!r} is outside {param_distribution!r}; "
                "it is used anyway.",
                UserWarning,
                stacklevel=2,
            )
        return value

    def before_trial(self, study: Study, trial: FrozenTrial) -> None:
        self._base_sampler.before_trial(study, trial)

    def after_trial(
        self, study: Study, trial: FrozenTrial, state: TrialState, values: Sequence[float] | None
    ) -> None:
        self._base_sampler.after_trial(study, trial, state, values)
