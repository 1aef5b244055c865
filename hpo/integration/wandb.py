"""``WeightsAndBiasesCallback``: logs each finished trial to Weights & Biases, as optuna-integration's."""

from __future__ import annotations

import functools
import warnings
from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING, Any

from hpo.exceptions import ExperimentalWarning
from hpo.integration._imports import try_import

if TYPE_CHECKING:
    from hpo.study import Study
    from hpo.trial import FrozenTrial, Trial

with try_import("wandb") as _imports:
    import wandb

__all__ = ["WeightsAndBiasesCallback"]


class WeightsAndBiasesCallback:
    """Study callback that logs each finished trial's parameters and values to W&B.

    By default the whole study is one W&B run (made when the callback is), with a step per trial
    number: ``run.log({**params, **metrics}, step=trial.number)`` and the study's directions in the
    run config. With ``as_multirun=True`` every trial gets its own run, named ``trial/<number>/...``,
    with the parameters and directions in its config, the study name as a tag and ``trial_number``
    logged at step ``trial.number``; decorate the objective with
    :meth:`track_in_wandb` to log into that run from inside it.
    Failed and pruned trials log their parameters only. Use ``n_jobs=1`` for the trials to appear
    in order, and call ``wandb.finish()`` between two studies of one process. Online mode needs a
    ``wandb login``; ``WANDB_MODE=offline`` writes the runs locally. Deprecated in Optuna 4.9 (removed
    in 6.0): a FutureWarning when made, as there.

    Args:
        metric_name: Name of the objective value, or one name per objective. A single name
            with several objectives becomes ``<name>_0``, ``<name>_1``, ...
        wandb_kwargs: Arguments of ``wandb.init`` (``project``, ``entity``, ``tags``, ...).
        as_multirun: One W&B run per trial instead of one for the study.
    """

    def __init__(
        self,
        metric_name: str | Sequence[str] = "value",
        wandb_kwargs: dict[str, Any] | None = None,
        as_multirun: bool = False,
    ) -> None:
        warnings.warn(
            "WeightsAndBiasesCallback has been deprecated in v4.9.0. This feature will be removed in v6.0.0. "
            "See https://github.com/optuna/optuna/releases/tag/v4.9.0.",
            FutureWarning,
            stacklevel=2,
        )
        _imports.check()
        if not isinstance(metric_name, Sequence):
            raise TypeError(f"Expected metric_name to be string or sequence of strings, got {type(metric_name)}.")
        self._metric_name = metric_name
        self._wandb_kwargs = wandb_kwargs or {}
        self._as_multirun = as_multirun
        if not as_multirun:
            self._initialize_run()

    def __call__(self, study: Study, trial: FrozenTrial) -> None:
        metrics: dict[str, Any] = {}
        values = trial.values
        if values is not None:
            if isinstance(self._metric_name, str):
                names = [f"{self._metric_name}_{i}" for i in range(len(values))] if len(values) > 1 else [
                    self._metric_name]
            elif len(self._metric_name) != len(values):
                raise ValueError(
                    f"Running multi-objective optimization with {len(values)} objective values, but "
                    f"{len(self._metric_name)} names specified. Match objective values and names, or use "
                    "default broadcasting."
                )
            else:
                names = list(self._metric_name)
            metrics = dict(zip(names, values))
        if self._as_multirun:
            metrics["trial_number"] = trial.number
        attributes = {"direction": [d.name for d in study.directions]}
        # As optuna-integration: step=trial.number whenever a run exists. With as_multirun and
        # track_in_wandb, W&B drops this row when the objective already logged past that step (trial 0).
        step = trial.number if wandb.run else None
        run = wandb.run
        if not run:  # a run per trial, or the study's run was finished
            run = self._initialize_run()
            run.name = f"trial/{trial.number}/{run.name}"
        run.log({**trial.params, **metrics}, step=step)
        if self._as_multirun:
            run.config.update({**attributes, **trial.params})
            run.tags = tuple(self._wandb_kwargs.get("tags", ())) + (study.study_name,)
            run.finish()
        else:
            run.config.update(attributes)

    def track_in_wandb(self) -> Callable[[Callable[[Trial], Any]], Callable[[Trial], Any]]:
        """Decorator for the objective: starts the trial's W&B run (with ``wandb_kwargs``) before
        the objective runs, so ``wandb.log`` inside it goes to the run the callback then completes.
        Experimental, as in Optuna."""
        warnings.warn(
            "track_in_wandb is experimental (supported from v3.0.0). The interface can change in the future.",
            ExperimentalWarning,
            stacklevel=2,
        )

        def decorator(func: Callable[[Trial], Any]) -> Callable[[Trial], Any]:
            @functools.wraps(func)
            def wrapper(trial: Trial) -> Any:
                if not wandb.run:
                    run = self._initialize_run()
                    run.name = f"trial/{trial.number}/{run.name}"
                return func(trial)

            return wrapper

        return decorator

    def _initialize_run(self) -> Any:
        run = wandb.init(**self._wandb_kwargs)
        if not isinstance(run, wandb.sdk.wandb_run.Run):
            raise RuntimeError(f"Cannot create a Run. Expected wandb.sdk.wandb_run.Run as a return. Got: {type(run)}.")
        return run
