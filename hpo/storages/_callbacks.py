"""Stale-trial callbacks: what to do with a trial failed because its heartbeat stopped."""

from __future__ import annotations

import warnings
from typing import TYPE_CHECKING, Any

from hpo.outcome import FAIL_REASON_KEY
from hpo.records import TrialState
from hpo.trial import FrozenTrial, create_trial

if TYPE_CHECKING:
    from hpo.study import Study

_FAILED_TRIAL_KEY = "failed_trial"
_RETRY_HISTORY_KEY = "retry_history"


class RetryHeartbeatStaleTrialCallback:
    """Run a stale trial again: enqueue a WAITING copy with the same params, up to ``max_retry`` times.

    Pass it as ``RDBStorage(..., heartbeat_stale_trial_callback=RetryHeartbeatStaleTrialCallback())``.
    The copy keeps the params, distributions, user attrs and system attrs (not the fail reason) and,
    with ``inherit_intermediate_values``, the reported values. Its system attrs name the original
    trial (``failed_trial``) and every trial of the series (``retry_history``), read with
    :meth:`retried_trial_number` and :meth:`retry_history`, so an objective can resume from a
    checkpoint it saved under the original trial's number.

    Args:
        max_retry: how many times one original trial may be run again; None: without limit.
        inherit_intermediate_values: copy the values the failed trial reported.
    """

    def __init__(self, max_retry: int | None = None, inherit_intermediate_values: bool = False) -> None:
        if max_retry is not None and (isinstance(max_retry, bool) or not isinstance(max_retry, int) or max_retry < 0):
            raise ValueError(f"max_retry must be None or an integer >= 0, got {max_retry!r}.")
        self._max_retry = max_retry
        self._inherit_intermediate_values = inherit_intermediate_values

    def __call__(self, study: Study, trial: FrozenTrial) -> None:
        system_attrs: dict[str, Any] = {
            _FAILED_TRIAL_KEY: trial.number,
            _RETRY_HISTORY_KEY: [],
            **{k: v for k, v in trial.system_attrs.items() if k != FAIL_REASON_KEY},
        }
        system_attrs[_RETRY_HISTORY_KEY] = [*system_attrs[_RETRY_HISTORY_KEY], trial.number]
        if self._max_retry is not None and len(system_attrs[_RETRY_HISTORY_KEY]) > self._max_retry:
            return
        study.add_trial(
            create_trial(
                state=TrialState.WAITING,
                params=trial.params,
                distributions=trial.distributions,
                user_attrs=trial.user_attrs,
                system_attrs=system_attrs,
                intermediate_values=trial.intermediate_values if self._inherit_intermediate_values else None,
            )
        )

    @staticmethod
    def retried_trial_number(trial: FrozenTrial) -> int | None:
        """The number of the original trial that ``trial`` runs again; None when it is no retry."""
        return trial.system_attrs.get(_FAILED_TRIAL_KEY)

    @staticmethod
    def retry_history(trial: FrozenTrial) -> list[int]:
        """The numbers of the trials before ``trial`` in its series of retries, the original first."""
        return list(trial.system_attrs.get(_RETRY_HISTORY_KEY, []))


class RetryFailedTrialCallback(RetryHeartbeatStaleTrialCallback):
    """Optuna's older name of :class:`RetryHeartbeatStaleTrialCallback` (deprecated there in 4.9)."""

    def __init__(self, max_retry: int | None = None, inherit_intermediate_values: bool = False) -> None:
        warnings.warn(
            "RetryFailedTrialCallback is deprecated (as in Optuna 4.9); use RetryHeartbeatStaleTrialCallback.",
            FutureWarning,
            stacklevel=2,
        )
        super().__init__(max_retry, inherit_intermediate_values)
