"""An SQLAlchemy engine set up for many processes at once, and transactions that retry on contention.

SQLite: WAL journal (readers never block the writer), a busy timeout, pysqlite's own transaction
handling off and hpo's ``BEGIN`` for reads / ``BEGIN IMMEDIATE`` for writes. A write transaction thus
takes the write lock before its first read, so two read-then-write transactions can never deadlock
(the case where SQLite answers "database is locked" at once, whatever the timeout). As a last resort
a transaction that still meets a lock, a deadlock or a serialization failure is retried with backoff.
"""

from __future__ import annotations

import contextlib
import os
import random
import threading
import time
from collections.abc import Callable, Iterator
from typing import Any, TypeVar

import sqlalchemy
from sqlalchemy import event
from sqlalchemy.engine import Connection, Engine
from sqlalchemy.exc import DBAPIError
from sqlalchemy.pool import StaticPool

from hpo.exceptions import StorageInternalError
from hpo.logging import get_logger
from hpo.storages._sql._url import is_sqlite_memory, mask_password, parse_url

T = TypeVar("T")

_logger = get_logger(__name__)

SQLITE_BUSY_TIMEOUT_MS = 30_000
MAX_ATTEMPTS = 6
_WRITE_OPTION = "hpo_write"  # execution option read by the SQLite ``begin`` hook
_RETRYABLE_SQLSTATES = frozenset({"40001", "40P01", "55P03"})  # serialization failure, deadlock, lock n/a
_RETRYABLE_MYSQL_CODES = frozenset({1205, 1213})  # lock wait timeout, deadlock
_DRIVER_HINTS = {
    "pymysql": "pip install pymysql",
    "mysqldb": "pip install mysqlclient, or use mysql+pymysql:// after pip install pymysql",
    "psycopg": "pip install 'psycopg[binary]'",
    "psycopg2": "pip install psycopg2-binary, or use postgresql+psycopg:// after pip install 'psycopg[binary]'",
}


