"""The ``hpo`` command line, against real SQLite databases: in-process with CliRunner and as a subprocess."""

from __future__ import annotations

import csv
import io
import json
import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
from click.testing import CliRunner, Result

import hpo
from hpo.cli import main
from hpo.cli._options import NO_STORAGE, OPTUNA_STORAGE_ENV, STORAGE_ENV
from hpo.distributions import CategoricalDistribution, FloatDistribution
from hpo.trial import TrialState, create_trial

HPO = Path(sys.executable).with_name("hpo")

OBJECTIVES = """
def objective(trial):
    x = trial.suggest_float("x", -5, 5)
    return (x - 1) ** 2


def two_objectives(trial):
    x = trial.suggest_float("x", 0, 1)
    return x, 1 - x


def failing(trial):
    raise ValueError("boom")


NOT_CALLABLE = 3
"""


@pytest.fixture(autouse=True)
def _isolated(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """No storage from the environment; logging level and sys.path restored after each test."""
    monkeypatch.delenv(STORAGE_ENV, raising=False)
    monkeypatch.delenv(OPTUNA_STORAGE_ENV, raising=False)
    monkeypatch.setattr(sys, "path", list(sys.path))
    verbosity = hpo.logging.get_verbosity()
    yield
    hpo.logging.set_verbosity(verbosity)


@pytest.fixture
def url(tmp_path: Path) -> str:
    return f"sqlite:///{tmp_path / 'hpo.db'}"


@pytest.fixture
def populated(url: str) -> str:
    """A single-objective study 'quad' (trials 0-4: complete 4.0, 1.0, 9.0, pruned, fail) and a
    two-objective study 'pareto' (0: (1, 3), 1: (2, 2), 2: (3, 3) dominated)."""
    quad = hpo.create_study(storage=url, study_name="quad")
    quad.set_user_attr("owner", "ana")
    dists = {"x": FloatDistribution(-5, 5), "kind": CategoricalDistribution(["a", "b"])}
    for x, value in ((-1.0, 4.0), (2.0, 1.0), (4.0, 9.0)):
        quad.add_trial(create_trial(params={"x": x, "kind": "a"}, distributions=dists, value=value))
    quad.add_trial(create_trial(state=TrialState.PRUNED, params={"x": 0.0, "kind": "b"}, distributions=dists))
    quad.add_trial(create_trial(state=TrialState.FAIL, params={"x": 5.0, "kind": "b"}, distributions=dists))
    pareto = hpo.create_study(storage=url, study_name="pareto", directions=["minimize", "minimize"])
    for a, b in ((1.0, 3.0), (2.0, 2.0), (3.0, 3.0)):
        pareto.add_trial(create_trial(params={"x": a}, distributions={"x": FloatDistribution(0, 5)}, values=[a, b]))
    return url


@pytest.fixture
def objectives(tmp_path: Path) -> Path:
    path = tmp_path / "cli_objectives.py"
    path.write_text(OBJECTIVES)
    return path


def invoke(*args: str, input: str | None = None) -> Result:
    result = CliRunner().invoke(main, list(args), input=input)
    assert result.exit_code == 0, (result.output, result.exception)
    return result


def fails(*args: str, expected: str, exit_code: int | None = None, input: str | None = None) -> Result:
    """Run a command that must fail with a one-line error containing ``expected`` and no traceback."""
    result = CliRunner().invoke(main, list(args), input=input)
    assert result.exit_code != 0, result.output
    assert isinstance(result.exception, SystemExit), result.exception  # handled by click
    if exit_code is not None:
        assert result.exit_code == exit_code
    assert "Traceback" not in result.output
    errors = [line for line in result.stderr.splitlines() if line.startswith("Error:")]
    assert len(errors) == 1 and expected in errors[0], result.stderr
    return result


def json_out(result: Result) -> object:
    return json.loads(result.stdout)


def csv_out(result: Result) -> list[dict[str, str]]:
    return list(csv.DictReader(io.StringIO(result.stdout)))


# --- global ------------------------------------------------------------------------------------
def test_version() -> None:
    assert invoke("--version").stdout.strip() == f"hpo {hpo.__version__}"


@pytest.mark.parametrize(
    "args",
    [
        ["study", "list"],
        ["study", "create"],
        ["study", "show", "quad"],
        ["study", "best", "quad"],
        ["study", "trials", "quad"],
        ["study", "delete", "quad", "--yes"],
        ["storage", "upgrade"],
        ["storage", "version"],
    ],
)
def test_commands_need_a_storage(args: list[str]) -> None:
    fails(*args, expected=NO_STORAGE, exit_code=2)


def test_storage_comes_from_the_environment(populated: str, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(STORAGE_ENV, populated)
    names = [row["name"] for row in json_out(invoke("study", "list", "--format", "json"))]
    assert sorted(names) == ["pareto", "quad"]


def test_missing_sqlite_file_is_an_error_not_a_new_database(tmp_path: Path) -> None:
    missing = tmp_path / "typo.db"
    fails("study", "list", "--storage", f"sqlite:///{missing}", expected="No SQLite database at")
    assert not missing.exists()


def test_unsupported_storage_url(objectives: Path) -> None:
    fails("study", "list", "--storage", "foo://bar", expected="uses the database 'foo', which hpo does not support")
    fails("run", f"{objectives}:objective", "--n-trials", "1", "--storage", "foo://bar", expected="does not support")


def test_quiet_and_verbose_set_the_log_level(url: str) -> None:
    invoke("-q", "study", "create", "--storage", url)
    assert hpo.logging.get_verbosity() == hpo.logging.WARNING
    invoke("study", "create", "--storage", url, "-v")
    assert hpo.logging.get_verbosity() == hpo.logging.DEBUG


# --- study create ------------------------------------------------------------------------------
def test_create_prints_the_name(url: str) -> None:
    assert invoke("study", "create", "--study-name", "s1", "--storage", url).stdout.strip() == "s1"
    generated = invoke("study", "create", "--storage", url).stdout.strip()
    assert sorted(hpo.get_all_study_names(url)) == sorted(["s1", generated])
    assert hpo.load_study(study_name="s1", storage=url).directions == [hpo.study.StudyDirection.MINIMIZE]


def test_create_directions(url: str) -> None:
    invoke("study", "create", "--study-name", "max", "--direction", "maximize", "--storage", url)
    invoke("study", "create", "--study-name", "multi", "--directions", "minimize", "MAXIMIZE", "--storage", url)
    invoke("study", "create", "--study-name", "rep", "--directions", "maximize", "--directions", "minimize",
           "--storage", url)
    directions = {s.study_name: [d.name for d in s.directions] for s in hpo.get_all_study_summaries(url)}
    assert directions == {
        "max": ["MAXIMIZE"], "multi": ["MINIMIZE", "MAXIMIZE"], "rep": ["MAXIMIZE", "MINIMIZE"]
    }


def test_create_rejects_bad_directions(url: str) -> None:
    fails("study", "create", "--direction", "minimize", "--directions", "minimize", "maximize", "--storage", url,
          expected="either --direction or --directions", exit_code=2)
    fails("study", "create", "--direction", "up", "--storage", url, expected="'up' is not one of", exit_code=2)


def test_create_existing_study(url: str) -> None:
    invoke("study", "create", "--study-name", "s", "--storage", url)
    fails("study", "create", "--study-name", "s", "--storage", url, expected="--skip-if-exists")
    assert invoke("study", "create", "--study-name", "s", "--skip-if-exists", "--storage", url).stdout.strip() == "s"
    fails("study", "create", "--study-name", "s", "--skip-if-exists", "--direction", "maximize", "--storage", url,
          expected="exists with directions")
    assert hpo.get_all_study_names(url) == ["s"]


# --- study list / show / best / trials ---------------------------------------------------------
def test_list(populated: str) -> None:
    table = invoke("study", "list", "--storage", populated).stdout.splitlines()
    assert table[0].split() == ["name", "directions", "n_trials", "best_value", "datetime_start"]
    rows = {line.split()[0]: line.split() for line in table[2:]}
    assert rows["quad"][1:4] == ["MINIMIZE", "5", "1"]
    assert rows["pareto"][1:3] == ["MINIMIZE,MINIMIZE", "3"]

    listed = {row["name"]: row for row in json_out(invoke("study", "list", "--format", "json", "--storage", populated))}
    assert listed["quad"]["directions"] == ["MINIMIZE"] and listed["quad"]["best_value"] == 1.0
    assert listed["pareto"]["best_value"] is None and listed["pareto"]["n_trials"] == 3
    assert listed["quad"]["datetime_start"].startswith("20")

    rows_csv = {row["name"]: row for row in csv_out(invoke("study", "list", "--format", "csv", "--storage", populated))}
    assert rows_csv["quad"]["n_trials"] == "5" and rows_csv["quad"]["best_value"] == "1.0"
    assert json.loads(rows_csv["pareto"]["directions"]) == ["MINIMIZE", "MINIMIZE"]


def test_list_empty_storage(url: str) -> None:
    hpo.delete_study(study_name=hpo.create_study(storage=url).study_name, storage=url)
    assert invoke("study", "list", "--storage", url).stdout.strip() == "(no studies)"
    assert json_out(invoke("study", "list", "--storage", url, "--format", "json")) == []


def test_show(populated: str) -> None:
    shown = json_out(invoke("study", "show", "quad", "--format", "json", "--storage", populated))
    assert shown["name"] == "quad" and shown["directions"] == ["MINIMIZE"] and shown["n_trials"] == 5
    assert shown["states"] == {"RUNNING": 0, "COMPLETE": 3, "PRUNED": 1, "FAIL": 1, "WAITING": 0}
    assert shown["user_attrs"] == {"owner": "ana"}
    assert shown["best_trials"] == [{"number": 1, "value": 1.0, "params_kind": "a", "params_x": 2.0}]

    table = invoke("study", "show", "quad", "--storage", populated).stdout
    assert "COMPLETE=3, PRUNED=1, FAIL=1" in table and "owner=ana" in table
    assert table.splitlines()[-1].split() == ["1", "1", "a", "2"]  # the best trial's row

    pairs = {row["key"]: row["value"] for row in csv_out(invoke("study", "show", "pareto", "--format", "csv",
                                                                 "--storage", populated))}
    assert pairs["n_trials"] == "3"
    assert [t["number"] for t in json.loads(pairs["best_trials"])] == [0, 1]


def test_best_single_objective(populated: str) -> None:
    best = json_out(invoke("study", "best", "quad", "--format", "json", "--storage", populated))
    assert best == {"number": 1, "value": 1.0, "params_kind": "a", "params_x": 2.0}
    table = invoke("study", "best", "quad", "--storage", populated).stdout.splitlines()
    assert [line.split() for line in table] == [["number", "1"], ["value", "1"], ["params_kind", "a"],
                                                ["params_x", "2"]]
    assert csv_out(invoke("study", "best", "quad", "--format", "csv", "--storage", populated))[1] == {
        "key": "value", "value": "1.0"
    }


def test_best_multi_objective_is_the_pareto_front(populated: str) -> None:
    front = json_out(invoke("study", "best", "pareto", "--format", "json", "--storage", populated))
    assert front == [
        {"number": 0, "values_0": 1.0, "values_1": 3.0, "params_x": 1.0},
        {"number": 1, "values_0": 2.0, "values_1": 2.0, "params_x": 2.0},
    ]
    rows = csv_out(invoke("study", "best", "pareto", "--format", "csv", "--storage", populated))
    assert [row["number"] for row in rows] == ["0", "1"]
    table = invoke("study", "best", "pareto", "--storage", populated).stdout.splitlines()
    assert table[0].split() == ["number", "values_0", "values_1", "params_x"] and len(table) == 4


def test_best_without_completed_trials(url: str) -> None:
    invoke("study", "create", "--study-name", "empty", "--storage", url)
    fails("study", "best", "empty", "--storage", url, expected="no completed trial")


def test_trials_in_every_format(populated: str) -> None:
    rows = json_out(invoke("study", "trials", "quad", "--format", "json", "--storage", populated))
    assert [(r["number"], r["state"], r["value"]) for r in rows] == [
        (0, "COMPLETE", 4.0), (1, "COMPLETE", 1.0), (2, "COMPLETE", 9.0), (3, "PRUNED", None), (4, "FAIL", None)
    ]
    assert set(rows[0]) == {"number", "state", "value", "params_kind", "params_x", "duration"}
    assert rows[0]["params_x"] == -1.0 and isinstance(rows[0]["duration"], float)

    table = invoke("study", "trials", "quad", "--storage", populated).stdout.splitlines()
    assert table[0].split() == ["number", "state", "value", "params_kind", "params_x", "duration"]
    assert set(table[1]) == {"-", " "} and len(table) == 2 + 5
    assert table[2].split()[:5] == ["0", "COMPLETE", "4", "a", "-1"]

    rows_csv = csv_out(invoke("study", "trials", "quad", "--format", "csv", "--storage", populated))
    assert [r["state"] for r in rows_csv] == ["COMPLETE", "COMPLETE", "COMPLETE", "PRUNED", "FAIL"]
    assert rows_csv[3]["value"] == "" and float(rows_csv[0]["params_x"]) == -1.0


def test_trials_of_a_multi_objective_study(populated: str) -> None:
    rows = json_out(invoke("study", "trials", "pareto", "--format", "json", "--storage", populated))
    assert [(r["values_0"], r["values_1"]) for r in rows] == [(1.0, 3.0), (2.0, 2.0), (3.0, 3.0)]


def test_trials_filtered_by_state(populated: str) -> None:
    def states(*args: str) -> list[str]:
        result = invoke("study", "trials", "quad", *args, "--format", "json", "--storage", populated)
        return [row["state"] for row in json_out(result)]

    assert states("--state", "COMPLETE") == ["COMPLETE"] * 3
    assert states("--state", "pruned", "fail") == ["PRUNED", "FAIL"]
    assert states("--state", "PRUNED", "--state", "FAIL") == ["PRUNED", "FAIL"]
    assert states("--state", "WAITING") == []
    fails("study", "trials", "quad", "--state", "DONE", "--storage", populated, expected="'DONE' is not one of")


def test_trials_of_an_empty_study(url: str) -> None:
    invoke("study", "create", "--study-name", "empty", "--storage", url)
    assert invoke("study", "trials", "empty", "--storage", url).stdout.strip() == "(no trials)"
    assert json_out(invoke("study", "trials", "empty", "--format", "json", "--storage", url)) == []


@pytest.mark.parametrize("command", ["show", "best", "trials", "delete"])
def test_unknown_study_lists_the_existing_ones(populated: str, command: str) -> None:
    extra = ["--yes"] if command == "delete" else []
    result = fails("study", command, "quadd", *extra, "--storage", populated, expected="No study named 'quadd'")
    assert "'pareto', 'quad'" in result.stderr


# --- study delete ------------------------------------------------------------------------------
def test_delete_asks_for_confirmation(populated: str) -> None:
    declined = CliRunner().invoke(main, ["study", "delete", "quad", "--storage", populated], input="n\n")
    assert declined.exit_code == 1 and "Aborted!" in declined.stderr
    assert sorted(hpo.get_all_study_names(populated)) == ["pareto", "quad"]
    result = invoke("study", "delete", "quad", "--storage", populated, input="y\n")
    assert "Delete study 'quad' and its 5 trials" in result.stdout and "Deleted study 'quad'" in result.stdout
    invoke("study", "delete", "pareto", "--yes", "--storage", populated)
    assert hpo.get_all_study_names(populated) == []


# --- storage -----------------------------------------------------------------------------------
def test_storage_version_and_upgrade(populated: str) -> None:
    from hpo.storages import current_version

    revision = current_version(populated)
    assert invoke("storage", "version", "--storage", populated).stdout.strip() == revision
    assert invoke("storage", "upgrade", "--storage", populated).stdout.strip() == (
        f"Already at the latest version {revision}"
    )


def test_storage_commands_need_an_existing_database(tmp_path: Path) -> None:
    for command in ("upgrade", "version"):
        fails("storage", command, "--storage", f"sqlite:///{tmp_path / 'nope.db'}", expected="No SQLite database")


# --- run ---------------------------------------------------------------------------------------
def test_run_a_file_in_memory(objectives: Path) -> None:
    result = invoke("run", f"{objectives}:objective", "--n-trials", "20", "--no-progress")
    assert "is in memory" in result.stderr
    assert "Ran 20 trials (20 complete) of study" in result.stdout and "in memory in" in result.stdout
    assert "Best trial:" in result.stdout and "params_x" in result.stdout


def test_run_keeps_the_study_in_the_storage(objectives: Path, url: str) -> None:
    args = ["run", f"{objectives}:objective", "--storage", url, "--study-name", "r", "--no-progress"]
    invoke(*args, "--n-trials", "10", "--sampler", "random", "--pruner", "nop")
    fails(*args, "--n-trials", "5", expected="--load-if-exists")
    invoke(*args, "--n-trials", "5", "--load-if-exists")
    study = hpo.load_study(study_name="r", storage=url)
    assert len(study.trials) == 15 and study.best_value == min(t.value for t in study.trials)


def test_run_a_module(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    package = tmp_path / "cli_pkg"
    package.mkdir()
    (package / "__init__.py").write_text("")
    (package / "objectives.py").write_text(OBJECTIVES)
    monkeypatch.chdir(tmp_path)
    result = invoke("run", "cli_pkg.objectives:objective", "--n-trials", "5", "--no-progress", "--pruner", "median")
    assert "Ran 5 trials (5 complete)" in result.stdout


def test_run_multi_objective(objectives: Path) -> None:
    result = invoke("run", f"{objectives}:two_objectives", "--n-trials", "10", "--directions", "minimize",
                    "minimize", "--no-progress")
    assert "Best trials (Pareto front, 10)" in result.stdout  # x and 1 - x: every trial is optimal


def test_run_with_a_sampler_class(objectives: Path, tmp_path: Path) -> None:
    (tmp_path / "my_sampler.py").write_text(
        "import hpo\n\nclass Fixed(hpo.samplers.RandomSampler):\n"
        "    def sample_independent(self, study, trial, name, dist):\n        return 1.0\n"
    )
    result = invoke("run", f"{objectives}:objective", "--n-trials", "3", "--no-progress",
                    "--sampler", f"{tmp_path / 'my_sampler.py'}:Fixed")
    assert "Ran 3 trials" in result.stdout and "value     0" in result.stdout
    invoke("run", f"{objectives}:objective", "--n-trials", "3", "--no-progress",
           "--sampler", "hpo.samplers:RandomSampler", "--pruner", "hpo.pruners:NopPruner")


def test_run_shows_a_progress_bar_by_default(objectives: Path) -> None:
    assert "3/3" in invoke("run", f"{objectives}:objective", "--n-trials", "3").stderr


def test_run_until_timeout(objectives: Path) -> None:
    assert "Ran " in invoke("run", f"{objectives}:objective", "--timeout", "0.2", "--no-progress").stdout


@pytest.mark.parametrize(
    ("target", "expected"),
    [
        ("{file}", "does not name an objective function: give FILE_OR_MODULE:NAME"),
        ("{file}:", "does not name an objective function"),
        ("{dir}/missing.py:objective", "missing.py does not exist"),
        ("{dir}:objective", "is a directory"),
        ("{file}:objectiv", "has no 'objectiv'. Callables defined there: failing, objective, two_objectives"),
        ("{file}:NOT_CALLABLE", "is a int, not a function"),
        ("no_such_module_xyz:objective", "No module named 'no_such_module_xyz'"),
        ("json:no_such_function", "json has no 'no_such_function'"),
    ],
)
def test_run_bad_objective(objectives: Path, target: str, expected: str) -> None:
    target = target.format(file=objectives, dir=objectives.parent)
    fails("run", target, "--n-trials", "1", expected=expected)


def test_run_bad_options(objectives: Path) -> None:
    target = f"{objectives}:objective"
    fails("run", target, expected="Give --n-trials N, --timeout SECONDS, or both", exit_code=2)
    result = fails("run", target, "--n-trials", "1", "--sampler", "annealing", expected="unknown name 'annealing'",
                   exit_code=2)
    assert "Available: random" in result.stderr
    fails("run", target, "--n-trials", "1", "--pruner", "eager", expected="Available: median, nop", exit_code=2)
    fails("run", target, "--n-trials", "1", "--sampler", "json:dumps", expected="cannot be created without arguments")
    fails("run", target, "--n-trials", "1", "--pruner", "hpo.samplers:RandomSampler",
          expected="not a subclass of BasePruner")
    fails("run", target, "--n-trials", "-1", expected="-1 is not in the range", exit_code=2)


def test_run_stops_when_the_objective_raises(objectives: Path) -> None:
    result = fails("run", f"{objectives}:failing", "--n-trials", "3", "--no-progress",
                   expected="The objective raised ValueError('boom')")
    assert "Ran 1 trial (1 fail)" in result.stdout


# --- the installed console script --------------------------------------------------------------
def hpo_cli(*args: str, cwd: Path | None = None, ok: bool = True) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if k != STORAGE_ENV}
    done = subprocess.run([str(HPO), *args], capture_output=True, text=True, cwd=cwd, env=env, timeout=120)
    assert (done.returncode == 0) == ok, (done.stdout, done.stderr)
    return done


def test_console_script_end_to_end(objectives: Path, url: str) -> None:
    assert hpo_cli("study", "create", "--study-name", "cli", "--storage", url).stdout.strip() == "cli"
    done = hpo_cli("run", f"{objectives}:objective", "--n-trials", "12", "--storage", url, "--study-name", "cli",
                   "--load-if-exists")
    assert "Ran 12 trials (12 complete) of study 'cli'" in done.stdout and "12/12" in done.stderr
    best = json.loads(hpo_cli("study", "best", "cli", "--format", "json", "--storage", url).stdout)
    assert best["value"] == pytest.approx((best["params_x"] - 1) ** 2)
    assert best["value"] == min(t.value for t in hpo.load_study(study_name="cli", storage=url).trials)


def test_console_script_runs_a_module_from_the_current_folder(tmp_path: Path, url: str) -> None:
    (tmp_path / "cli_module_objective.py").write_text(OBJECTIVES)
    done = hpo_cli("run", "cli_module_objective:objective", "--n-trials", "4", "--storage", url, "--no-progress",
                   cwd=tmp_path)
    assert "Ran 4 trials (4 complete)" in done.stdout


def test_console_script_errors_are_one_line(objectives: Path) -> None:
    done = hpo_cli("study", "show", "x", ok=False)
    assert done.returncode == 2 and NO_STORAGE in done.stderr and "Traceback" not in done.stderr
    done = hpo_cli("run", str(objectives), "--n-trials", "1", ok=False)
    assert done.returncode == 1 and done.stderr.strip() == (
        f"Error: '{objectives}' does not name an objective function: give FILE_OR_MODULE:NAME, "
        "e.g. examples/quadratic.py:objective or my_package.objectives:objective."
    )


def test_module_entry_point() -> None:
    done = subprocess.run([sys.executable, "-m", "hpo.cli", "--version"], capture_output=True, text=True, check=True)
    assert done.stdout.strip() == f"hpo {hpo.__version__}"

