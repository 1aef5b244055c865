"""Deferred imports of optional frameworks: a module of ``hpo.integration`` imports without its framework,
and using one of its classes without the framework names the package to install."""

from __future__ import annotations

import types
from typing import Any


class _DeferredImport:
    """Context manager that records an ImportError instead of raising it.

    Used as ``with try_import("xgboost") as _imports: import xgboost``; ``_imports.check()`` raises the
    recorded error, with the pip command that fixes it, when the class is used.
    """

    def __init__(self, *packages: str) -> None:
        self._packages = packages
        self._error: ImportError | None = None

    def __enter__(self) -> _DeferredImport:
        return self

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: types.TracebackType | None
    ) -> bool:
        if isinstance(exc, ImportError):
            self._error = exc
            return True
        return False

    def is_successful(self) -> bool:
        """Whether every import in the block succeeded."""
        return self._error is None

    def check(self) -> None:
        """Raise ImportError naming the missing package(s) and the command that installs them."""
        if self._error is not None:
            names = " ".join(self._packages)
            raise ImportError(
                f"{self._error}: this integration needs {names}. Install it with `pip install {names}` "
                f"(or `pip install 'hpo[integration]'`)."
            ) from self._error


def try_import(*packages: str) -> Any:
    """A context manager deferring ImportError for ``packages`` (the pip names) until ``check()``."""
    return _DeferredImport(*packages)
