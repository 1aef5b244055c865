"""Optuna's FAQ patterns: enqueue known-good parameters first, stop with MaxTrialsCallback across
processes, a user callback, and resume the study from its SQLite file."""

import os
import sys
import tempfile

import hpo as optuna
from hpo.study import MaxTrialsCallback
from hpo.trial import TrialState


def objective(trial):
    x = trial.suggest_float("x", -10, 10)
    lr = trial.suggest_float("lr", 1e-5, 1e-1, log=True)
    return (x - 3) ** 2 + abs(lr - 1e-3)


def print_best(study, trial):
    if study.best_trial.number == trial.number:
        print(f"  new best: trial {trial.number} value {trial.value:.4f}")


if __name__ == "__main__":
    path = os.path.join(sys.argv[1] if len(sys.argv) > 1 else tempfile.mkdtemp(), "resume.db")
    storage = f"sqlite:///{path}"
    study = optuna.create_study(study_name="resume", storage=storage, load_if_exists=True)
    study.enqueue_trial({"x": 3.0, "lr": 1e-3})
    study.optimize(objective, n_trials=50, callbacks=[MaxTrialsCallback(15, states=(TrialState.COMPLETE,)), print_best])
    assert study.trials[0].params == {"x": 3.0, "lr": 1e-3}
    resumed = optuna.load_study(study_name="resume", storage=storage)
    resumed.optimize(objective, n_trials=5)
    print(f"{len(resumed.trials)} trials after resuming; best {resumed.best_params}")
    assert len(resumed.trials) == 20
