"""Tune a scikit-learn SGDClassifier on the digits dataset, pruning unpromising trials early.

Each trial trains for up to 20 epochs with ``partial_fit``, reports the validation accuracy
after every epoch, and stops when the median pruner finds it worse than earlier trials.

Run it as a script::

    python examples/pruning_sgd.py

or through the command line::

    hpo run examples/pruning_sgd.py:objective --n-trials 30 --direction maximize --pruner median
"""

import numpy as np
from sklearn.datasets import load_digits
from sklearn.linear_model import SGDClassifier
from sklearn.model_selection import train_test_split
from sklearn.preprocessing import StandardScaler

import hpo

N_EPOCHS = 20

_X, _y = load_digits(return_X_y=True)
X_train, X_valid, y_train, y_valid = train_test_split(_X, _y, test_size=0.25, random_state=0, stratify=_y)
_scaler = StandardScaler().fit(X_train)
X_train, X_valid = _scaler.transform(X_train), _scaler.transform(X_valid)
CLASSES = np.unique(_y)


def objective(trial: hpo.Trial) -> float:
    classifier = SGDClassifier(
        loss=trial.suggest_categorical("loss", ["hinge", "log_loss", "modified_huber"]),
        alpha=trial.suggest_float("alpha", 1e-6, 1e-1, log=True),
        penalty=trial.suggest_categorical("penalty", ["l2", "l1", "elasticnet"]),
        random_state=0,
    )
    accuracy = 0.0
    for epoch in range(N_EPOCHS):
        classifier.partial_fit(X_train, y_train, classes=CLASSES)
        accuracy = classifier.score(X_valid, y_valid)
        trial.report(accuracy, epoch)
        if trial.should_prune():
            raise hpo.TrialPruned()
    return accuracy


if __name__ == "__main__":
    study = hpo.create_study(
        direction="maximize", pruner=hpo.pruners.MedianPruner(n_startup_trials=5, n_warmup_steps=3)
    )
    study.optimize(objective, n_trials=30)
    pruned = study.get_trials(deepcopy=False, states=(hpo.TrialState.PRUNED,))
    complete = study.get_trials(deepcopy=False, states=(hpo.TrialState.COMPLETE,))
    print(f"Finished trials: {len(study.trials)} ({len(complete)} complete, {len(pruned)} pruned)")
    print(f"Best accuracy: {study.best_value:.4f}")
    print(f"Best params: {study.best_params}")
