"""The storage contract (``hpo.testing.StorageContract``) on every backend."""

from __future__ import annotations

from collections.abc import Callable, Iterator

import pytest

from hpo.storages import BaseStorage, InMemoryStorage, get_storage
from hpo.testing import StorageContract

# The shared backends, plus SQLite in one connection (sqlite:///:memory:).
CONTRACT_BACKENDS = ("memory", "sqlite", "postgresql", "sqlite-memory")


class TestStorageContract(StorageContract):
    """Each backend; on SQL a fresh storage on the same database must see what the tested one wrote."""

    @pytest.fixture(params=CONTRACT_BACKENDS)
    def storage(
        self, request: pytest.FixtureRequest, storage_url_factory: Callable[[str], str | None]
    ) -> Iterator[BaseStorage]:
        url = "sqlite:///:memory:" if request.param == "sqlite-memory" else storage_url_factory(request.param)
        self.url = None if request.param == "sqlite-memory" else url
        made = InMemoryStorage() if url is None else get_storage(url)
        yield made
        made.close()

    def reopen(self, storage: BaseStorage) -> BaseStorage | None:
        return None if self.url is None else get_storage(self.url)
