"""Plain value types and storage keys shared by storages, samplers, pruners, trials and studies.

Everything here is data: this module imports nothing of hpo, so any module can import it.
"""

from __future__ import annotations

import dataclasses
import enum
import math
import warnings
from collections.abc import Mapping
from typing import Any

__all__ = [
    "CONSTRAINTS_KEY",
    "FIXED_PARAMS_KEY",
    "METRIC_NAMES_KEY",
    "FrozenStudy",
    "StudyDirection",
    "TrialState",
    "constraint_attr",
    "constraint_values",
    "parse_direction",
    "single_direction",
]

#: System attr of a finished trial: its constraint values (feasible when all are <= 0), stored by
#: the sampler's ``constraints_func``.
CONSTRAINTS_KEY = "constraints"
#: System attr of an enqueued trial: the parameters it must use (``Study.enqueue_trial``).
FIXED_PARAMS_KEY = "fixed_params"
def constraint_values(system_attrs: Mapping[str, Any]) -> dict[str, float]:
    """A trial's constraint values by name, as Optuna 5 reads them: the list a sampler's
    ``constraints_func`` stored (named "0", "1", ...) and each ``set_constraint(key, value)``."""
    values = {str(i): float(c) for i, c in enumerate(system_attrs.get(CONSTRAINTS_KEY) or ())}
    prefix = CONSTRAINTS_KEY + ":"
    values.update({key[len(prefix):]: float(v) for key, v in system_attrs.items() if key.startswith(prefix)})
    return values


def constraint_attr(system_attrs: Mapping[str, Any], key: str, value: Any) -> tuple[str, float] | None:
    """The system attr that ``set_constraint(key, value)`` stores; None (with a warning, as Optuna) when
    that constraint is already set. Raises for a value that is no number, or NaN."""
    try:
        number = float(value)
    except (TypeError, ValueError):
        raise TypeError(f"A constraint value must be a float, got {type(value).__name__} {value!r}.") from None
    if math.isnan(number):
        raise ValueError(f"The constraint {key!r} is NaN; give a number (<= 0 means satisfied).")
    attr = f"{CONSTRAINTS_KEY}:{key}"
    if attr in system_attrs:
        warnings.warn(f"The constraint {key!r} is already set; the new value is ignored.", UserWarning, stacklevel=3)
        return None
    return attr, number


#: Study system attr: the names of the objective's values (``Study.set_metric_names``; Optuna's key).
METRIC_NAMES_KEY = "study:metric_names"


class StudyDirection(enum.IntEnum):
    """``MINIMIZE`` or ``MAXIMIZE``; ``NOT_SET`` only in legacy data."""

    NOT_SET = 0
    MINIMIZE = 1
    MAXIMIZE = 2

    def __repr__(self) -> str:
        return f"StudyDirection.{self.name}"


def parse_direction(direction: str | StudyDirection) -> StudyDirection:
    """Accept ``"minimize"``, ``"maximize"`` or a :class:`StudyDirection`; reject anything else clearly."""
    if isinstance(direction, StudyDirection) and direction != StudyDirection.NOT_SET:
        return direction
    if isinstance(direction, str) and direction.lower() in ("minimize", "maximize"):
        return StudyDirection[direction.upper()]
    raise ValueError(
        f"Direction {direction!r} is not valid: use 'minimize' or 'maximize' (or StudyDirection.MINIMIZE / "
        "StudyDirection.MAXIMIZE)."
    )


class TrialState(enum.IntEnum):
    """Where a trial is in its life: ``WAITING`` (enqueued), ``RUNNING``, then a finished state."""

    RUNNING = 0
    COMPLETE = 1
    PRUNED = 2
    FAIL = 3
    WAITING = 4

    def __repr__(self) -> str:
        return f"TrialState.{self.name}"

    def __str__(self) -> str:  # IntEnum would print the number; Optuna prints the name.
        return f"TrialState.{self.name}"

    def is_finished(self) -> bool:
        """True for COMPLETE, PRUNED and FAIL: such trials never change again."""
        return self in (TrialState.COMPLETE, TrialState.PRUNED, TrialState.FAIL)


def single_direction(directions: list[StudyDirection]) -> StudyDirection:
    """The direction of a single-objective study; a clear error for a multi-objective one."""
    if len(directions) > 1:
        raise RuntimeError("This study has several directions; use `directions` instead of `direction`.")
    return directions[0]


@dataclasses.dataclass
class FrozenStudy:
    """A study's name, directions and attributes, as storages list them."""

    study_name: str
    directions: list[StudyDirection]
    user_attrs: dict[str, Any]
    system_attrs: dict[str, Any]
    study_id: int

    @property
    def direction(self) -> StudyDirection:
        return single_direction(self.directions)
