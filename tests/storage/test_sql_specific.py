"""What only the SQL storage has: URLs, one-query loading, its cache, migrations, concurrent creation."""

from __future__ import annotations

import datetime
import importlib.util
import pickle
import shutil
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest
import sqlalchemy
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext

from hpo.distributions import CategoricalDistribution, FloatDistribution, IntDistribution
from hpo.exceptions import StorageInternalError, StorageURLError, StorageVersionError
from hpo.records import StudyDirection
from hpo.storages import RDBStorage, get_storage
from hpo.storages._sql import _cache, _migrate, current_version, head_version, upgrade
from hpo.storages._sql._database import Database
from hpo.storages._sql._models import BaseModel
from hpo.trial import TrialState, create_trial

MIN = [StudyDirection.MINIMIZE]
X = FloatDistribution(-1.0, 1.0)


@contextmanager
def count_statements(storage: RDBStorage) -> Iterator[list[str]]:
    """Collect the SQL statements the storage sends while the block runs."""
    statements: list[str] = []

    def record(conn: object, cursor: object, statement: str, *args: object) -> None:
        statements.append(statement)

    engine = storage._db.engine
    sqlalchemy.event.listen(engine, "before_cursor_execute", record)
    try:
        yield statements
    finally:
        sqlalchemy.event.remove(engine, "before_cursor_execute", record)


def _fill(storage: RDBStorage, study_id: int, n_trials: int, finish: bool = True) -> None:
    """Add trials with 3 params, 3 intermediate values and attrs, one write transaction each."""
    distributions = {"x": X, "n": IntDistribution(0, 4), "c": CategoricalDistribution(["a", "b"])}
    for i in range(n_trials):
        template = create_trial(
            state=TrialState.COMPLETE if finish else TrialState.RUNNING,
            value=float(i) if finish else None,
            params={"x": i / n_trials, "n": i % 5, "c": "ab"[i % 2]},
            distributions=distributions,
            user_attrs={"i": i},
            system_attrs={"s": {"i": [i]}},
            intermediate_values={step: float(step) for step in range(3)},
        )
        storage.create_new_trial(study_id, template_trial=template)


# --- URLs -------------------------------------------------------------------------------------
@pytest.mark.parametrize(
    "url",
    ["sqlite:/x.db", "foo", "postgres//host", "", "sqlite:x.db", "http://example.com/db", "postgresql+psycopg://u@h"],
)
def test_malformed_url_names_the_problem_and_an_example(url: str) -> None:
    with pytest.raises(StorageURLError) as info:
        RDBStorage(url)
    assert "sqlite:///hpo.db" in str(info.value)


def test_url_errors_never_show_the_password() -> None:
    for url in ("postgres//user:s3cret@host/db", "oracle://user:s3cret@host/db", "postgresql://user:s3cret@host"):
        with pytest.raises(StorageURLError) as info:
            RDBStorage(url)
        assert "s3cret" not in str(info.value) and "user:***@" in str(info.value)


def test_sqlite_file_in_a_missing_directory(tmp_path: Path) -> None:
    with pytest.raises(StorageURLError, match="does not exist"):
        RDBStorage(f"sqlite:///{tmp_path}/missing/hpo.db")


@pytest.mark.parametrize("use", [RDBStorage, upgrade, current_version])
def test_unreachable_server_is_a_clear_error_without_the_password(use: Callable[[str], object]) -> None:
    with pytest.raises(StorageInternalError, match="Cannot use the database .*Check that the server") as info:
        use("postgresql+psycopg://hpo:s3cret@127.0.0.1:1/hpo")  # nothing listens on port 1
    assert "s3cret" not in str(info.value) and "hpo:***@127.0.0.1:1" in str(info.value)


def test_plain_postgresql_url_uses_psycopg_3() -> None:
    database = Database("postgresql://u:p@localhost/db")  # builds the engine, connects to nothing
    assert database.engine.dialect.driver == "psycopg"
    database.dispose()


