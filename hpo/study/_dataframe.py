"""``Study.trials_dataframe``: trials as a pandas DataFrame with Optuna's column names."""

from __future__ import annotations

import collections
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

from hpo.trial import FrozenTrial

if TYPE_CHECKING:
    import pandas as pd

    from hpo.study._study import Study

DEFAULT_ATTRS = (
    "number",
    "value",
    "datetime_start",
    "datetime_complete",
    "duration",
    "params",
    "user_attrs",
    "system_attrs",
    "state",
)
_ATTR_NAMES = {
    "number", "value", "values", "datetime_start", "datetime_complete", "duration", "params",
    "user_attrs", "system_attrs", "state", "intermediate_values", "distributions", "trial_id",
}
_EXPANDED = ("params", "user_attrs", "system_attrs", "intermediate_values", "distributions")


def trials_dataframe(study: Study, attrs: tuple[str, ...] = DEFAULT_ATTRS, multi_index: bool = False) -> pd.DataFrame:
    """One row per trial; dict attributes expand to ``params_<name>`` style columns."""
    import pandas as pd  # here, not at the top: importing pandas takes most of a second

    unknown = set(attrs) - _ATTR_NAMES
    if unknown:
        raise ValueError(f"Unknown attrs {sorted(unknown)}; choose from {sorted(_ATTR_NAMES)}.")
    trials = study.get_trials(deepcopy=False)
    if not trials:
        return pd.DataFrame()
    multi = len(study.directions) > 1
    attrs = tuple(("values" if a in ("value", "values") and multi else "value" if a == "values" else a) for a in attrs)
    attrs = tuple(dict.fromkeys(attrs))

    metric_names = study.metric_names
    records: list[dict[tuple[str, str], Any]] = []
    columns: dict[str, set[tuple[str, str]]] = collections.defaultdict(set)
    for trial in trials:
        record: dict[tuple[str, str], Any] = {}
        for attr in attrs:
            for key, value in _fields(trial, attr, len(study.directions), metric_names):
                record[(attr, key)] = value
                columns[attr].add((attr, key))
        records.append(record)

    ordered = [
        col
        for attr in attrs
        if attr in columns
        for col in (
            [("values", name) for name in metric_names]
            if attr == "values" and metric_names is not None
            else sorted(columns[attr], key=_sort_key)
        )
    ]
    df = pd.DataFrame(records, columns=pd.MultiIndex.from_tuples(ordered))
    if not multi_index:
        df.columns = ["_".join(str(part) for part in col if part != "") for col in ordered]
    return df


def _sort_key(column: tuple[str, Any]) -> tuple[str, Any]:
    return (column[0], (isinstance(column[1], str), column[1]))


def _fields(trial: FrozenTrial, attr: str, n_objectives: int, metric_names: list[str] | None) -> list[tuple[Any, Any]]:
    """The columns of ``attr`` for one trial: (sub-column, value) pairs; metric names name the values."""
    if attr in _EXPANDED:
        items = getattr(trial, attr).items()
        if attr == "distributions":
            return [(k, repr(v)) for k, v in items]
        return list(items)
    if attr == "values":
        values: Sequence[float | None] = trial.values or [None] * n_objectives
        return list(zip(metric_names or range(n_objectives), values))
    if attr == "value":
        return [(metric_names[0] if metric_names else "", trial.values[0] if trial.values else None)]
    if attr == "state":
        return [("", trial.state.name)]
    if attr == "trial_id":
        return [("", trial.trial_id)]
    return [("", getattr(trial, attr))]
