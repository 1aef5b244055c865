"""Studies and trials as flat records (the columns of ``Study.trials_dataframe``) for printing."""

from __future__ import annotations

import collections
from collections.abc import Collection
from typing import Any

import numpy as np
import pandas as pd

from hpo.study import Study, StudySummary
from hpo.trial import TrialState

TRIAL_ATTRS = ("number", "state", "value", "params", "duration")
BEST_ATTRS = ("number", "value", "params")


def trial_records(
    study: Study, attrs: tuple[str, ...] = TRIAL_ATTRS, numbers: Collection[int] | None = None,
    states: Collection[str] = (),
) -> list[dict[str, Any]]:
    """Rows of ``study.trials_dataframe(attrs)``, optionally only trials in ``numbers`` or ``states``."""
    df = study.trials_dataframe(attrs=attrs)
    if df.empty:
        return []
    if numbers is not None:
        df = df[df["number"].isin(list(numbers))]
    if states:
        df = df[df["state"].isin([s.upper() for s in states])]
    return [{key: _scalar(value) for key, value in row.items()} for row in df.to_dict("records")]


def best_records(study: Study) -> list[dict[str, Any]]:
    """The best trial (single objective) or the Pareto front, as ``number``, value(s) and ``params_*``."""
    if len(study.directions) == 1:
        try:
            numbers = [study.best_trial.number]
        except ValueError:
            return []
    else:
        numbers = [t.number for t in study.best_trials]
    return trial_records(study, BEST_ATTRS, numbers=numbers) if numbers else []


def summary_record(summary: StudySummary) -> dict[str, Any]:
    """A row of ``hpo study list``."""
    best = summary.best_trial
    return {
        "name": summary.study_name,
        "directions": [d.name for d in summary.directions],
        "n_trials": summary.n_trials,
        "best_value": best.values[0] if best is not None and best.values else None,
        "datetime_start": summary.datetime_start,
    }


def study_record(study: Study) -> dict[str, Any]:
    """The object of ``hpo study show``."""
    trials = study.get_trials(deepcopy=False)
    counts = collections.Counter(t.state for t in trials)
    starts = [t.datetime_start for t in trials if t.datetime_start is not None]
    return {
        "name": study.study_name,
        "directions": [d.name for d in study.directions],
        "n_trials": len(trials),
        "states": {state.name: counts.get(state, 0) for state in TrialState},
        "datetime_start": min(starts) if starts else None,
        "user_attrs": study.user_attrs,
        "importances": top_importances(study),
        "best_trials": best_records(study),
    }


def top_importances(study: Study, n: int = 5) -> dict[str, float] | None:
    """The ``n`` most important parameters (PED-ANOVA, as Optuna's default), or None where none can be
    computed: a multi-objective study, or fewer than two completed trials."""
    from hpo.importance import get_param_importances

    if len(study.directions) > 1 or study.storage.get_n_trials(study.study_id, TrialState.COMPLETE) < 2:
        return None
    try:
        importances = get_param_importances(study)
    except (ValueError, RuntimeError):  # e.g. no parameter every completed trial has
        return None
    return {name: round(value, 4) for name, value in list(importances.items())[:n]}


def _scalar(value: Any) -> Any:
    """A plain Python value from a DataFrame cell (missing values become None)."""
    if isinstance(value, pd.Timestamp):
        return None if pd.isna(value) else value.to_pydatetime()
    if isinstance(value, pd.Timedelta):
        return None if pd.isna(value) else value.to_pytimedelta()
    if isinstance(value, np.generic):
        value = value.item()
    if value is pd.NaT or (isinstance(value, float) and np.isnan(value)):
        return None
    return value
