"""``LightGBMTuner`` and ``LightGBMTunerCV``: optuna-integration's stepwise tuning of LightGBM.

The steps run in order, each a small study of its own over the same storage (trials are told apart by
their ``lightgbm_tuner:step_name`` system attr), each starting from the best parameters so far:

================================  ======  ====================================================
step                              trials  sampler
================================  ======  ====================================================
``feature_fraction``              7       GridSampler over 0.4, 0.5, ... 1.0
``num_leaves``                    20      TPESampler, 2 to 2 ** max_depth (2 ** 8 by default)
``bagging``                       10      TPESampler, fraction 0.4-1.0 and freq 1-7
``feature_fraction_stage2``       <= 6    GridSampler, best fraction +- 0.08 within 0.4-1.0
``regularization_factors``        20      TPESampler, lambda_l1 and lambda_l2 in 1e-8-10 (log)
``min_child_samples``             5       GridSampler over 5, 10, 25, 50, 100
================================  ======  ====================================================

Samplers are seeded with ``optuna_seed``. A step whose trials are already in ``study`` (a resumed
run) runs only the trials it lacks; ``time_budget`` seconds bound the whole run.
"""

from __future__ import annotations

import copy
import json
import os
import pickle
import time
import warnings
from collections.abc import Callable, Container, Generator, Iterator
from typing import TYPE_CHECKING, Any

import numpy as np
import tqdm

from hpo.integration._imports import try_import
from hpo.integration.lightgbm._alias import handle_metric_aliases, handle_parameter_aliases
from hpo.integration.lightgbm._objective import (
    DEFAULT_LIGHTGBM_PARAMETERS,
    LGBM_PARAMS_KEY,
    STEP_NAME_KEY,
    _BaseTuner,
    _OptunaObjective,
    _OptunaObjectiveCV,
    custom_objective,
)
from hpo.records import StudyDirection
from hpo.samplers import BaseSampler, GridSampler, TPESampler
from hpo.study import Study, create_study
from hpo.trial import FrozenTrial, TrialState

if TYPE_CHECKING:
    from sklearn.model_selection import BaseCrossValidator

with try_import("lightgbm") as _imports:
    import lightgbm as lgb

OptunaCallback = Callable[[Study, FrozenTrial], None]


class _StepwiseStudy(Study):
    """``study`` seen through one step: its trials and best trial are those of ``step_name`` only."""

    def __init__(self, study: Study, step_name: str) -> None:
        super().__init__(study_name=study.study_name, storage=study.storage, sampler=study.sampler, pruner=study.pruner)
        self._step_name = step_name

    def get_trials(self, deepcopy: bool = True, states: Container[TrialState] | None = None) -> list[FrozenTrial]:
        trials = super().get_trials(deepcopy=deepcopy, states=states)
        return [t for t in trials if t.system_attrs.get(STEP_NAME_KEY) == self._step_name]

    @property
    def best_trial(self) -> FrozenTrial:
        trials = self.get_trials(deepcopy=False, states=(TrialState.COMPLETE,))
        if not trials:
            raise ValueError("No trials are completed yet.")
        pick = min if self.direction == StudyDirection.MINIMIZE else max
        return copy.deepcopy(pick(trials, key=lambda t: float(t.values[0]) if t.values else np.nan))


