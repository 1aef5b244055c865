"""Hyperband: successive halving in several brackets, each trial in one bracket chosen by its number."""

from __future__ import annotations

import binascii
import math
import threading
from collections.abc import Callable
from typing import TYPE_CHECKING

from hpo.pruners._base import ExplainedPruner, PruneReason
from hpo.pruners._successive_halving import SuccessiveHalvingPruner, check_rung_arguments
from hpo.records import TrialState
from hpo.trial import FrozenTrial

if TYPE_CHECKING:
    from hpo.study import Study

#: Study system attr: the ``max_resource`` Hyperband resolved at its first decision. Its presence
#: turns on the bracket views of samplers (until then, as in Optuna, every trial is in bracket 0).
MAX_RESOURCE_KEY = "hpo:hyperband_max_resource"


class HyperbandPruner(ExplainedPruner):
    """Optuna's Hyperband, with the same arguments, brackets and decisions.

    There are ``floor(log_reduction_factor(max_resource / min_resource)) + 1`` brackets; bracket
    ``b`` is a :class:`SuccessiveHalvingPruner` with ``min_early_stopping_rate=b`` over the trials
    of that bracket only. A trial's bracket is a function of the study's name and the trial's
    number (crc32, as in Optuna). Brackets exist from the first decision on (with
    ``max_resource="auto"``: the first one after a trial completed, ``max_resource`` being its
    last step + 1); the resolved ``max_resource`` is stored in the study system attr
    :data:`MAX_RESOURCE_KEY`, which a restarted process reuses.

    :meth:`filter_study` gives the sampler, for a trial, the trials of the trial's bracket only;
    samplers that read past trials call :func:`hpo.pruners.filter_study`. It needs only the
    study's name and system attrs and this pruner's arguments, so a sampler in another process
    with a pruner built from this one's spec sees the same bracket.

    Args:
        min_resource: the first rung's length in steps of the most aggressive bracket.
        max_resource: the most steps a trial runs, or ``"auto"``.
        reduction_factor: ``eta`` of every bracket.
        bootstrap_count: see :class:`SuccessiveHalvingPruner`; needs an integer ``max_resource``.

    A pruned trial records its bracket's successive-halving reason with ``pruner: "Hyperband"``
    and ``bracket``.
    """

    def __init__(
        self,
        min_resource: int = 1,
        max_resource: str | int = "auto",
        reduction_factor: int = 3,
        bootstrap_count: int = 0,
    ) -> None:
        if min_resource == "auto":
            raise ValueError("HyperbandPruner min_resource must be an integer >= 1 ('auto' is for max_resource).")
        check_rung_arguments(min_resource, reduction_factor, bootstrap_count)
        if max_resource != "auto" and (isinstance(max_resource, bool) or not isinstance(max_resource, int)):
            raise ValueError(f"max_resource must be an integer or 'auto', got {max_resource!r}.")
        if isinstance(max_resource, int) and max_resource < min_resource:
            raise ValueError(f"max_resource ({max_resource}) must be >= min_resource ({min_resource}).")
        if bootstrap_count > 0 and max_resource == "auto":
            raise ValueError(
                f"bootstrap_count={bootstrap_count} needs an integer max_resource: with max_resource='auto' "
                "the brackets are unknown until a trial completes."
            )
        self._min_resource = min_resource
        self._max_resource = max_resource
        self._reduction_factor = reduction_factor
        self._bootstrap_count = bootstrap_count
        self._studies: dict[tuple[int, int], _Hyperband] = {}
        self._lock = threading.Lock()

    def __repr__(self) -> str:
        return (
            f"HyperbandPruner(min_resource={self._min_resource}, max_resource={self._max_resource!r}, "
            f"reduction_factor={self._reduction_factor}, bootstrap_count={self._bootstrap_count})"
        )

    def __getstate__(self) -> dict[str, object]:
        return {k: v for k, v in self.__dict__.items() if k not in ("_studies", "_lock")}

    def __setstate__(self, state: dict[str, object]) -> None:
        self.__dict__.update(state)
        self._studies, self._lock = {}, threading.Lock()

    def reason(self, study: Study, trial: FrozenTrial) -> PruneReason | None:
        hyperband = self._hyperband(study, start=True)
        if hyperband is None or hyperband.brackets.n == 0:
            return None
        bracket = hyperband.brackets.of(trial.number)
        reason = hyperband.pruners[bracket].judge(study, trial, hyperband.brackets.includes(bracket))
        return None if reason is None else {**reason, "pruner": "Hyperband", "bracket": bracket}

    def filter_study(self, study: Study, trial: FrozenTrial) -> Study:
        """The trials of ``trial``'s bracket, once the brackets exist (see the class)."""
        from hpo.pruners._bracket_study import BracketStudy  # imported late: it subclasses Study

        if isinstance(study, BracketStudy) or len(study.directions) > 1:
            return study
        hyperband = self._hyperband(study, start=False)
        if hyperband is None or hyperband.brackets.n == 0:
            return study
        bracket = hyperband.brackets.of(trial.number)
        with self._lock:
            view = hyperband.views.get(bracket)
            if view is None:
                view = hyperband.views[bracket] = BracketStudy(study, bracket, hyperband.brackets.includes(bracket))
        return view

    def _hyperband(self, study: Study, start: bool) -> _Hyperband | None:
        """The study's brackets: known here, or from the study's system attr; with ``start``, resolved
        (and stored) when there are none yet. None while there are none."""
        key = (id(study.storage), study.study_id)
        hyperband = self._studies.get(key)
        if hyperband is not None:
            return hyperband
        stored = study.storage.get_study_system_attrs(study.study_id).get(MAX_RESOURCE_KEY)
        max_resource = self._max_resource if isinstance(self._max_resource, int) else stored
        if stored is None and start and max_resource is None:
            steps = [
                t.last_step
                for t in study.storage.get_all_trials(study.study_id, deepcopy=False, states=(TrialState.COMPLETE,))
                if t.last_step is not None
            ]
            max_resource = max(steps) + 1 if steps else None
        if not isinstance(max_resource, int) or (stored is None and not start):
            return None
        if stored is None:
            study.storage.set_study_system_attr(study.study_id, MAX_RESOURCE_KEY, max_resource)
        brackets = Brackets(study.study_name, self._min_resource, max_resource, self._reduction_factor)
        pruners = [
            SuccessiveHalvingPruner(self._min_resource, self._reduction_factor, bracket, self._bootstrap_count)
            for bracket in range(brackets.n)
        ]
        with self._lock:
            return self._studies.setdefault(key, _Hyperband(brackets, pruners))


