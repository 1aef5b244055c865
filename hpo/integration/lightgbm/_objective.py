"""The objective of each tuning step: train (or cross-validate) LightGBM with the step's parameters.

``_BaseTuner`` holds what the tuners and their objectives share: which metric is optimized, in which
direction, and how a booster's (or ``lightgbm.cv``'s) score for it is read.
"""

from __future__ import annotations

import copy
import json
import os
import pickle
import time
from collections.abc import Iterable, Sequence
from typing import TYPE_CHECKING, Any

from hpo.integration._imports import try_import
from hpo.integration.lightgbm._alias import handle_metric_aliases
from hpo.logging import get_logger

if TYPE_CHECKING:
    import tqdm

    from hpo.trial import Trial

with try_import("lightgbm") as _imports:
    import lightgbm as lgb

# Keys of the trials' system attrs.
ELAPSED_SECS_KEY = "lightgbm_tuner:elapsed_secs"
AVERAGE_ITERATION_TIME_KEY = "lightgbm_tuner:average_iteration_time"
STEP_NAME_KEY = "lightgbm_tuner:step_name"
LGBM_PARAMS_KEY = "lightgbm_tuner:lgbm_params"

#: Keeps a sampled value inside the search range (``1.0 + EPS`` lets a grid value of 1.0 in).
EPS = 1e-12
#: Without ``max_depth`` (or with one <= 0), ``num_leaves`` is tuned up to ``2 ** 8``.
DEFAULT_TUNER_TREE_DEPTH = 8
#: LightGBM's defaults of the tuned parameters.
DEFAULT_LIGHTGBM_PARAMETERS: dict[str, Any] = {
    "lambda_l1": 0.0,
    "lambda_l2": 0.0,
    "num_leaves": 31,
    "feature_fraction": 1.0,
    "bagging_fraction": 1.0,
    "bagging_freq": 0,
    "min_child_samples": 20,
}
_HIGHER_IS_BETTER = ("auc", "auc_mu", "ndcg", "map", "average_precision")

_logger = get_logger(__name__)


def custom_objective(lgbm_params: dict[str, Any]) -> Any:
    """The callable ``objective`` of ``lgbm_params``, or None when it is a name (or absent)."""
    objective = lgbm_params.get("objective")
    return None if objective is None or isinstance(objective, str) else objective


class _BaseTuner:
    """The metric the tuner optimizes (the last of ``params["metric"]``, ``binary_logloss`` by default)."""

    def __init__(self, lgbm_params: dict[str, Any] | None = None, lgbm_kwargs: dict[str, Any] | None = None) -> None:
        if lgbm_params is not None:
            handle_metric_aliases(lgbm_params)
        self.lgbm_params = lgbm_params or {}
        self.lgbm_kwargs = lgbm_kwargs or {}

    def _get_metric_for_objective(self) -> str:
        metric = self.lgbm_params.get("metric", "binary_logloss")
        if isinstance(metric, str):
            pass
        elif isinstance(metric, Sequence):
            metric = metric[-1]
        elif isinstance(metric, Iterable):
            metric = list(metric)[-1]
        else:
            raise NotImplementedError(f"`metric` must be a string or a sequence of strings, got {metric!r}.")
        return self._metric_with_eval_at(metric)

    def _get_booster_best_score(self, booster: lgb.Booster) -> float:
        metric = self._get_metric_for_objective()
        valid_sets = self.lgbm_kwargs.get("valid_sets")
        valid_names = self.lgbm_kwargs.get("valid_names")
        if valid_names is not None:
            if isinstance(valid_names, str):
                valid_name = valid_names
            elif isinstance(valid_names, Sequence):
                valid_name = valid_names[-1]
            else:
                raise NotImplementedError(f"`valid_names` must be a string or a list of strings, got {valid_names!r}.")
        elif isinstance(valid_sets, lgb.Dataset):
            valid_name = "valid_0"
        elif isinstance(valid_sets, Sequence) and len(valid_sets) > 0:
            valid_name = f"valid_{len(valid_sets) - 1}"
        else:
            raise NotImplementedError("`valid_sets` must be a lightgbm.Dataset or a non-empty list of them.")
        scores = booster.best_score.get(valid_name, {})
        if metric not in scores:
            raise _metric_not_found(metric, f"validation set {valid_name!r}", list(scores))
        return scores[metric]

    def _metric_with_eval_at(self, metric: str) -> str:
        """``ndcg`` and ``map`` are scored at their first ``eval_at`` position (``ndcg@1`` by default)."""
        if metric not in ("ndcg", "map"):
            return metric
        eval_at = (
            self.lgbm_params.get("eval_at")
            or self.lgbm_params.get(f"{metric}_at")
            or self.lgbm_params.get(f"{metric}_eval_at")
            or [1, 2, 3, 4, 5]  # LightGBM's default
        )
        if isinstance(eval_at, (list, tuple)):
            return f"{metric}@{eval_at[0]}"
        if isinstance(eval_at, int):
            return f"{metric}@{eval_at}"
        raise ValueError(
            f"The value of eval_at is expected to be int or a list/tuple of int. '{eval_at}' is specified."
        )

    def higher_is_better(self) -> bool:
        """Whether ``params["metric"]`` is maximized (``auc``, ``auc_mu``, ``ndcg``, ``map``, ``average_precision``)."""
        return self.lgbm_params.get("metric", "binary_logloss") in _HIGHER_IS_BETTER

    def compare_validation_metrics(self, val_score: float, best_score: float) -> bool:
        """Whether ``val_score`` is better than ``best_score``."""
        return val_score > best_score if self.higher_is_better() else val_score < best_score


