"""The coordinator's single SQL writer: applies queued storage calls in order, in batches."""

from __future__ import annotations

import logging
import queue
import threading
import time
from collections.abc import Callable
from typing import Any

from hpo.exceptions import HpoError
from hpo.storage import BaseStorage

_logger = logging.getLogger(__name__)

_BATCH = 512


_PERMANENT = (HpoError, ValueError, KeyError, TypeError)


class SqlWriter:
    """A thread that applies ``(method, args)`` calls to the backend storage in submission order.

    ``on_done`` tokens ride in the same queue: a token's callback runs once everything queued
    before it is stored, which is how inbox messages are acknowledged only after being stored.
    Backends with ``apply_batch`` get many calls in one transaction.
    """

    def __init__(self, backend: BaseStorage) -> None:
        self._backend = backend
        self._queue: queue.Queue[tuple[str, tuple[Any, ...]] | Callable[[], None] | None] = queue.Queue()
        self._idle = threading.Condition()
        self._pending = 0
        self._thread = threading.Thread(target=self._loop, name="hpo-sql-writer", daemon=True)
        self._thread.start()

    def call(self, method: str, *args: Any) -> None:
        self._put((method, args))

    def on_done(self, callback: Callable[[], None]) -> None:
        self._put(callback)

    def flush(self, timeout: float | None = None) -> bool:
        """Wait until everything queued so far is stored."""
        deadline = None if timeout is None else time.monotonic() + timeout
        with self._idle:
            while self._pending:
                left = None if deadline is None else deadline - time.monotonic()
                if left is not None and left <= 0:
                    return False
                self._idle.wait(left)
        return True

    def close(self) -> None:
        self.flush()
        self._queue.put(None)
        self._thread.join()

    def _put(self, item: tuple[str, tuple[Any, ...]] | Callable[[], None]) -> None:
        with self._idle:
            self._pending += 1
        self._queue.put(item)

    def _loop(self) -> None:
        while True:
            first = self._queue.get()
            if first is None:
                return
            items = [first]
            while len(items) < _BATCH:
                try:
                    item = self._queue.get_nowait()
                except queue.Empty:
                    break
                if item is None:
                    self._queue.put(None)
                    break
                items.append(item)
            self._apply(items)
            with self._idle:
                self._pending -= len(items)
                self._idle.notify_all()

    def _apply(self, items: list[Any]) -> None:
        calls = [item for item in items if isinstance(item, tuple)]
        apply_batch = getattr(self._backend, "apply_batch", None)
        try:
            if apply_batch is None:
                raise NotImplementedError
            apply_batch(calls)
        except Exception:  # one by one, to store everything that can be stored
            for method, args in calls:
                self._apply_one(method, args)
        for item in items:
            if callable(item):
                try:
                    item()
                except Exception:
                    _logger.exception("A post-store callback failed.")

    def _apply_one(self, method: str, args: tuple[Any, ...]) -> None:
        while True:
            try:
                getattr(self._backend, method)(*args)
                return
            except _PERMANENT:  # the data itself is refused: retrying cannot help
                _logger.exception("The store refused %s%r; skipped.", method, args)
                return
            except Exception:  # unreachable or busy store: keep the data and retry
                _logger.exception("Storing %s failed; retrying in 1 s.", method)
                time.sleep(1.0)
