"""``OptunaSearchCV`` with real scikit-learn on its built-in data sets: optuna-integration's behaviour
(its tests' cases, ported), scikit-learn's estimator contract (``check_estimator``, ``clone``,
``Pipeline``, nested cross-validation) and pruning with ``partial_fit``."""

from __future__ import annotations

import warnings
from typing import Any

import numpy as np
import pytest
from sklearn.base import clone
from sklearn.datasets import load_iris, make_blobs, make_regression
from sklearn.decomposition import PCA
from sklearn.exceptions import ConvergenceWarning, NotFittedError
from sklearn.linear_model import LogisticRegression, RidgeClassifier, SGDClassifier
from sklearn.metrics import make_scorer, r2_score
from sklearn.model_selection import cross_val_score
from sklearn.neighbors import KernelDensity
from sklearn.pipeline import Pipeline, make_pipeline
from sklearn.preprocessing import StandardScaler
from sklearn.tree import DecisionTreeClassifier, DecisionTreeRegressor
from sklearn.utils.estimator_checks import check_estimator

import hpo as optuna
from hpo import distributions
from hpo.integration import OptunaSearchCV
from hpo.trial import TrialState


@pytest.fixture(autouse=True)
def quiet() -> Any:
    verbosity = optuna.logging.get_verbosity()
    optuna.logging.set_verbosity(optuna.logging.ERROR)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        yield
    optuna.logging.set_verbosity(verbosity)


SEED = 0


def blobs() -> tuple[np.ndarray, np.ndarray]:
    return make_blobs(n_samples=10, random_state=0)


@pytest.mark.parametrize("enable_pruning", [True, False])
@pytest.mark.parametrize("fit_params", ["", "coef_init"])
def test_search_fits_predicts_and_scores(enable_pruning: bool, fit_params: str) -> None:
    X, y = blobs()
    search = OptunaSearchCV(
        SGDClassifier(max_iter=5, tol=1e-3),
        {"alpha": distributions.FloatDistribution(1e-4, 1e3, log=True)},
        cv=3,
        enable_pruning=enable_pruning,
        error_score="raise",
        max_iter=5,
        random_state=0,
        return_train_score=True,
    )
    with pytest.raises(NotFittedError):
        search._check_is_fitted()
    if fit_params == "coef_init" and not enable_pruning:
        search.fit(X, y, coef_init=np.ones((3, 2)))
    else:
        search.fit(X, y)
    frame = search.trials_dataframe()
    assert len(frame) == 10 and "user_attrs_mean_test_score" in frame and "params_alpha" in frame
    assert search.decision_function(X).shape == (10, 3)
    assert search.predict(X).shape == (10,)
    assert search.score(X, y) == pytest.approx(float(np.mean(search.predict(X) == y)))
    if enable_pruning:  # one report per partial_fit step
        assert all(len(t.intermediate_values) == 5 for t in search.trials_ if t.state == TrialState.COMPLETE)


def test_attributes_after_fit() -> None:
    X, y = blobs()
    search = OptunaSearchCV(
        LogisticRegression(tol=1e-3),
        {"C": distributions.FloatDistribution(1e-4, 1e3, log=True)},
        cv=3,
        error_score="raise",
        random_state=0,
        return_train_score=True,
    )
    search.fit(X, y)
    search.set_user_attr("dataset", "blobs")
    assert search._estimator_type == "classifier"
    assert search.best_index_ == search.best_trial_.number
    assert search.best_params_ == search.study_.best_params and set(search.best_params_) == {"C"}
    assert search.best_score_ == max(t.value for t in search.trials_)
    assert search.n_trials_ == 10 and search.n_splits_ == 3
    assert search.user_attrs_ == {"dataset": "blobs"}
    results = search.cv_results_
    assert {"mean_test_score", "std_test_score", "split0_test_score", "split2_train_score", "mean_fit_time"} <= set(
        results
    )
    assert all(len(column) == 10 for column in results.values())
    assert results["mean_test_score"][search.best_index_] == search.best_score_
    splits = [results[f"split{i}_test_score"][0] for i in range(3)]
    assert results["mean_test_score"][0] == pytest.approx(np.mean(splits))
    np.testing.assert_array_equal(search.classes_, [0, 1, 2])
    assert search.predict_proba(X).shape == (10, 3)
    assert isinstance(search.predict_log_proba(X), np.ndarray)
    assert search.best_estimator_.C == search.best_params_["C"] and search.refit_time_ >= 0
    assert search.n_features_in_ == 2


def test_study_seeded_by_random_state_repeats() -> None:
    X, y = blobs()
    params = {"C": distributions.FloatDistribution(1e-3, 1e3, log=True)}
    runs = [OptunaSearchCV(LogisticRegression(), params, n_trials=4, cv=2, random_state=3).fit(X, y) for _ in range(2)]
    assert [t.params for t in runs[0].trials_] == [t.params for t in runs[1].trials_]


