"""optuna-examples' ``visualization/plot_study.py``, in small, with one change: ``import hpo as optuna``.

An MLP on a slice of scikit-learn's digits, pruned on its validation accuracy, then every plot
the example draws, called the way it calls them. Each figure is written as HTML into the folder
given as the first argument (the example calls ``.show()``, which needs a browser).
"""

import sys
from pathlib import Path

import numpy as np
from sklearn.datasets import load_digits
from sklearn.model_selection import train_test_split
from sklearn.neural_network import MLPClassifier

import hpo as optuna
from hpo.visualization import (
    plot_contour,
    plot_edf,
    plot_intermediate_values,
    plot_optimization_history,
    plot_parallel_coordinate,
    plot_param_importances,
    plot_rank,
    plot_slice,
    plot_timeline,
)

SEED = 42
np.random.seed(SEED)
X, y = load_digits(return_X_y=True)
X_train, X_valid, y_train, y_valid = train_test_split(X[:600] / 16, y[:600], random_state=SEED)
OUT = Path(sys.argv[1])


def objective(trial):
    clf = MLPClassifier(
        hidden_layer_sizes=tuple(trial.suggest_int(f"n_units_l{i}", 8, 32) for i in range(2)),
        learning_rate_init=trial.suggest_float("lr_init", 1e-4, 1e-1, log=True),
        random_state=SEED,
    )
    for step in range(8):
        clf.partial_fit(X_train, y_train, classes=np.unique(y))
        value = clf.score(X_valid, y_valid)
        trial.report(value, step)
        if trial.should_prune():
            raise optuna.TrialPruned()
    return value


def show(name, figure):
    figure.write_html(OUT / f"{name}.html", include_plotlyjs=False)


if __name__ == "__main__":
    study = optuna.create_study(
        direction="maximize",
        sampler=optuna.samplers.TPESampler(seed=SEED),
        pruner=optuna.pruners.MedianPruner(n_startup_trials=3),
    )
    study.optimize(objective, n_trials=15, timeout=600)

    show("history", plot_optimization_history(study))
    show("intermediate", plot_intermediate_values(study))
    show("parallel", plot_parallel_coordinate(study))
    show("parallel_params", plot_parallel_coordinate(study, params=["lr_init", "n_units_l0"]))
    show("contour", plot_contour(study))
    show("contour_params", plot_contour(study, params=["n_units_l0", "n_units_l1"]))
    show("slice", plot_slice(study))
    show("slice_params", plot_slice(study, params=["n_units_l0", "n_units_l1"]))
    show("importances", plot_param_importances(study))
    show(
        "importances_duration",
        plot_param_importances(study, target=lambda t: t.duration.total_seconds(), target_name="duration"),
    )
    show("edf", plot_edf(study))
    show("rank", plot_rank(study))
    show("timeline", plot_timeline(study))
    print(f"{len(study.trials)} trials, best value {study.best_value}")
