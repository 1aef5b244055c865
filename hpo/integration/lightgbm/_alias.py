"""LightGBM's parameter and metric aliases, mapped to the names the tuner reads (as optuna-integration does)."""

from __future__ import annotations

import warnings
from collections.abc import Iterable
from typing import Any

#: canonical parameter name -> the aliases LightGBM also accepts for it.
PARAMETER_ALIASES: dict[str, tuple[str, ...]] = {
    "bagging_fraction": ("sub_row", "subsample", "bagging"),
    "learning_rate": ("shrinkage_rate", "eta"),
    "min_child_samples": ("min_data_per_leaf", "min_data", "min_data_in_leaf", "min_samples_leaf"),
    "min_sum_hessian_in_leaf": ("min_sum_hessian_per_leaf", "min_sum_hessian", "min_hessian", "min_child_weight"),
    "num_leaves": ("num_leaf", "max_leaves", "max_leaf", "max_leaf_nodes"),
    "bagging_freq": ("subsample_freq",),
    "feature_fraction": ("sub_feature", "colsample_bytree"),
    "lambda_l1": ("reg_alpha", "l1_regularization"),
    "lambda_l2": ("reg_lambda", "lambda", "l2_regularization"),
    "min_gain_to_split": ("min_split_gain",),
}

#: canonical metric name -> the objective names and aliases that stand for it.
METRIC_ALIASES: dict[str, tuple[str, ...]] = {
    "ndcg": ("lambdarank", "rank_xendcg", "xendcg", "xe_ndcg", "xe_ndcg_mart", "xendcg_mart"),
    "map": ("mean_average_precision",),
    "l2": ("regression", "regression_l2", "mean_squared_error", "mse"),
    "l1": ("regression_l1", "mean_absolute_error", "mae"),
    "binary_logloss": ("binary",),
    "multi_logloss": ("multiclass", "softmax", "multiclassova", "multiclass_ova", "ova", "ovr"),
    "cross_entropy": ("xentropy",),
    "cross_entropy_lambda": ("xentlambda",),
    "kullback_leibler": ("kldiv",),
    "mape": ("mean_absolute_percentage_error",),
    "custom": ("none", "null", "na"),
    "rmse": ("l2_root", "root_mean_squared_error"),
}

_CANONICAL_METRIC = {alias: metric for metric, aliases in METRIC_ALIASES.items() for alias in aliases}


def handle_parameter_aliases(lgbm_params: dict[str, Any]) -> None:
    """Rename aliased parameters of ``lgbm_params`` in place to their canonical names (the last alias wins,
    with a warning when several aliases of one parameter are given)."""
    for name, aliases in PARAMETER_ALIASES.items():
        given = {alias: lgbm_params.pop(alias) for alias in aliases if alias in lgbm_params}
        for value in given.values():
            lgbm_params[name] = value
        if len(given) > 1:
            warnings.warn(
                f"{name} in param detected multiple identical aliases {given}, but we use {name}={lgbm_params[name]}.",
                stacklevel=2,
            )


def handle_metric_aliases(lgbm_params: dict[str, Any]) -> None:
    """Replace ``lgbm_params["metric"]`` (a name or an iterable of names) in place by canonical metric names."""
    if "metric" not in lgbm_params:
        return
    metric = lgbm_params["metric"]
    if isinstance(metric, str):
        lgbm_params["metric"] = _CANONICAL_METRIC.get(metric, metric)
        return
    if not isinstance(metric, Iterable):
        raise ValueError(
            f"The `metric` parameter is expected to be a string or an iterable object, but got {type(metric)}."
        )
    lgbm_params["metric"] = [_CANONICAL_METRIC.get(m, m) for m in metric]