class _LightGBMBaseTuner(_BaseTuner):
    """What :class:`LightGBMTuner` and :class:`LightGBMTunerCV` share: the steps and the study."""

    def __init__(
        self,
        params: dict[str, Any],
        train_set: lgb.Dataset,
        callbacks: list[Callable[..., Any]] | None = None,
        num_boost_round: int = 1000,
        feval: Callable[..., Any] | None = None,
        feature_name: str | None = None,
        categorical_feature: str | None = None,
        time_budget: int | None = None,
        sample_size: int | None = None,
        study: Study | None = None,
        optuna_callbacks: list[OptunaCallback] | None = None,
        *,
        show_progress_bar: bool = True,
        model_dir: str | None = None,
        optuna_seed: int | None = None,
    ) -> None:
        _imports.check()
        params = copy.deepcopy(params)
        handle_metric_aliases(params)
        kwargs: dict[str, Any] = dict(num_boost_round=num_boost_round, feval=feval, callbacks=callbacks)
        for name, value in (("feature_name", feature_name), ("categorical_feature", categorical_feature)):
            if value:
                warnings.warn(
                    f"Support for lgb.train and lgb.cv with argument {name} was removed from lightgbm 4.6.0 and "
                    "will not be supported by optuna in the future.",
                    stacklevel=3,
                )
                kwargs[name] = value
        self.auto_options: dict[str, Any] = {
            "time_budget": time_budget,
            "sample_size": sample_size,
            "show_progress_bar": show_progress_bar,
        }
        self.lgbm_params = params
        self.train_set = train_set
        self.train_subset: lgb.Dataset | None = None  # the sample_size subset, once made
        self.lgbm_kwargs = kwargs
        self._start_time: float | None = None
        self._optuna_callbacks = optuna_callbacks
        self._best_booster_with_trial_number: tuple[Any, int] | None = None
        self._model_dir = model_dir
        self._optuna_seed = optuna_seed
        self._custom_objective = custom_objective(params)

        # min_child_samples is tuned: LightGBM must not drop features that its current value makes useless.
        if self.lgbm_params.get("feature_pre_filter", False):
            warnings.warn(
                "feature_pre_filter is given as True but will be set to False. This is required for the tuner "
                "to tune min_child_samples.",
                stacklevel=3,
            )
        self.lgbm_params["feature_pre_filter"] = False

        direction = "maximize" if self.higher_is_better() else "minimize"
        self.study = create_study(direction=direction) if study is None else study
        if self.study.direction != StudyDirection[direction.upper()]:
            metric_name = self.lgbm_params.get("metric", "binary_logloss")
            raise ValueError(
                f"Study direction is inconsistent with the metric {metric_name}. "
                f"Please set '{direction}' as the direction."
            )
        if self._model_dir is not None and not os.path.exists(self._model_dir):
            os.mkdir(self._model_dir)

    @property
    def best_score(self) -> float:
        """The best value in the study (-inf or inf, by direction, before any trial completed)."""
        try:
            return self.study.best_value
        except ValueError:
            return -np.inf if self.higher_is_better() else np.inf

    @property
    def best_params(self) -> dict[str, Any]:
        """The LightGBM parameters of the best trial (before any: the defaults updated with ``params``)."""
        try:
            params = json.loads(self.study.best_trial.system_attrs[LGBM_PARAMS_KEY])
        except ValueError:  # no trial completed yet
            params = copy.deepcopy(DEFAULT_LIGHTGBM_PARAMETERS)
            params.update(self.lgbm_params)
        if self._custom_objective is not None:  # stored by name: the callable comes back from here
            params["objective"] = self._custom_objective
        return params

    def run(self) -> None:
        """Tune every step in order."""
        handle_parameter_aliases(self.lgbm_params)
        self.sample_train_set()
        self.tune_feature_fraction()
        self.tune_num_leaves()
        self.tune_bagging()
        self.tune_feature_fraction_stage2()
        self.tune_regularization_factors()
        self.tune_min_data_in_leaf()

    def sample_train_set(self) -> None:
        """With ``sample_size``, train on the last ``sample_size`` rows of the training set."""
        sample_size = self.auto_options["sample_size"]
        if sample_size is None:
            return
        self.train_set.construct()
        n_rows = np.asarray(self.train_set.get_label()).shape[0]
        if n_rows > sample_size:
            self.train_subset = self.train_set.subset((n_rows - sample_size + np.arange(sample_size)).tolist())

    def tune_feature_fraction(self, n_trials: int = 7) -> None:
        values = np.linspace(0.4, 1.0, n_trials).tolist()
        sampler = GridSampler({"feature_fraction": values}, seed=self._optuna_seed)
        self._tune_params(["feature_fraction"], len(values), sampler, "feature_fraction")

    def tune_num_leaves(self, n_trials: int = 20) -> None:
        self._tune_params(["num_leaves"], n_trials, TPESampler(seed=self._optuna_seed), "num_leaves")

    def tune_bagging(self, n_trials: int = 10) -> None:
        self._tune_params(
            ["bagging_fraction", "bagging_freq"], n_trials, TPESampler(seed=self._optuna_seed), "bagging"
        )

    def tune_feature_fraction_stage2(self, n_trials: int = 6) -> None:
        best = self.best_params["feature_fraction"]
        values = [v for v in np.linspace(best - 0.08, best + 0.08, n_trials).tolist() if 0.4 <= v <= 1.0]
        if not values:  # a given feature_fraction far outside [0.4, 1.0] and no trial yet: nothing to try
            return
        sampler = GridSampler({"feature_fraction": values}, seed=self._optuna_seed)
        self._tune_params(["feature_fraction"], len(values), sampler, "feature_fraction_stage2")

    def tune_regularization_factors(self, n_trials: int = 20) -> None:
        self._tune_params(
            ["lambda_l1", "lambda_l2"], n_trials, TPESampler(seed=self._optuna_seed), "regularization_factors"
        )

    def tune_min_data_in_leaf(self) -> None:
        values = [5, 10, 25, 50, 100]
        sampler = GridSampler({"min_child_samples": values}, seed=self._optuna_seed)
        self._tune_params(["min_child_samples"], len(values), sampler, "min_child_samples")

    def _tune_params(
        self, target_param_names: list[str], n_trials: int, sampler: BaseSampler, step_name: str
    ) -> _OptunaObjective:
        pbar = tqdm.tqdm(total=n_trials, ascii=True) if self.auto_options["show_progress_bar"] else None
        self.lgbm_params.update(self.best_params)  # start from the best parameters so far
        train_set = self.train_subset if self.train_subset is not None else self.train_set
        objective = self._create_objective(target_param_names, train_set, step_name, pbar)
        study = self._create_stepwise_study(self.study, step_name)
        study.sampler = sampler
        done = study.get_trials(deepcopy=False, states=(TrialState.COMPLETE, TrialState.PRUNED))
        n_left = n_trials - len(done)
        if self._start_time is None:
            self._start_time = time.time()
        timeout = None
        if self.auto_options["time_budget"] is not None:
            timeout = max(0.0, self.auto_options["time_budget"] - (time.time() - self._start_time))
        if n_left > 0:
            study.optimize(objective, n_trials=n_left, timeout=timeout, catch=(), callbacks=self._optuna_callbacks)
        if pbar is not None:
            pbar.close()
        if objective.best_booster_with_trial_number is not None:
            self._best_booster_with_trial_number = objective.best_booster_with_trial_number
        return objective

    def _create_objective(
        self,
        target_param_names: list[str],
        train_set: lgb.Dataset,
        step_name: str,
        pbar: tqdm.tqdm | None,
    ) -> _OptunaObjective:
        raise NotImplementedError

    def _create_stepwise_study(self, study: Study, step_name: str) -> Study:
        """``study`` with its trials (and best trial) limited to ``step_name``'s, for that step's sampler."""
        return _StepwiseStudy(study, step_name)

    def _load_best(self, tuner_name: str) -> Any:
        """The best trial's pickled booster from ``model_dir``; ValueError naming the fix when absent."""
        if len(self.study.trials) == 0:
            raise ValueError("The best booster is not available because no trials completed.")
        if self._model_dir is None:
            raise ValueError(
                "The best booster cannot be found. It may be found in the other processes due to resuming or "
                f"distributed computing. Please set the `model_dir` argument of `{tuner_name}.__init__` and make "
                "sure that boosters are shared with all processes."
            )
        path = os.path.join(self._model_dir, f"{self.study.best_trial.number}.pkl")
        if not os.path.exists(path):
            raise ValueError(
                f"The best booster cannot be found in {self._model_dir}. If you execute `{tuner_name}` in "
                "distributed environment, please use network file system (e.g., NFS) to share models with "
                "multiple workers."
            )
        with open(path, "rb") as f:  # a file this tuner's own processes wrote into the user's model_dir
            return pickle.load(f)  # noqa: S301

    def _own_best(self) -> Any:
        """The best booster if this process trained it, else None."""
        if self._best_booster_with_trial_number is not None:
            booster, number = self._best_booster_with_trial_number
            if number == self.study.best_trial.number:
                return booster
        return None


