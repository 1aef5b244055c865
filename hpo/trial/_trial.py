"""``Trial``: the object an objective receives from ``Study.optimize`` or ``Study.ask``."""

from __future__ import annotations

import copy
import datetime
import warnings
from typing import TYPE_CHECKING, Any

from hpo.distributions import BaseDistribution, check_distribution_compatibility, current_distribution
from hpo.outcome import validate_report
from hpo.records import FIXED_PARAMS_KEY, constraint_attr, constraint_values
from hpo.trial._base import BaseTrial

if TYPE_CHECKING:
    from hpo.study import Study


class Trial(BaseTrial):
    """A running trial of ``study``.

    The trial keeps its own up-to-date :class:`FrozenTrial`, so the sampler and the pruner see its
    parameters and intermediate values without reading them back from the storage. Made by
    :meth:`Study.ask <hpo.study.Study.ask>`, after the sampler's ``before_trial``; the relative
    parameters are sampled here.
    """

    def __init__(self, study: Study, trial_id: int) -> None:
        self.study = study
        self._trial_id = trial_id
        self._frozen = study.storage.get_trial(trial_id)
        self._fixed_params: dict[str, Any] = self._frozen.system_attrs.get(FIXED_PARAMS_KEY, {})
        self.relative_search_space = study.sampler.infer_relative_search_space(study, self._frozen)
        self.relative_params = study.sampler.sample_relative(study, self._frozen, self.relative_search_space)

    @classmethod
    def resume(
        cls,
        study: Study,
        trial_id: int,
        relative_search_space: dict[str, BaseDistribution],
        relative_params: dict[str, Any],
    ) -> Trial:
        """Re-attach to a running trial whose relative parameters were already sampled (no sampler call)."""
        trial = cls.__new__(cls)
        trial.study = study
        trial._trial_id = trial_id
        trial._frozen = study.storage.get_trial(trial_id)
        trial._fixed_params = trial._frozen.system_attrs.get(FIXED_PARAMS_KEY, {})
        trial.relative_search_space = relative_search_space
        trial.relative_params = relative_params
        return trial

    @property
    def trial_id(self) -> int:
        """The storage's id of the trial."""
        return self._trial_id

    # --- define-by-run ------------------------------------------------------------------------
    def suggest(self, name: str, distribution: BaseDistribution) -> Any:
        """The value of parameter ``name`` from ``distribution``: what every ``suggest_*`` method
        does, for a distribution object (e.g. one that arrived as JSON)."""
        return self._suggest(name, distribution)

    def _suggest(self, name: str, distribution: BaseDistribution) -> Any:
        distribution = current_distribution(distribution)
        trial = self._frozen
        if name in trial.distributions:
            check_distribution_compatibility(trial.distributions[name], distribution, param_name=name)
            if trial.distributions[name] != distribution:
                warnings.warn(
                    f"Parameter {name!r} was suggested again with {distribution!r} instead of "
                    f"{trial.distributions[name]!r}; the first value is returned. Suggest it with the same "
                    "arguments, or use another name.",
                    RuntimeWarning,
                    stacklevel=3,
                )
            return trial.params[name]
        if name in self._fixed_params:
            value = self._fixed_params[name]
            if not distribution._contains(distribution.to_internal_repr(value)):
                warnings.warn(
                    f"The enqueued value {value!r} of parameter {name!r} is out of {distribution!r}; "
                    "it is used anyway.",
                    UserWarning,
                    stacklevel=3,
                )
        elif distribution.single():
            value = distribution.to_external_repr(_single_internal_value(distribution))
        elif self._is_relative_param(name, distribution):
            value = self.relative_params[name]
        else:
            value = self.study.sampler.sample_independent(self.study, trial, name, distribution)
        internal = distribution.to_internal_repr(value)
        self.study.storage.set_trial_param(self._trial_id, name, internal, distribution)
        trial.distributions = {**trial.distributions, name: distribution}
        trial.params = {**trial.params, name: distribution.to_external_repr(internal)}
        return trial.params[name]

    def _is_relative_param(self, name: str, distribution: BaseDistribution) -> bool:
        if name not in self.relative_params:
            return False
        if name not in self.relative_search_space:
            raise ValueError(
                f"The sampler returned parameter {name!r} from sample_relative, but it is not in the "
                "relative search space it inferred. Fix the sampler so both agree."
            )
        check_distribution_compatibility(self.relative_search_space[name], distribution, param_name=name)
        return distribution._contains(distribution.to_internal_repr(self.relative_params[name]))

    # --- pruning ------------------------------------------------------------------------------
    def report(self, value: float, step: int) -> None:
        """Record ``value`` at ``step`` (an integer >= 0) for the pruner; a repeated step is ignored."""
        value, step = validate_report(value, step, len(self.study.directions))
        if step in self._frozen.intermediate_values:
            warnings.warn(
                f"The reported value is ignored because step {step} was already reported.",
                UserWarning,
                stacklevel=2,
            )
            return
        self.study.storage.set_trial_intermediate_value(self._trial_id, step, value)
        self._frozen.intermediate_values[step] = value  # this trial's own copy (as Optuna's cached trial)

    def should_prune(self) -> bool:
        """Ask the study's pruner whether to stop now, judging from the values reported so far."""
        if len(self.study.directions) > 1:
            raise NotImplementedError(
                "Trial.should_prune is not supported for multi-objective studies: pruners need one value."
            )
        return self.study.pruner.prune(self.study, copy.copy(self._frozen))

    # --- attributes ---------------------------------------------------------------------------
    def set_user_attr(self, key: str, value: Any) -> None:
        self.study.storage.set_trial_user_attr(self._trial_id, key, value)
        self._frozen.user_attrs = {**self._frozen.user_attrs, key: value}

    @property
    def constraints(self) -> dict[str, float]:
        """Constraint values by name; the trial is feasible when all are <= 0 (Optuna 5's constraint API)."""
        return constraint_values(self.system_attrs)

    def set_constraint(self, key: str, value: float) -> None:
        """Set constraint ``key`` (satisfied when ``value`` <= 0); a constraint already set is kept, with a warning."""
        attr = constraint_attr(self.system_attrs, key, value)
        if attr is not None:
            self.set_system_attr(*attr)

    def set_system_attr(self, key: str, value: Any) -> None:
        self.study.storage.set_trial_system_attr(self._trial_id, key, value)
        self._frozen.system_attrs = {**self._frozen.system_attrs, key: value}

    @property
    def number(self) -> int:
        return self._frozen.number

    @property
    def params(self) -> dict[str, Any]:
        return dict(self._frozen.params)

    @property
    def distributions(self) -> dict[str, BaseDistribution]:
        return dict(self._frozen.distributions)

    @property
    def user_attrs(self) -> dict[str, Any]:
        return copy.deepcopy(self._frozen.user_attrs)

    @property
    def system_attrs(self) -> dict[str, Any]:
        return copy.deepcopy(self._frozen.system_attrs)

    @property
    def datetime_start(self) -> datetime.datetime | None:
        return self._frozen.datetime_start


def _single_internal_value(distribution: BaseDistribution) -> float:
    """The only value of a single-valued distribution: ``low``, or index 0 of one choice."""
    return float(getattr(distribution, "low", 0))

