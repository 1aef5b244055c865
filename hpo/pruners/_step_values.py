"""The values a study's trials reported at each step, kept sorted and updated from what changed."""

from __future__ import annotations

import bisect
import math
from collections.abc import Mapping

from hpo.pruners._feed import TrialFeed
from hpo.records import TrialState
from hpo.storages import BaseStorage


class StepValues:
    """Each step's values of the COMPLETE trials of one study, and with ``include_running`` of its
    RUNNING trials too, sorted, so that a percentile costs O(1) and a new value O(log n).

    :meth:`refresh` reads only what may have changed, through a :class:`TrialFeed`: each trial once
    it is finished (a COMPLETE trial never changes, so it stays; a PRUNED or FAIL one leaves), and
    with ``include_running`` the RUNNING trials at each refresh (each adds only the steps it has
    not counted yet).
    """

    def __init__(self, include_running: bool) -> None:
        self._include_running = include_running
        self._feed = TrialFeed()
        self._reset()

    def _reset(self) -> None:
        self._by_step: dict[int, list[float]] = {}
        self._n_nan: dict[int, int] = {}
        self._n_complete = 0
        self._running: dict[int, dict[int, float]] = {}  # trial id -> the values counted so far

    @property
    def n_complete(self) -> int:
        """How many COMPLETE trials are counted."""
        return self._n_complete

    def refresh(self, storage: BaseStorage, study_id: int) -> None:
        """Count what the study's trials reported since the last call."""
        changes = self._feed.poll(storage, study_id, want_unfinished=self._include_running)
        if changes.restarted:  # not the study these values came from
            self._reset()
        if self._include_running:
            for trial in changes.unfinished:
                counted = self._running.setdefault(trial.trial_id, {})
                if len(counted) != len(trial.intermediate_values):
                    self._add(counted, trial.intermediate_values)
        for trial in changes.finished:
            counted = self._running.pop(trial.trial_id, {})
            if trial.state == TrialState.COMPLETE:
                self._n_complete += 1
                self._add(counted, trial.intermediate_values)
            else:
                for step, value in counted.items():
                    self._discard(step, value)

    def _add(self, counted: dict[int, float], values: Mapping[int, float]) -> None:
        """Count the values of ``values`` at steps not in ``counted`` (which records them)."""
        for step, value in values.items():
            if step in counted:
                continue
            counted[step] = value
            if math.isnan(value):
                self._n_nan[step] = self._n_nan.get(step, 0) + 1
            else:
                bisect.insort(self._by_step.setdefault(step, []), value)

    def _discard(self, step: int, value: float) -> None:
        if math.isnan(value):
            self._n_nan[step] -= 1
        else:
            values = self._by_step[step]
            del values[bisect.bisect_left(values, value)]

    def percentile(
        self, step: int, percentile: float, n_min_trials: int, exclude_trial: int | None = None
    ) -> tuple[float, int]:
        """``numpy.nanpercentile`` (linear interpolation) of the values at ``step``, and how many
        trials reported that step, leaving out ``exclude_trial``'s value. The percentile is NaN
        when fewer than ``n_min_trials`` trials reported the step or all their values are NaN."""
        values = self._by_step.get(step, [])
        n_values, n_nan = len(values), self._n_nan.get(step, 0)
        skip = n_values  # the index of the excluded value (none: past the end)
        own = self._running.get(exclude_trial, {}).get(step) if exclude_trial is not None else None
        if own is not None and math.isnan(own):
            n_nan -= 1
        elif own is not None:
            skip, n_values = bisect.bisect_left(values, own), n_values - 1
        n_peers = n_values + n_nan
        if n_peers < n_min_trials or n_values == 0:
            return math.nan, n_peers
        rank = percentile / 100 * (n_values - 1)
        low = math.floor(rank)
        high = min(low + 1, n_values - 1)
        a, b = values[low + (low >= skip)], values[high + (high >= skip)]
        fraction = rank - low
        # numpy's lerp, so that decisions equal nanpercentile's to the last bit
        return (b - (b - a) * (1 - fraction) if fraction >= 0.5 else a + (b - a) * fraction), n_peers
