"""Optuna's databases: written by real Optuna (5.0.0 and 3.6.1, each in its own venv), imported with
``hpo storage import``, compared field by field with what Optuna reads back, and resumed with hpo.

The studies are those of ``optuna_writer.py``. Times are written and read in a zone 9 hours east of
UTC, so that Optuna 5's UTC columns and Optuna 3's local ones are both told apart from a plain copy.
"""

from __future__ import annotations

import datetime
import json
import os
import shutil
import subprocess
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import optuna_writer  # tests/storage, on sys.path as pytest runs this module
import pytest
import sqlalchemy
from click.testing import CliRunner
from optuna_venv import optuna_python  # tests/, on sys.path for its conftest.py
from sqlalchemy.pool import NullPool

import hpo
from hpo.cli import main
from hpo.exceptions import DuplicatedStudyError, StorageURLError, StorageVersionError, StudyNotFoundError
from hpo.storages import RDBStorage, import_optuna_database
from hpo.trial import TrialState

WRITER = Path(__file__).with_name("optuna_writer.py")
ZONE = "HPO-9"  # POSIX TZ: UTC+9, no tzdata needed
OPTUNA_VERSIONS = ("5.0.0", "3.6.1")
N_TRIALS = {"single": 28, "multi": 6, "empty": 0}


