"""Storages: where studies and trials are kept (in memory, SQL through SQLAlchemy, or a journal)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from hpo.storages._base import BaseStorage
from hpo.storages._callbacks import RetryFailedTrialCallback, RetryHeartbeatStaleTrialCallback
from hpo.storages._heartbeat import (
    BaseHeartbeat,
    HeartbeatKeeper,
    StaleTrialCallback,
    fail_stale_trials,
    heartbeat_keeper,
    is_heartbeat_enabled,
)
from hpo.storages._in_memory import InMemoryStorage
from hpo.storages.journal import (
    BaseJournalLogStorage,
    JournalFileStorage,
    JournalRedisStorage,
    JournalStorage,
)
from hpo.storages.journal import DeprecatedJournalFileOpenLock as JournalFileOpenLock
from hpo.storages.journal import DeprecatedJournalFileSymlinkLock as JournalFileSymlinkLock

if TYPE_CHECKING:
    from hpo.storages._grpc import GrpcStorageProxy, run_grpc_proxy_server
    from hpo.storages._sql import (
        ImportedStudy,
        RDBStorage,
        current_version,
        import_optuna_database,
        is_shared_url,
        upgrade,
    )

__all__ = [
    "BaseHeartbeat",
    "BaseJournalLogStorage",
    "BaseStorage",
    "GrpcStorageProxy",
    "HeartbeatKeeper",
    "ImportedStudy",
    "InMemoryStorage",
    "JournalFileOpenLock",
    "JournalFileStorage",
    "JournalFileSymlinkLock",
    "JournalRedisStorage",
    "JournalStorage",
    "RDBStorage",
    "RetryFailedTrialCallback",
    "RetryHeartbeatStaleTrialCallback",
    "StaleTrialCallback",
    "fail_stale_trials",
    "heartbeat_keeper",
    "import_optuna_database",
    "is_heartbeat_enabled",
    "run_grpc_proxy_server",
    "current_version",
    "get_storage",
    "is_shared_url",
    "upgrade",
]


def __getattr__(name: str) -> Any:
    # Imported lazily: SQLAlchemy costs start-up time.
    if name in ("ImportedStudy", "RDBStorage", "current_version", "import_optuna_database", "is_shared_url", "upgrade"):
        from hpo.storages import _sql

        return getattr(_sql, name)
    if name in ("GrpcStorageProxy", "run_grpc_proxy_server"):  # grpcio is optional: pip install 'hpo[grpc]'
        from hpo.storages import _grpc

        return getattr(_grpc, name)
    raise AttributeError(name)


def get_storage(storage: str | BaseStorage | None) -> BaseStorage:
    """A storage from a URL (``sqlite:///...``, ``postgresql+psycopg://...``), an object, or None (memory)."""
    if storage is None:
        return InMemoryStorage()
    if isinstance(storage, BaseStorage):
        return storage
    if isinstance(storage, str):
        from hpo.storages._sql import RDBStorage

        return RDBStorage(storage)
    raise TypeError(
        f"storage must be a URL string, a BaseStorage or None, got {type(storage).__name__}. "
        "Example: storage='sqlite:///hpo.db'."
    )