def test_mysql_url_builds_an_engine_or_names_the_driver_to_install() -> None:
    if importlib.util.find_spec("pymysql") is None:
        with pytest.raises(ImportError, match="pip install pymysql") as info:
            Database("mysql+pymysql://u:s3cret@localhost/db")
        assert "s3cret" not in str(info.value)
    else:
        database = Database("mysql+pymysql://u:p@localhost/db")
        assert database.engine.dialect.driver == "pymysql"
        database.dispose()


def test_repr_and_pickle(sql_storage_url: str) -> None:
    storage = RDBStorage(sql_storage_url)
    study_id = storage.create_new_study(MIN, "s")
    assert "RDBStorage(" in repr(storage)
    copied = pickle.loads(pickle.dumps(storage))
    assert copied.get_study_name_from_id(study_id) == "s"
    copied.close()
    storage.close()


def test_bad_names_and_values_are_refused(sql_storage_url: str) -> None:
    storage = RDBStorage(sql_storage_url)
    study_id = storage.create_new_study(MIN, "s")
    trial_id = storage.create_new_trial(study_id)
    with pytest.raises(ValueError, match="at most 512"):
        storage.create_new_study(MIN, "n" * 513)
    with pytest.raises(ValueError, match="at most 512"):
        storage.set_trial_param(trial_id, "p" * 513, 0.0, X)
    with pytest.raises(TypeError, match="JSON-serializable"):
        storage.set_trial_user_attr(trial_id, "k", object())
    with pytest.raises(TypeError, match="JSON-serializable"):
        storage.set_study_system_attr(study_id, "k", {1, 2})
    storage.close()


def test_datetimes_are_naive_local_time_with_microseconds(sql_storage_url: str) -> None:
    storage = RDBStorage(sql_storage_url)
    study_id = storage.create_new_study(MIN, "s")
    before = datetime.datetime.now()
    trial_id = storage.create_new_trial(study_id)
    storage.set_trial_state_values(trial_id, TrialState.COMPLETE, [1.0])
    trial = storage.get_trial(trial_id)
    assert trial.datetime_start is not None and trial.datetime_complete is not None
    assert trial.datetime_start.tzinfo is None
    assert before <= trial.datetime_start <= trial.datetime_complete <= datetime.datetime.now()
    assert storage.get_all_trials(study_id)[0].datetime_complete == trial.datetime_complete
    storage.close()


# --- loading ----------------------------------------------------------------------------------
def test_loading_trials_takes_a_constant_number_of_queries(sql_storage_url: str) -> None:
    writer = RDBStorage(sql_storage_url)
    small = writer.create_new_study(MIN, "small")
    large = writer.create_new_study(MIN, "large")
    _fill(writer, small, 2)
    _fill(writer, large, 200)

    counts = {}
    for study_id in (small, large):
        reader = RDBStorage(sql_storage_url)  # a cold cache
        with count_statements(reader) as statements:
            trials = reader.get_all_trials(study_id)
        counts[study_id] = len(statements)
        reader.close()
    assert counts[small] == counts[large] <= 2  # the UNION ALL, and SQLite's BEGIN
    assert len(trials) == 200
    assert trials[199].params == {"x": 199 / 200, "n": 4, "c": "b"}
    assert trials[199].intermediate_values == {0: 0.0, 1: 1.0, 2: 2.0}
    assert trials[199].user_attrs == {"i": 199} and trials[199].system_attrs == {"s": {"i": [199]}}
    assert trials[199].value == 199.0

    trial_id = trials[5]._trial_id
    reader = RDBStorage(sql_storage_url)
    with count_statements(reader) as statements:
        assert reader.get_trial(trial_id) == trials[5]
    assert len(statements) <= 2
    reader.close()
    writer.close()


def test_finished_trials_are_read_once(sql_storage_url: str) -> None:
    storage = RDBStorage(sql_storage_url)
    study_id = storage.create_new_study(MIN, "s")
    _fill(storage, study_id, 20)
    running = storage.create_new_trial(study_id)
    first = storage.get_all_trials(study_id, deepcopy=False)
    second = storage.get_all_trials(study_id, deepcopy=False)
    assert all(a is b for a, b in zip(first[:20], second[:20]))  # from the cache, not read again
    assert second[20]._trial_id == running
    with count_statements(storage) as statements:
        assert storage.get_trial(first[3]._trial_id) == first[3]  # finished and cached: no query
        assert storage.get_trial_number_from_id(first[3]._trial_id) == 3
    assert statements == []
    storage.close()


