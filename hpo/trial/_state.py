"""Trial states."""

from __future__ import annotations

import enum


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
