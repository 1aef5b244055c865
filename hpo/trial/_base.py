"""The part of the trial API shared by every trial kind: the ``suggest_*`` family and attributes."""

from __future__ import annotations

import abc
import datetime
import warnings
from collections.abc import Sequence
from typing import Any

from hpo.distributions import (
    BaseDistribution,
    CategoricalChoiceType,
    CategoricalDistribution,
    FloatDistribution,
    IntDistribution,
)


class BaseTrial(abc.ABC):
    """Define-by-run interface. Subclasses decide where a value comes from in :meth:`_suggest`."""

    @abc.abstractmethod
    def _suggest(self, name: str, distribution: BaseDistribution) -> Any:
        """Return the external value of parameter ``name`` drawn from ``distribution``."""

    def suggest_float(
        self, name: str, low: float, high: float, *, step: float | None = None, log: bool = False
    ) -> float:
        """A float in ``[low, high]``; on a log scale with ``log=True``, discretized with ``step``."""
        return float(self._suggest(name, FloatDistribution(low, high, log=log, step=step)))

    def suggest_int(self, name: str, low: int, high: int, step: int = 1, log: bool = False) -> int:
        """An integer in ``[low, high]``; on a log scale with ``log=True``, on a grid with ``step``."""
        return int(self._suggest(name, IntDistribution(low, high, log=log, step=step)))

    def suggest_categorical(self, name: str, choices: Sequence[CategoricalChoiceType]) -> Any:
        """One of ``choices`` (None, bool, int, float or str)."""
        return self._suggest(name, CategoricalDistribution(choices))

    def suggest_uniform(self, name: str, low: float, high: float) -> float:
        """Deprecated: use ``suggest_float(name, low, high)``."""
        _deprecated("suggest_uniform", "suggest_float(name, low, high)")
        return self.suggest_float(name, low, high)

    def suggest_loguniform(self, name: str, low: float, high: float) -> float:
        """Deprecated: use ``suggest_float(name, low, high, log=True)``."""
        _deprecated("suggest_loguniform", "suggest_float(name, low, high, log=True)")
        return self.suggest_float(name, low, high, log=True)

    def suggest_discrete_uniform(self, name: str, low: float, high: float, q: float) -> float:
        """Deprecated: use ``suggest_float(name, low, high, step=q)``."""
        _deprecated("suggest_discrete_uniform", "suggest_float(name, low, high, step=q)")
        return self.suggest_float(name, low, high, step=q)

    @abc.abstractmethod
    def report(self, value: float, step: int) -> None:
        """Record an intermediate value of the objective at ``step``."""

    @abc.abstractmethod
    def should_prune(self) -> bool:
        """True when the pruner decides to stop this trial early."""

    @abc.abstractmethod
    def set_user_attr(self, key: str, value: Any) -> None:
        """Attach a JSON-serializable value to the trial."""

    @property
    @abc.abstractmethod
    def params(self) -> dict[str, Any]: ...

    @property
    @abc.abstractmethod
    def distributions(self) -> dict[str, BaseDistribution]: ...

    @property
    @abc.abstractmethod
    def user_attrs(self) -> dict[str, Any]: ...

    @property
    @abc.abstractmethod
    def datetime_start(self) -> datetime.datetime | None: ...

    @property
    @abc.abstractmethod
    def number(self) -> int: ...

    @property
    def attempt(self) -> int:
        """Which attempt of the trial this is: 0, or n on its n-th retry after an attempt was lost
        (distributed runs with ``max_retries``), so an objective can resume from its own checkpoint."""
        return 0


def _deprecated(old: str, new: str) -> None:
    warnings.warn(f"{old} is deprecated; use {new} instead.", DeprecationWarning, stacklevel=3)
