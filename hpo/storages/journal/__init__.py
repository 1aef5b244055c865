"""The journal storage (:class:`JournalStorage`, also in :mod:`hpo.storages`) and the backends that keep its log."""

from hpo.storages.journal._base import BaseJournalBackend
from hpo.storages.journal._deprecated import (
    BaseJournalLogStorage,
    DeprecatedJournalFileOpenLock,
    DeprecatedJournalFileSymlinkLock,
    JournalFileStorage,
    JournalRedisStorage,
)
from hpo.storages.journal._file import (
    BaseJournalFileLock,
    JournalFileBackend,
    JournalFileOpenLock,
    JournalFileSymlinkLock,
)
from hpo.storages.journal._redis import JournalRedisBackend
from hpo.storages.journal._storage import JournalStorage

__all__ = [
    "BaseJournalBackend",
    "BaseJournalFileLock",
    "BaseJournalLogStorage",
    "DeprecatedJournalFileOpenLock",
    "DeprecatedJournalFileSymlinkLock",
    "JournalFileBackend",
    "JournalFileOpenLock",
    "JournalFileSymlinkLock",
    "JournalFileStorage",
    "JournalRedisBackend",
    "JournalRedisStorage",
    "JournalStorage",
]
