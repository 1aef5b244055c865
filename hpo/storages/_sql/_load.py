"""Loading whole trials in ONE query: a UNION ALL of the trial rows and all their child rows.

Every branch yields the same columns (typed NULLs where a table has nothing to put, so that
PostgreSQL can match the branches), tagged with a ``kind``; :func:`assemble` folds them into
:class:`FrozenTrial` objects. The cost is one round trip whatever the number of trials.
"""

from __future__ import annotations

import functools
import json
from collections.abc import Iterable, Sequence
from typing import Any

from sqlalchemy import (
    Double,
    Integer,
    String,
    Text,
    bindparam,
    cast,
    literal_column,
    null,
    select,
    type_coerce,
    union_all,
)
from sqlalchemy.engine import Connection, Row
from sqlalchemy.sql.elements import ColumnElement
from sqlalchemy.sql.selectable import CompoundSelect, Select
from sqlalchemy.types import TypeEngine

from hpo.distributions import BaseDistribution, json_to_distribution
from hpo.records import TrialState
from hpo.storages._sql._models import DATETIME, ValueType, decode_value
from hpo.storages._sql._statements import (
    INTERMEDIATE_VALUES,
    PARAMS,
    STUDIES,
    TRIAL_SYSTEM_ATTRS,
    TRIAL_USER_ATTRS,
    TRIALS,
    VALUES,
)
from hpo.trial import FrozenTrial

_STUDY, _TRIAL, _PARAM, _VALUE, _INTERMEDIATE, _USER_ATTR, _SYSTEM_ATTR = range(7)

# The columns of every branch, in order, with their types.
_COLUMNS: dict[str, TypeEngine[Any]] = {
    "kind": Integer(),
    "trial_id": Integer(),
    "num": Integer(),  # trial number, objective index or step
    "name": String(512),  # trial state, parameter name or attribute key
    "flt": Double(),  # parameter, objective or intermediate value
    "vtype": String(16),  # ValueType of flt
    "txt": Text(),  # distribution or attribute value, as JSON
    "dt1": DATETIME,
    "dt2": DATETIME,
    "row_id": Integer(),  # the child row's primary key: insertion order
}


def _branch(kind: int, where: ColumnElement[bool], **columns: ColumnElement[Any]) -> Select[Any]:
    selected = [literal_column(str(kind), Integer).label("kind")]
    for name, type_ in list(_COLUMNS.items())[1:]:
        column = columns.get(name)
        selected.append((cast(null(), type_) if column is None else type_coerce(column, type_)).label(name))
    query: Select[Any] = select(*selected).where(where)  # type: ignore[assignment]  # a wide Select is still one
    return query


def trials_query(where: ColumnElement[bool], study_id: ColumnElement[int] | None = None) -> CompoundSelect:
    """The UNION ALL of the trials matching ``where`` and their children; with ``study_id``, a row if it exists."""
    T, P, V, I = TRIALS.c, PARAMS.c, VALUES.c, INTERMEDIATE_VALUES.c  # noqa: E741
    selected = select(T.trial_id).where(where)

    def trial_filter(trial_id: ColumnElement[int]) -> ColumnElement[bool]:
        return trial_id.in_(selected)

    branches = []
    if study_id is not None:
        branches.append(_branch(_STUDY, STUDIES.c.study_id == study_id))
    branches.append(
        _branch(
            _TRIAL,
            where,
            trial_id=T.trial_id,
            num=T.number,
            name=T.state,
            dt1=T.datetime_start,
            dt2=T.datetime_complete,
        )
    )
    branches.append(
        _branch(
            _PARAM,
            trial_filter(P.trial_id),
            trial_id=P.trial_id,
            name=P.param_name,
            flt=P.param_value,
            txt=P.distribution_json,
            row_id=P.param_id,
        )
    )
    branches.append(
        _branch(
            _VALUE,
            trial_filter(V.trial_id),
            trial_id=V.trial_id,
            num=V.objective,
            flt=V.value,
            vtype=V.value_type,
        )
    )
    branches.append(
        _branch(
            _INTERMEDIATE,
            trial_filter(I.trial_id),
            trial_id=I.trial_id,
            num=I.step,
            flt=I.intermediate_value,
            vtype=I.intermediate_value_type,
        )
    )
    for kind, A, row_id in (
        (_USER_ATTR, TRIAL_USER_ATTRS.c, TRIAL_USER_ATTRS.c.trial_user_attribute_id),
        (_SYSTEM_ATTR, TRIAL_SYSTEM_ATTRS.c, TRIAL_SYSTEM_ATTRS.c.trial_system_attribute_id),
    ):
        branches.append(
            _branch(kind, trial_filter(A.trial_id), trial_id=A.trial_id, name=A.key, txt=A.value_json, row_id=row_id)
        )
    return union_all(*branches)


