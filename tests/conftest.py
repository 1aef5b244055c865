"""Shared fixtures: storages on every backend (memory, SQLite, PostgreSQL), each test on a fresh database.

PostgreSQL tests use the server named by ``HPO_TEST_POSTGRES_URL`` (start one with
``.ci/setup_postgres.sh``). Each test gets a database with no studies: a session-wide one with hpo's
tables, emptied before the test (creating tables on PostgreSQL is slow), or, when it asks for
``empty=True`` or for a second database, one of its own, dropped afterwards. Without the variable
they are skipped, unless ``HPO_TEST_REQUIRE_POSTGRES=1``, which makes them fail.

Tests marked ``slow`` run only when asked for with ``-m slow`` (``-m 'slow or not slow'`` runs all,
as CI does); tests under ``tests/distributed`` and ``tests/chaos`` are marked ``distributed`` (``-m 'not distributed'``
leaves out every test that starts Redis, a coordinator or workers).

Use ``storage`` (a ``BaseStorage`` on each backend) or ``storage_url`` (a URL, None for memory) in
a test to run it on every backend; ``storage_url_factory(backend)`` makes more fresh databases.
"""

from __future__ import annotations

import fcntl
import os
import tempfile
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy
from sqlalchemy.pool import NullPool

from hpo.storages import BaseStorage, InMemoryStorage, RDBStorage, get_storage
from hpo.storages._sql._models import BaseModel
from hpo.storages._sql._url import parse_url

BACKENDS = ("memory", "sqlite", "postgresql")
SQL_BACKENDS = ("sqlite", "postgresql")
POSTGRES_ENV = "HPO_TEST_POSTGRES_URL"
REQUIRE_POSTGRES_ENV = "HPO_TEST_REQUIRE_POSTGRES"

StorageURLFactory = Callable[..., "str | None"]

# The browser tests (tests/dashboard, tests/report) drive Debian's chromium through Playwright; nothing
# downloads a browser. Without it they skip, except in CI (CI set), where they fail.
CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
                 "--disable-component-update", "--no-first-run"]


def _missing(reason: str) -> None:
    if os.environ.get("CI"):
        pytest.fail(f"{reason} (CI is set: the browser tests must run there)")
    pytest.skip(reason)


@pytest.fixture(scope="session")
def browser() -> Iterator[Any]:
    if not Path(CHROMIUM).exists():
        _missing(f"Debian's chromium is not installed at {CHROMIUM} (apt-get install -y chromium)")
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        _missing("playwright is not installed (pip install -e '.[test]')")
    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield chromium
        chromium.close()


DISTRIBUTED_TESTS = (Path(__file__).parent / "distributed", Path(__file__).parent / "chaos")
# Tests whose figures are times (the soak's p99, the dashboard's 2 s, heartbeat grace periods): with
# pytest-xdist (-n 2) they run alone, the other worker waiting between its tests (see _solo below).
SOLO_TESTS = (
    Path(__file__).parent / "chaos",
    Path(__file__).parent / "dashboard",
    Path(__file__).parent / "storage" / "test_heartbeat.py",
)


def pytest_configure(config: pytest.Config) -> None:
    """Under pytest-xdist, each worker process gets its own HPO_HOME (local stacks write their state there)."""
    worker = os.environ.get("PYTEST_XDIST_WORKER")
    if worker:
        base = Path(os.environ.get("HPO_HOME") or tempfile.mkdtemp(prefix="hpo-home-"))
        os.environ["HPO_HOME"] = str(base / worker)


@pytest.fixture(autouse=True)
def _solo(request: pytest.FixtureRequest) -> Iterator[None]:
    """Under pytest-xdist, a test marked ``solo`` runs while no other test does.

    Every test holds a shared lock on a file of the run; a solo test holds it exclusively. A turnstile
    lock taken first keeps the other worker from starving a waiting solo test.
    """
    run = os.environ.get("PYTEST_XDIST_TESTRUNUID")
    if run is None:
        yield
        return
    folder = Path(tempfile.gettempdir())
    solo = request.node.get_closest_marker("solo") is not None
    turnstile_path, lock_path = folder / f"hpo-solo-{run}.turnstile", folder / f"hpo-solo-{run}.lock"
    with open(turnstile_path, "a") as turnstile, open(lock_path, "a") as lock:
        fcntl.flock(turnstile, fcntl.LOCK_EX)
        try:
            fcntl.flock(lock, fcntl.LOCK_EX if solo else fcntl.LOCK_SH)
        finally:
            if not solo:
                fcntl.flock(turnstile, fcntl.LOCK_UN)
        try:
            yield
        finally:
            fcntl.flock(lock, fcntl.LOCK_UN)
            if solo:
                fcntl.flock(turnstile, fcntl.LOCK_UN)


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """Mark every test under ``tests/distributed`` ``distributed``; skip tests marked ``slow``
    unless a ``-m`` expression was given (e.g. ``-m slow``, or ``-m 'not distributed'``)."""
    for item in items:
        path = Path(str(item.fspath))
        if any(folder in path.parents for folder in DISTRIBUTED_TESTS):
            item.add_marker(pytest.mark.distributed)
        if any(folder == path or folder in path.parents for folder in SOLO_TESTS):
            item.add_marker(pytest.mark.solo)
    if config.option.markexpr:
        return
    skip = pytest.mark.skip(reason="slow test: run it with -m slow (or -m 'slow or not slow' for all)")
    for item in items:
        if "slow" in item.keywords:
            item.add_marker(skip)


