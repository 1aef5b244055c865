"""Finding user code named ``FILE.py:NAME`` or ``package.module:NAME``."""

from __future__ import annotations

import hashlib
import importlib
import importlib.util
import os
import sys
from pathlib import Path
from types import ModuleType
from typing import Any

import click


def load_object(target: str, what: str) -> Any:
    """The object ``NAME`` of the file or module before the last colon of ``target``; ``what`` names it in errors."""
    source, colon, name = target.rpartition(":")
    if not colon or not source or not name:
        raise click.ClickException(
            f"{target!r} does not name {what}: give FILE_OR_MODULE:NAME, "
            "e.g. examples/quadratic.py:objective or my_package.objectives:objective."
        )
    module = _import_file(source) if _is_path(source) else _import_module(source)
    try:
        return getattr(module, name)
    except AttributeError:
        defined = sorted(
            key for key, value in vars(module).items()
            if callable(value) and getattr(value, "__module__", None) == module.__name__ and not key.startswith("_")
        )
        raise click.ClickException(
            f"{source} has no {name!r}. Callables defined there: {', '.join(defined) or 'none'}."
        ) from None


def load_objective(target: str) -> Any:
    """The objective function named by ``target``."""
    objective = load_object(target, "an objective function")
    if not callable(objective):
        raise click.ClickException(
            f"{target} is a {type(objective).__name__}, not a function: name an objective that takes a trial "
            "and returns its value(s)."
        )
    return objective


def _is_path(source: str) -> bool:
    return source.endswith(".py") or "/" in source or os.sep in source


def _import_file(source: str) -> ModuleType:
    path = Path(source).resolve()
    if not path.is_file():
        where = "" if Path(source).is_absolute() else f" (looked in {Path.cwd()})"
        problem = "is a directory, not a .py file" if path.is_dir() else "does not exist"
        raise click.ClickException(f"File {source} {problem}{where}.")
    loaded = sys.modules.get(path.stem)
    if loaded is not None and getattr(loaded, "__file__", None) and Path(loaded.__file__).resolve() == path:
        return loaded
    name = _module_name(path)
    if str(path.parent) not in sys.path:
        sys.path.insert(0, str(path.parent))  # as `python FILE` does: the file's neighbours are importable
    spec = importlib.util.spec_from_file_location(name, path)
    if spec is None or spec.loader is None:
        raise click.ClickException(f"Cannot import {source}: give a Python source file ending in .py.")
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module
    try:
        spec.loader.exec_module(module)
    except ImportError as e:
        del sys.modules[name]
        raise click.ClickException(f"Importing {source} failed: {e}") from None
    except BaseException:
        del sys.modules[name]
        raise
    return module


def _module_name(path: Path) -> str:
    """The file's stem, unless that would shadow another module (``json.py``): then a private name."""
    name = path.stem
    if name.isidentifier() and name not in sys.modules:
        spec = importlib.util.find_spec(name)
        if spec is None or (spec.origin is not None and Path(spec.origin).resolve() == path):
            return name
    return "_hpo_user_" + hashlib.sha1(str(path).encode()).hexdigest()[:12]


def _import_module(source: str) -> ModuleType:
    cwd = os.getcwd()
    if cwd not in sys.path:
        sys.path.insert(0, cwd)  # as `python -m` does: modules in the current folder are importable
    try:
        return importlib.import_module(source)
    except ModuleNotFoundError as e:
        if e.name is not None and (source == e.name or source.startswith(e.name + ".")):
            raise click.ClickException(
                f"No module named {source!r}: install it, run from the folder that holds it or add that folder "
                f"to PYTHONPATH, or give a file path such as {source.replace('.', '/')}.py."
            ) from None
        raise click.ClickException(f"Importing {source} failed: {e}") from None
    except ImportError as e:
        raise click.ClickException(f"Importing {source} failed: {e}") from None


def worker_target(target: str) -> tuple[str, list[str]]:
    """``("module:function", pythonpath)`` that Celery workers can import for ``target``.

    The objective is loaded here first, so a wrong target fails before anything starts.
    """
    load_objective(target)
    source, _, name = target.rpartition(":")
    if not _is_path(source):
        return target, [os.getcwd()]
    path = Path(source).resolve()
    if not path.stem.isidentifier():
        raise click.ClickException(
            f"Workers import {path.name} as a module, so its name must be a valid Python identifier "
            f"(rename it, e.g. to {path.stem.replace('-', '_')}.py)."
        )
    return f"{path.stem}:{name}", [str(path.parent)]
