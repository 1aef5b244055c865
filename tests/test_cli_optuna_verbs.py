"""Optuna's CLI verbs under ``hpo``: same options, same output as ``optuna`` itself.

Outputs are compared with real Optuna 5.0.0's CLI (in its own venv, see ``optuna_venv.py``) reading
the database it wrote, while hpo reads the copy ``hpo storage import`` made of it: the same trials,
times included, so every format must print the same (YAML parsed by PyYAML on both sides).
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner, Result
from optuna_venv import optuna_python

import hpo
from hpo.cli import main
from hpo.cli._options import NO_STORAGE, OPTUNA_STORAGE_ENV, STORAGE_ENV
from hpo.storages import import_optuna_database

WRITER = Path(__file__).parent / "storage" / "optuna_writer.py"
HPO = Path(sys.executable).with_name("hpo")

# Runs several ``optuna`` command lines in one Optuna process; prints their outputs as a JSON list.
RUN_OPTUNA_CLI = """
import contextlib, io, json, sys, warnings
import optuna.cli
warnings.simplefilter("ignore")
outputs = []
for argv in json.load(sys.stdin):
    sys.argv = ["optuna", *argv]
    buffer = io.StringIO()
    with contextlib.redirect_stdout(buffer):
        assert optuna.cli.main() == 0, argv
    outputs.append(buffer.getvalue())
