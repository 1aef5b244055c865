"""
Optuna example that logs every trial's hyperparameters and accuracy for TensorBoard's HParams
dashboard with TensorBoardCallback.

    $ python tensorboard_simple.py
    $ tensorboard --logdir logs/

optuna-examples' tensorboard/tensorboard_simple.py with hpo's import and scikit-learn's MLP on its
bundled digits instead of tf.keras on a downloaded Fashion-MNIST (hpo's callback needs the
tensorboard package only, not TensorFlow); the log directory is the first argument (default logs/).
"""

import sys
import warnings

import hpo as optuna
from hpo.integration.tensorboard import TensorBoardCallback

from sklearn.datasets import load_digits
from sklearn.exceptions import ConvergenceWarning
from sklearn.model_selection import train_test_split
from sklearn.neural_network import MLPClassifier

x, y = load_digits(return_X_y=True)
x_train, x_test, y_train, y_test = train_test_split(x / 16.0, y, test_size=0.25, random_state=0)


def train_test_model(num_units: int, dropout_rate: float, optimizer: str) -> float:
    # scikit-learn's MLP has no dropout: the rate becomes the L2 penalty, to keep three hyperparameters.
    model = MLPClassifier(hidden_layer_sizes=(num_units,), alpha=dropout_rate, solver=optimizer, max_iter=30,
                          random_state=0)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        model.fit(x_train, y_train)
    return model.score(x_test, y_test)


def objective(trial: optuna.trial.Trial) -> float:
    num_units = trial.suggest_int("NUM_UNITS", 16, 32)
    dropout_rate = trial.suggest_float("DROPOUT_RATE", 0.1, 0.2)
    optimizer = trial.suggest_categorical("OPTIMIZER", ["sgd", "adam"])

    accuracy = train_test_model(num_units, dropout_rate, optimizer)  # type: ignore
    return accuracy


tensorboard_callback = TensorBoardCallback(sys.argv[1] if len(sys.argv) > 1 else "logs/", metric_name="accuracy")

study = optuna.create_study(direction="maximize")
study.optimize(objective, n_trials=10, timeout=600, callbacks=[tensorboard_callback])
print(f"Best accuracy: {study.best_value}")
