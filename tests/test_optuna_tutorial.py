"""The usage patterns of Optuna's tutorial and FAQ, with ``import hpo as optuna``.

The code below uses only names that Optuna has too, so that it runs unchanged against either
library: that is the promise hpo makes to Optuna users. Objectives that train big models in the
tutorial are replaced by quick ones (scikit-learn on small data, or arithmetic).
"""

from __future__ import annotations

import logging
import math
import time
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from sklearn.datasets import load_iris, make_classification
from sklearn.linear_model import LogisticRegression, SGDClassifier
from sklearn.model_selection import train_test_split

import hpo as optuna

TrialState = optuna.trial.TrialState

# Optuna deprecates with FutureWarning, hpo with DeprecationWarning (tests/test_trial.py checks hpo's).
DEPRECATION = (DeprecationWarning, FutureWarning)


@pytest.fixture(autouse=True)
def quiet() -> Any:
    verbosity = optuna.logging.get_verbosity()
    optuna.logging.set_verbosity(optuna.logging.WARNING)
    yield
    optuna.logging.set_verbosity(verbosity)


def quadratic(trial: optuna.Trial) -> float:
    x = trial.suggest_float("x", -10, 10)
    return (x - 2) ** 2


# --- 001 First optimization ----------------------------------------------------------------------


def test_first_optimization() -> None:
    study = optuna.create_study(sampler=optuna.samplers.TPESampler(seed=10))
    study.optimize(quadratic, n_trials=60)

    best_params = study.best_params
    found_x = best_params["x"]
    assert abs(found_x - 2) < 1.0
    assert study.best_value == pytest.approx((found_x - 2) ** 2)
    assert study.best_trial.params == best_params
    assert len(study.trials) == 60
    assert all(isinstance(trial, optuna.trial.FrozenTrial) for trial in study.trials[:2])

    study.optimize(quadratic, n_trials=20)  # continue the same study
    assert len(study.trials) == 80


# --- 002 Pythonic search space -------------------------------------------------------------------


def test_every_suggest_api() -> None:
    def objective(trial: optuna.Trial) -> float:
        optimizer = trial.suggest_categorical("optimizer", ["MomentumSGD", "Adam"])
        num_layers = trial.suggest_int("num_layers", 1, 3)
        num_channels = trial.suggest_int("num_channels", 32, 512, log=True)
        num_units = trial.suggest_int("num_units", 10, 100, step=5)
        dropout_rate = trial.suggest_float("dropout_rate", 0.0, 1.0)
        learning_rate = trial.suggest_float("learning_rate", 1e-5, 1e-2, log=True)
        drop_path_rate = trial.suggest_float("drop_path_rate", 0.0, 1.0, step=0.1)
        assert optimizer in ("MomentumSGD", "Adam")
        assert 1 <= num_layers <= 3 and 32 <= num_channels <= 512 and num_units % 5 == 0
        assert 0.0 <= dropout_rate <= 1.0 and 1e-5 <= learning_rate <= 1e-2
        assert round(drop_path_rate * 10, 6) == round(drop_path_rate * 10)
        return dropout_rate + learning_rate

    study = optuna.create_study()
    study.optimize(objective, n_trials=10)
    assert len(study.trials) == 10 and len(study.best_params) == 7


def test_deprecated_suggest_apis_still_work() -> None:
    def objective(trial: optuna.Trial) -> float:
        with pytest.warns(DEPRECATION):
            x = trial.suggest_uniform("x", -1.0, 1.0)
        with pytest.warns(DEPRECATION):
            lr = trial.suggest_loguniform("lr", 1e-4, 1e-1)
        with pytest.warns(DEPRECATION):
            q = trial.suggest_discrete_uniform("q", 0.0, 1.0, 0.25)
        assert -1.0 <= x <= 1.0 and 1e-4 <= lr <= 1e-1 and q in (0.0, 0.25, 0.5, 0.75, 1.0)
        return x + lr + q

    study = optuna.create_study()
    study.optimize(objective, n_trials=3)
    assert study.trials[0].distributions["lr"] == optuna.distributions.FloatDistribution(1e-4, 1e-1, log=True)
    assert study.trials[0].distributions["q"] == optuna.distributions.FloatDistribution(0.0, 1.0, step=0.25)


