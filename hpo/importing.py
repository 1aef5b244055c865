"""The one importer of user code named by a string: ``package.module:Name``, ``package.module.Name``
or ``path/to/file.py:Name``.

The CLI, the JSON specs of samplers and pruners and the workers' objectives all find code through
:func:`import_object`; each adds its own policy on top (an allowlist of modules, files or not).
"""

from __future__ import annotations

import hashlib
import importlib
import importlib.util
import os
import sys
from collections.abc import Collection
from pathlib import Path
from types import ModuleType
from typing import Any

from hpo.exceptions import ImportTargetError


def module_allowed(module: str, allowed_modules: Collection[str]) -> bool:
    """True when ``module`` is one of ``allowed_modules`` or inside one of those packages."""
    return any(module == m or module.startswith(m + ".") for m in allowed_modules)


def split_target(target: str, *, dotted: bool = False) -> tuple[str, str]:
    """``(module or file, attribute path)`` of ``target``; ``dotted`` also accepts ``package.module.Name``."""
    source, colon, name = target.rpartition(":")
    if not colon and dotted:
        source, _, name = target.rpartition(".")
    if not source or not name:
        form = "'package.module:Name'" + (" (or 'package.module.Name')" if dotted else "")
        raise ImportTargetError(f"{target!r} is not an import path; use {form}.")
    return source, name


def import_object(
    target: str,
    *,
    dotted: bool = False,
    files: bool = False,
    allowed_modules: Collection[str] | None = None,
) -> Any:
    """The object ``target`` names.

    ``dotted``: ``package.module.Name`` is accepted as well as ``package.module:Name``.
    ``files``: the part before the colon may be a ``.py`` file (its folder becomes importable, as
    with ``python FILE``), and modules in the current folder are importable (as with ``python -m``).
    ``allowed_modules``: only modules inside these packages may be imported.
    Raises :class:`ImportTargetError` naming the problem and the fix.
    """
    source, name = split_target(target, dotted=dotted)
    if allowed_modules is not None and not module_allowed(source, allowed_modules):
        raise ImportTargetError(
            f"Module {source!r} is not allowed here (allowed: {', '.join(sorted(allowed_modules)) or 'none'})."
        )
    if files and is_file_path(source):
        module = import_file(source)
    else:
        module = import_module(source, search_cwd=files)
    obj: Any = module
    for part in name.split("."):
        if not hasattr(obj, part):
            defined = sorted(
                key for key, value in vars(module).items()
                if callable(value) and getattr(value, "__module__", None) == module.__name__ and not key.startswith("_")
            )
            raise ImportTargetError(
                f"{source} has no {name!r}. Callables defined there: {', '.join(defined) or 'none'}."
            )
        obj = getattr(obj, part)
    return obj


def is_file_path(source: str) -> bool:
    return source.endswith(".py") or "/" in source or os.sep in source


def import_module(source: str, *, search_cwd: bool = False) -> ModuleType:
    """Import module ``source``; with ``search_cwd`` the current folder is importable first (as ``python -m``)."""
    if search_cwd:
        cwd = os.getcwd()
        if cwd not in sys.path:
            sys.path.insert(0, cwd)
    try:
        return importlib.import_module(source)
    except ModuleNotFoundError as e:
        if e.name is not None and (source == e.name or source.startswith(e.name + ".")):
            raise ImportTargetError(
                f"No module named {source!r}: install it, run from the folder that holds it or add that folder "
                f"to PYTHONPATH, or give a file path such as {source.replace('.', '/')}.py."
            ) from None
        raise ImportTargetError(f"Importing {source} failed: {e}") from None
    except ImportError as e:
        raise ImportTargetError(f"Importing {source} failed: {e}") from None


def import_file(source: str) -> ModuleType:
    """Import the Python file ``source`` (its folder becomes importable, as with ``python FILE``)."""
    path = Path(source).resolve()
    if not path.is_file():
        where = "" if Path(source).is_absolute() else f" (looked in {Path.cwd()})"
        problem = "is a directory, not a .py file" if path.is_dir() else "does not exist"
        raise ImportTargetError(f"File {source} {problem}{where}.")
    loaded = sys.modules.get(path.stem)
    loaded_from = getattr(loaded, "__file__", None)
    if loaded is not None and loaded_from and Path(loaded_from).resolve() == path:
        return loaded
    name = _file_module_name(path)
    if str(path.parent) not in sys.path:
        sys.path.insert(0, str(path.parent))
    spec = importlib.util.spec_from_file_location(name, path)
    if spec is None or spec.loader is None:
        raise ImportTargetError(f"Cannot import {source}: give a Python source file ending in .py.")
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module
    try:
        spec.loader.exec_module(module)
    except ImportError as e:
        del sys.modules[name]
        raise ImportTargetError(f"Importing {source} failed: {e}") from None
    except BaseException:
        del sys.modules[name]
        raise
    return module


def _file_module_name(path: Path) -> str:
    """The file's stem, unless that would shadow another module (``json.py``): then a private name."""
    name = path.stem
    if name.isidentifier() and name not in sys.modules:
        spec = importlib.util.find_spec(name)
        if spec is None or (spec.origin is not None and Path(spec.origin).resolve() == path):
            return name
    return "_hpo_user_" + hashlib.sha1(str(path).encode()).hexdigest()[:12]