class _OptunaObjective(_BaseTuner):
    """Trains a booster with ``target_param_names`` suggested and the other parameters as they are."""

    def __init__(
        self,
        target_param_names: list[str],
        lgbm_params: dict[str, Any],
        train_set: lgb.Dataset,
        lgbm_kwargs: dict[str, Any],
        best_score: float,
        step_name: str,
        model_dir: str | None,
        pbar: tqdm.tqdm | None = None,
    ) -> None:
        self.target_param_names = target_param_names
        self.pbar = pbar
        self.lgbm_params = lgbm_params
        self.lgbm_kwargs = lgbm_kwargs
        self.train_set = train_set
        self.trial_count = 0
        self.best_score = best_score
        self.best_booster_with_trial_number: tuple[Any, int] | None = None
        self.step_name = step_name
        self.model_dir = model_dir
        unknown = [name for name in target_param_names if name not in DEFAULT_LIGHTGBM_PARAMETERS]
        if unknown:
            raise NotImplementedError(f"Parameter `{unknown[0]}` is not supported for tuning.")
        self.pbar_fmt = "{}, val_score: {:.6f}"

    def _preprocess(self, trial: Trial) -> None:
        if self.pbar is not None:
            self.pbar.set_description(self.pbar_fmt.format(self.step_name, self.best_score))
        names, params = self.target_param_names, self.lgbm_params
        if "lambda_l1" in names:
            params["lambda_l1"] = trial.suggest_float("lambda_l1", 1e-8, 10.0, log=True)
        if "lambda_l2" in names:
            params["lambda_l2"] = trial.suggest_float("lambda_l2", 1e-8, 10.0, log=True)
        if "num_leaves" in names:
            tree_depth = params.get("max_depth", DEFAULT_TUNER_TREE_DEPTH)
            max_num_leaves = 2**tree_depth if tree_depth > 0 else 2**DEFAULT_TUNER_TREE_DEPTH
            params["num_leaves"] = trial.suggest_int("num_leaves", 2, max_num_leaves)
        if "feature_fraction" in names:  # a GridSampler gives the values, 1.0 among them
            params["feature_fraction"] = min(trial.suggest_float("feature_fraction", 0.4, 1.0 + EPS), 1.0)
        if "bagging_fraction" in names:
            params["bagging_fraction"] = min(trial.suggest_float("bagging_fraction", 0.4, 1.0 + EPS), 1.0)
        if "bagging_freq" in names:
            params["bagging_freq"] = trial.suggest_int("bagging_freq", 1, 7)
        if "min_child_samples" in names:  # a GridSampler gives the values
            params["min_child_samples"] = trial.suggest_int("min_child_samples", 5, 100)

    def __call__(self, trial: Trial) -> float:
        self._preprocess(trial)
        start_time = time.time()
        kwargs = copy.copy(self.lgbm_kwargs)
        kwargs["valid_sets"] = _copy_valid_sets(kwargs["valid_sets"])
        booster = lgb.train(self.lgbm_params, copy.copy(self.train_set), **kwargs)
        val_score = self._get_booster_best_score(booster)
        elapsed_secs = time.time() - start_time
        average_iteration_time = elapsed_secs / booster.current_iteration()
        if self.model_dir is not None:
            self._save(trial.number, booster)
        if self.compare_validation_metrics(val_score, self.best_score):
            self.best_score = val_score
            self.best_booster_with_trial_number = (booster, trial.number)
        self._postprocess(trial, elapsed_secs, average_iteration_time)
        return val_score

    def _save(self, number: int, booster: Any) -> None:
        """Pickle ``booster`` as ``{model_dir}/{number}.pkl`` (optuna-integration's file layout)."""
        assert self.model_dir is not None
        path = os.path.join(self.model_dir, f"{number}.pkl")
        with open(path, "wb") as out:
            pickle.dump(booster, out)
        _logger.info(f"The booster of trial#{number} was saved as {path}.")

    def _postprocess(self, trial: Trial, elapsed_secs: float, average_iteration_time: float) -> None:
        if self.pbar is not None:
            self.pbar.set_description(self.pbar_fmt.format(self.step_name, self.best_score))
            self.pbar.update(1)
        trial.set_system_attr(ELAPSED_SECS_KEY, elapsed_secs)
        trial.set_system_attr(AVERAGE_ITERATION_TIME_KEY, average_iteration_time)
        trial.set_system_attr(STEP_NAME_KEY, self.step_name)
        lgbm_params = copy.deepcopy(self.lgbm_params)
        objective = custom_objective(lgbm_params)
        if objective is not None:  # a callable is not JSON: its name is stored
            lgbm_params["objective"] = getattr(objective, "__name__", str(objective))
        trial.set_system_attr(LGBM_PARAMS_KEY, json.dumps(lgbm_params))
        self.trial_count += 1