class Database:
    """An engine for one storage URL, and :meth:`run` to execute a function in a transaction."""

    def __init__(self, url: str, engine_kwargs: dict[str, Any] | None = None) -> None:
        parsed = parse_url(url)
        self.shown_url = mask_password(url)
        self.dialect = parsed.get_backend_name()
        memory = is_sqlite_memory(parsed)
        kwargs = _default_engine_kwargs(self.dialect, memory)
        if engine_kwargs and "poolclass" in engine_kwargs:  # the sizes suit only the default pool
            kwargs = {k: v for k, v in kwargs.items() if k not in ("pool_size", "max_overflow")}
        kwargs.update(engine_kwargs or {})
        try:
            self.engine: Engine = sqlalchemy.create_engine(parsed, **kwargs)
        except ImportError as e:
            hint = _DRIVER_HINTS.get(parsed.get_driver_name(), "install the driver package")
            raise ImportError(
                f"The database driver of {self.shown_url!r} ({parsed.drivername}) is not installed: {e}. "
                f"Install it: {hint}."
            ) from e
        except TypeError as e:
            raise TypeError(f"engine_kwargs {sorted(engine_kwargs or {})} were refused by SQLAlchemy: {e}") from e
        if self.dialect == "sqlite":
            _install_sqlite_hooks(self.engine, wal=not memory)
        # One connection serves an in-memory database: transactions of several threads must take turns.
        self._lock: contextlib.AbstractContextManager[Any] = threading.RLock() if memory else contextlib.nullcontext()
        self._pid = os.getpid()
        self._batch = threading.local()

    def run(self, fn: Callable[[Connection], T], *, write: bool) -> T:
        """``fn(connection)`` in one transaction, committed on return; retried as a whole on contention.

        Inside :meth:`batch` on the same thread, ``fn`` joins the batch's transaction instead.
        """
        joined = getattr(self._batch, "conn", None)
        if joined is not None:
            return fn(joined)
        for attempt in range(MAX_ATTEMPTS):
            try:
                with self._lock, self._connect(write) as conn, conn.begin():
                    return fn(conn)
            except DBAPIError as e:
                if attempt == MAX_ATTEMPTS - 1 or not self._is_retryable(e):
                    raise
                delay = min(2.0, 0.05 * 2**attempt) * (0.5 + random.random())
                _logger.debug(f"Retrying a transaction in {delay:.2f} s after: {e.orig}")
                time.sleep(delay)
        raise AssertionError("unreachable")

    @contextlib.contextmanager
    def explained_errors(self) -> Iterator[None]:
        """Turn database errors (an unreachable server, a wrong password) into a clear message."""
        try:
            yield
        except DBAPIError as e:
            text = str(e.orig).strip()
            reason = text.splitlines()[0] if text else type(e.orig).__name__
            raise StorageInternalError(
                f"Cannot use the database {self.shown_url!r}: {reason}. Check that the server is running and "
                "reachable, and that the user, password and database name are right."
            ) from e

    def batch(self, fn: Callable[[Connection, dict[Any, Any]], T]) -> T:
        """``fn(connection, memo)`` in one write transaction that every :meth:`run` on this thread joins.

        ``memo`` is a dict that lives as long as the transaction (see :meth:`batch_memo`).
        """

        def in_one_transaction(conn: Connection) -> T:
            self._batch.conn, self._batch.memo = conn, {}
            try:
                return fn(conn, self._batch.memo)
            finally:
                self._batch.conn = self._batch.memo = None

        return self.run(in_one_transaction, write=True)

    def batch_memo(self) -> dict[Any, Any] | None:
        """A dict living as long as the current batch's transaction on this thread; None outside a batch."""
        return getattr(self._batch, "memo", None)

    def dispose(self) -> None:
        """Close every pooled connection."""
        self.engine.dispose()

    @contextlib.contextmanager
    def _connect(self, write: bool) -> Iterator[Connection]:
        if os.getpid() != self._pid:  # forked: the parent's pooled connections are not ours to use
            self.engine.dispose(close=False)
            self._pid = os.getpid()
        with self.engine.connect() as conn:
            if write:
                conn.execution_options(**{_WRITE_OPTION: True})
            yield conn

    def _is_retryable(self, error: DBAPIError) -> bool:
        if error.connection_invalidated:
            return False  # a write may have committed before the connection broke: never run it twice
        orig = error.orig
        if self.dialect == "sqlite":
            message = str(orig).lower()
            return "locked" in message or "busy" in message
        if getattr(orig, "sqlstate", None) in _RETRYABLE_SQLSTATES:
            return True
        args: tuple[Any, ...] = getattr(orig, "args", ())
        return bool(args) and args[0] in _RETRYABLE_MYSQL_CODES


def _default_engine_kwargs(dialect: str, memory: bool) -> dict[str, Any]:
    if dialect == "sqlite":
        if memory:
            return {"poolclass": StaticPool, "connect_args": {"check_same_thread": False}}
        return {"pool_size": 4, "max_overflow": 12}
    # Small pools: one process mostly needs one connection; many processes must not exhaust the server.
    return {"pool_size": 4, "max_overflow": 12, "pool_pre_ping": True, "connect_args": {"connect_timeout": 10}}


def _install_sqlite_hooks(engine: Engine, wal: bool) -> None:
    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_connection: Any, _record: Any) -> None:
        dbapi_connection.isolation_level = None  # pysqlite must not BEGIN on its own; see _on_begin
        cursor = dbapi_connection.cursor()
        cursor.execute(f"PRAGMA busy_timeout = {SQLITE_BUSY_TIMEOUT_MS}")
        if wal:
            cursor.execute("PRAGMA journal_mode = WAL")
            cursor.execute("PRAGMA synchronous = NORMAL")  # durable across crashes of the program in WAL mode
        cursor.execute("PRAGMA foreign_keys = ON")
        cursor.close()

    @event.listens_for(engine, "begin")
    def _on_begin(conn: Connection) -> None:
        conn.exec_driver_sql("BEGIN IMMEDIATE" if conn.get_execution_options().get(_WRITE_OPTION) else "BEGIN")
