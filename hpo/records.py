"""Plain value types and storage keys shared by storages, samplers, pruners, trials and studies.

Everything here is data: this module imports nothing of hpo, so any module can import it.
"""

from __future__ import annotations

import dataclasses
import enum
from typing import Any

__all__ = [
    "CONSTRAINTS_KEY",
    "FIXED_PARAMS_KEY",
    "FrozenStudy",
    "StudyDirection",
    "TrialState",
    "parse_direction",
]

#: System attr of a finished trial: its constraint values (feasible when all are <= 0), stored by
#: the sampler's ``constraints_func``.
CONSTRAINTS_KEY = "constraints"
#: System attr of an enqueued trial: the parameters it must use (``Study.enqueue_trial``).
FIXED_PARAMS_KEY = "fixed_params"
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
