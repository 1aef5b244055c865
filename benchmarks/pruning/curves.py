"""The benchmark's objectives: real learning curves from scikit-learn learners on datasets sklearn ships.

Imports neither hpo nor Optuna, so both run literally this code: an objective takes a trial of
either library (duck-typed: ``suggest_*``, ``report``, ``should_prune``, ``number``) and the
caller's ``TrialPruned`` class, reports the validation error after each step, and raises that
class when the trial should be pruned (``svr_splits`` returns instead, see there). A step is one
unit of training (an epoch, two boosting stages) or, for ``svr_splits``, one problem instance (a
resampled split), which is what ``WilcoxonPruner`` needs. Data are split once, with a fixed
seed, and cached per process.
"""

from __future__ import annotations

import functools
import random
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from typing import Any, Protocol

import numpy as np
from sklearn.datasets import load_breast_cancer, load_diabetes, load_digits
from sklearn.ensemble import GradientBoostingClassifier
from sklearn.linear_model import SGDRegressor
from sklearn.model_selection import ShuffleSplit, train_test_split
from sklearn.neural_network import MLPClassifier
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler
from sklearn.svm import SVR

Arrays = tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]


class Trial(Protocol):
    """What the objectives use of an hpo or Optuna trial."""

    @property
    def number(self) -> int: ...

    def suggest_float(self, name: str, low: float, high: float, *, log: bool = False) -> float: ...

    def suggest_int(self, name: str, low: int, high: int, *, log: bool = False) -> int: ...

    def suggest_categorical(self, name: str, choices: Sequence[Any]) -> Any: ...

    def report(self, value: float, step: int) -> None: ...

    def should_prune(self) -> bool: ...


@functools.cache
def _digits() -> Arrays:
    x, y = load_digits(return_X_y=True)
    x_train, x_valid, y_train, y_valid = train_test_split(x / 16.0, y, test_size=0.3, random_state=0, stratify=y)
    return x_train, x_valid, y_train, y_valid


@functools.cache
def _breast_cancer() -> Arrays:
    x, y = load_breast_cancer(return_X_y=True)
    x_train, x_valid, y_train, y_valid = train_test_split(x, y, test_size=0.4, random_state=0, stratify=y)
    return x_train, x_valid, y_train, y_valid


@functools.cache
def _diabetes() -> Arrays:
    """Features and target standardized on the training part: a validation MSE of 1 is the mean's."""
    x, y = load_diabetes(return_X_y=True)
    x_train, x_valid, y_train, y_valid = train_test_split(x, y, test_size=0.3, random_state=0)
    scaler = StandardScaler().fit(x_train)
    mean, std = y_train.mean(), y_train.std()
    return scaler.transform(x_train), scaler.transform(x_valid), (y_train - mean) / std, (y_valid - mean) / std


@functools.cache
def _diabetes_splits() -> tuple[np.ndarray, np.ndarray, list[tuple[np.ndarray, np.ndarray]]]:
    """Diabetes with a standardized target, and the problem instances: fixed random splits."""
    x, y = load_diabetes(return_X_y=True)
    splits = ShuffleSplit(n_splits=SVR_INSTANCES, test_size=0.25, random_state=0).split(x)
    return x, (y - y.mean()) / y.std(), list(splits)


def _report_each(trial: Trial, pruned: type[Exception], errors: Iterator[float]) -> float:
    """Report each step's validation error, stop when told to; the last error is the trial's value."""
    error = float("nan")
    for step, error in enumerate(errors):
        trial.report(error, step)
        if trial.should_prune():
            raise pruned()
    return error


MLP_EPOCHS = 20


def mlp_digits(trial: Trial, pruned: type[Exception]) -> float:
    """One-hidden-layer MLP on digits, one ``partial_fit`` epoch per step; validation error rate."""
    model = MLPClassifier(
        hidden_layer_sizes=(trial.suggest_int("hidden", 8, 64, log=True),),
        alpha=trial.suggest_float("alpha", 1e-6, 1e-1, log=True),
        learning_rate_init=trial.suggest_float("learning_rate_init", 1e-4, 1e-1, log=True),
        batch_size=trial.suggest_categorical("batch_size", [64, 128, 256]),
        random_state=0,
    )
    x_train, x_valid, y_train, y_valid = _digits()
    classes = np.unique(y_train)

    def errors() -> Iterator[float]:
        for _ in range(MLP_EPOCHS):
            model.partial_fit(x_train, y_train, classes=classes)
            yield 1.0 - model.score(x_valid, y_valid)

    return _report_each(trial, pruned, errors())


