"""``FrozenTrial``: an immutable-by-convention snapshot of a trial, as storages return it."""

from __future__ import annotations

import copy
import datetime
import math
from collections.abc import Sequence
from typing import Any

from hpo.distributions import BaseDistribution, check_distribution_compatibility, current_distribution
from hpo.records import TrialState, constraint_attr, constraint_values
from hpo.trial._base import BaseTrial


class FrozenTrial(BaseTrial):
    """A trial's status and results. Also usable as a trial to re-run an objective on its params."""

    def __init__(
        self,
        number: int,
        state: TrialState,
        value: float | None,
        datetime_start: datetime.datetime | None,
        datetime_complete: datetime.datetime | None,
        params: dict[str, Any],
        distributions: dict[str, BaseDistribution],
        user_attrs: dict[str, Any],
        system_attrs: dict[str, Any],
        intermediate_values: dict[int, float],
        trial_id: int,
        *,
        values: Sequence[float] | None = None,
    ) -> None:
        if value is not None and values is not None:
            raise ValueError("Specify only one of value and values.")
        self._number = number
        self.state = state
        self._values: list[float] | None = (
            [value] if value is not None else (list(values) if values is not None else None)
        )
        self._datetime_start = datetime_start
        self.datetime_complete = datetime_complete
        self._params = params
        self._distributions = distributions
        self._user_attrs = user_attrs
        self._system_attrs = system_attrs
        self.intermediate_values = intermediate_values
        self._trial_id = trial_id

    @classmethod
    def new_running(cls, number: int = -1, trial_id: int = -1) -> FrozenTrial:
        """A trial started now, RUNNING, with nothing set: what a storage creates without a template."""
        return cls(
            number=number, state=TrialState.RUNNING, value=None, datetime_start=datetime.datetime.now(),
            datetime_complete=None, params={}, distributions={}, user_attrs={}, system_attrs={},
            intermediate_values={}, trial_id=trial_id,
        )

    def renumbered(self, number: int, trial_id: int) -> FrozenTrial:
        """A deep copy of this (template) trial as trial ``number`` with id ``trial_id`` of a storage."""
        trial = copy.deepcopy(self)
        trial.number = number
        trial.trial_id = trial_id
        return trial

    def __deepcopy__(self, memo: dict[int, Any]) -> FrozenTrial:
        """A deep copy that copies only what can change: containers and mutable attr values
        (numbers, strings, datetimes and distributions are immutable). Several times faster than
        the generic one, which matters because storages hand out copies on every read."""
        new = copy.copy(self)
        new._values = list(self._values) if self._values is not None else None
        new._params = _copy_values(self._params, memo)
        new._distributions = dict(self._distributions)
        new._user_attrs = _copy_values(self._user_attrs, memo)
        new._system_attrs = _copy_values(self._system_attrs, memo)
        new.intermediate_values = dict(self.intermediate_values)
        return new

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, FrozenTrial):
            return NotImplemented
        return self.__dict__ == other.__dict__

    def __lt__(self, other: FrozenTrial) -> bool:
        return self.number < other.number

    def __hash__(self) -> int:
        return hash((self._trial_id, self._number))

    def __repr__(self) -> str:
        return (
            f"FrozenTrial(number={self.number}, state={self.state!r}, values={self._values}, "
            f"datetime_start={self._datetime_start!r}, datetime_complete={self.datetime_complete!r}, "
            f"params={self._params}, user_attrs={self._user_attrs}, system_attrs={self._system_attrs}, "
            f"intermediate_values={self.intermediate_values}, distributions={self._distributions}, "
            f"trial_id={self._trial_id})"
        )

    # --- the trial interface, answering from the stored params ---------------------------------
    def _suggest(self, name: str, distribution: BaseDistribution) -> Any:
        if name not in self._params:
            raise ValueError(f"The trial has no parameter {name!r}; it has {sorted(self._params)}.")
        value = self._params[name]
        internal = distribution.to_internal_repr(value)
        if not distribution._contains(internal):
            raise ValueError(f"The value {value!r} of parameter {name!r} is out of {distribution!r}.")
        if name in self._distributions:
            check_distribution_compatibility(self._distributions[name], distribution, param_name=name)
        return value

    def report(self, value: float, step: int) -> None:
        """Does nothing: a frozen trial records no intermediate values."""

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

    def validate(self) -> None:
        """Raise ``ValueError`` when the fields contradict each other."""
        if self._datetime_start is None and self.state != TrialState.WAITING:
            raise ValueError("datetime_start is required unless the trial is WAITING.")
        if self.state.is_finished() and self.datetime_complete is None:
            raise ValueError("datetime_complete is required for a finished trial.")
        if not self.state.is_finished() and self.datetime_complete is not None:
            raise ValueError("datetime_complete must be None unless the trial is finished.")
        if self.state == TrialState.COMPLETE:
            if self._values is None:
                raise ValueError("A COMPLETE trial needs a value (or values).")
            if any(math.isnan(v) for v in self._values):
                raise ValueError("A COMPLETE trial cannot have a NaN value.")
        if set(self._params) != set(self._distributions):
            raise ValueError(
                f"params {sorted(self._params)} and distributions {sorted(self._distributions)} must have "
                "the same keys."
            )
        for name, value in self._params.items():
            dist = self._distributions[name]
            if not dist._contains(dist.to_internal_repr(value)):
                raise ValueError(f"The value {value!r} of parameter {name!r} is out of {dist!r}.")

    # --- fields ---------------------------------------------------------------------------------
    @property
    def trial_id(self) -> int:
        """The storage's id of the trial (unique across studies; ``number`` counts within one study)."""
        return self._trial_id

    @trial_id.setter
    def trial_id(self, value: int) -> None:  # a storage stores a template trial under a new id
        self._trial_id = value

    @property
    def number(self) -> int:
        return self._number

    @number.setter
    def number(self, value: int) -> None:
        self._number = value

    @property
    def value(self) -> float | None:
        """The objective value; an error for a multi-objective trial (use ``values``)."""
        if self._values is None:
            return None
        if len(self._values) > 1:
            raise RuntimeError("This trial has several values; use `values` instead of `value`.")
        return self._values[0]

    @value.setter
    def value(self, v: float | None) -> None:
        self._values = None if v is None else [v]

    @property
    def values(self) -> list[float] | None:
        return self._values

    @values.setter
    def values(self, v: Sequence[float] | None) -> None:
        self._values = None if v is None else list(v)

    @property
    def params(self) -> dict[str, Any]:
        return self._params

    @params.setter
    def params(self, params: dict[str, Any]) -> None:
        self._params = params

    @property
    def distributions(self) -> dict[str, BaseDistribution]:
        return self._distributions

    @distributions.setter
    def distributions(self, value: dict[str, BaseDistribution]) -> None:
        self._distributions = value

    @property
    def user_attrs(self) -> dict[str, Any]:
        return self._user_attrs

    @user_attrs.setter
    def user_attrs(self, value: dict[str, Any]) -> None:
        self._user_attrs = value

    @property
    def system_attrs(self) -> dict[str, Any]:
        return self._system_attrs

    @system_attrs.setter
    def system_attrs(self, value: dict[str, Any]) -> None:
        self._system_attrs = value

    @property
    def datetime_start(self) -> datetime.datetime | None:
        return self._datetime_start

    @datetime_start.setter
    def datetime_start(self, value: datetime.datetime | None) -> None:
        self._datetime_start = value

    @property
    def duration(self) -> datetime.timedelta | None:
        if self._datetime_start is None or self.datetime_complete is None:
            return None
        return self.datetime_complete - self._datetime_start

    @property
    def last_step(self) -> int | None:
        return max(self.intermediate_values) if self.intermediate_values else None


