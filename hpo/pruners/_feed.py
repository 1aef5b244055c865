"""A study's trials as they appear and finish, read from the storage incrementally."""

from __future__ import annotations

from typing import NamedTuple

from hpo.records import TrialState
from hpo.storages import BaseStorage
from hpo.trial import FrozenTrial

_UNFINISHED = (TrialState.WAITING, TrialState.RUNNING)
_FINISHED = (TrialState.COMPLETE, TrialState.PRUNED, TrialState.FAIL)
#: Above this many trials never seen unfinished (e.g. at the first poll), one read of all trials
#: costs less than reading them one by one.
_ONE_BY_ONE = 32


class Changes(NamedTuple):
    """What a poll found: the unfinished trials (when asked for or when something changed), the trials
    that finished since the previous poll (each handed out once), and whether the feed started
    over (the storage holds fewer trials than it had read: not the same study)."""

    unfinished: list[FrozenTrial]
    finished: list[FrozenTrial]
    restarted: bool


class TrialFeed:
    """Hands out each trial of one study once it is finished, reading only what may have changed.

    A poll reads the numbers of trials and of finished trials; when neither changed (and the
    unfinished trials are not asked for) that is all. Otherwise it reads the unfinished trials
    (the storage's state index: no pass over the study) and, one by one, the trials that were
    unfinished at the previous poll and are not now, and the new trials that finished before any
    poll saw them (all trials at once when there are many such, e.g. at the first poll).
    """

    def __init__(self) -> None:
        self._reset()

    def _reset(self) -> None:
        self._n_read = 0  # trials numbered below this were seen...
        self._n_finished = 0
        self._unfinished: set[int] = set()  # ...and these ids were unfinished at the last poll

    def poll(self, storage: BaseStorage, study_id: int, want_unfinished: bool) -> Changes:
        n_trials = storage.get_n_trials(study_id)
        n_finished = storage.get_n_trials(study_id, _FINISHED)
        restarted = n_trials < self._n_read or n_finished < self._n_finished
        if restarted:
            self._reset()
        if n_trials == self._n_read and n_finished == self._n_finished and not want_unfinished:
            return Changes([], [], restarted)
        unfinished = [
            t for t in storage.get_all_trials(study_id, deepcopy=False, states=_UNFINISHED) if t.number < n_trials
        ]
        now = {t.trial_id for t in unfinished}
        finished = [storage.get_trial(trial_id) for trial_id in self._unfinished - now]
        unseen = set(range(self._n_read, n_trials)) - {t.number for t in unfinished}
        if len(unseen) > _ONE_BY_ONE:
            candidates = storage.get_all_trials(study_id, deepcopy=False)[self._n_read : n_trials]
        else:
            candidates = [
                storage.get_trial(storage.get_trial_id_from_study_id_trial_number(study_id, number))
                for number in sorted(unseen)
            ]
        for trial in candidates:
            if trial.number in unseen and trial.state.is_finished():
                finished.append(trial)
            elif trial.number in unseen:  # started after the read of the unfinished: seen next time
                now.add(trial.trial_id)
        self._n_read, self._n_finished, self._unfinished = n_trials, n_finished, now
        return Changes(unfinished, sorted(finished, key=lambda t: t.number), restarted)
