"""Copying studies from a database that Optuna 3.0 to 5.x wrote into an hpo database.

The source is read with SQLAlchemy Core reflection (Optuna is not imported) and never written; the
target is written with :class:`RDBStorage`, one transaction per study. Optuna's schema revisions
v3.0.0.a to v3.2.0.a are read; the development revisions before v3.0.0.d lack the ``value_type``
columns and stored infinities as float32's largest value, which is read back as the migrations do.
"""

from __future__ import annotations

import collections
import dataclasses
import datetime
import json
import math
import os
from collections.abc import Iterable, Mapping, Sequence
from typing import Any, Literal

import sqlalchemy
from sqlalchemy import MetaData, Table, inspect, select
from sqlalchemy.engine import Connection
from sqlalchemy.exc import DBAPIError
from sqlalchemy.pool import NullPool

from hpo.distributions import BaseDistribution, json_to_distribution
from hpo.exceptions import (
    DuplicatedStudyError,
    StorageInternalError,
    StorageURLError,
    StorageVersionError,
    StudyNotFoundError,
)
from hpo.records import StudyDirection, TrialState
from hpo.storages._sql._migrate import (
    OPTUNA_REVISIONS,
    all_versions,
    current_version,
    is_optuna_revision,
    optuna_database_message,
)
from hpo.storages._sql._storage import RDBStorage
from hpo.storages._sql._url import is_sqlite_memory, mask_password, parse_url
from hpo.trial import FrozenTrial

Datetimes = Literal["auto", "utc", "local"]

_FLOAT32_MAX = 3.4028234663852886e38  # how Optuna stored +-inf before schema v3.0.0.c/d
_TABLES = (
    "studies", "study_directions", "study_user_attributes", "study_system_attributes", "trials", "trial_params",
    "trial_values", "trial_intermediate_values", "trial_user_attributes", "trial_system_attributes",
)


@dataclasses.dataclass(frozen=True)
class ImportedStudy:
    """A study that :func:`import_optuna_database` copied."""

    study_name: str
    directions: list[StudyDirection]
    n_trials: int
    states: dict[TrialState, int]
    """Number of trials in each state."""
    renumbered: bool
    """True when the source's trial numbers were not 0, 1, 2 ... (duplicates left by concurrent writers):
    the trials were numbered again in the source's order."""


def import_optuna_database(
    from_url: str, to_url: str, study_names: Sequence[str] | None = None, *, datetimes: Datetimes = "auto"
) -> list[ImportedStudy]:
    """Copy the studies of the Optuna database at ``from_url`` into the hpo database at ``to_url``.

    Args:
        from_url: An SQLAlchemy URL of a database written by Optuna 3.0 to 5.x; it is only read.
            Stop the processes writing to it first.
        to_url: An hpo database (created if empty).
        study_names: The studies to copy (default: all).
        datetimes: How Optuna stored trial start and end times: ``"utc"`` (Optuna 5), ``"local"`` (the
            local time of the writer: Optuna 3 and 4), or ``"auto"``: by the Optuna version that created
            the database. hpo keeps local times, as ``FrozenTrial`` shows them.

    Every field of every trial is copied: parameters and their distributions, values, intermediate
    values, user and system attributes, state, start and end times, and the trial number; and the
    study's directions and attributes. A study whose name exists in the target is refused before
    anything is written. Returns what was copied, study by study, each in one transaction.
    """
    if datetimes not in ("auto", "utc", "local"):
        raise ValueError(f"datetimes must be 'auto', 'utc' or 'local', got {datetimes!r}.")
    shown_from, shown_to = mask_password(from_url), mask_password(to_url)
    source = _read_source(from_url, shown_from, study_names, datetimes)
    _check_target(to_url, shown_to)
    storage = RDBStorage(to_url)
    try:
        existing = [name for name in source if _study_exists(storage, name)]
        if existing:
            raise DuplicatedStudyError(
                f"The target {shown_to!r} already has a study named {existing[0]!r}"
                f"{f' (and {len(existing) - 1} more: {existing[1:]})' if len(existing) > 1 else ''}. Copy only "
                f"the others (name each with --study NAME, or study_names=), or delete it from the target "
                f"first: hpo study delete {existing[0]!r} --storage '{shown_to}'."
            )
        return [_write_study(storage, name, study) for name, study in source.items()]
    finally:
        storage.close()


