"""Specs from another process build only hpo's samplers and pruners and those of allowed modules."""

from __future__ import annotations

import pathlib
import sys

import pytest

import hpo
from hpo import specs
from hpo.exceptions import SpecError


@pytest.fixture()
def user_module(tmp_path: pathlib.Path, monkeypatch: pytest.MonkeyPatch) -> str:
    (tmp_path / "my_samplers.py").write_text(
        "import hpo\n"
        "class Mine(hpo.samplers.RandomSampler):\n"
        "    pass\n"
        "def feasible(trial):\n"
        "    return [0.0]\n"
    )
    monkeypatch.syspath_prepend(str(tmp_path))
    yield "my_samplers"
    sys.modules.pop("my_samplers", None)


def test_a_class_from_a_module_not_allowed_is_never_imported_or_built(
    tmp_path: pathlib.Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    spec = {"class": "subprocess:Popen", "kwargs": {"args": ["touch", "pwned"]}}
    with pytest.raises(SpecError, match="not allowed.*HPO_SPEC_MODULES"):
        specs.from_spec(spec, allowed_modules=())
    assert not (tmp_path / "pwned").exists()


def test_only_samplers_pruners_and_their_parts_are_built_even_from_allowed_modules() -> None:
    with pytest.raises(SpecError, match="not a sampler, pruner"):
        specs.from_spec({"class": "collections:OrderedDict", "kwargs": {}}, allowed_modules=("collections",))
    with pytest.raises(SpecError, match="not a sampler, pruner"):
        specs.from_spec({"class": "subprocess:Popen", "kwargs": {"args": ["true"]}})  # in-process too


def test_functions_and_nested_objects_come_from_allowed_modules_only(user_module: str) -> None:
    callable_spec = specs.to_spec(hpo.samplers.TPESampler(constraints_func=f"{user_module}:feasible"))
    with pytest.raises(SpecError, match=f"{user_module}.*not allowed"):
        specs.from_spec(callable_spec, allowed_modules=())
    nested = {"class": "hpo.samplers:PartialFixedSampler",
              "kwargs": {"fixed_params": {}, "base_sampler": {"$object": {"class": f"{user_module}:Mine", "kwargs": {}}}}}
    with pytest.raises(SpecError, match="not allowed"):
        specs.from_spec(nested, allowed_modules=())
    built = specs.from_spec(nested, allowed_modules=(user_module,))
    assert type(built).__name__ == "PartialFixedSampler"
    assert specs.from_spec(callable_spec, allowed_modules=(user_module,)).__class__.__name__ == "TPESampler"


def test_hpo_builtins_are_always_allowed() -> None:
    for obj in (hpo.samplers.TPESampler(seed=1), hpo.samplers.NSGAIISampler(crossover=hpo.samplers.nsgaii.SBXCrossover()),
                hpo.pruners.MedianPruner(n_startup_trials=3)):
        assert type(specs.from_spec(specs.to_spec(obj), allowed_modules=())) is type(obj)


def test_bad_constructor_arguments_name_the_class() -> None:
    with pytest.raises(SpecError, match="Cannot build hpo.samplers:TPESampler"):
        specs.from_spec({"class": "hpo.samplers:TPESampler", "kwargs": {"n_startup_trials": -1}}, allowed_modules=())
    with pytest.raises(SpecError, match="must look like"):
        specs.from_spec({"class": "hpo.samplers:TPESampler", "kwargs": {}, "extra": 1}, allowed_modules=())