@pytest.fixture(autouse=True)
def local_zone(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """This process and the Optuna processes it starts keep local times 9 hours east of UTC."""
    monkeypatch.setenv("TZ", ZONE)
    time.tzset()
    yield
    monkeypatch.undo()
    time.tzset()


def run_writer(python: Path, *args: str) -> str:
    env = {**os.environ, "TZ": ZONE, "PYTHONWARNINGS": "ignore"}
    result = subprocess.run([str(python), str(WRITER), *args], capture_output=True, text=True, env=env, timeout=300)
    assert result.returncode == 0, result.stderr
    return result.stdout


class OptunaDatabase:
    """A database written by one Optuna version, and what that Optuna reads back from it."""

    def __init__(self, python: Path, path: Path) -> None:
        self.python = python
        self.path = path
        run_writer(python, "write", f"sqlite:///{path}")
        self.dump = json.loads(run_writer(python, "dump", f"sqlite:///{path}"))

    def copy(self, tmp_path: Path) -> str:
        """The URL of a copy of the database, for one test to read or spoil."""
        copy = tmp_path / f"optuna-{self.path.stem}.db"
        shutil.copy(self.path, copy)
        return f"sqlite:///{copy}"


@pytest.fixture(scope="session")
def optuna_databases(tmp_path_factory: pytest.TempPathFactory) -> Callable[[str], OptunaDatabase]:
    """``get(version)``: the database that Optuna ``version`` writes, written once per session."""
    made: dict[str, OptunaDatabase] = {}

    def get(version: str) -> OptunaDatabase:
        if version not in made:
            made[version] = OptunaDatabase(optuna_python(version), tmp_path_factory.mktemp("optuna") / f"{version}.db")
        return made[version]

    return get


@pytest.fixture(params=OPTUNA_VERSIONS, ids=lambda v: f"optuna{v}")
def optuna_db(request: pytest.FixtureRequest, optuna_databases: Callable[[str], OptunaDatabase]) -> OptunaDatabase:
    return optuna_databases(request.param)


@pytest.fixture
def optuna5(optuna_databases: Callable[[str], OptunaDatabase]) -> OptunaDatabase:
    return optuna_databases("5.0.0")


def hpo_dump(url: str) -> Any:
    return json.loads(json.dumps(optuna_writer.dump(hpo, url)))


def execute(url: str, *statements: str) -> None:
    engine = sqlalchemy.create_engine(url, poolclass=NullPool)
    with engine.begin() as conn:
        for statement in statements:
            conn.execute(sqlalchemy.text(statement))
    engine.dispose()


# --- every field ---------------------------------------------------------------------------------
def test_every_field_is_copied(optuna_db: OptunaDatabase, tmp_path: Path) -> None:
    target = f"sqlite:///{tmp_path / 'hpo.db'}"
    copied = import_optuna_database(optuna_db.copy(tmp_path), target)
    assert [(s.study_name, s.n_trials, s.renumbered) for s in copied] == [
        (name, n, False) for name, n in N_TRIALS.items()
    ]
    assert copied[0].states == {TrialState.COMPLETE: 19, TrialState.PRUNED: 4, TrialState.FAIL: 3,
                                TrialState.RUNNING: 1, TrialState.WAITING: 1}
    assert [d.name for d in copied[1].directions] == ["MINIMIZE", "MAXIMIZE"]
    assert hpo_dump(target) == optuna_db.dump
    # The dump covers what it should: NaN and infinities, legacy distributions, None/bool choices.
    single = {t["number"]: t for t in optuna_db.dump["single"]["trials"]}
    assert list(single[3]["intermediate_values"].values())[:4] == [1.5, "nan", "inf", "-inf"]
    assert single[25]["distributions"]["u"]["name"] == "FloatDistribution"
    assert {t["params"]["c"] for t in single.values() if "c" in t["params"]} >= {None, True, False}
    assert ["inf", "-inf"] in [t["values"] for t in optuna_db.dump["multi"]["trials"]]


def test_the_imported_study_resumes_with_hpo(optuna_db: OptunaDatabase, tmp_path: Path) -> None:
    target = f"sqlite:///{tmp_path / 'hpo.db'}"
    import_optuna_database(optuna_db.copy(tmp_path), target)
    sampler = hpo.samplers.TPESampler(seed=0, n_startup_trials=10)
    study = hpo.create_study(study_name="single", storage=target, sampler=sampler, load_if_exists=True)
    study.optimize(lambda t: optuna_writer.objective(t, hpo), n_trials=12, catch=(ValueError,))
    trials = study.get_trials()
    assert [t.number for t in trials] == list(range(28 + 11))  # the first of the 12 was Optuna's enqueued one
    assert trials[26].state == TrialState.RUNNING  # Optuna's running trial is left as it was
    enqueued = trials[27]  # Optuna's enqueued trial runs first, with its fixed parameters
    assert enqueued.state == TrialState.COMPLETE and {k: enqueued.params[k] for k in optuna_writer.ENQUEUED} == (
        optuna_writer.ENQUEUED
    )
    assert study.best_value <= min(t["values"][0] for t in optuna_db.dump["single"]["trials"] if t["values"])
    # TPE counts the old trials: past its 10 random startup trials, it suggests otherwise than on an
    # empty study with the same seed (where it samples at random).
    resumed = hpo.load_study(study_name="single", storage=target, sampler=hpo.samplers.TPESampler(seed=0))
    empty = hpo.create_study(sampler=hpo.samplers.TPESampler(seed=0))
    assert resumed.ask().suggest_float("x", -10, 10) != empty.ask().suggest_float("x", -10, 10)

# --- Optuna's database opened directly --------------------------------------------------------------
def test_opening_an_optuna_database_names_the_command(optuna5: OptunaDatabase, tmp_path: Path) -> None:
    url = optuna5.copy(tmp_path)
    expected = (
        f"The database '{url}' was written by Optuna (schema v3.2.0.a). Copy its studies into an hpo database: "
        f"hpo storage import --from '{url}' --to 'sqlite:///hpo.db', then use that URL."
    )
    for open_it in (
        lambda: hpo.load_study(study_name="single", storage=url),
        lambda: hpo.create_study(study_name="single", storage=url, load_if_exists=True),
        lambda: RDBStorage(url),
        lambda: RDBStorage(url, skip_table_creation=True),
    ):
        with pytest.raises(StorageVersionError) as info:
            open_it()
        assert str(info.value) == expected
    result = CliRunner().invoke(main, ["study", "list", "--storage", url])
    assert result.exit_code == 1 and result.stderr.strip() == f"Error: {expected}"


def test_an_optuna_2_database_is_sent_to_optuna_first(optuna5: OptunaDatabase, tmp_path: Path) -> None:
    url = optuna5.copy(tmp_path)
    execute(url, "UPDATE alembic_version SET version_num = 'v2.6.0.a'")
    with pytest.raises(StorageVersionError, match=r"Optuna 2's or older.*optuna storage upgrade --storage"):
        hpo.load_study(study_name="single", storage=url)
    with pytest.raises(ValueError, match=r"The source .*Optuna 2's or older.*optuna storage upgrade"):
        import_optuna_database(url, f"sqlite:///{tmp_path / 'hpo.db'}")


# --- older revisions and odd data -------------------------------------------------------------------
def test_revisions_before_value_types(optuna5: OptunaDatabase, tmp_path: Path) -> None:
    """Schema v3.0.0.b, as Optuna's downgrades leave it: no value type columns, infinities as float32's
    extremes and NaN as NULL (Optuna's own downgrade of v3.2.0.a fails on SQLite, so the SQL is theirs here)."""
    url = optuna5.copy(tmp_path)
    big = "3.4028234663852886e38"
    execute(
        url,
        f"UPDATE trial_values SET value = CASE value_type WHEN 'INF_POS' THEN {big} WHEN 'INF_NEG' THEN -{big} "
        "ELSE value END",
        f"UPDATE trial_intermediate_values SET intermediate_value = CASE intermediate_value_type "
        f"WHEN 'INF_POS' THEN {big} WHEN 'INF_NEG' THEN -{big} ELSE intermediate_value END",
        "ALTER TABLE trial_values DROP COLUMN value_type",
        "ALTER TABLE trial_intermediate_values DROP COLUMN intermediate_value_type",
        "UPDATE alembic_version SET version_num = 'v3.0.0.b'",
    )
    target = f"sqlite:///{tmp_path / 'hpo.db'}"
    import_optuna_database(url, target)
    assert hpo_dump(target) == optuna5.dump


def test_duplicate_trial_numbers_are_numbered_again(optuna5: OptunaDatabase, tmp_path: Path) -> None:
    """Optuna numbers trials by counting earlier ones, so concurrent writers can leave duplicates."""
    url = optuna5.copy(tmp_path)
    execute(url, "UPDATE trials SET number = 1 WHERE number = 2 AND study_id = (SELECT study_id FROM studies "
                 "WHERE study_name = 'multi')")
    target = f"sqlite:///{tmp_path / 'hpo.db'}"
    (copied,) = import_optuna_database(url, target, ["multi"])
    assert copied.renumbered
    trials = hpo.load_study(study_name="multi", storage=target).get_trials()
    assert [t.number for t in trials] == list(range(6))
    assert [t.values for t in trials] == [t["values"] and [float(v) for v in t["values"]]
                                          for t in optuna5.dump["multi"]["trials"]]


def test_datetimes_as_told(optuna5: OptunaDatabase, tmp_path: Path) -> None:
    """Optuna 5 stores UTC; a database that older Optuna created and Optuna 5 went on writing needs telling."""
    target = f"sqlite:///{tmp_path / 'hpo.db'}"
    import_optuna_database(optuna5.copy(tmp_path), target, ["multi"], datetimes="local")
    copied = hpo.load_study(study_name="multi", storage=target).get_trials()[0].datetime_start
    read_by_optuna = datetime.datetime.fromisoformat(optuna5.dump["multi"]["trials"][0]["datetime_start"])
    assert copied is not None and read_by_optuna - copied == datetime.timedelta(hours=9)
    with pytest.raises(ValueError, match="datetimes must be 'auto', 'utc' or 'local', got 'gmt'"):
        import_optuna_database(optuna5.copy(tmp_path), target, datetimes="gmt")  # type: ignore[arg-type]


def test_only_the_named_studies(optuna5: OptunaDatabase, tmp_path: Path) -> None:
    target = f"sqlite:///{tmp_path / 'hpo.db'}"
    copied = import_optuna_database(optuna5.copy(tmp_path), target, ["empty", "multi"])
    assert [s.study_name for s in copied] == ["empty", "multi"]
    assert sorted(hpo.get_all_study_names(target)) == ["empty", "multi"]
    with pytest.raises(StudyNotFoundError, match=r"no study named 'nope'; it has \['empty', 'multi', 'single'\]"):
        import_optuna_database(optuna5.copy(tmp_path), target, ["nope"])


# --- refusals ----------------------------------------------------------------------------------------
def test_an_existing_target_study_is_refused_before_anything_is_written(
    optuna5: OptunaDatabase, tmp_path: Path
) -> None:
    target = f"sqlite:///{tmp_path / 'hpo.db'}"
    hpo.create_study(study_name="multi", storage=target)
    with pytest.raises(DuplicatedStudyError, match=r"already has a study named 'multi'.*--study NAME.*"
                                                   r"hpo study delete 'multi' --storage"):
        import_optuna_database(optuna5.copy(tmp_path), target)
    assert hpo.get_all_study_names(target) == ["multi"]


def test_a_study_that_fails_midway_leaves_nothing(optuna5: OptunaDatabase, tmp_path: Path) -> None:
    """A parameter whose distribution changes kind within a study (Optuna's add_trial never checked)."""
    url = optuna5.copy(tmp_path)
    choices = '{"name": "CategoricalDistribution", "attributes": {"choices": [0.5, 1.0]}}'
    execute(url, f"UPDATE trial_params SET distribution_json = '{choices}', param_value = 0 "
                 "WHERE param_name = 'x' AND trial_id = (SELECT MAX(trial_id) FROM trial_params WHERE param_name = 'x' "
                 "AND trial_id IN (SELECT trial_id FROM trials WHERE number = 20))")
    target = f"sqlite:///{tmp_path / 'hpo.db'}"
    with pytest.raises(ValueError, match="Cannot change the distribution kind of parameter 'x'"):
        import_optuna_database(url, target)
    assert hpo.get_all_study_names(target) == []


@pytest.mark.parametrize(
    ("make", "expected"),
    [
        (lambda url: execute(url, "CREATE TABLE notes (id INTEGER)"),
         r"is not an Optuna database: it has the tables \['notes'\] and no alembic schema version"),
        (lambda url: RDBStorage(url).close(), r"is already an hpo database \(schema hpo_\d+\)"),
        (lambda url: sqlalchemy.create_engine(url).connect().close(), r"is empty \(it has no tables\)"),
    ],
    ids=["other", "hpo", "empty"],
)
def test_a_source_that_is_not_optuna_says_what_it_is(make: Any, expected: str, tmp_path: Path) -> None:
    source = f"sqlite:///{tmp_path / 'source.db'}"
    make(source)
    with pytest.raises(ValueError, match=expected):
        import_optuna_database(source, f"sqlite:///{tmp_path / 'hpo.db'}")
    assert not (tmp_path / "hpo.db").exists()


def test_missing_source_file_and_optuna_target(optuna5: OptunaDatabase, tmp_path: Path) -> None:
    with pytest.raises(StorageURLError, match="No SQLite database at"):
        import_optuna_database(f"sqlite:///{tmp_path / 'typo.db'}", f"sqlite:///{tmp_path / 'hpo.db'}")
    assert not (tmp_path / "typo.db").exists()
    url = optuna5.copy(tmp_path)
    with pytest.raises(StorageVersionError, match=r"The target .* is an Optuna database \(schema v3.2.0.a\)"):
        import_optuna_database(url, url)


# --- the command ---------------------------------------------------------------------------------------
def test_the_import_command(optuna5: OptunaDatabase, tmp_path: Path) -> None:
    source, target = optuna5.copy(tmp_path), f"sqlite:///{tmp_path / 'hpo.db'}"
    result = CliRunner().invoke(main, ["storage", "import", "--from", source, "--to", target, "--study", "single",
                                       "--study", "multi"])
    assert result.exit_code == 0, result.output
    lines = result.stdout.splitlines()
    assert lines[0].split() == ["study", "directions", "n_trials", "RUNNING", "COMPLETE", "PRUNED", "FAIL", "WAITING",
                                "renumbered"]
    assert lines[2].split() == ["single", "MINIMIZE", "28", "1", "19", "4", "3", "1", "False"]
    assert lines[3].split() == ["multi", "MINIMIZE,MAXIMIZE", "6", "0", "4", "1", "1", "0", "False"]
    assert result.stderr.strip() == f"Copied 2 studies (34 trials) from {source} to {target}."
    again = CliRunner().invoke(main, ["storage", "import", "--from", source, "--to", target, "--format", "json"])
    assert again.exit_code == 1
    assert again.stderr.startswith("Error: The target") and "'single' (and 1 more: ['multi'])" in again.stderr
    only_empty = CliRunner().invoke(main, ["storage", "import", "--from", source, "--to", target, "--study", "empty",
                                           "--format", "json"])
    assert json.loads(only_empty.stdout) == [{"study": "empty", "directions": ["MAXIMIZE"], "n_trials": 0,
                                              **{s.name: 0 for s in TrialState}, "renumbered": False}]


# --- PostgreSQL ------------------------------------------------------------------------------------------
def test_sqlite_to_postgresql(optuna5: OptunaDatabase, tmp_path: Path, storage_url_factory: Any) -> None:
    target = storage_url_factory("postgresql")
    import_optuna_database(optuna5.copy(tmp_path), target)
    assert hpo_dump(target) == optuna5.dump


def test_postgresql_source_written_by_optuna(tmp_path: Path, storage_url_factory: Any) -> None:
    """Optuna's PostgreSQL schema has native enum types; the message masks the password."""
    source = storage_url_factory("postgresql", empty=True)
    python = optuna_python("5.0.0")
    run_writer(python, "write", source)
    expected = json.loads(run_writer(python, "dump", source))
    target = f"sqlite:///{tmp_path / 'hpo.db'}"
    assert [s.n_trials for s in import_optuna_database(source, target)] == list(N_TRIALS.values())
    assert hpo_dump(target) == expected
    with pytest.raises(StorageVersionError) as info:
        hpo.load_study(study_name="single", storage=source)
    password = sqlalchemy.engine.make_url(source).password
    assert "was written by Optuna (schema v3.2.0.a)" in str(info.value)
    assert "***@" in str(info.value) and (not password or f":{password}@" not in str(info.value))