class LightGBMTuner(_LightGBMBaseTuner):
    """Stepwise tuning of ``lambda_l1``, ``lambda_l2``, ``num_leaves``, ``feature_fraction``,
    ``bagging_fraction``, ``bagging_freq`` and ``min_child_samples`` with ``lightgbm.train``.

    Takes ``lightgbm.train``'s arguments (``valid_sets`` is required: the score is the best score of the
    last validation set for the last ``metric`` of ``params``) and these:

    Args:
        time_budget: seconds for the whole tuning.
        sample_size: tune on the last ``sample_size`` rows of ``train_set``.
        study: the study to store the trials in (its direction must agree with the metric; by default
            a new in-memory one). Trials keep ``lightgbm_tuner:elapsed_secs``,
            ``lightgbm_tuner:average_iteration_time``, ``lightgbm_tuner:step_name`` and
            ``lightgbm_tuner:lgbm_params`` (JSON) in their system attrs.
        optuna_callbacks: ``callback(study, frozen_trial)`` called after each trial.
        model_dir: a folder (made if missing) where each trial's booster is pickled as
            ``{model_dir}/{trial_number}.pkl``, so :meth:`get_best_booster` works after a resumed or
            parallel run.
        show_progress_bar: a tqdm bar per step.
        optuna_seed: the seed of every step's sampler (set LightGBM's ``deterministic`` too for
            reproducible runs).
    """

    def __init__(
        self,
        params: dict[str, Any],
        train_set: lgb.Dataset,
        num_boost_round: int = 1000,
        valid_sets: list[lgb.Dataset] | tuple[lgb.Dataset, ...] | lgb.Dataset | None = None,
        valid_names: Any | None = None,
        feval: Callable[..., Any] | None = None,
        feature_name: str | None = None,
        categorical_feature: str | None = None,
        keep_training_booster: bool = False,
        callbacks: list[Callable[..., Any]] | None = None,
        time_budget: int | None = None,
        sample_size: int | None = None,
        study: Study | None = None,
        optuna_callbacks: list[OptunaCallback] | None = None,
        model_dir: str | None = None,
        *,
        show_progress_bar: bool = True,
        optuna_seed: int | None = None,
    ) -> None:
        super().__init__(
            params,
            train_set,
            callbacks=callbacks,
            num_boost_round=num_boost_round,
            feval=feval,
            feature_name=feature_name,
            categorical_feature=categorical_feature,
            time_budget=time_budget,
            sample_size=sample_size,
            study=study,
            optuna_callbacks=optuna_callbacks,
            show_progress_bar=show_progress_bar,
            model_dir=model_dir,
            optuna_seed=optuna_seed,
        )
        self.lgbm_kwargs["valid_sets"] = valid_sets
        self.lgbm_kwargs["valid_names"] = valid_names
        self.lgbm_kwargs["keep_training_booster"] = keep_training_booster
        if valid_sets is None:
            raise ValueError("`valid_sets` is required.")

    def _create_objective(
        self,
        target_param_names: list[str],
        train_set: lgb.Dataset,
        step_name: str,
        pbar: tqdm.tqdm | None,
    ) -> _OptunaObjective:
        return _OptunaObjective(
            target_param_names,
            self.lgbm_params,
            train_set,
            self.lgbm_kwargs,
            self.best_score,
            step_name=step_name,
            model_dir=self._model_dir,
            pbar=pbar,
        )

    def get_best_booster(self) -> lgb.Booster:
        """The best trial's booster: this tuner's own, else the one in ``model_dir``.

        Raises ValueError when no trial completed, or when the best trial ran elsewhere (a resumed or
        parallel run) and ``model_dir`` does not hold its booster.
        """
        booster = self._own_best()
        if booster is not None:
            return booster
        return self._load_best("LightGBMTuner")


