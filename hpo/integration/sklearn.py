"""``OptunaSearchCV``: scikit-learn's hyperparameter search with cross-validation, sampled by hpo.

A scikit-learn estimator (``fit``/``predict``/``score``, ``clone``, ``Pipeline``, ``get_params``) whose
``fit`` runs a study: each trial sets the estimator's parameters from ``param_distributions`` (hpo or
Optuna distributions) and returns the mean cross-validated score (the study maximizes it, as scikit-learn
scorers are "greater is better"). With ``enable_pruning`` and an estimator that has ``partial_fit``,
each trial trains fold by fold, one ``partial_fit`` per step, reporting the mean test score so the
study's pruner can stop it.
"""

from __future__ import annotations

import copy
import logging
from collections.abc import Callable, Iterable, Mapping
from numbers import Integral, Number
from time import time
from typing import Any

import numpy as np

from hpo.distributions import BaseDistribution, current_distribution
from hpo.exceptions import TrialPruned
from hpo.integration._imports import try_import
from hpo.logging import get_logger
from hpo.records import StudyDirection
from hpo.samplers import TPESampler
from hpo.study import Study, create_study
from hpo.trial import FrozenTrial, Trial

with try_import("scikit-learn") as _imports:
    import scipy.sparse
    import sklearn
    from sklearn.base import BaseEstimator, clone, is_classifier
    from sklearn.exceptions import NotFittedError
    from sklearn.metrics import check_scoring
    from sklearn.model_selection import check_cv, cross_validate
    from sklearn.utils import _safe_indexing as sklearn_safe_indexing
    from sklearn.utils import check_random_state
    from sklearn.utils.metaestimators import _safe_split, available_if
    from sklearn.utils.validation import check_is_fitted, indexable

if not _imports.is_successful():
    BaseEstimator = object

    def available_if(check: Callable[[Any], bool]) -> Callable[[Any], Any]:
        return lambda method: method


__all__ = ["OptunaSearchCV"]

_logger = get_logger(__name__)

CallbackType = Callable[[Study, FrozenTrial], None]


def _is_arraylike(x: Any) -> bool:
    return hasattr(x, "__len__") or hasattr(x, "shape") or hasattr(x, "__array__")


def _num_samples(x: Any) -> int:
    shape = getattr(x, "shape", None)
    if shape is not None and isinstance(shape[0], Integral):
        return int(shape[0])
    try:
        return len(x)
    except TypeError:
        raise TypeError(f"Expected sequence or array-like, got {type(x)}.") from None


def _make_indexable(iterable: Any) -> Any:
    """``iterable`` as something rows can be taken from: CSR for a sparse matrix, an array for the rest."""
    if scipy.sparse.issparse(iterable) and hasattr(iterable, "tocsr"):
        return iterable.tocsr()
    if iterable is None or hasattr(iterable, "__getitem__") or hasattr(iterable, "iloc"):
        return iterable
    return np.array(iterable)


def _safe_indexing(x: Any, indices: Any) -> Any:
    return None if x is None else sklearn_safe_indexing(x, indices)


def _check_fit_params(x: Any, fit_params: dict[str, Any], indices: Any) -> dict[str, Any]:
    """``fit_params`` with the per-sample ones (as long as ``x``) cut to the rows in ``indices``."""
    validated = {}
    for key, value in fit_params.items():
        if not _is_arraylike(value) or _num_samples(value) != _num_samples(x):
            validated[key] = value
        else:
            validated[key] = _safe_indexing(_make_indexable(value), indices)
    return validated


