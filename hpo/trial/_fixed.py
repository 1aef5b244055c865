"""``FixedTrial``: run an objective on given parameters, e.g. in a unit test or to re-evaluate."""

from __future__ import annotations

import datetime
import warnings
from typing import Any

from hpo.distributions import BaseDistribution, check_distribution_compatibility
from hpo.records import constraint_attr, constraint_values
from hpo.trial._base import BaseTrial


class FixedTrial(BaseTrial):
    """A trial whose ``suggest_*`` calls return the values in ``params``."""

    def __init__(self, params: dict[str, Any], number: int = 0) -> None:
        self._params = params
        self._suggested_params: dict[str, Any] = {}
        self._distributions: dict[str, BaseDistribution] = {}
        self._user_attrs: dict[str, Any] = {}
        self._system_attrs: dict[str, Any] = {}
        self._datetime_start = datetime.datetime.now()
        self._number = number

    def _suggest(self, name: str, distribution: BaseDistribution) -> Any:
        if name not in self._params:
            raise ValueError(
                f"FixedTrial has no value for parameter {name!r}; pass it in params "
                f"(given: {sorted(self._params)})."
            )
        value = self._params[name]
        if not distribution._contains(distribution.to_internal_repr(value)):
            warnings.warn(
                f"The value {value!r} of parameter {name!r} is out of {distribution!r}.", UserWarning, stacklevel=3
            )
        if name in self._distributions:
            check_distribution_compatibility(self._distributions[name], distribution, param_name=name)
        self._suggested_params[name] = value
        self._distributions[name] = distribution
        return value

    def report(self, value: float, step: int) -> None:
        """Does nothing."""

    def should_prune(self) -> bool:
        return False

    def set_user_attr(self, key: str, value: Any) -> None:
        self._user_attrs[key] = value

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
        self._system_attrs[key] = value

    @property
    def params(self) -> dict[str, Any]:
        return self._suggested_params

    @property
    def distributions(self) -> dict[str, BaseDistribution]:
        return self._distributions

    @property
    def user_attrs(self) -> dict[str, Any]:
        return self._user_attrs

    @property
    def system_attrs(self) -> dict[str, Any]:
        return self._system_attrs

    @property
    def datetime_start(self) -> datetime.datetime | None:
        return self._datetime_start

    @property
    def number(self) -> int:
        return self._number