@dataclasses.dataclass
class _SourceStudy:
    directions: list[StudyDirection]
    user_attrs: dict[str, Any]
    system_attrs: dict[str, Any]
    trials: list[FrozenTrial]
    renumbered: bool


def _study_exists(storage: RDBStorage, name: str) -> bool:
    try:
        storage.get_study_id_from_name(name)
    except StudyNotFoundError:
        return False
    return True


def _write_study(storage: RDBStorage, name: str, study: _SourceStudy) -> ImportedStudy:
    """Create the study and all its trials; on any error, nothing of it stays in the target."""
    study_id = storage.create_new_study(study.directions, name)
    calls: list[tuple[str, tuple[Any, ...]]] = [
        *(("set_study_user_attr", (study_id, key, value)) for key, value in study.user_attrs.items()),
        *(("set_study_system_attr", (study_id, key, value)) for key, value in study.system_attrs.items()),
        *(("create_new_trial", (study_id, trial)) for trial in study.trials),
    ]
    try:
        storage.apply_batch(calls)
    except BaseException:
        storage.delete_study(study_id)
        raise
    return ImportedStudy(
        study_name=name,
        directions=study.directions,
        n_trials=len(study.trials),
        states=dict(collections.Counter(trial.state for trial in study.trials)),
        renumbered=study.renumbered,
    )


def _check_target(to_url: str, shown_to: str) -> None:
    """Refuse a target that is an Optuna database (the source itself, say)."""
    version = current_version(to_url)
    if is_optuna_revision(version):
        raise StorageVersionError(
            f"The target {shown_to!r} is an Optuna database (schema {version}), not an hpo one. "
            "Copy into a new or an hpo database, e.g. --to 'sqlite:///hpo.db'."
        )


# --- reading Optuna's schema ----------------------------------------------------------------------
def _read_source(
    from_url: str, shown: str, study_names: Sequence[str] | None, datetimes: Datetimes
) -> dict[str, _SourceStudy]:
    parsed = parse_url(from_url)
    if parsed.get_backend_name() == "sqlite":
        if is_sqlite_memory(parsed):
            raise StorageURLError(f"The source {shown!r} is an in-memory SQLite database, which holds nothing to copy.")
        if parsed.database and not parsed.database.startswith("file:") and not os.path.isfile(parsed.database):
            raise StorageURLError(
                f"No SQLite database at {os.path.abspath(parsed.database)}: check --from {shown} "
                "(sqlite:///relative.db or sqlite:////absolute/path.db)."
            )
    engine = sqlalchemy.create_engine(parsed, poolclass=NullPool)
    if engine.dialect.name in ("postgresql", "mysql", "mariadb"):  # one snapshot for all the reads
        engine = engine.execution_options(isolation_level="REPEATABLE READ")
    try:
        with engine.connect() as conn, conn.begin():
            tables = _reflect(conn, shown)
            utc = datetimes == "utc" or (datetimes == "auto" and _written_in_utc(conn, tables))
            return _read_studies(conn, tables, shown, study_names, utc)
    except DBAPIError as e:
        reason = str(e.orig).strip().splitlines()[0] if str(e.orig).strip() else type(e.orig).__name__
        raise StorageInternalError(f"Cannot read the database {shown!r}: {reason}.") from e
    finally:
        engine.dispose()


