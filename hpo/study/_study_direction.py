"""Which way an objective is optimized."""

from __future__ import annotations

import enum


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
