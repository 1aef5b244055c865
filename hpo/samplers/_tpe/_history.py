"""The finished trials of one study as growing arrays, each trial read from the storage once.

Finished trials never change, so :meth:`TrialHistory.sync` only looks at the trials that were
unfinished at the previous call and the new ones: per call the cost is the storage's ``get_trials``
plus those, not a pass over every ``FrozenTrial`` (a trial stuck RUNNING costs one check per call).
"""

from __future__ import annotations

import itertools
import math
from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING, Any

import numpy as np

from hpo.distributions import BaseDistribution
from hpo.records import StudyDirection, TrialState
from hpo.samplers._tpe._split import below_mask
from hpo.trial import FrozenTrial

if TYPE_CHECKING:
    from hpo.study import Study


class TrialHistory:
    """COMPLETE and PRUNED trials of a study: parameters (internal representation), losses, feasibility."""

    def __init__(self) -> None:
        self._study_key: tuple[int, int] | None = None
        self._storage: object | None = None
        self._reset(1)

    def _reset(self, n_objectives: int) -> None:
        self._scan_from = 0  # every trial before this position of get_trials() is read...
        self._pending: list[int] = []  # ...except these, unfinished when last read
        self._seen: set[int] = set()
        self.n = 0
        self._numbers = np.empty(0, dtype=np.int64)
        self._states = np.empty(0, dtype=np.int8)
        self._loss = np.empty((0, n_objectives))
        self._violation = np.empty(0)
        self._pruned_step = np.empty(0, dtype=np.int64)
        self._columns: dict[str, np.ndarray] = {}
        self.intersection: dict[str, BaseDistribution] | None = None
        self.groups: list[dict[str, BaseDistribution]] = []
        self._below: tuple[int, np.ndarray] | None = None

    def sync(self, study: Study) -> list[FrozenTrial]:
        """Read the trials finished since the last call; return the RUNNING trials."""
        directions = study.directions
        if self._storage is not study.storage or self._study_key != (study.study_id, len(directions)):
            self._storage, self._study_key = study.storage, (study.study_id, len(directions))
            self._reset(len(directions))
        signs = np.array([-1.0 if d == StudyDirection.MAXIMIZE else 1.0 for d in directions])
        trials = study.get_trials(deepcopy=False)
        running: list[FrozenTrial] = []
        pending: list[int] = []
        for position in itertools.chain(self._pending, range(self._scan_from, len(trials))):
            trial = trials[position]
            if trial.state.is_finished():
                if trial.number not in self._seen:
                    self._seen.add(trial.number)
                    if trial.state != TrialState.FAIL:
                        self._append(trial, signs)
            else:
                pending.append(position)
                if trial.state == TrialState.RUNNING:
                    running.append(trial)
        self._pending, self._scan_from = pending, len(trials)
        return running

    def _append(self, trial: FrozenTrial, signs: np.ndarray) -> None:
        row = self.n
        if row == len(self._numbers):
            self._grow(max(64, 2 * row))
        self._numbers[row] = trial.number
        self._states[row] = trial.state
        self._loss[row] = np.asarray(trial.values, float) * signs if trial.values is not None else np.nan
        self._violation[row] = sum(c for c in trial.constraints.values() if c > 0)
        if trial.state == TrialState.PRUNED and trial.intermediate_values:
            step = max(trial.intermediate_values)
            self._pruned_step[row] = step
            self._loss[row, 0] = trial.intermediate_values[step] * signs[0]
        else:
            self._pruned_step[row] = -1
        for name, dist in trial.distributions.items():
            column = self._columns.get(name)
            if column is None:
                column = self._columns[name] = np.full(len(self._numbers), np.nan)
            column[row] = dist.to_internal_repr(trial.params[name])
        self.n += 1
        self._update_search_spaces(trial.distributions)

    def _grow(self, capacity: int) -> None:
        extra = capacity - len(self._numbers)
        self._numbers = np.append(self._numbers, np.zeros(extra, dtype=np.int64))
        self._states = np.append(self._states, np.zeros(extra, dtype=np.int8))
        self._loss = np.vstack([self._loss, np.full((extra, self._loss.shape[1]), np.nan)])
        self._violation = np.append(self._violation, np.zeros(extra))
        self._pruned_step = np.append(self._pruned_step, np.full(extra, -1, dtype=np.int64))
        for name, column in self._columns.items():
            self._columns[name] = np.append(column, np.full(extra, np.nan))

    def _update_search_spaces(self, distributions: dict[str, BaseDistribution]) -> None:
        """Intersect, and split the groups of parameters into sets that always appear together."""
        if self.intersection is None:
            self.intersection = dict(distributions)
        else:
            self.intersection = {k: d for k, d in self.intersection.items() if distributions.get(k) == d}
        new_names = set(distributions)
        groups: list[dict[str, BaseDistribution]] = []
        for group in self.groups:
            inside = {k: d for k, d in group.items() if k in new_names}
            outside = {k: d for k, d in group.items() if k not in new_names}
            groups.extend(g for g in (inside, outside) if g)
            new_names -= group.keys()
        if new_names:
            groups.append({k: distributions[k] for k in sorted(new_names)})
        self.groups = groups

    def has_param(self, name: str) -> bool:
        """True when a finished trial has the parameter ``name``."""
        return name in self._columns

    def observations(self, names: Sequence[str], below: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """Rows having every parameter of ``names``: (values, trial numbers, is-below), by trial number."""
        n = self.n
        columns = [self._columns[name][:n] if name in self._columns else np.full(n, np.nan) for name in names]
        has_all = np.ones(n, dtype=bool)
        for column in columns:
            has_all &= ~np.isnan(column)
        rows = np.flatnonzero(has_all)
        rows = rows[np.argsort(self._numbers[rows], kind="stable")]
        values = np.stack([column[rows] for column in columns], axis=1) if columns else np.empty((len(rows), 0))
        return values, self._numbers[rows], below[rows]

    def below(self, n_below_func: Callable[[int], int]) -> np.ndarray:
        """The below mask over rows (cached until a trial finishes)."""
        if self._below is None or self._below[0] != self.n:
            n = self.n
            mask = below_mask(
                self._states[:n],
                self._loss[:n],
                self._violation[:n],
                self._pruned_step[:n],
                self._loss[:n, 0],
                self._numbers[:n],
                _checked_n_below(n_below_func, n),
            )
            self._below = (n, mask)
        return self._below[1]


def _checked_n_below(gamma: Callable[[int], int], n: int) -> int:
    value: Any = gamma(n)
    if isinstance(value, bool) or not isinstance(value, (int, np.integer, float)) or math.isnan(value) or value < 0:
        raise ValueError(
            f"gamma({n}) returned {value!r}; it must return a non-negative integer (the number of good trials)."
        )
    return min(int(value), n)
