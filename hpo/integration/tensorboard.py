"""``TensorBoardCallback``: writes each finished trial's parameters and value for TensorBoard's HParams
dashboard, as optuna-integration's callback of that name, with the ``tensorboard`` package alone.

optuna-integration writes through TensorFlow's summary writer; this module writes the same summaries
(an HParams session start and the metric as a scalar, per ``trial-<number>`` run) with TensorBoard's
own protobufs and event-file writer, so TensorFlow is not needed.
"""

from __future__ import annotations

import os
import time
import warnings
from typing import TYPE_CHECKING, Any

from hpo.distributions import BaseDistribution, CategoricalDistribution, FloatDistribution, IntDistribution
from hpo.integration._imports import try_import
from hpo.logging import get_logger
from hpo.trial import FrozenTrial, TrialState

if TYPE_CHECKING:
    from hpo.study import Study

with try_import("tensorboard") as _imports:
    from tensorboard.compat.proto.event_pb2 import Event
    from tensorboard.plugins.hparams import summary_v2 as hp
    from tensorboard.plugins.scalar.summary_v2 import scalar_pb
    from tensorboard.summary.writer.event_file_writer import EventFileWriter

__all__ = ["TensorBoardCallback"]

_logger = get_logger(__name__)


class TensorBoardCallback:
    """Study callback: for every COMPLETE trial, a run ``<dirname>/trial-<number>`` with the trial's
    parameters as HParams (domains from their distributions) and its value as the scalar
    ``metric_name`` at step ``trial.number``. Other trials write nothing. Deprecated in Optuna 4.9
    (removed in 6.0): a FutureWarning when made, as there.

    Args:
        dirname: Directory of the TensorBoard logs (``tensorboard --logdir dirname``).
        metric_name: Name of the objective value in TensorBoard, e.g. ``"accuracy"``.
    """

    def __init__(self, dirname: str, metric_name: str) -> None:
        warnings.warn(
            "TensorBoardCallback has been deprecated in v4.9.0. This feature will be removed in v6.0.0. "
            "See https://github.com/optuna/optuna/releases/tag/v4.9.0.",
            FutureWarning,
            stacklevel=2,
        )
        _imports.check()
        self._dirname = dirname
        self._metric_name = metric_name
        self._hp_params: dict[str, Any] = {}

    def __call__(self, study: Study, trial: FrozenTrial) -> None:
        if not self._hp_params:
            for done in study.get_trials(deepcopy=False, states=(TrialState.COMPLETE,)):
                self._add_distributions(done.distributions)
        if trial.state != TrialState.COMPLETE:
            return
        value = trial.value if trial.value is not None else float("nan")
        hparams = {}
        for name, param_value in trial.params.items():
            if name not in self._hp_params:
                self._add_distributions(trial.distributions)
            param = self._hp_params[name]
            hparams[param] = param.domain.dtype(param_value) if isinstance(param.domain, hp.Discrete) else param_value
        run_name = f"trial-{trial.number}"
        writer = EventFileWriter(os.path.join(self._dirname, run_name))
        try:
            wall_time = time.time()
            writer.add_event(Event(wall_time=wall_time, step=0, summary=hp.hparams_pb(hparams, trial_id=run_name)))
            writer.add_event(Event(wall_time=wall_time, step=trial.number, summary=scalar_pb(self._metric_name, value)))
        finally:
            writer.close()

    def _add_distributions(self, distributions: dict[str, BaseDistribution]) -> None:
        for name, dist in distributions.items():
            if isinstance(dist, FloatDistribution):
                self._hp_params[name] = hp.HParam(name, hp.RealInterval(float(dist.low), float(dist.high)))
            elif isinstance(dist, IntDistribution):
                self._hp_params[name] = hp.HParam(name, hp.IntInterval(dist.low, dist.high))
            elif isinstance(dist, CategoricalDistribution):
                self._hp_params[name] = hp.HParam(name, hp.Discrete(_tensorboard_choices(dist.choices)))
            else:
                raise NotImplementedError(
                    f"The distribution {dist!r} is not implemented. The parameter distribution should be one of "
                    "['CategoricalDistribution', 'FloatDistribution', 'IntDistribution']"
                )


def _tensorboard_choices(choices: tuple[Any, ...]) -> tuple[Any, ...]:
    """``choices`` as TensorBoard takes them: one of bool, int, float or str for all, else strings."""
    dtype = type(choices[0])
    if any(not isinstance(choice, dtype) for choice in choices):
        _logger.warning("Choices contains mixed types, which is not supported by TensorBoard. "
                        "Converting all choices to strings.")
        return tuple(map(str, choices))
    if dtype not in (int, float, bool, str):
        _logger.warning(f"Choices are of type {dtype}, which is not supported by TensorBoard. "
                        "Converting all choices to strings.")
        return tuple(map(str, choices))
    return choices