# Built once with bound parameters: SQLAlchemy then reuses the compiled statement.
_ONE_TRIAL = trials_query(TRIALS.c.trial_id == bindparam("trial_id"))
_NEWER = (TRIALS.c.study_id == bindparam("study_id")) & (TRIALS.c.number > bindparam("above_number"))
_NEWER_OR_IDS = (TRIALS.c.study_id == bindparam("study_id")) & (
    (TRIALS.c.number > bindparam("above_number")) | TRIALS.c.trial_id.in_(bindparam("ids", expanding=True))
)
_STUDY_TRIALS = trials_query(_NEWER, bindparam("study_id"))
_STUDY_TRIALS_OR_IDS = trials_query(_NEWER_OR_IDS, bindparam("study_id"))


def load_trial(conn: Connection, trial_id: int) -> FrozenTrial | None:
    """One trial, or None when there is no such trial."""
    trials = assemble(conn.execute(_ONE_TRIAL, {"trial_id": trial_id}))[1]
    return trials[0] if trials else None


def load_study_trials(
    conn: Connection, study_id: int, above_number: int, also_ids: Sequence[int]
) -> tuple[bool, list[FrozenTrial]]:
    """Whether the study exists, and its trials numbered above ``above_number`` or with ids in ``also_ids``."""
    parameters: dict[str, Any] = {"study_id": study_id, "above_number": above_number}
    if also_ids:
        return assemble(conn.execute(_STUDY_TRIALS_OR_IDS, {**parameters, "ids": list(also_ids)}))
    return assemble(conn.execute(_STUDY_TRIALS, parameters))


class _Parts:
    __slots__ = ("row", "params", "values", "intermediate", "user_attrs", "system_attrs")

    def __init__(self) -> None:
        self.row: Row[Any] | None = None
        self.params: list[Row[Any]] = []
        self.values: dict[int, float] = {}
        self.intermediate: dict[int, float] = {}
        self.user_attrs: list[Row[Any]] = []
        self.system_attrs: list[Row[Any]] = []


def assemble(rows: Iterable[Row[Any]]) -> tuple[bool, list[FrozenTrial]]:
    """Fold the rows of :func:`trials_query` into trials sorted by number; also whether a study row came."""
    study_found = False
    parts: dict[int, _Parts] = {}
    for row in rows:
        kind = row.kind
        if kind == _STUDY:
            study_found = True
            continue
        part = parts.get(row.trial_id)
        if part is None:
            part = parts[row.trial_id] = _Parts()
        if kind == _TRIAL:
            part.row = row
        elif kind == _PARAM:
            part.params.append(row)
        elif kind == _VALUE:
            part.values[row.num] = decode_value(row.flt, ValueType[row.vtype])
        elif kind == _INTERMEDIATE:
            part.intermediate[row.num] = decode_value(row.flt, ValueType[row.vtype])
        elif kind == _USER_ATTR:
            part.user_attrs.append(row)
        else:
            part.system_attrs.append(row)
    trials = [_frozen_trial(trial_id, part) for trial_id, part in parts.items() if part.row is not None]
    trials.sort(key=lambda t: t.number)
    return study_found, trials


def _frozen_trial(trial_id: int, part: _Parts) -> FrozenTrial:
    row = part.row
    assert row is not None
    params: dict[str, Any] = {}
    distributions: dict[str, BaseDistribution] = {}
    for p in sorted(part.params, key=lambda r: r.row_id):
        distribution = _distribution(p.txt)
        params[p.name] = distribution.to_external_repr(p.flt)
        distributions[p.name] = distribution
    return FrozenTrial(
        number=row.num,
        state=TrialState[row.name],
        value=None,
        values=[part.values[i] for i in sorted(part.values)] if part.values else None,
        datetime_start=row.dt1,
        datetime_complete=row.dt2,
        params=params,
        distributions=distributions,
        user_attrs={a.name: json.loads(a.txt) for a in sorted(part.user_attrs, key=lambda r: r.row_id)},
        system_attrs={a.name: json.loads(a.txt) for a in sorted(part.system_attrs, key=lambda r: r.row_id)},
        intermediate_values={step: part.intermediate[step] for step in sorted(part.intermediate)},
        trial_id=trial_id,
    )


@functools.lru_cache(maxsize=4096)
def _distribution(distribution_json: str) -> BaseDistribution:
    # Trials of a study share a few distributions: parse each once. Distributions are never mutated.
    return json_to_distribution(distribution_json)