class _Objective:
    """One trial: set the sampled parameters on a clone of the estimator and cross-validate it.

    Stores ``split{i}_test_score`` (and ``_train_score``), ``mean_*`` and ``std_*`` of the scores and
    times in the trial's user attrs, and returns ``mean_test_score``.
    """

    def __init__(
        self,
        estimator: Any,
        param_distributions: Mapping[str, BaseDistribution],
        X: Any,
        y: Any,
        cv: Any,
        enable_pruning: bool,
        error_score: Number | float | str,
        fit_params: dict[str, Any],
        groups: Any,
        max_iter: int,
        return_train_score: bool,
        scoring: Callable[..., float],
    ) -> None:
        self.cv = cv
        self.enable_pruning = enable_pruning
        self.error_score = error_score
        self.estimator = estimator
        self.fit_params = fit_params
        self.groups = groups
        self.max_iter = max_iter
        self.param_distributions = param_distributions
        self.return_train_score = return_train_score
        self.scoring = scoring
        self.X = X
        self.y = y

    def __call__(self, trial: Trial) -> float:
        estimator = clone(self.estimator)
        estimator.set_params(**{name: trial.suggest(name, d) for name, d in self.param_distributions.items()})
        fit_params = copy.deepcopy(self.fit_params)  # threads (n_jobs) must not share them
        if self.enable_pruning:
            scores = self._cross_validate_with_pruning(trial, estimator, fit_params)
        else:
            try:
                scores = cross_validate(
                    estimator,
                    self.X,
                    self.y,
                    cv=self.cv,
                    error_score=self.error_score,
                    params=fit_params,
                    groups=self.groups,
                    return_train_score=self.return_train_score,
                    scoring=self.scoring,
                )
            except ValueError:  # e.g. every fit failed: the trial scores error_score
                n_splits = self.cv.get_n_splits(self.X, self.y, self.groups)
                error_score = self.error_score if self.error_score is not None else np.nan
                scores = {
                    "fit_time": np.full(n_splits, np.nan),
                    "score_time": np.full(n_splits, np.nan),
                    "test_score": np.array([error_score] * n_splits),
                }
        self._store_scores(trial, scores)
        return trial.user_attrs["mean_test_score"]

    def _cross_validate_with_pruning(self, trial: Trial, estimator: Any, fit_params: dict[str, Any]) -> dict[str, Any]:
        partial_fit_params = fit_params.copy()
        if is_classifier(estimator):
            classes = np.unique(np.asarray(self.y)) if self.y is not None else np.array([None])
            partial_fit_params.setdefault("classes", classes)
        n_splits = self.cv.get_n_splits(self.X, self.y, groups=self.groups)
        estimators = [clone(estimator) for _ in range(n_splits)]
        scores: dict[str, Any] = {
            "fit_time": np.zeros(n_splits),
            "score_time": np.zeros(n_splits),
            "test_score": np.empty(n_splits),
        }
        if self.return_train_score:
            scores["train_score"] = np.empty(n_splits)
        for step in range(self.max_iter):
            for i, (train, test) in enumerate(self.cv.split(self.X, self.y, groups=self.groups)):
                out = [float(v) for v in self._partial_fit_and_score(estimators[i], train, test, partial_fit_params)]
                if self.return_train_score:
                    scores["train_score"][i] = out.pop(0)
                scores["test_score"][i] = out[0]
                scores["fit_time"][i] += out[1]
                scores["score_time"][i] += out[2]
            trial.report(float(np.nanmean(scores["test_score"])), step=step)
            if trial.should_prune():
                self._store_scores(trial, scores)
                raise TrialPruned(f"trial was pruned at iteration {step}.")
        return scores

    def _partial_fit_and_score(
        self, estimator: Any, train: Any, test: Any, partial_fit_params: dict[str, Any]
    ) -> list[Any]:
        """[train score,] test score, fit time, score time of one more ``partial_fit`` on one fold."""
        X_train, y_train = _safe_split(estimator, self.X, self.y, train)
        X_test, y_test = _safe_split(estimator, self.X, self.y, test, train_indices=train)
        start_time = time()
        test_score: Any
        train_score: Any = None
        try:
            estimator.partial_fit(X_train, y_train, **partial_fit_params)
        except Exception as e:
            if self.error_score == "raise":
                raise
            if not isinstance(self.error_score, Number):
                raise ValueError("error_score must be 'raise' or numeric.") from e
            fit_time, score_time = time() - start_time, 0.0
            test_score = train_score = self.error_score
        else:
            fit_time = time() - start_time
            test_score = self.scoring(estimator, X_test, y_test)
            score_time = time() - fit_time - start_time
            if self.return_train_score:
                train_score = self.scoring(estimator, X_train, y_train)
        out = [test_score, fit_time, score_time]
        if self.return_train_score:
            out.insert(0, train_score)
        return out

    def _store_scores(self, trial: Trial, scores: Mapping[str, Any]) -> None:
        for name, array in scores.items():
            if name in ("test_score", "train_score"):
                for i, score in enumerate(array):
                    trial.set_user_attr(f"split{i}_{name}", float(score))
            trial.set_user_attr(f"mean_{name}", float(np.nanmean(array)))
            trial.set_user_attr(f"std_{name}", float(np.nanstd(array)))


