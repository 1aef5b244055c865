"""Under a Hyperband pruner a sampler sees only the trials of the bracket it samples for, in this
process and in one that holds the study and a pruner built from the spec (the coordinator's
sampler process)."""

from __future__ import annotations

import pytest

import hpo
from hpo import specs
from hpo.pruners import HyperbandPruner, MedianPruner, PatientPruner, filter_study, view_key
from hpo.pruners._hyperband import MAX_RESOURCE_KEY, Brackets
from hpo.samplers import RandomSampler, TPESampler
from hpo.trial import Trial, TrialState


def _objective(trial: Trial) -> float:
    x = trial.suggest_float("x", -10, 10)
    for step in range(9):
        trial.report((x - 1) ** 2 + 1 / (step + 1), step)
        if trial.should_prune():
            raise hpo.TrialPruned()
    return (x - 1) ** 2


def test_views_start_with_the_first_decision_and_show_one_bracket() -> None:
    pruner = HyperbandPruner(max_resource=9)
    study = hpo.create_study(study_name="views", pruner=pruner, sampler=RandomSampler(seed=0))
    first = study.ask()
    assert filter_study(study, study.storage.get_trial(first.trial_id)) is study  # no decision yet: as Optuna
    first.report(1.0, 0)
    first.should_prune()
    assert study.system_attrs[MAX_RESOURCE_KEY] == 9
    study.tell(first, 1.0)
    study.optimize(_objective, n_trials=60)
    brackets = Brackets(study.study_name, 1, 9, 3)
    assert brackets.n == 3
    seen = set()
    for trial in study.get_trials():
        view = filter_study(study, trial)
        assert view_key(view) == brackets.of(trial.number)
        assert {t.number for t in view.trials} == {t.number for t in study.trials if brackets.of(t.number) == view_key(view)}
        assert filter_study(view, trial) is view
        seen.add(view_key(view))
    assert seen == {0, 1, 2}
    assert view_key(study) is None


def test_tpe_learns_only_from_its_bracket() -> None:
    """Each bracket's trials have a different optimum; TPE's history per bracket holds its trials only,
    and late suggestions go to their bracket's optimum."""
    name = "tpe-brackets"
    brackets = Brackets(name, 1, 9, 3)
    optimum = {0: -6.0, 1: 0.0, 2: 6.0}

    def objective(trial: Trial) -> float:
        x = trial.suggest_float("x", -10, 10)
        loss = (x - optimum[brackets.of(trial.number)]) ** 2
        for step in range(9):
            trial.report(loss, step)
            trial.should_prune()  # decides (and records rungs); this test keeps every trial
        return loss

    sampler = TPESampler(seed=1, n_startup_trials=5)
    study = hpo.create_study(study_name=name, pruner=HyperbandPruner(max_resource=9), sampler=sampler)
    study.optimize(objective, n_trials=150)
    for trial in study.trials[:5]:
        view = filter_study(study, trial)
        history = sampler._history_of(view)
        numbers = history.observations([], history.below(lambda n: 0))[1]
        assert len(numbers) > 5 and all(brackets.of(int(n)) == view_key(view) for n in numbers)
    late = study.trials[-60:]  # seeing all trials, TPE would crowd one optimum, 6 from the others
    for bracket, target in optimum.items():
        xs = sorted(abs(t.params["x"] - target) for t in late if brackets.of(t.number) == bracket)
        assert xs and xs[len(xs) // 2] < 3.0, (bracket, xs)


def test_a_sampler_process_sees_the_same_bracket() -> None:
    """Another Study object on the storage, with a pruner built from the spec and never asked to
    prune, gives the same views: they depend on the study name, the stored max_resource, the
    trial number and the spec only."""
    pruner = HyperbandPruner(min_resource=1, max_resource="auto", reduction_factor=2)
    study = hpo.create_study(study_name="replica", pruner=pruner, sampler=RandomSampler(seed=0))
    study.optimize(_objective, n_trials=40)
    assert study.system_attrs[MAX_RESOURCE_KEY] == 9  # last step 8, + 1
    rebuilt = specs.from_spec(specs.to_spec(pruner), allowed_modules=())
    replica = hpo.load_study(study_name="replica", storage=study.storage, pruner=rebuilt)
    for trial in study.get_trials():
        ours, theirs = filter_study(study, trial), filter_study(replica, trial)
        assert view_key(ours) == view_key(theirs) is not None
        assert [t.number for t in ours.trials] == [t.number for t in theirs.trials]


def test_auto_max_resource_waits_for_a_completed_trial() -> None:
    study = hpo.create_study(pruner=HyperbandPruner(), sampler=RandomSampler(seed=0))
    trial = study.ask()
    for step in range(5):
        trial.report(1.0, step)
        assert trial.should_prune() is False
    assert MAX_RESOURCE_KEY not in study.system_attrs
    assert filter_study(study, study.storage.get_trial(trial.trial_id)) is study
    study.tell(trial, 1.0)
    second = study.ask()
    second.report(1.0, 0)
    second.should_prune()
    assert study.system_attrs[MAX_RESOURCE_KEY] == 5


def test_patient_pruner_passes_on_the_wrapped_view_and_others_show_the_study() -> None:
    study = hpo.create_study(pruner=PatientPruner(HyperbandPruner(max_resource=9), patience=0))
    for i in range(20):
        trial = study.ask()
        for step in range(3):
            trial.report(float(step + i), step)  # worse at each step: Hyperband decides
            trial.should_prune()
        study.tell(trial, 0.0)
    trial = study.trials[-1]
    assert view_key(filter_study(study, trial)) is not None
    plain = hpo.create_study(pruner=MedianPruner())
    plain.optimize(_objective, n_trials=3)
    assert filter_study(plain, plain.trials[0]) is plain


def test_multi_objective_keeps_the_clear_error_and_no_view() -> None:
    study = hpo.create_study(directions=["minimize", "maximize"], pruner=HyperbandPruner(max_resource=9))
    trial = study.ask()
    with pytest.raises(NotImplementedError, match="multi-objective"):
        trial.should_prune()
    assert filter_study(study, study.storage.get_trial(trial.trial_id)) is study
    study.tell(trial, [1.0, 2.0])
    assert study.trials[0].state == TrialState.COMPLETE
