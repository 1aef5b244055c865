"""InMemoryStorage adds a reported step in place (O(1)) while no caller holds the trial, and never changes a
trial it has handed out by reference."""

from __future__ import annotations

import hpo
from hpo.storages import InMemoryStorage
from hpo.trial import TrialState


def test_reports_never_change_trials_handed_out_by_reference() -> None:
    storage = InMemoryStorage()
    study = hpo.create_study(storage=storage)
    trial = study.ask()
    for step in range(5):
        trial.report(float(step), step)
    held = study.get_trials(deepcopy=False)[0]
    held_running = study.get_trials(deepcopy=False, states=(TrialState.RUNNING,))[0]
    for step in range(5, 10):
        trial.report(float(step), step)
    assert sorted(held.intermediate_values) == list(range(5))
    assert sorted(held_running.intermediate_values) == list(range(5))
    assert sorted(study.get_trials(deepcopy=False)[0].intermediate_values) == list(range(10))


def test_a_read_of_other_states_leaves_the_running_trial_private() -> None:
    storage = InMemoryStorage()
    study = hpo.create_study(storage=storage)
    study.optimize(lambda t: t.suggest_float("x", 0, 1), n_trials=2)
    trial = study.ask()
    trial.report(0.0, 0)
    stored = storage._trial(trial._trial_id)
    study.get_trials(deepcopy=False, states=(TrialState.COMPLETE,))
    trial.report(1.0, 1)
    assert storage._trial(trial._trial_id) is stored  # appended in place: no copy of the trial
    assert stored.intermediate_values == {0: 0.0, 1: 1.0}


def test_deep_copies_and_the_trials_own_view_are_independent() -> None:
    study = hpo.create_study()
    trial = study.ask()
    trial.report(1.0, 0)
    copied = study.storage.get_trial(trial._trial_id)
    trial.report(2.0, 1)
    assert copied.intermediate_values == {0: 1.0}
    assert study.storage.get_trial(trial._trial_id).intermediate_values == {0: 1.0, 1: 2.0}
    assert trial._frozen.intermediate_values == {0: 1.0, 1: 2.0}
