"""Every public name of Optuna 5 exists in hpo at the same path (``optuna.x.Y`` -> ``hpo.x.Y``).

``optuna_names.json`` lists each public module of Optuna 5.0.0 and its ``__all__`` (made by
``make_optuna_names.py`` in Optuna's own environment). A name is either found, EXCLUDED for a
stated reason, or PENDING: not built yet, with the issue that builds it. A pending name that
exists fails the test too, so the list shrinks as the work lands.
"""

from __future__ import annotations

import importlib
import json
import warnings
from pathlib import Path

import pytest

DATA = json.loads(Path(__file__).with_name("optuna_names.json").read_text())

EXCLUDED: dict[str, str] = {
    "optuna.terminator": "deprecated in Optuna 4.9 and removed in 6.0",
    "optuna.testing": "Optuna's own test helpers; hpo.testing ships contract suites instead",
    "optuna.storages._CachedStorage": "private in Optuna; hpo's RDBStorage caches by itself",
    "optuna.search_space._GroupDecomposedSearchSpace": "private in Optuna",
    "optuna.search_space._SearchSpaceGroup": "private in Optuna",
    "optuna.cli.CellValue": "a helper type of Optuna's table printing, not an API",
    "optuna.cli.ValueType": "a helper type of Optuna's table printing, not an API",
    "optuna.visualization.plot_terminator_improvement": "plots optuna.terminator (excluded above)",
    "optuna.visualization.matplotlib.plot_terminator_improvement": "plots optuna.terminator (excluded above)",
}

PENDING: dict[str, str] = {}


def _cases() -> list[tuple[str, str]]:
    return [(module, name) for module, names in DATA["modules"].items() for name in names]


def _listed(table: dict[str, str], module: str, name: str) -> str | None:
    """The reason ``table`` gives for ``module.name`` (or for a module above it)."""
    path = f"{module}.{name}"
    for key, reason in table.items():
        if path == key or path.startswith(key + ".") or module == key or module.startswith(key + "."):
            return reason
    return None


def _exists(module: str, name: str) -> bool:
    hpo_module = "hpo" + module[len("optuna") :]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        try:
            imported = importlib.import_module(hpo_module)
        except ImportError:
            return False
        if hasattr(imported, name):
            return True
        try:  # a submodule not imported by its package, e.g. optuna.version
            importlib.import_module(f"{hpo_module}.{name}")
        except ImportError:
            return False
        return True


def test_the_names_come_from_optuna_5() -> None:
    assert DATA["optuna_version"].startswith("5.")
    assert len(_cases()) > 200


@pytest.mark.parametrize("module, name", _cases(), ids=[f"{m}.{n}" for m, n in _cases()])
def test_name_exists_at_optunas_path(module: str, name: str) -> None:
    if _listed(EXCLUDED, module, name):
        return
    pending = _listed(PENDING, module, name)
    exists = _exists(module, name)
    if pending:
        assert not exists, f"{module}.{name} exists now: remove it from PENDING ({pending})"
        pytest.xfail(f"not built yet: {pending}")
    assert exists, f"hpo{module[len('optuna'):]}.{name} is missing (Optuna has {module}.{name})"
