"""The interface of a journal's log: numbered JSON entries, appended atomically, read from any number."""

from __future__ import annotations

import abc
from collections.abc import Iterable
from typing import Any


class BaseJournalBackend(abc.ABC):
    """Where a :class:`~hpo.storages.JournalStorage` keeps its log.

    Entries are JSON objects numbered from 0 in the order they were appended; an append is atomic
    (never interleaved with another process's), and every reader sees the same order.
    """

    @abc.abstractmethod
    def read_logs(self, log_number_from: int) -> Iterable[dict[str, Any]]:
        """The entries from number ``log_number_from`` on, in order."""

    @abc.abstractmethod
    def append_logs(self, logs: list[dict[str, Any]]) -> None:
        """Append ``logs`` at the end of the log, in one atomic step."""