class _OptunaObjectiveCV(_OptunaObjective):
    """Cross-validates with ``lightgbm.cv``; the score is the mean over folds at the last iteration."""

    def _get_cv_scores(self, cv_results: dict[str, Any]) -> list[float]:
        metric = self._get_metric_for_objective()
        for key in (f"{metric}-mean", f"valid {metric}-mean"):  # LightGBM >= 4 prefixes "valid "
            if key in cv_results:
                return cv_results[key]
        evaluated = [k.removeprefix("valid ").removesuffix("-mean") for k in cv_results if k.endswith("-mean")]
        raise _metric_not_found(metric, "the cross-validation folds", evaluated)

    def __call__(self, trial: Trial) -> float:
        self._preprocess(trial)
        start_time = time.time()
        cv_results: dict[str, Any] = lgb.cv(self.lgbm_params, copy.copy(self.train_set), **self.lgbm_kwargs)
        val_scores = self._get_cv_scores(cv_results)
        val_score = val_scores[-1]
        elapsed_secs = time.time() - start_time
        average_iteration_time = elapsed_secs / len(val_scores)
        return_cvbooster = self.lgbm_kwargs.get("return_cvbooster")
        if self.model_dir is not None and return_cvbooster:
            cvbooster = cv_results["cvbooster"]
            self._save(trial.number, (cvbooster.boosters, cvbooster.best_iteration))
        if self.compare_validation_metrics(val_score, self.best_score):
            self.best_score = val_score
            if return_cvbooster:
                self.best_booster_with_trial_number = (cv_results["cvbooster"], trial.number)
        self._postprocess(trial, elapsed_secs, average_iteration_time)
        return val_score


def _metric_not_found(metric: str, where: str, evaluated: list[str]) -> ValueError:
    return ValueError(
        f"LightGBM did not evaluate the metric {metric!r} on {where} (it evaluated {evaluated}). Set "
        "params['metric'] to a metric name LightGBM knows (e.g. 'binary_logloss', 'auc', 'l2'; the tuner "
        "optimizes the last one), or pass the feval that computes it."
    )


def _copy_valid_sets(valid_sets: Any) -> Any:
    """Shallow copies of the validation Dataset(s), so that one trial's training leaves them as given."""
    if isinstance(valid_sets, list):
        return [copy.copy(d) for d in valid_sets]
    if isinstance(valid_sets, tuple):
        return tuple(copy.copy(d) for d in valid_sets)
    return copy.copy(valid_sets)
