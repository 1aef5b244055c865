"""Optuna's journal storage example: several processes share one study through an append-only file."""

import os
import sys
import tempfile
from multiprocessing import Process

import hpo as optuna
from hpo.storages import JournalStorage
from hpo.storages.journal import JournalFileBackend


def objective(trial):
    x = trial.suggest_float("x", -10, 10)
    y = trial.suggest_int("y", -5, 5)
    return (x - 1) ** 2 + (y + 2) ** 2


def run(path):
    storage = JournalStorage(JournalFileBackend(path))
    study = optuna.load_study(study_name="journal", storage=storage)
    study.optimize(objective, n_trials=10)


if __name__ == "__main__":
    path = os.path.join(sys.argv[1] if len(sys.argv) > 1 else tempfile.mkdtemp(), "journal.log")
    storage = JournalStorage(JournalFileBackend(path))
    optuna.create_study(study_name="journal", storage=storage)
    workers = [Process(target=run, args=(path,)) for _ in range(2)]
    for w in workers:
        w.start()
    for w in workers:
        w.join()
    study = optuna.load_study(study_name="journal", storage=storage)
    assert len(study.trials) == 20, len(study.trials)
    print(f"{len(study.trials)} trials; best value {study.best_value:.4f}, params {study.best_params}")
