"""Minimize (x - 2)^2 + (y + 1)^2: the smallest hpo study.

Run it as a script::

    python examples/quadratic.py

or through the command line, optionally keeping the study in a database::

    hpo run examples/quadratic.py:objective --n-trials 100 --storage sqlite:///hpo.db
"""

import hpo


def objective(trial: hpo.Trial) -> float:
    x = trial.suggest_float("x", -10, 10)
    y = trial.suggest_float("y", -10, 10)
    return (x - 2) ** 2 + (y + 1) ** 2


if __name__ == "__main__":
    study = hpo.create_study(direction="minimize")
    study.optimize(objective, n_trials=100)
    print(f"Best value: {study.best_value}")
    print(f"Best params: {study.best_params}")
