"""``hpo.storages`` under Optuna's name, and ``hpo.storage``, its first name, as an alias."""

from __future__ import annotations

import hpo as optuna
import hpo.storage
from hpo.storage import BaseStorage, InMemoryStorage, get_storage


def test_optuna_names() -> None:
    assert type(optuna.storages.get_storage(None)) is optuna.storages.InMemoryStorage
    assert issubclass(optuna.storages.RDBStorage, optuna.storages.BaseStorage)
    assert issubclass(optuna.storages.JournalStorage, optuna.storages.BaseStorage)
    assert optuna.storages.journal.JournalFileBackend and optuna.storages.journal.JournalRedisBackend


def test_hpo_storage_is_an_alias_of_the_same_objects() -> None:
    assert (BaseStorage, InMemoryStorage, get_storage) == (
        hpo.storages.BaseStorage,
        hpo.storages.InMemoryStorage,
        hpo.storages.get_storage,
    )
    assert hpo.storage.__all__ == hpo.storages.__all__
    for name in hpo.storages.__all__:
        assert getattr(hpo.storage, name) is getattr(hpo.storages, name)
