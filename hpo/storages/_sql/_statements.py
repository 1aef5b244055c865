"""The SQL statements of ``RDBStorage``, built once with bound parameters.

SQLAlchemy then reuses each statement's compiled form and cache key instead of rebuilding them on
every call, which is most of the Python cost of a small query. Parameters named ``p_*`` feed WHERE
clauses; the others are column values.
"""

from __future__ import annotations

import functools
from typing import Any, cast

from sqlalchemy import (
    BindParameter,
    Double,
    Table,
    and_,
    bindparam,
    case,
    delete,
    exists,
    func,
    insert,
    literal_column,
    select,
    update,
)
from sqlalchemy import cast as sql_cast
from sqlalchemy.dialects import mysql, postgresql, sqlite
from sqlalchemy.sql.dml import Insert

from hpo.records import TrialState
from hpo.storages._sql._models import (
    BaseModel,
    StudyDirectionModel,
    StudyModel,
    StudySystemAttributeModel,
    StudyUserAttributeModel,
    TrialHeartbeatModel,
    TrialIntermediateValueModel,
    TrialModel,
    TrialParamModel,
    TrialSystemAttributeModel,
    TrialUserAttributeModel,
    TrialValueModel,
    ValueType,
)


def _table(model: type[BaseModel]) -> Table:
    return cast(Table, model.__table__)


STUDIES = _table(StudyModel)
DIRECTIONS = _table(StudyDirectionModel)
STUDY_USER_ATTRS = _table(StudyUserAttributeModel)
STUDY_SYSTEM_ATTRS = _table(StudySystemAttributeModel)
TRIALS = _table(TrialModel)
PARAMS = _table(TrialParamModel)
VALUES = _table(TrialValueModel)
INTERMEDIATE_VALUES = _table(TrialIntermediateValueModel)
TRIAL_USER_ATTRS = _table(TrialUserAttributeModel)
TRIAL_SYSTEM_ATTRS = _table(TrialSystemAttributeModel)
HEARTBEATS = _table(TrialHeartbeatModel)
TRIAL_CHILDREN = (PARAMS, VALUES, INTERMEDIATE_VALUES, TRIAL_USER_ATTRS, TRIAL_SYSTEM_ATTRS)
STUDY_CHILDREN = (DIRECTIONS, STUDY_USER_ATTRS, STUDY_SYSTEM_ATTRS)

_study_id: BindParameter[int] = bindparam("p_study_id")
_trial_id: BindParameter[int] = bindparam("p_trial_id")
S, T = STUDIES.c, TRIALS.c  # column collections, for brevity

# --- studies ----------------------------------------------------------------------------------
INSERT_STUDY = insert(STUDIES)
INSERT_DIRECTIONS = insert(DIRECTIONS)
STUDY_ID_BY_NAME = select(S.study_id).where(S.study_name == bindparam("p_name"))
STUDY_NAME_BY_ID = select(S.study_name).where(S.study_id == _study_id)
ALL_STUDIES = select(S.study_id, S.study_name).order_by(S.study_id)
ALL_DIRECTIONS = select(DIRECTIONS.c.study_id, DIRECTIONS.c.direction).order_by(
    DIRECTIONS.c.study_id, DIRECTIONS.c.objective
)
STUDY_DIRECTIONS = (
    select(DIRECTIONS.c.direction).where(DIRECTIONS.c.study_id == _study_id).order_by(DIRECTIONS.c.objective)
)
STUDY_TRIAL_COUNT = select(S.next_trial_number).where(S.study_id == _study_id)
NEXT_TRIAL_NUMBER = update(STUDIES).where(S.study_id == _study_id).values(next_trial_number=S.next_trial_number + 1)
NEXT_TRIAL_NUMBER_RETURNING = NEXT_TRIAL_NUMBER.returning(S.next_trial_number)
STUDY_ATTRS = {
    table.name: select(table.c.key, table.c.value_json).where(table.c.study_id == _study_id).order_by(table.c.key)
    for table in (STUDY_USER_ATTRS, STUDY_SYSTEM_ATTRS)
}
ALL_STUDY_ATTRS = {
    table.name: select(table.c.study_id, table.c.key, table.c.value_json)
    for table in (STUDY_USER_ATTRS, STUDY_SYSTEM_ATTRS)
}
_study_trial_ids = select(T.trial_id).where(T.study_id == _study_id)
DELETE_STUDY = (
    *(delete(table).where(table.c.trial_id.in_(_study_trial_ids)) for table in (*TRIAL_CHILDREN, HEARTBEATS)),
    delete(TRIALS).where(T.study_id == _study_id),
    *(delete(table).where(table.c.study_id == _study_id) for table in STUDY_CHILDREN),
    delete(STUDIES).where(S.study_id == _study_id),
)
"""Deleting a study: its trials' rows, its trials, its own rows, itself."""