def test_branches_and_loops() -> None:
    def objective(trial: optuna.Trial) -> float:
        classifier_name = trial.suggest_categorical("classifier", ["SVC", "RandomForest"])
        if classifier_name == "SVC":
            svc_c = trial.suggest_float("svc_c", 1e-10, 1e10, log=True)
            score = math.log10(svc_c) ** 2
        else:
            rf_max_depth = trial.suggest_int("rf_max_depth", 2, 32, log=True)
            score = float(rf_max_depth)
        n_layers = trial.suggest_int("n_layers", 1, 3)
        for i in range(n_layers):
            score += trial.suggest_int(f"n_units_l{i}", 4, 128, log=True) / 128
        return score

    study = optuna.create_study()
    study.optimize(objective, n_trials=20)
    for trial in study.trials:
        expected = {"classifier", "n_layers"} | {f"n_units_l{i}" for i in range(trial.params["n_layers"])}
        expected.add("svc_c" if trial.params["classifier"] == "SVC" else "rf_max_depth")
        assert set(trial.params) == expected


# --- 003 Efficient optimization algorithms: samplers and pruning ---------------------------------


def test_sampler_choice() -> None:
    study = optuna.create_study()
    assert isinstance(study.sampler, optuna.samplers.BaseSampler)
    study = optuna.create_study(sampler=optuna.samplers.RandomSampler())
    assert study.sampler.__class__.__name__ == "RandomSampler"
    study = optuna.create_study(sampler=optuna.samplers.CmaEsSampler())
    study.optimize(quadratic, n_trials=5)
    assert len(study.trials) == 5


def test_pruning_with_median_pruner() -> None:
    iris = load_iris()
    classes = list(set(iris.target))
    train_x, valid_x, train_y, valid_y = train_test_split(iris.data, iris.target, test_size=0.25, random_state=0)

    def objective(trial: optuna.Trial) -> float:
        alpha = trial.suggest_float("alpha", 1e-5, 1e-1, log=True)
        clf = SGDClassifier(alpha=alpha, random_state=0)
        for step in range(10):
            clf.partial_fit(train_x, train_y, classes=classes)
            intermediate_value = 1.0 - clf.score(valid_x, valid_y)
            trial.report(intermediate_value, step)
            if trial.should_prune():
                raise optuna.TrialPruned()
        return 1.0 - clf.score(valid_x, valid_y)

    study = optuna.create_study(sampler=optuna.samplers.RandomSampler(seed=0), pruner=optuna.pruners.MedianPruner())
    study.optimize(objective, n_trials=12)

    pruned_trials = study.get_trials(deepcopy=False, states=[TrialState.PRUNED])
    complete_trials = study.get_trials(deepcopy=False, states=[TrialState.COMPLETE])
    assert len(pruned_trials) > 0 and len(complete_trials) >= 5
    assert len(pruned_trials) + len(complete_trials) == 12
    assert all(t.last_step is not None and t.last_step < 9 for t in pruned_trials)


def test_user_defined_pruner() -> None:
    class LastPlacePruner(optuna.pruners.BasePruner):
        def __init__(self, warmup_steps: int, warmup_trials: int) -> None:
            self._warmup_steps = warmup_steps
            self._warmup_trials = warmup_trials

        def prune(self, study: optuna.Study, trial: optuna.trial.FrozenTrial) -> bool:
            step = trial.last_step
            if step:
                this_score = trial.intermediate_values[step]
                completed_trials = study.get_trials(deepcopy=False, states=(TrialState.COMPLETE,))
                other_scores = sorted(
                    t.intermediate_values[step] for t in completed_trials if step in t.intermediate_values
                )
                if step >= self._warmup_steps and len(other_scores) > self._warmup_trials:
                    if this_score < other_scores[0]:
                        return True
            return False

    def objective(trial: optuna.Trial) -> float:
        level = trial.suggest_categorical("level", [1.0, 2.0, 3.0])
        if trial.number < 3:
            level = 3.0
        for step in range(5):
            trial.report(level + step, step)
            if trial.should_prune():
                raise optuna.TrialPruned()
        return level

    study = optuna.create_study(direction="maximize", pruner=LastPlacePruner(warmup_steps=1, warmup_trials=2))
    study.optimize(objective, n_trials=12)
    for trial in study.trials:
        pruned = trial.state == TrialState.PRUNED
        assert pruned == (trial.number >= 3 and trial.params["level"] < 3.0)