print(json.dumps(outputs))
"""
PARSE_YAML = "import json, sys, yaml; print(json.dumps([yaml.safe_load(t) for t in json.load(sys.stdin)]))"

COMPARED = [
    *(["trials", "--study-name", "single", "-f", fmt] for fmt in ("json", "table", "value", "yaml")),
    ["trials", "--study-name", "single", "-f", "json", "--flatten"],
    ["trials", "--study-name", "single", "-f", "table", "--flatten"],
    ["trials", "--study-name", "multi", "-f", "json"],
    ["trials", "--study-name", "multi", "-f", "table", "--flatten"],
    ["trials", "--study-name", "multi", "-f", "yaml"],
    ["best-trial", "--study-name", "single", "-f", "json"],
    ["best-trial", "--study-name", "single", "-f", "table"],
    ["best-trials", "--study-name", "multi", "-f", "json"],
    ["best-trials", "--study-name", "multi", "-f", "value"],
    ["study-names", "-f", "json"],
    ["study-names"],
    ["studies", "-f", "json"],  # last: Optuna's studies command keeps state between calls in one process
]


@pytest.fixture(autouse=True)
def _isolated(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv(STORAGE_ENV, raising=False)
    monkeypatch.delenv(OPTUNA_STORAGE_ENV, raising=False)


@pytest.fixture
def url(tmp_path: Path) -> str:
    return f"sqlite:///{tmp_path / 'hpo.db'}"


def invoke(*args: str, env: dict[str, str] | None = None) -> Result:
    result = CliRunner().invoke(main, list(args), env=env)
    assert result.exit_code == 0, (result.output, result.exception)
    return result


def fails(*args: str, expected: str) -> Result:
    """A command that fails with one ``Error:`` line containing ``expected``, and no traceback."""
    result = CliRunner().invoke(main, list(args))
    assert result.exit_code != 0 and isinstance(result.exception, SystemExit), (result.output, result.exception)
    errors = [line for line in result.stderr.splitlines() if line.startswith("Error:")]
    assert len(errors) == 1 and expected in errors[0], result.stderr
    assert "Traceback" not in result.output
    return result


def run_in(python: Path, code: str, stdin: Any) -> Any:
    result = subprocess.run([str(python), "-c", code], input=json.dumps(stdin), capture_output=True, text=True,
                            timeout=300)
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout)


# --- the same output as Optuna's CLI ------------------------------------------------------------------
@pytest.fixture(scope="module")
def both_outputs(tmp_path_factory: pytest.TempPathFactory) -> tuple[list[str], list[str], Path]:
    """The outputs of ``COMPARED`` by ``optuna`` on its database and by ``hpo`` on the imported copy."""
    python = optuna_python("5.0.0")
    folder = tmp_path_factory.mktemp("verbs")
    optuna_url, hpo_url = f"sqlite:///{folder / 'optuna.db'}", f"sqlite:///{folder / 'hpo.db'}"
    written = subprocess.run([str(python), str(WRITER), "write", optuna_url], capture_output=True, text=True,
                             timeout=300)
    assert written.returncode == 0, written.stderr
    optuna_out = run_in(python, RUN_OPTUNA_CLI, [[*argv, "--storage", optuna_url] for argv in COMPARED])
    import_optuna_database(optuna_url, hpo_url)
    hpo_out = [invoke(*argv, "--storage", hpo_url).stdout for argv in COMPARED]
    return optuna_out, hpo_out, python


@pytest.mark.parametrize("index", range(len(COMPARED)), ids=[" ".join(argv[:1] + argv[2:]) for argv in COMPARED])
def test_output_equals_optunas(both_outputs: tuple[list[str], list[str], Path], index: int) -> None:
    optuna_out, hpo_out, python = both_outputs
    if "yaml" in COMPARED[index]:
        assert run_in(python, PARSE_YAML, [hpo_out[index]]) == run_in(python, PARSE_YAML, [optuna_out[index]])
    elif COMPARED[index][0] == "studies":  # a study's user attributes come in another order
        assert json.loads(hpo_out[index]) == json.loads(optuna_out[index])
    else:
        assert hpo_out[index] == optuna_out[index]


# --- ask and tell --------------------------------------------------------------------------------------
SPACE = {
    "x": {"name": "FloatDistribution", "attributes": {"low": -1.0, "high": 1.0, "log": False, "step": None}},
    "n": {"name": "IntDistribution", "attributes": {"low": 1, "high": 5, "log": False, "step": 1}},
    "c": {"name": "CategoricalDistribution", "attributes": {"choices": ["a", None, True]}},
}


def test_ask_tell_round_trip(url: str) -> None:
    assert invoke("create-study", "--study-name", "s", "--storage", url).stdout == "s\n"
    asked = [json.loads(invoke("ask", "--study-name", "s", "--search-space", json.dumps(SPACE), "--storage", url,
                               "--sampler", "RandomSampler", "--sampler-kwargs", '{"seed": 3}').stdout)
             for _ in range(3)]
    assert [a["number"] for a in asked] == [0, 1, 2]
    for a in asked:
        assert sorted(a["params"]) == ["c", "n", "x"]
        assert -1 <= a["params"]["x"] <= 1 and a["params"]["n"] in range(1, 6) and a["params"]["c"] in ("a", None, True)
    invoke("tell", "--study-name", "s", "--trial-number", "0", "--values", "-0.5", "--storage", url)
    invoke("tell", "--study-name", "s", "--trial-number", "1", "--state", "pruned", "--storage", url)
    invoke("tell", "--study-name", "s", "--trial-number", "2", "--state", "FAIL", "--storage", url)
    invoke("tell", "--study-name", "s", "--trial-number", "2", "--state", "fail", "--skip-if-finished",
           "--storage", url)
    trials = hpo.load_study(study_name="s", storage=url).get_trials()
    assert [(t.state.name, t.values) for t in trials] == [("COMPLETE", [-0.5]), ("PRUNED", None), ("FAIL", None)]
    assert [t.params for t in trials] == [a["params"] for a in asked]
    best = json.loads(invoke("best-trial", "--study-name", "s", "-f", "json", "--storage", url).stdout)
    assert (best["number"], best["value"], best["params"]) == (0, -0.5, asked[0]["params"])


def test_ask_formats_and_a_study_without_search_space(url: str) -> None:
    invoke("create-study", "--study-name", "m", "--directions", "minimize", "maximize", "--storage", url)
    assert json.loads(invoke("ask", "--study-name", "m", "--storage", url).stdout) == {"number": 0, "params": {}}
    assert invoke("ask", "--study-name", "m", "-f", "value", "--flatten", "--storage", url).stdout == "1\n"
    space = json.dumps({"x": SPACE["x"]})
    flat = json.loads(invoke("ask", "--study-name", "m", "--search-space", space, "--flatten", "--storage", url).stdout)
    assert list(flat) == ["number", "params_x"] and flat["number"] == 2
    invoke("tell", "--study-name", "m", "--trial-number", "2", "--values", "1.5", "-2e-3", "--storage", url)
    assert hpo.load_study(study_name="m", storage=url).get_trials()[2].values == [1.5, -0.002]
    front = json.loads(invoke("best-trials", "--study-name", "m", "-f", "json", "--storage", url).stdout)
    assert [(t["number"], t["values"]) for t in front] == [(2, [1.5, -0.002])]


def test_create_study_skip_if_exists_user_attr_and_delete(url: str) -> None:
    invoke("create-study", "--study-name", "s", "--direction", "maximize", "--storage", url)
    assert invoke("create-study", "--study-name", "s", "--skip-if-exists", "--storage", url).stdout == "s\n"
    fails("create-study", "--study-name", "s", "--storage", url, expected="already exists")
    invoke("study", "set-user-attr", "--study-name", "s", "-k", "owner", "--value", "ana", "--storage", url)
    assert hpo.load_study(study_name="s", storage=url).user_attrs == {"owner": "ana"}
    studies = json.loads(invoke("studies", "-f", "json", "--storage", url).stdout)
    assert studies == [{"name": "s", "direction": ["MAXIMIZE"], "n_trials": 0, "datetime_start": None,
                        "user_attrs": {"owner": "ana"}}]
    invoke("delete-study", "--study-name", "s", "--storage", url)
    assert invoke("study-names", "--storage", url).stdout == "\n"


# --- bad input -------------------------------------------------------------------------------------------
@pytest.fixture
def study_url(url: str) -> str:
    invoke("create-study", "--study-name", "s", "--storage", url)
    invoke("ask", "--study-name", "s", "--storage", url)
    return url


@pytest.mark.parametrize(
    ("args", "expected"),
    [
        (["ask", "--study-name", "s", "--search-space", "{x: 1}"],
         "Invalid value for --search-space: '{x: 1}' is not JSON"),
        (["ask", "--study-name", "s", "--search-space", "[1]"],
         "must be a JSON object of parameter name to distribution"),
        (["ask", "--study-name", "s", "--search-space", '{"x": {"name": "Nope", "attributes": {}}}'],
         "parameter 'x': Unknown distribution 'Nope'"),
        (["ask", "--study-name", "s", "--search-space", '{"x": {"name": "FloatDistribution", "attributes": '
                                                       '{"low": 2, "high": 1}}}'], "low=2 > high=1"),
        (["ask", "--study-name", "s", "--sampler", "Nope"], "unknown sampler 'Nope'; available: BruteForceSampler"),
        (["ask", "--study-name", "s", "--sampler-kwargs", "{}"], "--sampler-kwargs needs --sampler"),
        (["ask", "--study-name", "s", "--sampler", "RandomSampler", "--sampler-kwargs", '{"speed": 1}'],
         "RandomSampler(**{'speed': 1}) failed"),
        (["ask", "--study-name", "nope"], "Create it first: hpo create-study --study-name NAME --storage"),
        (["tell", "--study-name", "s", "--trial-number", "0"],
         "a complete trial needs --values with 1 number(s); got 0"),
        (["tell", "--study-name", "s", "--trial-number", "0", "--values", "1", "2"], "got 2"),
        (["tell", "--study-name", "s", "--trial-number", "0", "--values", "abc"], "'abc' is not a valid float"),
        (["tell", "--study-name", "s", "--trial-number", "0", "--state", "done"], "'done' is not one of"),
        (["tell", "--study-name", "s", "--trial-number", "0", "--state", "fail", "--values", "1"],
         "A failed trial has no values"),
        (["tell", "--study-name", "s", "--trial-number", "7", "--values", "1"],
         "has no trial number 7 (it has 1 trials)"),
        (["tell", "--study-name", "s", "--trial-number", "x", "--values", "1"], "'x' is not a valid integer"),
        (["trials", "--study-name", "s", "-f", "csv"], "'csv' is not one of 'value', 'json', 'table', 'yaml'"),
        (["best-trial", "--study-name", "s"], "has no completed trial yet"),
    ],
)
def test_bad_input_is_a_clear_error(study_url: str, args: list[str], expected: str) -> None:
    fails(*args, "--storage", study_url, expected=expected)


def test_a_finished_trial_and_a_multi_objective_best_trial(study_url: str) -> None:
    invoke("tell", "--study-name", "s", "--trial-number", "0", "--values", "1", "--storage", study_url)
    fails("tell", "--study-name", "s", "--trial-number", "0", "--values", "2", "--storage", study_url,
          expected="Trial 0 is already finished (COMPLETE); tell cannot change it. Pass --skip-if-finished")
    invoke("create-study", "--study-name", "m", "--directions", "minimize", "minimize", "--storage", study_url)
    fails("best-trial", "--study-name", "m", "--storage", study_url, expected="use best-trials")


@pytest.mark.parametrize("command", [["ask", "--study-name", "s"], ["trials", "--study-name", "s"], ["studies"],
                                     ["study-names"], ["create-study"], ["delete-study", "--study-name", "s"]])
def test_commands_need_a_storage(command: list[str]) -> None:
    fails(*command, expected=NO_STORAGE)


# --- OPTUNA_STORAGE --------------------------------------------------------------------------------------
def test_optuna_storage_is_read_and_hpo_storage_url_wins(tmp_path: Path) -> None:
    first, second = f"sqlite:///{tmp_path / 'a.db'}", f"sqlite:///{tmp_path / 'b.db'}"
    invoke("create-study", "--study-name", "in-a", env={OPTUNA_STORAGE_ENV: first})
    invoke("create-study", "--study-name", "in-b", env={STORAGE_ENV: second, OPTUNA_STORAGE_ENV: first})
    assert hpo.get_all_study_names(first) == ["in-a"] and hpo.get_all_study_names(second) == ["in-b"]
    assert invoke("study", "list", "--format", "json", env={OPTUNA_STORAGE_ENV: second}).stdout.count('"in-b"') == 1


def test_the_hpo_command_with_optuna_storage(url: str) -> None:
    """The installed ``hpo`` script, as a shell script written for ``optuna`` would run it."""
    env = {k: v for k, v in os.environ.items() if k != STORAGE_ENV} | {OPTUNA_STORAGE_ENV: url}
    space = json.dumps({"x": SPACE["x"]})
    script = (
        f"set -e; {HPO} create-study --study-name s >/dev/null; "
        f"n=$({HPO} ask --study-name s --search-space '{space}' -f value --flatten | cut -d' ' -f1); "
        f"{HPO} tell --study-name s --trial-number $n --values 0.25; {HPO} trials --study-name s -f json"
    )
    result = subprocess.run(["bash", "-c", script], capture_output=True, text=True, env=env, timeout=300)
    assert result.returncode == 0, result.stderr
    (trial,) = json.loads(result.stdout)
    assert (trial["number"], trial["value"], trial["state"]) == (0, 0.25, "COMPLETE")