# --- trials -----------------------------------------------------------------------------------
INSERT_TRIAL = insert(TRIALS)
LOCK_TRIAL = select(T.study_id, T.number, T.state).where(T.trial_id == _trial_id).with_for_update()
POP_WAITING_TRIAL = (
    update(TRIALS)
    .where(T.trial_id == _trial_id, T.state == TrialState.WAITING)
    .values(state=TrialState.RUNNING, datetime_start=bindparam("p_now"))
)
UPDATE_TRIAL = update(TRIALS).where(T.trial_id == _trial_id)
DELETE_VALUES = delete(VALUES).where(VALUES.c.trial_id == _trial_id)
TRIAL_ID_BY_NUMBER = select(T.trial_id).where(T.study_id == _study_id, T.number == bindparam("p_number"))
TRIAL_NUMBER_BY_ID = select(T.number).where(T.trial_id == _trial_id)
STUDY_DISTRIBUTION = (
    select(PARAMS.c.distribution_json)
    .join(TRIALS, T.trial_id == PARAMS.c.trial_id)
    .where(T.study_id == _study_id, PARAMS.c.param_name == bindparam("p_name"))
    .limit(1)
)
_count = select(func.count()).select_from(TRIALS).where(T.study_id == _study_id)
_study_exists = exists().where(S.study_id == _study_id)
N_TRIALS = select(_count.scalar_subquery(), _study_exists)
N_TRIALS_IN_STATES = select(
    _count.where(T.state.in_(bindparam("p_states", expanding=True))).scalar_subquery(), _study_exists
)


def _best_trial(maximize: bool) -> Any:
    best_first = (ValueType.INF_POS, ValueType.FINITE, ValueType.INF_NEG)
    order = best_first if maximize else best_first[::-1]
    rank = case(*((VALUES.c.value_type == t, i) for i, t in enumerate(order)), else_=len(order))
    return (
        select(T.trial_id)
        .join(VALUES, and_(VALUES.c.trial_id == T.trial_id, VALUES.c.objective == 0))
        .where(T.study_id == _study_id, T.state == TrialState.COMPLETE)
        .order_by(rank, VALUES.c.value.desc() if maximize else VALUES.c.value.asc(), T.number)
        .limit(1)
    )


BEST_TRIAL_MINIMIZE = _best_trial(maximize=False)
BEST_TRIAL_MAXIMIZE = _best_trial(maximize=True)


@functools.cache
@functools.cache
def upsert(dialect: str, table: Table, keys: tuple[str, ...]) -> Insert:
    """Insert a row, or update the row with the same ``keys`` (a unique constraint): all its other columns."""
    others = [c.name for c in table.columns if c.name not in keys and not c.primary_key]
    if dialect in ("sqlite", "postgresql"):
        statement: Any = (sqlite.insert if dialect == "sqlite" else postgresql.insert)(table)
        return statement.on_conflict_do_update(
            index_elements=list(keys), set_={name: statement.excluded[name] for name in others}
        )
    if dialect in ("mysql", "mariadb"):
        mysql_statement = mysql.insert(table)
        return mysql_statement.on_duplicate_key_update({name: mysql_statement.inserted[name] for name in others})
    raise NotImplementedError(f"No upsert for the SQL dialect {dialect!r}.")


# --- heartbeats -------------------------------------------------------------------------------
def _database_now(dialect: str) -> Any:
    """The database's clock in seconds since the epoch, read when the statement runs (not when its
    transaction began), fractions of a second kept."""
    if dialect == "sqlite":
        return (func.julianday("now") - 2440587.5) * 86400.0
    if dialect == "postgresql":
        return sql_cast(func.extract("epoch", func.clock_timestamp()), Double)
    if dialect in ("mysql", "mariadb"):
        return sql_cast(func.unix_timestamp(func.sysdate(literal_column("6"))), Double)
    raise NotImplementedError(f"No clock for the SQL dialect {dialect!r}.")


@functools.cache
def record_heartbeat(dialect: str) -> Any:
    """Set a trial's heartbeat (parameter ``trial_id``) to the database's clock now."""
    now = _database_now(dialect)
    if dialect in ("mysql", "mariadb"):
        statement = mysql.insert(HEARTBEATS).values(trial_id=bindparam("trial_id"), heartbeat=now)
        return statement.on_duplicate_key_update(heartbeat=now)
    dialect_insert = sqlite.insert if dialect == "sqlite" else postgresql.insert
    return (
        dialect_insert(HEARTBEATS)
        .values(trial_id=bindparam("trial_id"), heartbeat=now)
        .on_conflict_do_update(index_elements=["trial_id"], set_={"heartbeat": now})
    )


@functools.cache
def stale_trial_ids(dialect: str) -> Any:
    """RUNNING trials of a study whose heartbeat is older than ``p_grace`` seconds by the database's clock."""
    return (
        select(T.trial_id)
        .join(HEARTBEATS, HEARTBEATS.c.trial_id == T.trial_id)
        .where(
            T.study_id == _study_id,
            T.state == TrialState.RUNNING,
            HEARTBEATS.c.heartbeat < _database_now(dialect) - bindparam("p_grace"),
        )
        .order_by(T.number)
    )