def test_score_samples_transform_and_inverse_transform() -> None:
    X, _ = blobs()
    density = OptunaSearchCV(KernelDensity(), {}, cv=3, error_score="raise", random_state=0).fit(X)
    assert density.score_samples(X).shape == (10,)
    pca = OptunaSearchCV(PCA(), {}, cv=3, error_score="raise", random_state=0).fit(X)
    assert isinstance(pca.transform(X), np.ndarray) and isinstance(pca.inverse_transform(X), np.ndarray)
    assert not hasattr(pca, "predict") and not hasattr(density, "transform")  # only what the estimator has


@pytest.mark.parametrize(
    ("estimator", "param_distributions", "options", "message"),
    [
        ("not an estimator", {}, {}, "estimator must be a scikit-learn estimator."),
        (KernelDensity(), {}, {"enable_pruning": True}, "estimator must support partial_fit."),
        (KernelDensity(), {}, {"max_iter": -1}, "max_iter must be > 0"),
        (KernelDensity(), {"kernel": ("gaussian", "linear")}, {}, "must be a optuna distribution."),
        (KernelDensity(), {}, {"study": optuna.create_study(direction="minimize")}, "direction of study must be"),
    ],
)
def test_bad_arguments_are_refused_at_fit(estimator: Any, param_distributions: Any, options: Any, message: str) -> None:
    X, _ = blobs()
    search = OptunaSearchCV(estimator, param_distributions, cv=3, error_score="raise", random_state=0, **options)
    with pytest.raises(ValueError, match=message):
        search.fit(X)


def test_deprecated_distributions_are_refused_when_made() -> None:
    with pytest.warns(FutureWarning):
        old = distributions.UniformDistribution(low=0, high=10)
    with pytest.raises(ValueError, match="Deprecated distribution is specified in `ud`"):
        OptunaSearchCV(KernelDensity(), {"ud": old})
    new = {"ud": distributions.FloatDistribution(0, 10), "id": distributions.IntDistribution(0, 10, step=2)}
    assert OptunaSearchCV(KernelDensity(), new).param_distributions == new


@pytest.mark.parametrize("verbose", [1, 2])
def test_verbosity_and_subsample(verbose: int) -> None:
    X, _ = blobs()
    search = OptunaSearchCV(KernelDensity(), {}, cv=3, random_state=0, subsample=5, verbose=verbose).fit(X)
    assert len(search.sample_indices_) == 5 and list(search.sample_indices_) == sorted(search.sample_indices_)
    half = OptunaSearchCV(KernelDensity(), {}, cv=2, random_state=0, subsample=0.6, n_trials=1).fit(X)
    assert len(half.sample_indices_) == 6


def test_pruning_without_labels_scores_error_score_then_refit_raises() -> None:
    X, _ = blobs()
    search = OptunaSearchCV(
        SGDClassifier(max_iter=5, tol=1e-3),
        {},
        cv=3,
        enable_pruning=True,
        max_iter=5,
        error_score=np.nan,
        random_state=0,
        return_train_score=True,
    )
    with pytest.raises(ValueError, match="requires y to be passed, but the target y is None"):
        search.fit(X)
    for trial in search.study_.get_trials():
        assert np.all(np.isnan(list(trial.intermediate_values.values())))
        assert all(np.isnan(v) for k, v in trial.user_attrs.items() if k.endswith("_score"))


def test_invalid_error_score_with_pruning() -> None:
    X, _ = blobs()
    search = OptunaSearchCV(
        SGDClassifier(max_iter=5, tol=1e-3), {}, cv=3, enable_pruning=True, max_iter=5, error_score="invalid"
    )
    with pytest.raises(ValueError, match="error_score must be 'raise' or numeric."):
        search.fit(X)


@pytest.mark.parametrize(
    ("param_dist", "all_params"),
    [
        ({"max_depth": distributions.IntDistribution(0, 1)}, [0, 1]),
        ({"max_depth": distributions.IntDistribution(0, 0)}, [0]),
    ],
)
def test_failing_fits_do_not_stop_the_search(param_dist: Any, all_params: list[int]) -> None:
    X, y = make_regression(n_samples=100, n_features=10, random_state=0)
    study = optuna.create_study(sampler=optuna.samplers.BruteForceSampler(), direction="maximize")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        OptunaSearchCV(DecisionTreeRegressor(), param_dist, study=study).fit(X, y)  # max_depth=0 fails every fold
    assert sorted(t.params["max_depth"] for t in study.trials) == all_params
    assert {t.params["max_depth"]: t.state for t in study.trials}[0] == TrialState.FAIL


def test_callbacks_see_every_trial() -> None:
    X, y = blobs()
    seen: list[tuple[Any, int]] = []
    search = OptunaSearchCV(
        SGDClassifier(max_iter=5, tol=1e-3),
        {"alpha": distributions.FloatDistribution(1e-4, 1e3, log=True)},
        cv=3,
        enable_pruning=True,
        max_iter=5,
        n_trials=5,
        callbacks=[lambda study, trial: seen.append((study, trial.number))],
    ).fit(X, y)
    assert seen == [(search.study_, n) for n in range(5)]


class _Broken(distributions.FloatDistribution):
    """A distribution whose values cannot be stored: every trial fails with ValueError."""

    def to_internal_repr(self, value: Any) -> float:
        raise ValueError("broken distribution")


