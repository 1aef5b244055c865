"""The trials of one study as last read by this storage object, refreshed incrementally.

Finished trials never change, so they are kept. A refresh reads only the trials numbered above the
highest number seen, plus the ones that were unfinished. That is safe because trial numbers are
committed in order (see ``RDBStorage.create_new_trial``): a reader that sees trial n sees every
trial below n.
"""

from __future__ import annotations

from hpo.trial import FrozenTrial

MAX_IDS_IN_QUERY = 500
"""Above this many unfinished trials, refresh every trial from the oldest unfinished one instead."""


class StudyTrialCache:
    """Trials of one study by id, in number order. Its trials are never mutated, only replaced."""

    def __init__(self) -> None:
        self.trials: dict[int, FrozenTrial] = {}
        self._max_number = -1
        self._unfinished: dict[int, int] = {}  # trial id -> number

    def refresh_bounds(self) -> tuple[int, list[int]]:
        """Read trials numbered above the first value, and those with ids in the second."""
        if len(self._unfinished) > MAX_IDS_IN_QUERY:
            return min(self._unfinished.values()) - 1, []
        return self._max_number, sorted(self._unfinished)

    def merge(self, fetched: list[FrozenTrial]) -> None:
        """Add or update the trials just read; ``fetched`` is sorted by number."""
        for trial in fetched:
            trial_id = trial.trial_id
            known = self.trials.get(trial_id)
            if known is not None and known.state.is_finished():
                continue
            # New trials are numbered above every known one, so appending keeps number order;
            # assigning to an existing key keeps its place.
            self.trials[trial_id] = trial
            self._max_number = max(self._max_number, trial.number)
            if trial.state.is_finished():
                self._unfinished.pop(trial_id, None)
            else:
                self._unfinished[trial_id] = trial.number

    def finished_trial(self, trial_id: int) -> FrozenTrial | None:
        """The trial if it is known and finished (thus current), else None."""
        trial = self.trials.get(trial_id)
        return trial if trial is not None and trial.state.is_finished() else None