@pytest.mark.parametrize("max_ids", [_cache.MAX_IDS_IN_QUERY, 2])
def test_cache_sees_what_another_storage_object_writes(
    sql_storage_url: str, monkeypatch: pytest.MonkeyPatch, max_ids: int
) -> None:
    """Also with more unfinished trials than fit in one query (``max_ids=2``)."""
    monkeypatch.setattr(_cache, "MAX_IDS_IN_QUERY", max_ids)
    reader = RDBStorage(sql_storage_url)
    writer = RDBStorage(sql_storage_url)
    study_id = reader.create_new_study(MIN, "s")
    _fill(writer, study_id, 3)
    unfinished = [writer.create_new_trial(study_id) for _ in range(4)]
    assert [t.state for t in reader.get_all_trials(study_id)] == [TrialState.COMPLETE] * 3 + [TrialState.RUNNING] * 4

    writer.set_trial_param(unfinished[0], "x", 0.5, X)
    writer.set_trial_state_values(unfinished[1], TrialState.COMPLETE, [7.0])
    writer.set_trial_state_values(unfinished[3], TrialState.PRUNED)
    _fill(writer, study_id, 2, finish=False)
    trials = reader.get_all_trials(study_id)
    assert [t.number for t in trials] == list(range(9))
    assert trials[3].params == {"x": 0.5} and trials[3].state == TrialState.RUNNING
    assert trials[4].state == TrialState.COMPLETE and trials[4].value == 7.0
    assert trials[6].state == TrialState.PRUNED
    assert trials[8].params == {"x": 0.5, "n": 1, "c": "b"}
    assert reader.get_all_trials(study_id) == writer.get_all_trials(study_id)
    assert reader.get_n_trials(study_id, TrialState.RUNNING) == 4

    writer.delete_study(study_id)
    with pytest.raises(KeyError):
        reader.get_all_trials(study_id)
    reader.close()
    writer.close()


# --- migrations -------------------------------------------------------------------------------
def _version_table_rows(url: str) -> list[str]:
    engine = sqlalchemy.create_engine(url)
    with engine.connect() as conn:
        rows = list(conn.execute(sqlalchemy.text("SELECT version_num FROM alembic_version")).scalars())
    engine.dispose()
    return rows


def _execute(url: str, statement: str) -> None:
    engine = sqlalchemy.create_engine(url)
    with engine.begin() as conn:
        conn.execute(sqlalchemy.text(statement))
    engine.dispose()


def _schema_differences(url: str) -> list[object]:
    engine = sqlalchemy.create_engine(url)
    with engine.connect() as conn:
        differences = compare_metadata(MigrationContext.configure(conn), BaseModel.metadata)
    engine.dispose()
    return differences


@pytest.fixture(params=["sqlite", "postgresql"])
def empty_url(request: pytest.FixtureRequest, storage_url_factory: Callable[..., str | None]) -> str:
    """A database without tables."""
    url = storage_url_factory(request.param, empty=True)
    assert url is not None
    return url


def test_new_database_gets_the_schema_stamped_at_head(empty_url: str) -> None:
    assert current_version(empty_url) is None
    RDBStorage(empty_url).close()
    assert _version_table_rows(empty_url) == [head_version()]
    assert current_version(empty_url) == head_version()
    assert _schema_differences(empty_url) == []
    assert upgrade(empty_url) == (head_version(), head_version())  # nothing to do


def test_migrations_create_the_same_schema_as_the_models(empty_url: str) -> None:
    assert upgrade(empty_url) == (None, head_version())
    assert _schema_differences(empty_url) == []
    storage = RDBStorage(empty_url, skip_table_creation=True)
    storage.create_new_study(MIN, "s")
    storage.close()


