"""Search spaces inferred from past trials."""

from __future__ import annotations

from typing import TYPE_CHECKING

from hpo.distributions import BaseDistribution
from hpo.records import TrialState
from hpo.trial import FrozenTrial

if TYPE_CHECKING:
    from hpo.study import Study

__all__ = ["IntersectionSearchSpace", "intersection_search_space"]


class IntersectionSearchSpace:
    """The parameters (with identical distributions) that every finished trial has, updated incrementally."""

    def __init__(self, include_pruned: bool = False) -> None:
        self._seen: set[int] = set()
        self._search_space: dict[str, BaseDistribution] | None = None
        self._study_id: int | None = None
        self._include_pruned = include_pruned

    def calculate(self, study: Study) -> dict[str, BaseDistribution]:
        if self._study_id is None:
            self._study_id = study.study_id
        elif self._study_id != study.study_id:
            raise ValueError("IntersectionSearchSpace cannot be shared by several studies.")
        for trial in study.get_trials(deepcopy=False, states=_states(self._include_pruned)):
            if trial.number not in self._seen:  # finished trials never change: each is read once
                self._seen.add(trial.number)
                self._search_space = _intersect(self._search_space, trial)
        return dict(sorted((self._search_space or {}).items()))


def intersection_search_space(
    trials: list[FrozenTrial], include_pruned: bool = False
) -> dict[str, BaseDistribution]:
    """The intersection of the finished trials' distributions, sorted by name."""
    space: dict[str, BaseDistribution] | None = None
    for trial in trials:
        if trial.state in _states(include_pruned):
            space = _intersect(space, trial)
    return dict(sorted((space or {}).items()))


def _states(include_pruned: bool) -> tuple[TrialState, ...]:
    return (TrialState.COMPLETE, TrialState.PRUNED) if include_pruned else (TrialState.COMPLETE,)


def _intersect(space: dict[str, BaseDistribution] | None, trial: FrozenTrial) -> dict[str, BaseDistribution]:
    if space is None:
        return dict(trial.distributions)
    return {name: dist for name, dist in space.items() if trial.distributions.get(name) == dist}
