"""The storage contract on the coordinator's ``MirroredStorage``: reads from memory, writes behind to SQLite.

Every test ends by flushing the mirror and checking that a fresh ``get_storage(url)`` on its
database holds the same studies and trials. Every case applies: threads creating trials of one
study at once get the numbers SQL gave, and a template trial memory refuses never reaches SQL.
"""

from __future__ import annotations

import datetime
from collections.abc import Iterator
from pathlib import Path

import pytest

from hpo.coordinator import MirroredStorage
from hpo.storages import BaseStorage, get_storage
from hpo.testing import StorageContract


class TestMirroredStorage(StorageContract):
    # Memory and SQL each stamp the datetimes of a new, started or finished trial with their own
    # clock, SQL when the writer gets to it: the same moment up to the writer's delay.
    datetime_tolerance = datetime.timedelta(seconds=10)

    @pytest.fixture
    def storage(self, tmp_path: Path) -> Iterator[BaseStorage]:
        self.url = f"sqlite:///{tmp_path / 'mirror.db'}"
        made = MirroredStorage(self.url)
        yield made
        made.close()

    def reopen(self, storage: BaseStorage) -> BaseStorage:
        assert isinstance(storage, MirroredStorage) and storage.flush(timeout=60)
        return get_storage(self.url)

