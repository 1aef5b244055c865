"""Schema versions: create and stamp a new database, refuse an outdated one (or Optuna's), upgrade with alembic."""

from __future__ import annotations

import functools
import re
from pathlib import Path

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import inspect, text
from sqlalchemy.engine import Connection

from hpo.exceptions import StorageVersionError
from hpo.storages._sql._database import Database
from hpo.storages._sql._models import BaseModel

ALEMBIC_INI = Path(__file__).with_name("alembic.ini")
_VERSION_TABLE = "alembic_version"
_PG_SCHEMA_LOCK_KEY = 0x68706F5F736368  # "hpo_sch": serializes first-time creation on PostgreSQL

OPTUNA_REVISIONS = ("v3.0.0.a", "v3.0.0.b", "v3.0.0.c", "v3.0.0.d", "v3.2.0.a")
"""The alembic revisions of Optuna's schema (Optuna 3.0 to 5.x) that ``hpo storage import`` reads."""
_OPTUNA_REVISION = re.compile(r"v(\d+)\.(\d+)\.(\d+)\.([a-z])")  # Optuna's revision ids: v3.2.0.a


def is_optuna_revision(version: str | None) -> bool:
    """Whether ``version`` (an ``alembic_version`` value) is one of Optuna's schema revisions."""
    return version is not None and _OPTUNA_REVISION.fullmatch(version) is not None


def optuna_database_message(shown_url: str, version: str) -> str:
    """Why hpo does not open the Optuna database at ``shown_url`` (schema ``version``), and what to run instead."""
    written = f"The database {shown_url!r} was written by Optuna (schema {version})."
    command_line = f"hpo storage import --from '{shown_url}' --to 'sqlite:///hpo.db'"
    if version in OPTUNA_REVISIONS:
        return f"{written} Copy its studies into an hpo database: {command_line}, then use that URL."
    if _revision_key(version) < _revision_key(OPTUNA_REVISIONS[0]):
        return (
            f"{written} That schema is Optuna 2's or older; hpo imports Optuna 3's and later. Upgrade it with "
            f"Optuna 3 or later first (back it up, then: optuna storage upgrade --storage '{shown_url}'), "
            f"then copy its studies into an hpo database: {command_line}."
        )
    return (
        f"{written} That schema is newer than those this hpo can import ({OPTUNA_REVISIONS[0]} to "
        f"{OPTUNA_REVISIONS[-1]}); upgrade hpo (pip install -U hpo), then run: {command_line}."
    )


def _revision_key(version: str) -> tuple[int, int, int, str]:
    match = _OPTUNA_REVISION.fullmatch(version)
    assert match is not None
    return int(match[1]), int(match[2]), int(match[3]), match[4]


def alembic_config(connection: Connection | None = None) -> Config:
    """The alembic configuration of hpo's migrations, optionally bound to an open connection."""
    config = Config(str(ALEMBIC_INI))
    if connection is not None:
        config.attributes["connection"] = connection
    return config


@functools.cache
def _script() -> ScriptDirectory:
    return ScriptDirectory.from_config(alembic_config())


def head_version() -> str:
    """The schema revision this version of hpo reads and writes."""
    head = _script().get_current_head()
    assert head is not None
    return head


def all_versions() -> list[str]:
    """Every known schema revision, newest first."""
    return [script.revision for script in _script().walk_revisions()]


def prepare_schema(db: Database, create: bool) -> None:
    """Create and stamp the tables of an empty database (if ``create``); check the schema version.

    Several processes may do this at once: creation runs under a lock and re-checks inside it.
    """
    has_tables, version = db.run(_inspect, write=False)
    if version is None and create:  # empty, or another process is creating the schema right now
        has_tables, version = db.run(_create_schema, write=True)
    _check_version(db.shown_url, has_tables, version)


def current_version(url: str) -> str | None:
    """The schema revision of the database at ``url``; None when it has no hpo tables yet."""
    db = Database(url)
    try:
        with db.explained_errors():
            return db.run(_inspect, write=False)[1]
    finally:
        db.dispose()


def upgrade(url: str) -> tuple[str | None, str]:
    """Migrate the database at ``url`` to this hpo's schema; return its (old, new) revisions.

    An empty database gets the whole schema. Back the database up first.
    """
    db = Database(url)
    try:

        def _upgrade(conn: Connection) -> str | None:
            has_tables, old = _inspect(conn)
            if has_tables and old not in all_versions():
                _check_version(db.shown_url, has_tables, old)  # not hpo's: raises
            command.upgrade(alembic_config(conn), "head")
            return old

        with db.explained_errors():
            old = db.run(_upgrade, write=True)
    finally:
        db.dispose()
    return old, head_version()


def _inspect(conn: Connection) -> tuple[bool, str | None]:
    """Whether hpo's tables exist, and the schema version."""
    # "studies" first: each statement may see more committed work than the previous one (PostgreSQL
    # READ COMMITTED), and the version table is committed with (or, on MySQL, after) the tables.
    inspector = inspect(conn)
    if not inspector.has_table("studies"):
        return False, None
    if not inspector.has_table(_VERSION_TABLE):
        return True, None
    return True, conn.execute(text(f"SELECT version_num FROM {_VERSION_TABLE}")).scalar()


def _create_schema(conn: Connection) -> tuple[bool, str | None]:
    """Under a lock: create and stamp the schema unless it exists; return :func:`_inspect`'s answer."""
    # SQLite: this write transaction began with BEGIN IMMEDIATE, which is the lock.
    if conn.dialect.name == "postgresql":
        conn.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": _PG_SCHEMA_LOCK_KEY})
    elif conn.dialect.name in ("mysql", "mariadb"):
        conn.execute(text("SELECT GET_LOCK('hpo_schema', 60)"))
    try:
        if not inspect(conn).has_table("studies"):  # else created while we waited for the lock
            BaseModel.metadata.create_all(conn, checkfirst=False)
            MigrationContext.configure(conn).stamp(_script(), "head")
        return _inspect(conn)
    finally:
        if conn.dialect.name in ("mysql", "mariadb"):
            conn.execute(text("SELECT RELEASE_LOCK('hpo_schema')"))


def _check_version(shown_url: str, has_tables: bool, version: str | None) -> None:
    head = head_version()
    if version == head:
        return
    upgrade_hint = f"Back it up, then run: hpo storage upgrade --storage '{shown_url}'"
    if version is None and not has_tables:
        raise StorageVersionError(
            f"The database {shown_url!r} has no hpo tables and skip_table_creation=True. {upgrade_hint} "
            "(it creates them), or leave skip_table_creation=False."
        )
    if version is None:
        raise StorageVersionError(
            f"The database {shown_url!r} has a 'studies' table but no schema version: hpo did not create it. "
            "Use an empty database for hpo."
        )
    if version in all_versions():
        raise StorageVersionError(
            f"The database {shown_url!r} has schema version {version!r}, older than {head!r} which this "
            f"version of hpo needs. {upgrade_hint}"
        )
    if is_optuna_revision(version):
        raise StorageVersionError(optuna_database_message(shown_url, version))
    raise StorageVersionError(
        f"The database {shown_url!r} has schema version {version!r}, unknown to this version of hpo "
        f"(which uses {head!r}). It was written by a newer hpo (upgrade hpo: pip install -U hpo) or by "
        "another program; use another database."
    )