def test_every_foreign_key_has_an_index() -> None:
    for table in BaseModel.metadata.sorted_tables:
        indexed = {tuple(c.name for c in index.columns) for index in table.indexes}
        for key in table.foreign_keys:
            assert (key.parent.name,) in indexed, f"{table.name}.{key.parent.name} has no index"


def test_skip_table_creation_on_an_empty_database(empty_url: str) -> None:
    with pytest.raises(StorageVersionError, match="hpo storage upgrade"):
        RDBStorage(empty_url, skip_table_creation=True)
    assert current_version(empty_url) is None


def test_unknown_version_is_refused(empty_url: str) -> None:
    RDBStorage(empty_url).close()
    _execute(empty_url, "UPDATE alembic_version SET version_num = 'from_the_future'")
    with pytest.raises(StorageVersionError, match="newer hpo"):
        RDBStorage(empty_url)
    with pytest.raises(StorageVersionError, match="newer hpo"):
        upgrade(empty_url)


def test_tables_of_another_program_are_refused(empty_url: str) -> None:
    _execute(empty_url, "CREATE TABLE studies (study_id INTEGER PRIMARY KEY)")
    with pytest.raises(StorageVersionError, match="hpo did not create it"):
        RDBStorage(empty_url)


def test_outdated_schema_is_refused_until_upgraded(
    empty_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A database at the current head meets an hpo whose migrations have one more revision."""
    first = RDBStorage(empty_url)
    first.create_new_study(MIN, "kept")
    first.close()
    old_head = head_version()
    newer = tmp_path / "migrations"
    shutil.copytree(_migrate.ALEMBIC_INI.with_name("migrations"), newer, ignore=shutil.ignore_patterns("__pycache__"))
    (newer / "versions" / "test_0002_index_trial_state.py").write_text(
        "from alembic import op\n"
        "revision = 'test_0002'\n"
        f"down_revision = {old_head!r}\n"
        "branch_labels = None\n"
        "depends_on = None\n\n\n"
        "def upgrade():\n"
        "    op.create_index('ix_test_trials_state', 'trials', ['state'])\n\n\n"
        "def downgrade():\n"
        "    op.drop_index('ix_test_trials_state', 'trials')\n"
    )
    ini = tmp_path / "alembic.ini"
    ini.write_text(_migrate.ALEMBIC_INI.read_text())
    monkeypatch.setattr(_migrate, "ALEMBIC_INI", ini)
    _migrate._script.cache_clear()
    try:
        assert head_version() == "test_0002"
        with pytest.raises(StorageVersionError, match="older") as info:
            RDBStorage(empty_url)
        assert "hpo storage upgrade --storage" in str(info.value)

        assert upgrade(empty_url) == (old_head, "test_0002")
        assert current_version(empty_url) == "test_0002"
        storage = RDBStorage(empty_url)
        assert [s.study_name for s in storage.get_all_studies()] == ["kept"]
        storage.close()
    finally:
        _migrate._script.cache_clear()


def test_head_is_the_newest_revision() -> None:
    assert _migrate.all_versions() == ["hpo_0002", "hpo_0001"] and head_version() == "hpo_0002"


# --- concurrency ------------------------------------------------------------------------------
def test_concurrent_first_use_creates_the_schema_once(empty_url: str) -> None:
    n_threads = 8
    barrier = threading.Barrier(n_threads)
    errors: list[BaseException] = []
    storages: list[RDBStorage] = []

    def open_storage() -> None:
        try:
            barrier.wait()
            storages.append(RDBStorage(empty_url))
        except BaseException as e:  # reported below
            errors.append(e)

    threads = [threading.Thread(target=open_storage) for _ in range(n_threads)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    assert _version_table_rows(empty_url) == [head_version()]
    study_id = storages[0].create_new_study(MIN, "s")
    assert storages[-1].get_study_name_from_id(study_id) == "s"
    for storage in storages:
        storage.close()


def test_in_memory_sqlite_is_private_to_its_storage() -> None:
    first = get_storage("sqlite:///:memory:")
    second = get_storage("sqlite://")
    first.create_new_study(MIN, "s")
    assert [s.study_name for s in first.get_all_studies()] == ["s"]
    assert second.get_all_studies() == []