def _reflect(conn: Connection, shown: str) -> dict[str, Table]:
    """Optuna's tables, after checking that the database is Optuna's and of a revision this module reads."""
    names = set(inspect(conn).get_table_names())
    version = conn.execute(sqlalchemy.text("SELECT version_num FROM alembic_version")).scalar() if (
        "alembic_version" in names
    ) else None
    if not names:
        raise ValueError(f"The source {shown!r} is empty (it has no tables): no Optuna database there.")
    if version in all_versions():
        raise ValueError(
            f"The source {shown!r} is already an hpo database (schema {version}): use it directly, "
            "no import is needed."
        )
    if not is_optuna_revision(version) or "version_info" not in names:
        raise ValueError(
            f"The source {shown!r} is not an Optuna database: it has the tables {sorted(names)} and "
            f"{f'schema version {version!r}' if version else 'no alembic schema version'}, where Optuna's have "
            f"'version_info' and an alembic version such as {OPTUNA_REVISIONS[-1]!r}."
        )
    assert version is not None
    if version not in OPTUNA_REVISIONS:
        raise ValueError(optuna_database_message(shown, version).replace("The database", "The source", 1))
    missing = [name for name in _TABLES if name not in names]
    if missing:
        raise ValueError(f"The Optuna database {shown!r} (schema {version}) lacks the tables {missing}.")
    metadata = MetaData()
    metadata.reflect(conn, only=[*_TABLES, "version_info"])
    return dict(metadata.tables)


def _written_in_utc(conn: Connection, tables: Mapping[str, Table]) -> bool:
    """Optuna 5 stores trial times in UTC, older versions in the writer's local time."""
    library_version = conn.execute(select(tables["version_info"].c.library_version)).scalar()
    try:
        return int(str(library_version).split(".")[0]) >= 5
    except ValueError:
        return False


def _read_studies(
    conn: Connection, tables: Mapping[str, Table], shown: str, study_names: Sequence[str] | None, utc: bool
) -> dict[str, _SourceStudy]:
    studies = tables["studies"]
    ids = {str(name): int(study_id) for study_id, name in conn.execute(
        select(studies.c.study_id, studies.c.study_name).order_by(studies.c.study_id)
    )}
    if study_names is not None:
        unknown = [name for name in study_names if name not in ids]
        if unknown:
            raise StudyNotFoundError(
                f"The Optuna database {shown!r} has no study named {unknown[0]!r}; it has {sorted(ids)}."
            )
        ids = {name: ids[name] for name in dict.fromkeys(study_names)}
    read = {}
    for name, study_id in ids.items():
        try:
            read[name] = _read_study(conn, tables, study_id, utc)
        except (ValueError, TypeError, KeyError) as e:
            raise ValueError(f"Cannot read study {name!r} of {shown!r}: {e}") from e
    return read


def _read_study(conn: Connection, tables: Mapping[str, Table], study_id: int, utc: bool) -> _SourceStudy:
    directions_table = tables["study_directions"]
    directions = [
        StudyDirection[str(direction)]
        for direction in conn.execute(
            select(directions_table.c.direction)
            .where(directions_table.c.study_id == study_id)
            .order_by(directions_table.c.objective)
        ).scalars()
    ]
    if not directions:
        raise ValueError("it has no direction.")
    trials_table = tables["trials"]
    rows = conn.execute(
        select(
            trials_table.c.trial_id, trials_table.c.number, trials_table.c.state,
            trials_table.c.datetime_start, trials_table.c.datetime_complete,
        )
        .where(trials_table.c.study_id == study_id)
        .order_by(trials_table.c.number, trials_table.c.trial_id)
    ).all()
    children = _TrialChildren(conn, tables, study_id)
    trials = [
        FrozenTrial(
            number=index,
            state=TrialState[str(state)],
            value=None,
            datetime_start=_local_time(start, utc),
            datetime_complete=_local_time(complete, utc),
            params=children.params[trial_id],
            distributions=children.distributions[trial_id],
            user_attrs=children.user_attrs[trial_id],
            system_attrs=children.system_attrs[trial_id],
            intermediate_values=children.intermediate_values[trial_id],
            trial_id=trial_id,
            values=children.values[trial_id] or None,
        )
        for index, (trial_id, _number, state, start, complete) in enumerate(rows)
    ]
    return _SourceStudy(
        directions=directions,
        user_attrs=_attrs(conn, tables["study_user_attributes"], study_id),
        system_attrs=_attrs(conn, tables["study_system_attributes"], study_id),
        trials=trials,
        renumbered=[row.number for row in rows] != list(range(len(rows))),
    )