# --- 004 Parallelization and 001 RDB: create, load, resume -------------------------------------


def test_save_and_resume_in_sqlite(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    study_name = "example-study"
    storage_name = f"sqlite:///{study_name}.db"
    study = optuna.create_study(study_name=study_name, storage=storage_name)
    study.optimize(quadratic, n_trials=3)

    study = optuna.create_study(study_name=study_name, storage=storage_name, load_if_exists=True)
    study.optimize(quadratic, n_trials=3)
    assert [t.number for t in study.trials] == list(range(6))

    loaded = optuna.load_study(study_name=study_name, storage=storage_name)
    df = loaded.trials_dataframe(attrs=("number", "value", "params", "state"))
    assert list(df.columns) == ["number", "value", "params_x", "state"]
    assert list(df["state"]) == ["COMPLETE"] * 6
    assert loaded.best_params == study.best_params
    assert optuna.get_all_study_names(storage=storage_name) == [study_name]
    assert (tmp_path / "example-study.db").exists()


def test_n_jobs_in_one_process() -> None:
    study = optuna.create_study()
    study.optimize(quadratic, n_trials=12, n_jobs=2)
    assert len(study.trials) == 12
    assert all(t.state == TrialState.COMPLETE for t in study.trials)


# --- 003 User attributes -------------------------------------------------------------------------


def test_user_attributes(tmp_path: Path) -> None:
    storage = f"sqlite:///{tmp_path / 'example.db'}"
    study = optuna.create_study(storage=storage)
    study.set_user_attr("contributors", ["Akiba", "Sano"])
    study.set_user_attr("dataset", "MNIST")
    assert study.user_attrs == {"contributors": ["Akiba", "Sano"], "dataset": "MNIST"}
    assert optuna.get_all_study_summaries(storage)[0].user_attrs == study.user_attrs

    def objective(trial: optuna.Trial) -> float:
        x = trial.suggest_float("x", 0, 1)
        trial.set_user_attr("accuracy", 1 - x)
        return x

    study.optimize(objective, n_trials=3)
    assert study.trials[0].user_attrs == {"accuracy": pytest.approx(1 - study.trials[0].params["x"])}
    df = study.trials_dataframe()
    assert list(df.columns) == [
        "number",
        "value",
        "datetime_start",
        "datetime_complete",
        "duration",
        "params_x",
        "user_attrs_accuracy",
        "state",
    ]


# --- 002 Multi-objective optimization -----------------------------------------------------------


def test_multi_objective() -> None:
    def objective(trial: optuna.Trial) -> tuple[float, float]:
        x = trial.suggest_float("x", 0, 5)
        y = trial.suggest_float("y", 0, 3)
        v0 = 4 * x**2 + 4 * y**2
        v1 = (x - 5) ** 2 + (y - 5) ** 2
        return v0, v1

    study = optuna.create_study(directions=["minimize", "minimize"])
    study.optimize(objective, n_trials=30)
    assert study.directions == [optuna.study.StudyDirection.MINIMIZE] * 2

    front = study.best_trials
    assert len(front) >= 1
    for trial in front:
        assert not any(
            all(o <= t for o, t in zip(other.values, trial.values)) and other.values != trial.values
            for other in study.trials
        )
    trial_with_lowest_v1 = min(study.best_trials, key=lambda t: t.values[1])
    assert trial_with_lowest_v1.values[1] == min(t.values[1] for t in study.trials)

    df = study.trials_dataframe()
    assert list(df.columns[:3]) == ["number", "values_0", "values_1"]
    with pytest.raises(RuntimeError):
        _ = study.best_trial


# --- 005 User-defined sampler: simulated annealing ----------------------------------------------


class SimulatedAnnealingSampler(optuna.samplers.BaseSampler):
    def __init__(self, temperature: float = 100) -> None:
        self._rng = np.random.RandomState()
        self._temperature = temperature
        self._current_trial: optuna.trial.FrozenTrial | None = None

    def sample_relative(
        self,
        study: optuna.Study,
        trial: optuna.trial.FrozenTrial,
        search_space: dict[str, optuna.distributions.BaseDistribution],
    ) -> dict[str, Any]:
        if search_space == {}:
            return {}  # the first trial of the study

        prev_trial = study.trials[-2]
        if self._current_trial is None or prev_trial.value <= self._current_trial.value:
            probability = 1.0
        else:
            probability = np.exp((self._current_trial.value - prev_trial.value) / self._temperature)
        self._temperature *= 0.9

        if self._rng.uniform(0, 1) < probability:
            self._current_trial = prev_trial

        params = {}
        for param_name, param_distribution in search_space.items():
            if (
                not isinstance(param_distribution, optuna.distributions.FloatDistribution)
                or (param_distribution.step is not None and param_distribution.step != 1)
                or param_distribution.log
            ):
                raise NotImplementedError("Only suggest_float() with `step` `None` or 1.0 and `log` `False`")
            current_value = self._current_trial.params[param_name]
            width = (param_distribution.high - param_distribution.low) * 0.1
            neighbor_low = max(current_value - width, param_distribution.low)
            neighbor_high = min(current_value + width, param_distribution.high)
            params[param_name] = self._rng.uniform(neighbor_low, neighbor_high)
        return params

    def infer_relative_search_space(
        self, study: optuna.Study, trial: optuna.trial.FrozenTrial
    ) -> dict[str, optuna.distributions.BaseDistribution]:
        return optuna.search_space.intersection_search_space(study.get_trials(deepcopy=False))

    def sample_independent(
        self,
        study: optuna.Study,
        trial: optuna.trial.FrozenTrial,
        param_name: str,
        param_distribution: optuna.distributions.BaseDistribution,
    ) -> Any:
        independent_sampler = optuna.samplers.RandomSampler()
        return independent_sampler.sample_independent(study, trial, param_name, param_distribution)


def test_user_defined_sampler() -> None:
    def objective(trial: optuna.Trial) -> float:
        x = trial.suggest_float("x", -10, 10)
        y = trial.suggest_float("y", -5, 5)
        return x**2 + y

    sampler = SimulatedAnnealingSampler()
    study = optuna.create_study(sampler=sampler)
    study.optimize(objective, n_trials=40)
    assert sampler._current_trial is not None  # the relative path was taken
    assert all(-10 <= t.params["x"] <= 10 and -5 <= t.params["y"] <= 5 for t in study.trials)
    assert study.best_value < 20


# --- 009 Ask-and-tell -----------------------------------------------------------------------------


def test_ask_and_tell() -> None:
    X, y = make_classification(n_features=10, random_state=0)
    X_train, X_test, y_train, y_test = train_test_split(X, y, random_state=0)

    study = optuna.create_study(direction="maximize")
    for _ in range(5):
        trial = study.ask()
        C = trial.suggest_float("C", 1e-7, 10.0, log=True)
        solver = trial.suggest_categorical("solver", ("lbfgs", "saga"))
        clf = LogisticRegression(C=C, solver=solver, max_iter=200)
        clf.fit(X_train, y_train)
        study.tell(trial, clf.score(X_test, y_test))
    assert len(study.trials) == 5 and study.best_value == max(t.value for t in study.trials)

    # define-and-run
    distributions = {
        "C": optuna.distributions.FloatDistribution(1e-7, 10.0, log=True),
        "solver": optuna.distributions.CategoricalDistribution(("lbfgs", "saga")),
    }
    trial = study.ask(distributions)
    clf = LogisticRegression(C=trial.params["C"], solver=trial.params["solver"], max_iter=200)
    clf.fit(X_train, y_train)
    study.tell(trial, clf.score(X_test, y_test))
    assert study.trials[-1].state == TrialState.COMPLETE


def test_ask_and_tell_with_pruning() -> None:
    X, y = make_classification(n_features=10, random_state=0)
    X_train, X_test, y_train, y_test = train_test_split(X, y, random_state=0)
    classes = np.unique(y)
    study = optuna.create_study(direction="maximize", pruner=optuna.pruners.MedianPruner(n_startup_trials=2))
    for _ in range(6):
        trial = study.ask()
        alpha = trial.suggest_float("alpha", 0.0, 1.0)
        clf = SGDClassifier(alpha=alpha, random_state=0)
        pruned_trial = False
        for step in range(5):
            clf.partial_fit(X_train, y_train, classes=classes)
            trial.report(clf.score(X_test, y_test), step)
            if trial.should_prune():
                pruned_trial = True
                break
        if pruned_trial:
            study.tell(trial, state=TrialState.PRUNED)
        else:
            study.tell(trial, clf.score(X_test, y_test))
    assert all(t.state in (TrialState.COMPLETE, TrialState.PRUNED) for t in study.trials)


def test_batch_ask_and_tell() -> None:
    def batched_objective(xs: np.ndarray, ys: np.ndarray) -> np.ndarray:
        return xs**2 + ys

    study = optuna.create_study()
    batch_size = 4
    for _ in range(3):
        trial_numbers, x, y = [], [], []
        for _ in range(batch_size):
            trial = study.ask()
            trial_numbers.append(trial.number)
            x.append(trial.suggest_float("x", -10, 10))
            y.append(trial.suggest_float("y", -10, 10))
        objectives = batched_objective(np.array(x), np.array(y))
        for trial_number, objective_value in zip(trial_numbers, objectives):
            study.tell(trial_number, objective_value)
    assert len(study.trials) == 12 and all(t.state == TrialState.COMPLETE for t in study.trials)


# --- 008 Specify hyperparameters manually -------------------------------------------------------


def lgbm_like(trial: optuna.Trial) -> float:
    bagging_fraction = trial.suggest_float("bagging_fraction", 0.4, 1.0 + 1e-12)
    bagging_freq = trial.suggest_int("bagging_freq", 0, 7)
    min_child_samples = trial.suggest_int("min_child_samples", 5, 100)
    return bagging_fraction * 0.9 + bagging_freq * 0.001 + min_child_samples * 0.0001


def test_enqueue_trial() -> None:
    study = optuna.create_study(direction="maximize")
    study.enqueue_trial({"bagging_fraction": 1.0, "bagging_freq": 0, "min_child_samples": 20})
    study.enqueue_trial({"bagging_fraction": 0.75, "bagging_freq": 5, "min_child_samples": 20})
    study.optimize(lgbm_like, n_trials=5, timeout=600)
    assert study.trials[0].params == {"bagging_fraction": 1.0, "bagging_freq": 0, "min_child_samples": 20}
    assert study.trials[1].params == {"bagging_fraction": 0.75, "bagging_freq": 5, "min_child_samples": 20}
    assert len(study.trials) == 5


def test_add_trial() -> None:
    study = optuna.create_study(direction="maximize")
    study.add_trial(
        optuna.trial.create_trial(
            params={"bagging_fraction": 1.0, "bagging_freq": 0, "min_child_samples": 20},
            distributions={
                "bagging_fraction": optuna.distributions.FloatDistribution(0.4, 1.0 + 1e-12),
                "bagging_freq": optuna.distributions.IntDistribution(0, 7),
                "min_child_samples": optuna.distributions.IntDistribution(5, 100),
            },
            value=0.94,
        )
    )
    study.optimize(lgbm_like, n_trials=3)
    assert len(study.trials) == 4 and study.trials[0].value == 0.94


# --- 010 Re-use the best trial ----------------------------------------------------------------------


def test_reuse_the_best_trial() -> None:
    X, y = make_classification(n_features=10, random_state=1)
    X_train, X_test, y_train, y_test = train_test_split(X, y, random_state=1)

    def objective(trial: optuna.trial.BaseTrial) -> float:
        C = trial.suggest_float("C", 1e-7, 10.0, log=True)
        clf = LogisticRegression(C=C)
        clf.fit(X_train, y_train)
        return clf.score(X_test, y_test)

    study = optuna.create_study(direction="maximize")
    study.optimize(objective, n_trials=5)
    assert objective(study.best_trial) == study.best_value


# --- 007 Callbacks and FAQ -----------------------------------------------------------------------


class StopWhenTrialKeepBeingPrunedCallback:
    def __init__(self, threshold: int) -> None:
        self.threshold = threshold
        self._consequtive_pruned_count = 0

    def __call__(self, study: optuna.Study, trial: optuna.trial.FrozenTrial) -> None:
        if trial.state == TrialState.PRUNED:
            self._consequtive_pruned_count += 1
        else:
            self._consequtive_pruned_count = 0
        if self._consequtive_pruned_count >= self.threshold:
            study.stop()


def test_callback_stops_the_study() -> None:
    def objective(trial: optuna.Trial) -> float:
        if trial.number > 4:
            raise optuna.TrialPruned
        return trial.suggest_float("x", 0, 1)

    study = optuna.create_study()
    study.optimize(objective, n_trials=100, callbacks=[StopWhenTrialKeepBeingPrunedCallback(2)])
    assert len(study.trials) == 7


def test_max_trials_callback() -> None:
    study = optuna.create_study()
    study.optimize(quadratic, n_trials=3)
    study.optimize(
        quadratic, n_trials=50, callbacks=[optuna.study.MaxTrialsCallback(10, states=(TrialState.COMPLETE,))]
    )
    assert len(study.get_trials(states=(TrialState.COMPLETE,))) == 10


def test_fixed_trial_for_testing_an_objective() -> None:
    def objective(trial: optuna.trial.BaseTrial) -> float:
        x = trial.suggest_float("x", -1.0, 1.0)
        y = trial.suggest_int("y", -5, 5)
        return x + y

    assert objective(optuna.trial.FixedTrial({"x": 1.0, "y": -1})) == 0.0
    assert objective(optuna.trial.FixedTrial({"x": -1.0, "y": -5})) == -6.0


def test_objective_with_own_arguments() -> None:
    class Objective:
        def __init__(self, min_x: float, max_x: float) -> None:
            self.min_x = min_x
            self.max_x = max_x

        def __call__(self, trial: optuna.Trial) -> float:
            x = trial.suggest_float("x", self.min_x, self.max_x)
            return (x - 2) ** 2

    study = optuna.create_study()
    study.optimize(Objective(-100, 100), n_trials=3)
    study.optimize(lambda trial: quadratic(trial) + 1.0, n_trials=2)
    assert len(study.trials) == 5


def test_stop_from_the_objective() -> None:
    def objective(trial: optuna.Trial) -> float:
        if trial.number == 3:
            trial.study.stop()
        return quadratic(trial)

    study = optuna.create_study()
    study.optimize(objective, n_trials=100)
    assert len(study.trials) == 4


def test_timeout() -> None:
    def slow_objective(trial: optuna.Trial) -> float:
        time.sleep(0.02)
        return quadratic(trial)

    study = optuna.create_study()
    study.optimize(slow_objective, timeout=0.1)
    assert 1 <= len(study.trials) < 1000


def test_catch() -> None:
    def objective(trial: optuna.Trial) -> float:
        x = trial.suggest_float("x", -10, 10)
        if x < 0:
            raise ValueError("negative x")
        return x

    study = optuna.create_study(sampler=optuna.samplers.RandomSampler(seed=1))
    study.optimize(objective, n_trials=20, catch=(ValueError,))
    states = {t.state for t in study.trials}
    assert states == {TrialState.COMPLETE, TrialState.FAIL} and len(study.trials) == 20
    with pytest.raises(ValueError, match="negative x"):
        study.optimize(objective, n_trials=20)


def test_logging_verbosity(caplog: pytest.LogCaptureFixture) -> None:
    optuna.logging.enable_propagation()
    try:
        with caplog.at_level(logging.DEBUG):
            optuna.logging.set_verbosity(optuna.logging.WARNING)
            assert optuna.logging.get_verbosity() == optuna.logging.WARNING
            study = optuna.create_study()
            study.optimize(quadratic, n_trials=2)
            assert not [r for r in caplog.records if "finished with value" in r.getMessage()]

            optuna.logging.set_verbosity(optuna.logging.INFO)
            study.optimize(quadratic, n_trials=1)
            messages = [r.getMessage() for r in caplog.records if r.levelno == logging.INFO]
            assert any("Trial 2 finished with value" in m for m in messages)
    finally:
        optuna.logging.disable_propagation()