def _estimator_has(attr: str) -> Callable[[OptunaSearchCV], bool]:
    """``available_if`` check: the fitted best estimator (or, before fit, the estimator) has ``attr``."""

    def check(self: OptunaSearchCV) -> bool:
        getattr(self.best_estimator_ if hasattr(self, "best_estimator_") else self.estimator, attr)
        return True

    return check


class OptunaSearchCV(BaseEstimator):
    """Hyperparameter search with cross-validation (optuna-integration's ``OptunaSearchCV``).

    Args:
        estimator: a scikit-learn estimator; it needs ``score`` unless ``scoring`` is given.
        param_distributions: parameter name -> distribution (``FloatDistribution``, ``IntDistribution``,
            ``CategoricalDistribution``; the pre-3.0 names are refused).
        cv: None (5 folds), a number of folds (stratified for classifiers), a CV splitter or an iterable
            of (train, test) index arrays.
        enable_pruning: train with ``partial_fit`` step by step and let the study's pruner stop trials.
        error_score: the score of a failed fit (``"raise"`` re-raises); the refit always raises.
        max_iter: steps (``partial_fit`` calls per fold) with ``enable_pruning``.
        n_jobs: trials run at a time in threads (None: 1; -1: one per CPU).
        n_trials: trials to run (None: until ``timeout``).
        random_state: seeds the subsample and the TPE sampler of a study made here.
        refit: fit ``best_estimator_`` on all of X with the best parameters.
        return_train_score: score the training folds too.
        scoring: a scorer name or callable (None: the estimator's ``score``).
        study: the study to run (direction "maximize"); None makes one in memory with a seeded TPE.
        subsample: the share (float) or number (int) of samples the search uses.
        timeout: seconds for the search.
        verbose: 1 logs progress, 2 debug lines too.
        callbacks: ``callback(study, frozen_trial)`` after each trial.
        catch: exceptions that fail a trial without stopping the search.

    After ``fit``: ``best_estimator_``, ``best_params_``, ``best_score_``, ``best_trial_``, ``best_index_``
    (the best trial's number), ``cv_results_``, ``n_splits_``, ``n_trials_``, ``refit_time_``,
    ``sample_indices_``, ``scorer_``, ``study_``, ``trials_``, ``user_attrs_``, and ``trials_dataframe()``.
    """

    _required_parameters = ["estimator", "param_distributions"]

    def __init__(
        self,
        estimator: Any,
        param_distributions: Mapping[str, BaseDistribution],
        *,
        cv: Any = None,
        enable_pruning: bool = False,
        error_score: Number | float | str = np.nan,
        max_iter: int = 1000,
        n_jobs: int | None = None,
        n_trials: int | None = 10,
        random_state: int | np.random.RandomState | None = None,
        refit: bool = True,
        return_train_score: bool = False,
        scoring: Callable[..., float] | str | None = None,
        study: Study | None = None,
        subsample: float | int = 1.0,
        timeout: float | None = None,
        verbose: int = 0,
        callbacks: list[CallbackType] | None = None,
        catch: Iterable[type[Exception]] | type[Exception] = (),
    ) -> None:
        _imports.check()
        for key, distribution in getattr(param_distributions, "items", dict)():
            if isinstance(distribution, BaseDistribution) and current_distribution(distribution) is not distribution:
                raise ValueError(
                    f"Deprecated distribution is specified in `{key}` of param_distributions. Rejecting this "
                    "because it may cause unexpected behavior. Please use new distributions such as "
                    "FloatDistribution etc."
                )
        self.cv = cv
        self.enable_pruning = enable_pruning
        self.error_score = error_score
        self.estimator = estimator
        self.max_iter = max_iter
        self.n_jobs = n_jobs
        self.n_trials = n_trials
        self.param_distributions = (
            dict(param_distributions)
            if isinstance(param_distributions, Mapping) and not isinstance(param_distributions, dict)
            else param_distributions
        )
        self.random_state = random_state
        self.refit = refit
        self.return_train_score = return_train_score
        self.scoring = scoring
        self.study = study
        self.subsample = subsample
        self.timeout = timeout
        self.verbose = verbose
        self.callbacks = callbacks
        self.catch = catch

    # --- scikit-learn's estimator contract ------------------------------------------------------
    @property
    def _estimator_type(self) -> str | None:
        return _estimator_type_of(self.estimator)

    def __sklearn_tags__(self) -> Any:
        from sklearn.utils import get_tags  # scikit-learn >= 1.6, the only versions that call this

        tags = super().__sklearn_tags__()
        inner = get_tags(self.estimator)
        tags.estimator_type = inner.estimator_type
        tags.classifier_tags = copy.deepcopy(inner.classifier_tags)
        tags.regressor_tags = copy.deepcopy(inner.regressor_tags)
        tags.transformer_tags = copy.deepcopy(inner.transformer_tags)
        tags.input_tags.pairwise = inner.input_tags.pairwise
        tags.input_tags.sparse = inner.input_tags.sparse
        tags.non_deterministic = True
        tags.no_validation = True
        return tags

    def _more_tags(self) -> dict[str, bool]:  # scikit-learn < 1.6
        return {"non_deterministic": True, "no_validation": True}

    def _check_is_fitted(self) -> None:
        attributes = ["n_splits_", "sample_indices_", "scorer_", "study_"]
        if self.refit:
            attributes += ["best_estimator_", "refit_time_"]
        check_is_fitted(self, attributes)

    # --- results ----------------------------------------------------------------------------------
    @property
    def best_index_(self) -> int:
        """The number of the best trial."""
        return self.best_trial_.number

    @property
    def best_params_(self) -> dict[str, Any]:
        """The parameters of the best trial."""
        self._check_is_fitted()
        return self.study_.best_params

    @property
    def best_score_(self) -> float:
        """The mean cross-validated score of the best trial."""
        self._check_is_fitted()
        return self.study_.best_value

    @property
    def best_trial_(self) -> FrozenTrial:
        """The best trial of the study."""
        self._check_is_fitted()
        return self.study_.best_trial

    @property
    def classes_(self) -> Any:
        """The class labels of the best estimator."""
        self._check_is_fitted()
        return self.best_estimator_.classes_

    @property
    def n_features_in_(self) -> int:
        """Features seen by the best estimator's fit (AttributeError before ``fit``, or without ``refit``)."""
        try:
            self._check_is_fitted()
        except NotFittedError as e:
            raise AttributeError(f"{type(self).__name__} object has no n_features_in_ attribute.") from e
        return self.best_estimator_.n_features_in_

    @property
    def cv_results_(self) -> dict[str, list[Any]]:
        """User attr name (``mean_test_score``, ``split0_test_score`` ...) -> its value in each trial."""
        rows = [trial.user_attrs for trial in self.trials_]
        if not rows:
            return {}
        return {key: [row.get(key, np.nan) for row in rows] for key in rows[0]}

    @property
    def n_trials_(self) -> int:
        """The number of trials in the study."""
        return len(self.trials_)

    @property
    def trials_(self) -> list[FrozenTrial]:
        """All trials of the study."""
        self._check_is_fitted()
        return self.study_.trials

    @property
    def user_attrs_(self) -> dict[str, Any]:
        """The study's user attrs."""
        self._check_is_fitted()
        return self.study_.user_attrs

    @property
    def set_user_attr(self) -> Callable[..., None]:
        """The study's ``set_user_attr``."""
        self._check_is_fitted()
        return self.study_.set_user_attr

    @property
    def trials_dataframe(self) -> Callable[..., Any]:
        """The study's ``trials_dataframe``: one row per trial, with its params and user attrs (the scores)."""
        self._check_is_fitted()
        return self.study_.trials_dataframe

    # --- the best estimator's methods ---------------------------------------------------------
    @available_if(_estimator_has("decision_function"))
    def decision_function(self, X: Any, **kwargs: Any) -> Any:
        """``decision_function`` of the best estimator."""
        self._check_is_fitted()
        return self.best_estimator_.decision_function(X, **kwargs)

    @available_if(_estimator_has("inverse_transform"))
    def inverse_transform(self, X: Any, *args: Any, **kwargs: Any) -> Any:
        """``inverse_transform`` of the best estimator."""
        self._check_is_fitted()
        return self.best_estimator_.inverse_transform(X, *args, **kwargs)

    @available_if(_estimator_has("predict"))
    def predict(self, X: Any, **kwargs: Any) -> Any:
        """``predict`` of the best estimator."""
        self._check_is_fitted()
        return self.best_estimator_.predict(X, **kwargs)

    @available_if(_estimator_has("predict_log_proba"))
    def predict_log_proba(self, X: Any, **kwargs: Any) -> Any:
        """``predict_log_proba`` of the best estimator."""
        self._check_is_fitted()
        return self.best_estimator_.predict_log_proba(X, **kwargs)

    @available_if(_estimator_has("predict_proba"))
    def predict_proba(self, X: Any, **kwargs: Any) -> Any:
        """``predict_proba`` of the best estimator."""
        self._check_is_fitted()
        return self.best_estimator_.predict_proba(X, **kwargs)

    @property
    def score_samples(self) -> Callable[..., Any]:
        """``score_samples`` of the best estimator."""
        self._check_is_fitted()
        return self.best_estimator_.score_samples

    @available_if(_estimator_has("transform"))
    def transform(self, X: Any, *args: Any, **kwargs: Any) -> Any:
        """``transform`` of the best estimator."""
        self._check_is_fitted()
        return self.best_estimator_.transform(X, *args, **kwargs)

    @available_if(_estimator_has("transform"))
    def fit_transform(self, X: Any, y: Any = None, **fit_params: Any) -> Any:
        """``fit``, then ``transform`` ``X`` with the best estimator."""
        return self.fit(X, y, **fit_params).transform(X)

    def score(self, X: Any, y: Any = None) -> float:
        """``scorer_`` of the best estimator on ``X``, ``y``."""
        return self.scorer_(self.best_estimator_, X, y)

    # --- fitting ----------------------------------------------------------------------------------
    def _check_params(self) -> None:
        if not hasattr(self.estimator, "fit"):
            raise ValueError("estimator must be a scikit-learn estimator.")
        if not isinstance(self.param_distributions, Mapping):
            raise TypeError("param_distributions must be a mapping.")
        for name, distribution in self.param_distributions.items():
            if not isinstance(distribution, BaseDistribution):
                raise ValueError(f"Value of {name} must be a optuna distribution.")
        if self.enable_pruning and not hasattr(self.estimator, "partial_fit"):
            raise ValueError("estimator must support partial_fit.")
        if self.max_iter <= 0:
            raise ValueError(f"max_iter must be > 0, got {self.max_iter}.")
        if self.study is not None and self.study.direction != StudyDirection.MAXIMIZE:
            raise ValueError("direction of study must be 'maximize'.")

    def fit(self, X: Any, y: Any = None, groups: Any = None, **fit_params: Any) -> OptunaSearchCV:
        """Run the search on ``X``, ``y`` (``groups`` for group splitters; ``fit_params`` go to the
        estimator's ``fit``), then refit the best parameters on all of ``X`` when ``refit``."""
        self._check_params()
        X, y, groups = indexable(X, y, groups)  # same number of rows; sparse matrices as CSR
        old_level = _logger.getEffectiveLevel()
        _logger.setLevel(logging.DEBUG if self.verbose > 1 else logging.INFO if self.verbose > 0 else logging.WARNING)
        try:
            self._search(X, y, groups, fit_params)
            if self.refit:
                self._refit(X, y, **fit_params)
        finally:
            _logger.setLevel(old_level)
        return self

    def _search(self, X: Any, y: Any, groups: Any, fit_params: dict[str, Any]) -> None:
        random_state = check_random_state(self.random_state)
        n_samples = _num_samples(X)
        max_samples = int(self.subsample * n_samples) if isinstance(self.subsample, float) else self.subsample
        self.sample_indices_ = np.arange(n_samples)
        if max_samples < n_samples:
            self.sample_indices_ = np.sort(random_state.choice(self.sample_indices_, max_samples, replace=False))
        X_res = _safe_indexing(X, self.sample_indices_)
        y_res = _safe_indexing(y, self.sample_indices_)
        groups_res = _safe_indexing(groups, self.sample_indices_)
        fit_params_res = _check_fit_params(X, fit_params, self.sample_indices_)
        cv = check_cv(self.cv, y_res, classifier=is_classifier(self.estimator))
        self.n_splits_ = cv.get_n_splits(X_res, y_res, groups=groups_res)
        self.scorer_ = check_scoring(self.estimator, scoring=self.scoring)
        if self.study is None:
            seed = random_state.randint(0, np.iinfo("int32").max)
            self.study_ = create_study(direction="maximize", sampler=TPESampler(seed=seed))
        else:
            self.study_ = self.study
        objective = _Objective(
            self.estimator,
            self.param_distributions,
            X_res,
            y_res,
            cv,
            self.enable_pruning,
            self.error_score,
            fit_params_res,
            groups_res,
            self.max_iter,
            self.return_train_score,
            self.scorer_,
        )
        _logger.info(f"Searching the best hyperparameters using {len(self.sample_indices_)} samples...")
        self.study_.optimize(
            objective,
            n_jobs=self.n_jobs or 1,
            n_trials=self.n_trials,
            timeout=self.timeout,
            callbacks=self.callbacks,
            catch=self.catch,
        )
        _logger.info("Finished hyperparameter search!")

    def _refit(self, X: Any, y: Any = None, **fit_params: Any) -> None:
        self.best_estimator_ = clone(self.estimator)
        try:
            self.best_estimator_.set_params(**self.study_.best_params)
        except ValueError as e:  # no trial completed: the estimator's own parameters are used
            _logger.exception(e)
        _logger.info(f"Refitting the estimator using {_num_samples(X)} samples...")
        start_time = time()
        self.best_estimator_.fit(X, y, **fit_params)
        self.refit_time_ = time() - start_time
        _logger.info(f"Finished refitting! (elapsed time: {self.refit_time_:.3f} sec.)")


def _estimator_type_of(estimator: Any) -> str | None:
    """``"classifier"``, ``"regressor"`` ... as scikit-learn's tags (or, before 1.6, the attribute) say."""
    get_tags = getattr(sklearn.utils, "get_tags", None)
    if get_tags is not None:
        return get_tags(estimator).estimator_type
    return getattr(estimator, "_estimator_type", None)
