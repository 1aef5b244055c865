"""Optuna's storages example: an RDB study with heartbeats, whose crashed trials are retried.

As optuna-examples' ``rdb/`` and the FAQ's "retry failed trials": only the import differs.
"""

import os
import sys
import tempfile

import hpo as optuna
from hpo.storages import RDBStorage, RetryFailedTrialCallback


def objective(trial):
    x = trial.suggest_float("x", -10, 10)
    return (x - 2) ** 2


if __name__ == "__main__":
    path = os.path.join(sys.argv[1] if len(sys.argv) > 1 else tempfile.mkdtemp(), "example.db")
    storage = RDBStorage(
        url=f"sqlite:///{path}",
        heartbeat_interval=1,
        grace_period=2,
        failed_trial_callback=RetryFailedTrialCallback(max_retry=3),
    )
    study = optuna.create_study(storage=storage, study_name="rdb-heartbeat", load_if_exists=True)
    study.optimize(objective, n_trials=20)
    print(f"Best value: {study.best_value} (params: {study.best_params})")
    print("Retried trials:", sum(RetryFailedTrialCallback.retried_trial_number(t) is not None for t in study.trials))
