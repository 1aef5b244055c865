"""No module of ``hpo`` reaches another package's underscore names.

A name that starts with one underscore (a module ``_tell``, a function ``_spec``, an attribute
``_storage``) is private to the package that defines it and to the packages below it. This test
reads every module of ``hpo`` (as syntax, nothing is run) and fails on:

- an import of a private module or name from a package the importing module is not inside;
- an attribute access ``x._name`` (``x`` not ``self`` or ``cls``) where ``_name`` is defined only
  by classes of packages the accessing module is not inside.

``ALLOWED`` lists the exceptions that are truly needed, each with its reason.
"""

from __future__ import annotations

import ast
import pathlib

import pytest

import hpo

ROOT = pathlib.Path(hpo.__file__).parent

#: (module, name) pairs allowed to cross a package boundary, with the reason.
ALLOWED: dict[tuple[str, str], str] = {}
#: Private attributes of the core classes, owned by their package whatever other classes call
#: their own attributes (``StudyRun._storage`` must not make ``study._storage`` legal there).
OWNED: dict[str, set[str]] = {
    "_storage": {"hpo.study"},
    "_study_id": {"hpo.study"},
    "_trial_id": {"hpo.trial"},
    "_frozen": {"hpo.trial"},
    "_suggest": {"hpo.trial"},
}


def _module_name(path: pathlib.Path) -> str:
    parts = list(path.relative_to(ROOT.parent).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def _package_of(path: pathlib.Path) -> str:
    """The package a file belongs to: its folder as a dotted name."""
    return ".".join(path.relative_to(ROOT.parent).parent.parts)


def _inside(package: str, owner: str) -> bool:
    return package == owner or package.startswith(owner + ".")


def _is_private(name: str) -> bool:
    return name.startswith("_") and not (name.startswith("__") and name.endswith("__"))


def _sources() -> dict[pathlib.Path, str]:
    return {p: p.read_text() for p in sorted(ROOT.rglob("*.py")) if "migrations" not in p.parts}


def _private_attributes(sources: dict[pathlib.Path, str]) -> dict[str, set[str]]:
    """Private attribute name -> the packages whose classes define it (``self._x = ...``, methods, class attrs)."""
    owners: dict[str, set[str]] = {}
    for path, source in sources.items():
        package = _package_of(path)
        for node in ast.walk(ast.parse(source)):
            if not isinstance(node, ast.ClassDef):
                continue
            for inner in ast.walk(node):
                name = None
                if isinstance(inner, (ast.FunctionDef, ast.AsyncFunctionDef)) and inner in node.body:
                    name = inner.name
                elif isinstance(inner, ast.Attribute) and isinstance(inner.ctx, ast.Store) and \
                        isinstance(inner.value, ast.Name) and inner.value.id in ("self", "cls"):
                    name = inner.attr
                elif isinstance(inner, (ast.Assign, ast.AnnAssign)) and inner in node.body:
                    targets = inner.targets if isinstance(inner, ast.Assign) else [inner.target]
                    for target in targets:
                        if isinstance(target, ast.Name) and _is_private(target.id):
                            owners.setdefault(target.id, set()).add(package)
                if name is not None and _is_private(name):
                    owners.setdefault(name, set()).add(package)
    return owners


def _violations(sources: dict[pathlib.Path, str]) -> list[str]:
    owners = _private_attributes(sources)
    found = []
    for path, source in sources.items():
        module = _module_name(path)
        package = _package_of(path) if path.name != "__init__.py" else module
        where = str(path.relative_to(ROOT.parent))
        for node in ast.walk(ast.parse(source)):
            if isinstance(node, ast.ImportFrom) and node.level == 0 and node.module and node.module.startswith("hpo"):
                parts = node.module.split(".")
                for i, part in enumerate(parts):
                    if _is_private(part) and not _inside(package, ".".join(parts[:i])):
                        found.append(f"{where}:{node.lineno}: imports private module {node.module}")
                        break
                else:
                    target_is_package = (ROOT.parent / pathlib.Path(*parts) / "__init__.py").exists()
                    owner = node.module if target_is_package else ".".join(parts[:-1])
                    for alias in node.names:
                        if _is_private(alias.name) and not _inside(package, owner) and \
                                (node.module, alias.name) not in ALLOWED:
                            found.append(f"{where}:{node.lineno}: imports private name {node.module}.{alias.name}")
            elif isinstance(node, ast.Import):
                for alias in node.names:
                    parts = alias.name.split(".")
                    if parts[0] != "hpo":
                        continue
                    for i, part in enumerate(parts):
                        if _is_private(part) and not _inside(package, ".".join(parts[:i])):
                            found.append(f"{where}:{node.lineno}: imports private module {alias.name}")
                            break
            elif isinstance(node, ast.Attribute) and _is_private(node.attr):
                if isinstance(node.value, ast.Name) and node.value.id in ("self", "cls"):
                    continue
                defined_by = OWNED.get(node.attr) or owners.get(node.attr)
                if not defined_by or any(_inside(package, owner) for owner in defined_by):
                    continue
                if (module, node.attr) in ALLOWED:
                    continue
                found.append(f"{where}:{node.lineno}: reaches {node.attr} (private to {', '.join(sorted(defined_by))})")
    return found


def test_no_module_reaches_another_packages_private_names() -> None:
    violations = _violations(_sources())
    assert not violations, "Private names used across packages:\n" + "\n".join(violations)


@pytest.mark.parametrize(
    "source, expected",
    [
        ("from hpo.study._tell import tell\n", "imports private module hpo.study._tell"),
        ("from hpo.study import _tell\n", "imports private name hpo.study._tell"),
        ("import hpo.trial._trial\n", "imports private module hpo.trial._trial"),
        ("def f(study):\n    return study._storage\n", "reaches _storage"),
    ],
)
def test_the_checker_finds_reaches(source: str, expected: str) -> None:
    """The checker itself: a module outside ``hpo.study``/``hpo.trial`` that reaches in is found."""
    sources = {**_sources(), ROOT / "_probe_private_names.py": source}
    assert any(expected in v and "_probe_private_names" in v for v in _violations(sources))