GB_STEPS = 20
GB_STAGES_PER_STEP = 2


def gb_breast_cancer(trial: Trial, pruned: type[Exception]) -> float:
    """Gradient boosting on breast cancer, two more stages per step (``warm_start``: a pruned trial
    trains no further); validation error rate."""
    model = GradientBoostingClassifier(
        learning_rate=trial.suggest_float("learning_rate", 1e-3, 1.0, log=True),
        max_depth=trial.suggest_int("max_depth", 1, 4),
        subsample=trial.suggest_float("subsample", 0.3, 1.0),
        min_samples_leaf=trial.suggest_int("min_samples_leaf", 1, 50, log=True),
        n_estimators=0,
        warm_start=True,
        random_state=0,
    )
    x_train, x_valid, y_train, y_valid = _breast_cancer()

    def errors() -> Iterator[float]:
        for _ in range(GB_STEPS):
            model.n_estimators += GB_STAGES_PER_STEP
            model.fit(x_train, y_train)
            yield 1.0 - model.score(x_valid, y_valid)

    return _report_each(trial, pruned, errors())


SGD_EPOCHS = 30


def sgd_diabetes(trial: Trial, pruned: type[Exception]) -> float:
    """Linear regression by SGD on diabetes, one ``partial_fit`` epoch per step; validation MSE of
    the standardized target (1.0: as good as predicting the mean)."""
    model = SGDRegressor(
        alpha=trial.suggest_float("alpha", 1e-6, 1.0, log=True),
        eta0=trial.suggest_float("eta0", 1e-5, 1e-1, log=True),
        learning_rate=trial.suggest_categorical("learning_rate", ["constant", "invscaling"]),
        penalty=trial.suggest_categorical("penalty", ["l2", "l1", "elasticnet"]),
        average=trial.suggest_categorical("average", [False, True]),
        random_state=0,
    )
    x_train, x_valid, y_train, y_valid = _diabetes()

    def errors() -> Iterator[float]:
        for _ in range(SGD_EPOCHS):
            model.partial_fit(x_train, y_train)
            yield float(np.mean((model.predict(x_valid) - y_valid) ** 2))

    return _report_each(trial, pruned, errors())


SVR_INSTANCES = 20


def svr_splits(trial: Trial, pruned: type[Exception]) -> float:
    """RBF support vector regression on diabetes, scored on 20 fixed random splits; a step is one
    split (its id is the step), visited in an order of the trial's own; the value is the mean
    validation MSE (standardized target) over the splits.

    As in Optuna's WilcoxonPruner example, a trial told to stop returns the mean of the splits it
    has seen instead of raising ``pruned`` (so the sampler learns from it); that pruner stops a
    trial only when its mean is worse than the best trial's, so such a value is never the best.
    """
    model = make_pipeline(
        StandardScaler(),
        SVR(
            C=trial.suggest_float("C", 1e-2, 1e2, log=True),
            gamma=trial.suggest_float("gamma", 1e-4, 1e1, log=True),
            epsilon=trial.suggest_float("epsilon", 1e-2, 1.0, log=True),
        ),
    )
    x, y, splits = _diabetes_splits()
    order = list(range(SVR_INSTANCES))
    random.Random(trial.number).shuffle(order)
    errors = []
    for instance in order:
        train, valid = splits[instance]
        model.fit(x[train], y[train])
        errors.append(float(np.mean((model.predict(x[valid]) - y[valid]) ** 2)))
        trial.report(errors[-1], instance)
        if trial.should_prune():
            break
    return float(np.mean(errors))


@dataclass(frozen=True)
class Task:
    """An objective and what the pruners need to know about it."""

    objective: Callable[[Trial, type[Exception]], float]
    max_steps: int
    #: ThresholdPruner's ``upper``: an error no configuration worth finishing has at any step.
    #: None for a task whose steps are problem instances (WilcoxonPruner's input), not training
    #: progress: there only Nop and Wilcoxon run.
    threshold_upper: float | None


TASKS = {
    "mlp_digits": Task(mlp_digits, MLP_EPOCHS, threshold_upper=0.5),
    "gb_breast_cancer": Task(gb_breast_cancer, GB_STEPS, threshold_upper=0.3),
    "sgd_diabetes": Task(sgd_diabetes, SGD_EPOCHS, threshold_upper=0.8),
    "svr_splits": Task(svr_splits, SVR_INSTANCES, threshold_upper=None),
}