class _TrialChildren:
    """The parameters, values and attributes of one study's trials, by trial id."""

    def __init__(self, conn: Connection, tables: Mapping[str, Table], study_id: int) -> None:
        trials = tables["trials"]
        self._conn = conn
        self._in_study = select(trials.c.trial_id).where(trials.c.study_id == study_id)
        self.params: dict[int, dict[str, Any]] = collections.defaultdict(dict)
        self.distributions: dict[int, dict[str, BaseDistribution]] = collections.defaultdict(dict)
        parsed: dict[str, BaseDistribution] = {}  # most trials share their distributions' JSON
        p = tables["trial_params"]
        for trial_id, name, value, distribution_json in self._rows(
            p, p.c.param_name, p.c.param_value, p.c.distribution_json, order=p.c.param_id
        ):
            if distribution_json not in parsed:
                parsed[distribution_json] = json_to_distribution(distribution_json)
            distribution = parsed[distribution_json]
            if value is None:
                raise ValueError(f"parameter {name!r} of trial id {trial_id} has no value.")
            self.params[trial_id][name] = distribution.to_external_repr(float(value))
            self.distributions[trial_id][name] = distribution

        self.values: dict[int, list[float]] = collections.defaultdict(list)
        v = tables["trial_values"]
        typed = "value_type" in v.c
        for trial_id, value, value_type in self._rows(
            v, v.c.value, v.c.value_type if typed else sqlalchemy.null(), order=v.c.objective
        ):
            if typed:
                self.values[trial_id].append(_typed_float(value, value_type))
            elif value is not None:  # before v3.0.0.b, NULL rows meant nothing (the migration deleted them)
                self.values[trial_id].append(_legacy_float(value))

        self.intermediate_values: dict[int, dict[int, float]] = collections.defaultdict(dict)
        i = tables["trial_intermediate_values"]
        typed = "intermediate_value_type" in i.c
        for trial_id, step, value, value_type in self._rows(
            i, i.c.step, i.c.intermediate_value, i.c.intermediate_value_type if typed else sqlalchemy.null(),
            order=i.c.step,
        ):
            self.intermediate_values[trial_id][int(step)] = (
                _typed_float(value, value_type) if typed else _legacy_float(value)
            )

        self.user_attrs = self._attrs(tables["trial_user_attributes"])
        self.system_attrs = self._attrs(tables["trial_system_attributes"])

    def _rows(self, table: Table, *columns: Any, order: Any) -> Iterable[Any]:
        query = select(table.c.trial_id, *columns).where(table.c.trial_id.in_(self._in_study)).order_by(order)
        return self._conn.execute(query)

    def _attrs(self, table: Table) -> dict[int, dict[str, Any]]:
        attrs: dict[int, dict[str, Any]] = collections.defaultdict(dict)
        for trial_id, key, value_json in self._rows(table, table.c.key, table.c.value_json, order=table.c.key):
            attrs[trial_id][str(key)] = json.loads(value_json)
        return attrs


def _attrs(conn: Connection, table: Table, study_id: int) -> dict[str, Any]:
    rows = conn.execute(select(table.c.key, table.c.value_json).where(table.c.study_id == study_id))
    return {str(key): json.loads(value_json) for key, value_json in rows}


def _typed_float(value: Any, value_type: Any) -> float:
    """A float from Optuna's ``(value, value_type)`` columns: FINITE, INF_POS, INF_NEG or NAN."""
    kind = str(value_type)
    if kind == "FINITE":
        if value is None:
            raise ValueError("a FINITE value is NULL.")
        return float(value)
    return {"INF_POS": math.inf, "INF_NEG": -math.inf, "NAN": math.nan}[kind]


def _legacy_float(value: Any) -> float:
    """A float stored before Optuna's value types: NULL was NaN, float32's extremes were infinities."""
    if value is None or math.isnan(float(value)):
        return math.nan
    value = float(value)
    if math.isinf(value) or math.isclose(abs(value), _FLOAT32_MAX, rel_tol=1e-5):
        return math.copysign(math.inf, value)
    return value


def _local_time(value: datetime.datetime | None, utc: bool) -> datetime.datetime | None:
    """A stored trial time as the naive local time hpo keeps (and Optuna's ``FrozenTrial`` shows)."""
    if value is None or not utc:
        return value
    return value.replace(tzinfo=datetime.timezone.utc).astimezone().replace(tzinfo=None)
