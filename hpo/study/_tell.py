"""Ending a trial: validating what the objective returned, storing it, logging it."""

from __future__ import annotations

import copy
import math
from collections.abc import Sequence
from typing import TYPE_CHECKING

from hpo.exceptions import UpdateFinishedTrialError
from hpo.logging import INFO, get_logger
from hpo.outcome import FAIL_REASON_KEY, check_values
from hpo.storages import heartbeat_keeper
from hpo.trial import FrozenTrial, Trial, TrialState

if TYPE_CHECKING:
    from hpo.study._study import Study

_logger = get_logger(__name__)


def tell(
    study: Study,
    trial: Trial | int,
    values: float | Sequence[float] | None = None,
    state: TrialState | None = None,
    skip_if_finished: bool = False,
    fail_reason: str | None = None,
) -> FrozenTrial:
    """Finish ``trial`` (a :class:`Trial` or a trial number) with ``values`` or ``state``.

    Invalid values end the trial FAIL with the reason stored in its ``fail_reason`` system attr,
    and the study goes on. A finished trial raises :class:`UpdateFinishedTrialError`.
    """
    storage = study._storage
    if isinstance(trial, Trial):
        trial_id = trial.trial_id
    elif isinstance(trial, int) and not isinstance(trial, bool):
        trial_id = storage.get_trial_id_from_study_id_trial_number(study._study_id, trial)
    else:
        raise TypeError(f"tell() takes a Trial or a trial number, got {type(trial).__name__} {trial!r}.")
    frozen = storage.get_trial(trial_id)  # the stored state: another process may have finished the trial
    heartbeats = heartbeat_keeper(storage)
    if heartbeats is not None and frozen.state.is_finished():
        heartbeats.stop(trial_id)  # e.g. failed as stale by another process

    if state is None:
        state = TrialState.COMPLETE  # as in Optuna, missing or invalid values end the trial FAIL below
    if state not in (TrialState.COMPLETE, TrialState.PRUNED, TrialState.FAIL):
        raise ValueError(f"tell() can only finish a trial as COMPLETE, PRUNED or FAIL, not {state.name}.")
    if frozen.state.is_finished():
        if skip_if_finished:
            _logger.info(f"Trial {frozen.number} is already finished; tell() skipped it.")
            return copy.deepcopy(frozen)
        reason = frozen.system_attrs.get(FAIL_REASON_KEY) if frozen.state == TrialState.FAIL else None
        raise UpdateFinishedTrialError(
            f"Trial {frozen.number} is already finished ({frozen.state.name}"
            f"{f': {reason}' if reason else ''}); tell() cannot change it. "
            "Pass skip_if_finished=True to ignore finished trials."
        )

    n_objectives = len(study.directions)
    told: list[float] | None = None
    if state == TrialState.COMPLETE:
        told, reason = check_values(values, n_objectives)
        if reason is not None:
            state, fail_reason = TrialState.FAIL, reason
    elif state == TrialState.PRUNED:
        if values is not None:
            told, _ = check_values(values, n_objectives)
        elif n_objectives == 1 and frozen.last_step is not None:
            last = frozen.intermediate_values[frozen.last_step]
            told = None if math.isnan(last) else [last]
    if state == TrialState.FAIL and fail_reason is not None:
        storage.set_trial_system_attr(trial_id, FAIL_REASON_KEY, fail_reason)
        frozen.system_attrs = {**frozen.system_attrs, FAIL_REASON_KEY: fail_reason}

    try:
        study.sampler.after_trial(study, frozen, state, told)
    finally:
        storage.set_trial_state_values(trial_id, state, told)
        if heartbeats is not None:
            heartbeats.stop(trial_id)
    finished = storage.get_trial(trial_id)
    _log_finished(study, finished, fail_reason)
    return finished


def _log_finished(study: Study, trial: FrozenTrial, fail_reason: str | None) -> None:
    if trial.state == TrialState.FAIL:
        _logger.warning(
            f"Trial {trial.number} failed with parameters: {trial.params} because of the following error: "
            f"{fail_reason}"
        )
        return
    if trial.state == TrialState.PRUNED:
        _logger.info(f"Trial {trial.number} pruned. ")
        return
    if not _logger.isEnabledFor(INFO):
        return
    if len(study.directions) > 1:
        _logger.info(f"Trial {trial.number} finished with values: {trial.values} and parameters: {trial.params}.")
        return
    message = f"Trial {trial.number} finished with value: {trial.value} and parameters: {trial.params}."
    try:
        best = study.best_trial
    except ValueError:  # e.g. no trial satisfies its constraints yet
        _logger.info(message)
        return
    _logger.info(f"{message} Best is trial {best.number} with value: {best.value}.")
