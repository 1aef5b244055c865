"""``hpo.storage``: the first name of :mod:`hpo.storages` (Optuna's name), kept as an alias of its public names."""

from __future__ import annotations

from typing import Any

import hpo.storages as _storages

__all__ = _storages.__all__


def __getattr__(name: str) -> Any:
    # Looked up on use, as hpo.storages does for its lazily imported names (RDBStorage...).
    if name in __all__:
        return getattr(_storages, name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


def __dir__() -> list[str]:
    return sorted(__all__)
