"""``train``: ``lightgbm.train``'s drop-in replacement that tunes the parameters first."""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from hpo.integration.lightgbm._tuner import LightGBMTuner, OptunaCallback
from hpo.study import Study

if TYPE_CHECKING:
    import lightgbm as lgb


def train(
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
) -> lgb.Booster:
    """Tune ``params`` stepwise with :class:`LightGBMTuner` (same arguments) and return the best booster.

    Use :class:`LightGBMTuner` itself to resume a tuning or share it among processes.
    """
    tuner = LightGBMTuner(
        params=params,
        train_set=train_set,
        num_boost_round=num_boost_round,
        valid_sets=valid_sets,
        valid_names=valid_names,
        feval=feval,
        feature_name=feature_name,
        categorical_feature=categorical_feature,
        keep_training_booster=keep_training_booster,
        callbacks=callbacks,
        time_budget=time_budget,
        sample_size=sample_size,
        study=study,
        optuna_callbacks=optuna_callbacks,
        model_dir=model_dir,
        show_progress_bar=show_progress_bar,
        optuna_seed=optuna_seed,
    )
    tuner.run()
    return tuner.get_best_booster()
