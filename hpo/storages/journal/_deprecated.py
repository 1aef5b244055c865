"""Optuna's pre-4.0 names of the journal classes: subclasses that warn when made (removed in Optuna 6)."""

from __future__ import annotations

import warnings
from typing import Any, TypeVar, cast

from hpo.storages.journal._base import BaseJournalBackend
from hpo.storages.journal._file import JournalFileBackend, JournalFileOpenLock, JournalFileSymlinkLock
from hpo.storages.journal._redis import JournalRedisBackend

T = TypeVar("T", bound=type)


def _deprecated_name(cls: T, old_name: str, new_path: str) -> T:
    """A subclass of ``cls`` called ``old_name`` whose instances warn to use ``new_path``."""

    def __init__(self: Any, *args: Any, **kwargs: Any) -> None:
        warnings.warn(f"{old_name} is deprecated (as in Optuna 4.0); use {new_path}.", FutureWarning, stacklevel=2)
        super(subclass, self).__init__(*args, **kwargs)

    namespace = {"__init__": __init__, "__doc__": f"Deprecated: {new_path}.", "__module__": "hpo.storages"}
    subclass: type[Any] = type(old_name, (cls,), namespace)
    return cast(T, subclass)


_NEW = "hpo.storages.journal."
BaseJournalLogStorage = _deprecated_name(BaseJournalBackend, "BaseJournalLogStorage", _NEW + "BaseJournalBackend")
JournalFileStorage = _deprecated_name(JournalFileBackend, "JournalFileStorage", _NEW + "JournalFileBackend")
JournalRedisStorage = _deprecated_name(JournalRedisBackend, "JournalRedisStorage", _NEW + "JournalRedisBackend")
DeprecatedJournalFileOpenLock = _deprecated_name(
    JournalFileOpenLock, "JournalFileOpenLock", _NEW + "JournalFileOpenLock"
)
DeprecatedJournalFileSymlinkLock = _deprecated_name(
    JournalFileSymlinkLock, "JournalFileSymlinkLock", _NEW + "JournalFileSymlinkLock"
)