def postgres_server_url() -> str:
    """The URL of the test server's maintenance database; skips (or fails) the test without one."""
    url = os.environ.get(POSTGRES_ENV)
    if not url:
        message = (
            f"PostgreSQL tests need {POSTGRES_ENV}, e.g. postgresql+psycopg://hpo:hpo@127.0.0.1:5432/hpo "
            "(start a server with: sudo .ci/setup_postgres.sh)"
        )
        if os.environ.get(REQUIRE_POSTGRES_ENV) == "1":
            pytest.fail(f"{REQUIRE_POSTGRES_ENV}=1 but {message}")
        pytest.skip(message)
    return url


class _PostgresServer:
    """Databases on the test server: one with hpo's schema, emptied for each test, and throwaway ones.

    Creating tables on PostgreSQL is slow, so tests share one database whose rows are deleted before
    each use; a test that needs a database without tables asks for ``empty=True``.
    """

    def __init__(self, server_url: str) -> None:
        self._server_url = parse_url(server_url)
        self._admin = sqlalchemy.create_engine(self._server_url, isolation_level="AUTOCOMMIT", poolclass=NullPool)
        self._shared_url: str | None = None
        self._throwaway: list[str] = []

    def create_database(self) -> str:
        name = f"hpo_test_{uuid.uuid4().hex[:12]}"
        with self._admin.connect() as conn:
            conn.execute(sqlalchemy.text(f'CREATE DATABASE "{name}"'))
        return self._server_url.set(database=name).render_as_string(hide_password=False)

    def throwaway_database(self) -> str:
        url = self.create_database()
        self._throwaway.append(url)
        return url

    def shared_database(self) -> str:
        """The shared database, with hpo's tables and no rows."""
        if self._shared_url is None:
            self._shared_url = self.create_database()
            RDBStorage(self._shared_url).close()
        engine = sqlalchemy.create_engine(self._shared_url, poolclass=NullPool)
        with engine.begin() as conn:
            for table in reversed(BaseModel.metadata.sorted_tables):
                conn.execute(table.delete())
        engine.dispose()
        return self._shared_url

    def drop_throwaway_databases(self) -> None:
        self._drop(self._throwaway)
        self._throwaway = []

    def close(self) -> None:
        self.drop_throwaway_databases()
        if self._shared_url is not None:
            self._drop([self._shared_url])
        self._admin.dispose()

    def _drop(self, urls: list[str]) -> None:
        with self._admin.connect() as conn:
            for url in urls:
                name = sqlalchemy.engine.make_url(url).database
                conn.execute(sqlalchemy.text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))


@pytest.fixture(scope="session")
def _postgres_server() -> Iterator[list[_PostgresServer]]:
    """Holds the session's ``_PostgresServer`` once a test asks for PostgreSQL."""
    holder: list[_PostgresServer] = []
    yield holder
    for server in holder:
        server.close()


@pytest.fixture
def storage_url_factory(tmp_path: Path, _postgres_server: list[_PostgresServer]) -> Iterator[StorageURLFactory]:
    """``make(backend, empty=False)``: the URL of a database for this test on ``backend`` (None for memory).

    The database has no studies. With ``empty=True`` it has no tables either (SQLite databases never
    do: hpo creates them on first use). On PostgreSQL the first database of a test is the session's
    shared one, emptied; later ones, and empty ones, are created for the test and dropped after it.
    """
    n_sqlite = 0
    shared_used = False

    def make(backend: str, empty: bool = False) -> str | None:
        nonlocal n_sqlite, shared_used
        if backend == "memory":
            return None
        if backend == "sqlite":
            n_sqlite += 1
            return f"sqlite:///{tmp_path / f'hpo-{n_sqlite}.db'}"
        if backend == "postgresql":
            if not _postgres_server:
                _postgres_server.append(_PostgresServer(postgres_server_url()))
            server = _postgres_server[0]
            if empty or shared_used:
                return server.throwaway_database()
            shared_used = True
            return server.shared_database()
        raise ValueError(f"Unknown backend {backend!r}; use one of {BACKENDS}.")

    yield make
    if _postgres_server:
        _postgres_server[0].drop_throwaway_databases()


@pytest.fixture(params=BACKENDS)
def storage_url(request: pytest.FixtureRequest, storage_url_factory: StorageURLFactory) -> str | None:
    """A fresh database URL on each backend; None for memory (``create_study(storage=None)``)."""
    return storage_url_factory(request.param)


@pytest.fixture(params=BACKENDS)
def storage(request: pytest.FixtureRequest, storage_url_factory: StorageURLFactory) -> Iterator[BaseStorage]:
    """A storage on each backend, on a fresh database, closed after the test."""
    url = storage_url_factory(request.param)
    made = InMemoryStorage() if url is None else get_storage(url)
    yield made
    made.close()


@pytest.fixture(params=SQL_BACKENDS)
def sql_storage_url(request: pytest.FixtureRequest, storage_url_factory: StorageURLFactory) -> str:
    """A fresh database URL on each SQL backend."""
    url = storage_url_factory(request.param)
    assert url is not None
    return url
