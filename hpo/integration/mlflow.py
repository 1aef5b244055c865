"""MLflow: a study callback that records every finished trial as an MLflow run."""

from __future__ import annotations

import functools
import threading
import warnings
from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING, Any

from hpo.exceptions import ExperimentalWarning
from hpo.integration._imports import try_import
from hpo.trial import Trial

if TYPE_CHECKING:
    from hpo.study import Study
    from hpo.trial import FrozenTrial

with try_import("mlflow") as _imports:
    import mlflow

__all__ = ["MLflowCallback", "RUN_ID_ATTRIBUTE_KEY"]

RUN_ID_ATTRIBUTE_KEY = "mlflow_run_id"
"""The trial system attr where :meth:`MLflowCallback.track_in_mlflow` keeps the trial's MLflow run id."""


class MLflowCallback:
    """Record each finished trial as an MLflow run (Optuna's ``MLflowCallback``; pass it to
    ``study.optimize(..., callbacks=[...])``).

    The run is named after the trial number (``mlflow_kwargs["run_name"]`` overrides it), in an
    experiment named after the study when ``create_experiment`` is True (else in the active or
    default experiment, or ``mlflow_kwargs["experiment_id"]``). It holds the trial's params, its
    value(s) as metrics and tags: ``number``, ``datetime_start``, ``datetime_complete``, ``state``,
    ``direction`` (a list for several objectives), ``<param>_distribution``, and the trial's (and,
    with ``tag_study_user_attrs``, the study's, which win) user attrs, each cut to MLflow's tag length.

    ``metric_name`` names the value; with several objectives, a single name becomes ``name_0``,
    ``name_1``..., or pass one name per objective. ``mlflow_kwargs`` may hold ``experiment_id``,
    ``run_name``, ``nested`` and ``tags`` for ``mlflow.start_run``. Deprecated in Optuna 4.9 (removed
    in 6.0), which this follows with a FutureWarning.
    """

    def __init__(
        self,
        tracking_uri: str | None = None,
        metric_name: str | Sequence[str] = "value",
        create_experiment: bool = True,
        mlflow_kwargs: dict[str, Any] | None = None,
        tag_study_user_attrs: bool = False,
        tag_trial_user_attrs: bool = True,
    ) -> None:
        warnings.warn(
            "MLflowCallback has been deprecated in v4.9.0. This feature will be removed in v6.0.0. "
            "See https://github.com/optuna/optuna/releases/tag/v4.9.0.",
            FutureWarning,
            stacklevel=2,
        )
        _imports.check()
        if not isinstance(metric_name, Sequence):
            raise TypeError(f"Expected metric_name to be string or sequence of strings, got {type(metric_name)}.")
        self._tracking_uri = tracking_uri
        self._metric_name = metric_name
        self._create_experiment = create_experiment
        self._mlflow_kwargs = mlflow_kwargs or {}
        self._tag_study_user_attrs = tag_study_user_attrs
        self._tag_trial_user_attrs = tag_trial_user_attrs
        self._lock = threading.Lock()

    def __call__(self, study: Study, trial: FrozenTrial) -> None:
        with self._lock:
            self._initialize_experiment(study)
            with mlflow.start_run(
                run_id=trial.system_attrs.get(RUN_ID_ATTRIBUTE_KEY),
                experiment_id=self._mlflow_kwargs.get("experiment_id"),
                run_name=self._mlflow_kwargs.get("run_name", str(trial.number)),
                nested=self._mlflow_kwargs.get("nested") or False,
                tags=self._mlflow_kwargs.get("tags"),
            ):
                self._log_metrics(trial.values)
                mlflow.log_params(trial.params)
                self._set_tags(trial, study)

    def track_in_mlflow(self) -> Callable[[Callable[[Trial], Any]], Callable[[Trial], Any]]:
        """Decorate an objective so that what it logs to MLflow goes to its trial's run.

        The objective runs inside ``mlflow.start_run``; the run id is kept in the trial's system attr
        ``mlflow_run_id``, and the callback adds the trial's results to that run. Experimental, as in
        Optuna. For in-process studies only: a worker's trial raises TypeError.
        """
        warnings.warn(
            "track_in_mlflow is experimental (supported from v2.9.0). The interface can change in the future.",
            ExperimentalWarning,
            stacklevel=2,
        )

        def decorator(func: Callable[[Trial], Any]) -> Callable[[Trial], Any]:
            @functools.wraps(func)
            def wrapper(trial: Trial) -> Any:
                if not isinstance(trial, Trial):
                    raise TypeError(
                        f"track_in_mlflow needs a trial of an in-process study (study.optimize), got "
                        f"{type(trial).__name__}. On Celery workers, start an MLflow run in the objective "
                        "(mlflow.start_run(run_name=str(trial.number))) and log to it there."
                    )
                with self._lock:
                    self._initialize_experiment(trial.study)
                    nested = bool(self._mlflow_kwargs.get("nested"))
                    run_name = self._mlflow_kwargs.get("run_name", str(trial.number))
                    with mlflow.start_run(run_name=run_name, nested=nested) as run:
                        trial.set_system_attr(RUN_ID_ATTRIBUTE_KEY, run.info.run_id)
                        return func(trial)

            return wrapper

        return decorator

    def _initialize_experiment(self, study: Study) -> None:
        if self._tracking_uri is not None:
            mlflow.set_tracking_uri(self._tracking_uri)
        if self._create_experiment:
            mlflow.set_experiment(study.study_name)

    def _set_tags(self, trial: FrozenTrial, study: Study) -> None:
        tags: dict[str, Any] = {
            "number": str(trial.number),
            "datetime_start": str(trial.datetime_start),
            "datetime_complete": str(trial.datetime_complete),
        }
        if trial.state.is_finished():
            tags["state"] = trial.state.name
        directions = [d.name for d in study.directions]
        tags["direction"] = directions if len(directions) != 1 else directions[0]
        tags.update({f"{name}_distribution": str(d) for name, d in trial.distributions.items()})
        if self._tag_trial_user_attrs:
            tags.update(trial.user_attrs)
        if self._tag_study_user_attrs:
            tags.update(study.user_attrs)
        limit = mlflow.utils.validation.MAX_TAG_VAL_LENGTH
        for key, value in tags.items():
            text = str(value)
            if len(text) > limit:
                tags[key] = f"{text[: limit - 3]}..."
        mlflow.set_tags(tags)

    def _log_metrics(self, values: Sequence[float] | None) -> None:
        if values is None:
            return
        if isinstance(self._metric_name, str):
            names = (
                [f"{self._metric_name}_{i}" for i in range(len(values))] if len(values) > 1 else [self._metric_name]
            )
        elif len(self._metric_name) != len(values):
            raise ValueError(
                f"Running multi-objective optimization with {len(values)} objective values, but "
                f"{len(self._metric_name)} names specified. Match objective values and names, or use default "
                "broadcasting."
            )
        else:
            names = list(self._metric_name)
        mlflow.log_metrics(dict(zip(names, values)))