@pytest.mark.parametrize("catch", [(ValueError,), ()])
def test_catch(catch: tuple[type[Exception], ...]) -> None:
    X, y = blobs()
    search = OptunaSearchCV(
        SGDClassifier(max_iter=5, tol=1e-3),
        {"alpha": _Broken(0.1, 1.0)},
        cv=3,
        n_trials=3,
        error_score=0,
        refit=False,
        scoring=make_scorer(r2_score),
        catch=catch,
    )
    if catch:
        search.fit(X, y)
        assert search.n_trials_ == 3 and {t.state for t in search.trials_} == {TrialState.FAIL}
    else:
        with pytest.raises(ValueError, match="broken distribution"):
            search.fit(X, y)


def test_pruning_with_partial_fit_prunes_trials() -> None:
    """SGD with a large alpha stays poor; ThresholdPruner(lower=0.8) stops a trial at its first step below 0.8."""
    X, y = load_iris(return_X_y=True)
    pruner = optuna.pruners.ThresholdPruner(lower=0.8, n_warmup_steps=1)
    study = optuna.create_study(direction="maximize", pruner=pruner, sampler=optuna.samplers.TPESampler(seed=SEED))
    search = OptunaSearchCV(
        SGDClassifier(random_state=0),
        {"alpha": distributions.FloatDistribution(1e-4, 1e2, log=True)},
        cv=3,
        enable_pruning=True,
        max_iter=10,
        n_trials=12,
        random_state=0,
        study=study,
    )
    search.fit(StandardScaler().fit_transform(X), y)
    pruned = [t for t in study.trials if t.state == TrialState.PRUNED]
    complete = [t for t in study.trials if t.state == TrialState.COMPLETE]
    assert pruned and complete
    for trial in pruned:
        judged = {step: v for step, v in trial.intermediate_values.items() if step >= 1}
        assert [step for step, v in judged.items() if v < 0.8] == [trial.last_step]  # stopped at the first miss
        assert trial.user_attrs["mean_test_score"] == pytest.approx(trial.intermediate_values[trial.last_step])
    for trial in complete:
        assert len(trial.intermediate_values) == 10
        assert min(v for step, v in trial.intermediate_values.items() if step >= 1) >= 0.8
        assert trial.value == trial.user_attrs["mean_test_score"] == pytest.approx(trial.intermediate_values[9])
    assert search.best_score_ == max(t.value for t in complete)


def test_in_a_pipeline_cloned_and_nested_cross_validation() -> None:
    X, y = load_iris(return_X_y=True)
    alpha = distributions.FloatDistribution(1e-3, 1e3, log=True)
    search = OptunaSearchCV(
        Pipeline([("scale", StandardScaler()), ("clf", RidgeClassifier())]),
        {"clf__alpha": alpha},
        cv=3,
        n_trials=3,
        random_state=0,
    )
    twin = clone(search)
    assert twin is not search and twin.get_params()["n_trials"] == 3
    assert twin.get_params()["param_distributions"] == search.param_distributions
    assert not hasattr(twin, "study_")
    scores = cross_val_score(search, X, y, cv=2)  # clones and fits it once per outer fold
    assert scores.shape == (2,) and scores.min() > 0.6
    outer = make_pipeline(StandardScaler(), OptunaSearchCV(RidgeClassifier(), {"alpha": alpha}, n_trials=3)).fit(X, y)
    assert outer.score(X, y) > 0.75 and outer.predict(X[:5]).shape == (5,)
    assert outer[-1].n_trials_ == 3 and 1e-3 <= outer[-1].best_estimator_.alpha <= 1e3


def test_threads_share_the_trials() -> None:
    X, y = load_iris(return_X_y=True)
    search = OptunaSearchCV(
        RidgeClassifier(), {"alpha": distributions.FloatDistribution(1e-2, 1e2, log=True)}, cv=2, n_trials=4, n_jobs=2
    ).fit(X, y)
    assert search.n_trials_ == 4 and search.get_params()["n_jobs"] == 2
    assert {t.state for t in search.trials_} == {TrialState.COMPLETE}


@pytest.mark.parametrize("estimator", [DecisionTreeClassifier(random_state=0), DecisionTreeRegressor(random_state=0)])
def test_passes_scikit_learns_estimator_checks(estimator: Any) -> None:
    """Every check but one passes (optuna-integration's own class cannot even be checked by scikit-learn 1.6+:
    it has transform/predict methods whatever the estimator has, and no transformer tags)."""
    search = OptunaSearchCV(
        estimator, {"max_depth": distributions.IntDistribution(1, 5)}, n_trials=2, cv=2, random_state=0
    )
    expected = {"check_non_transformer_estimators_n_iter": "max_iter is partial_fit's steps; no n_iter_ to report"}
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        results = check_estimator(search, expected_failed_checks=expected, on_fail=None)
    failed = [(r["check_name"], repr(r["exception"])) for r in results if r["status"] == "failed"]
    assert failed == [], failed
    assert sum(r["status"] == "passed" for r in results) >= 35