class LightGBMTunerCV(_LightGBMBaseTuner):
    """The stepwise tuning of :class:`LightGBMTuner` scored by ``lightgbm.cv`` (the mean over folds at
    the last iteration).

    Takes ``lightgbm.cv``'s arguments except ``metrics``, ``init_model`` and ``eval_train_metric``,
    :class:`LightGBMTuner`'s own ones, and ``return_cvbooster``: keep each trial's ``CVBooster``, which
    :meth:`get_best_booster` needs.
    """

    def __init__(
        self,
        params: dict[str, Any],
        train_set: lgb.Dataset,
        num_boost_round: int = 1000,
        folds: Generator[tuple[int, int], None, None] | Iterator[tuple[int, int]] | BaseCrossValidator | None = None,
        nfold: int = 5,
        stratified: bool = True,
        shuffle: bool = True,
        feval: Callable[..., Any] | None = None,
        feature_name: str | None = None,
        categorical_feature: str | None = None,
        fpreproc: Callable[..., Any] | None = None,
        seed: int = 0,
        callbacks: list[Callable[..., Any]] | None = None,
        time_budget: int | None = None,
        sample_size: int | None = None,
        study: Study | None = None,
        optuna_callbacks: list[OptunaCallback] | None = None,
        *,
        show_progress_bar: bool = True,
        model_dir: str | None = None,
        return_cvbooster: bool = False,
        optuna_seed: int | None = None,
    ) -> None:
        super().__init__(
            params,
            train_set,
            callbacks=callbacks,
            num_boost_round=num_boost_round,
            feval=feval,
            feature_name=feature_name,
            categorical_feature=categorical_feature,
            time_budget=time_budget,
            sample_size=sample_size,
            study=study,
            optuna_callbacks=optuna_callbacks,
            show_progress_bar=show_progress_bar,
            model_dir=model_dir,
            optuna_seed=optuna_seed,
        )
        self.lgbm_kwargs.update(
            folds=folds, nfold=nfold, stratified=stratified, shuffle=shuffle, seed=seed, fpreproc=fpreproc,
            return_cvbooster=return_cvbooster,
        )

    def _create_objective(
        self,
        target_param_names: list[str],
        train_set: lgb.Dataset,
        step_name: str,
        pbar: tqdm.tqdm | None,
    ) -> _OptunaObjective:
        return _OptunaObjectiveCV(
            target_param_names,
            self.lgbm_params,
            train_set,
            self.lgbm_kwargs,
            self.best_score,
            step_name=step_name,
            model_dir=self._model_dir,
            pbar=pbar,
        )

    def get_best_booster(self) -> lgb.CVBooster:
        """The best trial's ``CVBooster`` (needs ``return_cvbooster=True``): this tuner's own, else the
        one in ``model_dir``; ValueError as for :meth:`LightGBMTuner.get_best_booster`."""
        if self.lgbm_kwargs.get("return_cvbooster") is not True:
            raise ValueError("LightGBMTunerCV requires `return_cvbooster=True` for method `get_best_booster()`.")
        cvbooster = self._own_best()
        if cvbooster is not None:
            return cvbooster
        boosters, best_iteration = self._load_best("LightGBMTunerCV")
        cvbooster = lgb.CVBooster()
        cvbooster.boosters = boosters
        cvbooster.best_iteration = best_iteration
        return cvbooster