class _Hyperband:
    """One study's brackets, their successive-halving pruners and the samplers' views of them."""

    def __init__(self, brackets: Brackets, pruners: list[SuccessiveHalvingPruner]) -> None:
        self.brackets = brackets
        self.pruners = pruners
        self.views: dict[int, Study] = {}


class Brackets:
    """Hyperband's brackets of the study ``study_name``: how many, and each trial's (as Optuna computes them)."""

    def __init__(self, study_name: str, min_resource: int, max_resource: int, reduction_factor: int) -> None:
        self._study_name = study_name
        # floor(log_eta(R / r)) + 1, computed as Optuna does (the same float rounding)
        self.n = max(math.floor(math.log(max_resource / min_resource, reduction_factor)) + 1, 0)
        self._budgets = [
            math.ceil(self.n * reduction_factor ** (self.n - 1 - b) / (self.n - b)) for b in range(self.n)
        ]
        self._total = sum(self._budgets)
        self._of: list[int] = []  # the bracket of each trial number seen so far
        self._lock = threading.Lock()

    def of(self, number: int) -> int:
        """The bracket of trial ``number``: crc32 of ``"{study_name}_{number}"`` modulo the sum of
        the brackets' budgets, placed among the budgets (remembered per number)."""
        if 0 <= number < len(self._of):
            return self._of[number]
        if number < 0:
            return self._compute(number)
        with self._lock:
            while len(self._of) <= number:
                self._of.append(self._compute(len(self._of)))
        return self._of[number]

    def _compute(self, number: int) -> int:
        position = binascii.crc32(f"{self._study_name}_{number}".encode()) % self._total
        bracket = 0
        while position >= self._budgets[bracket]:
            position -= self._budgets[bracket]
            bracket += 1
        return bracket

    def includes(self, bracket: int) -> Callable[[int], bool]:
        """A predicate on trial numbers: in ``bracket``?"""
        return lambda number: self.of(number) == bracket
