"""
Optuna example that runs optimization trials in parallel using Dask.

In this example, we perform hyperparameter optimization on a
RandomForestClassifier which is trained using the handwritten digits
dataset. Trials are run in parallel on a Dask cluster using hpo's
DaskStorage integration.

To run this example:

    $ python dask_simple.py

optuna-examples' dask/dask_simple.py with hpo's import, a local cluster of 2 single-threaded worker
processes, and 2 tasks of 4 trials (n_estimators up to 30) instead of 10 of 7.
"""

import hpo as optuna
from hpo.integration import DaskStorage

from dask.distributed import Client
from dask.distributed import wait
from sklearn.datasets import load_digits
from sklearn.ensemble import RandomForestClassifier
from sklearn.metrics import accuracy_score
from sklearn.model_selection import train_test_split


def objective(trial):
    X, y = load_digits(return_X_y=True)
    X_train, X_test, y_train, y_test = train_test_split(X, y, random_state=2)

    max_depth = trial.suggest_int("max_depth", 2, 10)
    n_estimators = trial.suggest_int("n_estimators", 1, 30)

    clf = RandomForestClassifier(max_depth=max_depth, n_estimators=n_estimators)
    clf.fit(X_train, y_train)
    y_pred = clf.predict(X_test)
    score = accuracy_score(y_test, y_pred)
    return score


if __name__ == "__main__":
    with Client(n_workers=2, threads_per_worker=1, dashboard_address=None) as client:
        storage = DaskStorage()
        study = optuna.create_study(storage=storage, direction="maximize")
        # Submit 2 different optimization tasks, where each task runs 4 optimization trials
        # for a total of 8 trials in all
        futures = [
            client.submit(study.optimize, objective, n_trials=4, pure=False) for _ in range(2)
        ]
        wait(futures)
        print(f"Number of finished trials: {len(study.trials)}")
        print(f"Best value: {study.best_value}")
        print(f"Best params: {study.best_params}")
