"""Finding user code named ``FILE.py:NAME`` or ``package.module:NAME`` for the CLI (see :mod:`hpo.importing`)."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import click

from hpo.exceptions import ImportTargetError
from hpo.importing import import_object, is_file_path


def load_object(target: str, what: str) -> Any:
    """The object ``NAME`` of the file or module before the last colon of ``target``; ``what`` names it in errors."""
    source, colon, name = target.rpartition(":")
    if not colon or not source or not name:
        raise click.ClickException(
            f"{target!r} does not name {what}: give FILE_OR_MODULE:NAME, "
            "e.g. examples/quadratic.py:objective or my_package.objectives:objective."
        )
    try:
        return import_object(target, files=True)
    except ImportTargetError as e:
        raise click.ClickException(str(e)) from None


def load_objective(target: str) -> Any:
    """The objective function named by ``target``."""
    objective = load_object(target, "an objective function")
    if not callable(objective):
        raise click.ClickException(
            f"{target} is a {type(objective).__name__}, not a function: name an objective that takes a trial "
            "and returns its value(s)."
        )
    return objective


def worker_target(target: str) -> tuple[str, list[str]]:
    """``("module:function", pythonpath)`` that Celery workers can import for ``target``.

    The objective is loaded here first, so a wrong target fails before anything starts.
    """
    load_objective(target)
    source, _, name = target.rpartition(":")
    if not is_file_path(source):
        return target, [os.getcwd()]
    path = Path(source).resolve()
    if not path.stem.isidentifier():
        raise click.ClickException(
            f"Workers import {path.name} as a module, so its name must be a valid Python identifier "
            f"(rename it, e.g. to {path.stem.replace('-', '_')}.py)."
        )
    return f"{path.stem}:{name}", [str(path.parent)]
