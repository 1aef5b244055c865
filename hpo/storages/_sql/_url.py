"""Storage URLs: validation, normalization to the drivers hpo uses, and masking of passwords."""

from __future__ import annotations

import os

from sqlalchemy.engine import URL, make_url
from sqlalchemy.exc import ArgumentError

from hpo.exceptions import StorageURLError

EXAMPLES = (
    "'sqlite:///hpo.db' (a file next to the program), 'sqlite:////abs/path/hpo.db', "
    "'postgresql+psycopg://user:password@host:5432/dbname' or 'mysql+pymysql://user:password@host:3306/dbname'"
)

# Plain dialect names map to the drivers hpo is tested with (psycopg 3, PyMySQL).
_DEFAULT_DRIVERS = {
    "postgresql": "postgresql+psycopg",
    "postgres": "postgresql+psycopg",
    "mysql": "mysql+pymysql",
    "mariadb": "mariadb+pymysql",
}
_SUPPORTED_BACKENDS = ("sqlite", "postgresql", "mysql", "mariadb")


def mask_password(url: str) -> str:
    """``url`` with the password, if any, replaced by ``***``; safe for messages and logs."""
    at = url.rfind("@")
    if at < 0:
        return url
    start = url.find("//")
    start = start + 2 if 0 <= start < at else 0
    colon = url.find(":", start, at)
    if colon < 0:
        return url
    return f"{url[: colon + 1]}***{url[at:]}"


def parse_url(url: str) -> URL:
    """Parse and check a storage URL; raise :class:`StorageURLError` naming the problem and an example."""
    if not isinstance(url, str):
        raise StorageURLError(f"A storage URL must be a string, got {type(url).__name__}. Examples: {EXAMPLES}.")
    shown = mask_password(url)
    try:
        parsed = make_url(url)
    except ArgumentError:
        raise StorageURLError(
            f"Storage URL {shown!r} is not a database URL: it must look like "
            f"'dialect+driver://user:password@host:port/database' (note the '://'). Examples: {EXAMPLES}."
        ) from None
    if parsed.drivername in _DEFAULT_DRIVERS:
        parsed = parsed.set(drivername=_DEFAULT_DRIVERS[parsed.drivername])
    backend = parsed.get_backend_name()
    if backend not in _SUPPORTED_BACKENDS:
        raise StorageURLError(
            f"Storage URL {shown!r} uses the database {backend!r}, which hpo does not support. "
            f"Use SQLite, PostgreSQL or MySQL, e.g. {EXAMPLES}."
        )
    if backend == "sqlite":
        _check_sqlite_path(parsed, shown)
    elif not parsed.database:
        raise StorageURLError(
            f"Storage URL {shown!r} names no database: add '/dbname' after the host, e.g. {EXAMPLES}."
        )
    return parsed


def is_shared_url(url: str) -> bool:
    """False for a database private to one process (in-memory SQLite); True for a file or a server."""
    return not is_sqlite_memory(parse_url(url))


def is_sqlite_memory(url: URL) -> bool:
    """True for ``sqlite://`` and ``sqlite:///:memory:``: a database that lives in one connection."""
    return url.get_backend_name() == "sqlite" and url.database in (None, "", ":memory:")


def _check_sqlite_path(url: URL, shown: str) -> None:
    path = url.database
    if path in (None, "", ":memory:") or path.startswith("file:"):
        return
    directory = os.path.dirname(os.path.abspath(path))
    if not os.path.isdir(directory):
        raise StorageURLError(
            f"Storage URL {shown!r} points into the directory {directory!r}, which does not exist. "
            "Create the directory first, or fix the path (sqlite:///relative.db, sqlite:////absolute/path.db)."
        )