def create_trial(
    *,
    state: TrialState = TrialState.COMPLETE,
    value: float | None = None,
    values: Sequence[float] | None = None,
    params: dict[str, Any] | None = None,
    distributions: dict[str, BaseDistribution] | None = None,
    user_attrs: dict[str, Any] | None = None,
    system_attrs: dict[str, Any] | None = None,
    intermediate_values: dict[int, float] | None = None,
    constraints: dict[str, float] | None = None,
) -> FrozenTrial:
    """Build a validated trial to add to a study with ``Study.add_trial``; ``constraints`` as
    :meth:`FrozenTrial.set_constraint` sets them."""
    now = datetime.datetime.now()
    trial = FrozenTrial(
        number=-1,
        state=state,
        value=value,
        values=values,
        datetime_start=None if state == TrialState.WAITING else now,
        datetime_complete=now if state.is_finished() else None,
        params=dict(params or {}),
        distributions={name: current_distribution(d) for name, d in (distributions or {}).items()},
        user_attrs=dict(user_attrs or {}),
        system_attrs=dict(system_attrs or {}),
        intermediate_values=dict(intermediate_values or {}),
        trial_id=-1,
    )
    for key, constraint in (constraints or {}).items():
        trial.set_constraint(key, constraint)
    trial.validate()
    return trial


_IMMUTABLE = (type(None), bool, int, float, str)


def _copy_values(values: dict[str, Any], memo: dict[int, Any]) -> dict[str, Any]:
    return {k: v if type(v) in _IMMUTABLE else copy.deepcopy(v, memo) for k, v in values.items()}
