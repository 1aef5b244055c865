"""Real Optuna for tests, in a virtual environment of its own next to the repository's ``.venv``.

``optuna_python(version)`` finds the venv (``.venv-optuna`` for Optuna 5.0.0, ``.venv-optuna3`` for
3.6.1) or creates it with pip. Without a package index the test is skipped, except in CI (``CI`` set),
where it fails: CI starts from a clean checkout and must run these tests.
"""

from __future__ import annotations

import fcntl
import os
import subprocess
import sys
import tempfile
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
VENVS = {"5.0.0": ROOT / ".venv-optuna", "3.6.1": ROOT / ".venv-optuna3"}
PACKAGES = ("psycopg[binary]",)  # so that Optuna writes PostgreSQL too


def optuna_python(version: str) -> Path:
    """The Python of a venv with ``optuna==version`` and psycopg, created or completed when needed."""
    venv = VENVS[version]
    python = venv / "bin" / "python"
    check = f"import optuna, psycopg; assert optuna.__version__ == {version!r}"
    lock_path = Path(tempfile.gettempdir()) / f"hpo-test-{venv.name}.lock"
    with open(lock_path, "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)  # another test session may be creating it
        if python.exists() and _runs(python, check):
            return python
        if not python.exists():
            _setup(venv.name, [sys.executable, "-m", "venv", str(venv)])
        _setup(venv.name, [str(python), "-m", "pip", "install", "-q", f"optuna=={version}", *PACKAGES])
        return python


def _runs(python: Path, code: str) -> bool:
    return subprocess.run([str(python), "-c", code], capture_output=True).returncode == 0


def _setup(name: str, command: list[str]) -> None:
    result = subprocess.run(command, capture_output=True, text=True, timeout=600)
    if result.returncode == 0:
        return
    message = f"Cannot set up {name} for the Optuna tests ({' '.join(command)}):\n{result.stdout}{result.stderr}"
    if os.environ.get("CI"):
        pytest.fail(message)
    pytest.skip(message[-2000:])
