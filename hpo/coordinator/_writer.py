"""The coordinator's single SQL writer: a child process that applies queued storage calls in order, in batches.

A process of its own, so that SQL work (SQLAlchemy is mostly Python) never holds the GIL that the
coordinator's inbox needs to answer reports, and so that it runs on a core of its own.
"""

from __future__ import annotations

import collections
import logging
import multiprocessing
import os
import threading
import time
from collections.abc import Callable
from multiprocessing.connection import Connection
from typing import Any

from hpo.coordinator._child import become_child, next_request
from hpo.exceptions import HpoError

_logger = logging.getLogger(__name__)

_BATCH = 512
#: How long the writer waits for more calls after the first of a batch: one transaction then
#: carries a few milliseconds of work (group commit) instead of one call each.
_LINGER_S = 0.005
#: Calls wait in the coordinator at most this long before they travel to the writer (an
#: ``on_done`` sends them at once): one pipe message carries many calls.
_SEND_EVERY_S = 0.05
_PERMANENT = (HpoError, ValueError, KeyError, TypeError)
#: Exit status of a coordinator whose writer died: unacknowledged inbox messages are replayed on restart.
WRITER_DIED_EXIT = 70


class SqlWriter:
    """Sends ``(method, args)`` calls to the writer process, which applies them to the storage at
    ``storage_url`` in submission order, many in one transaction where the backend has ``apply_batch``.

    ``on_done`` callbacks run (on this process's result thread) once everything queued before them
    is stored: inbox messages are acknowledged, and trials published, only after being stored.
    Calls travel over a local pipe between the coordinator's own processes, never over Redis, in
    bundles: queued calls leave with the next ``on_done`` mark, or within ``_SEND_EVERY_S``.

    The writer applies them as a trusted batch (see ``RDBStorage.apply_batch``): the coordinator is
    the only writer of its studies and its in-memory view has already refused invalid updates.
    """

    def __init__(self, storage_url: str) -> None:
        context = multiprocessing.get_context("spawn")  # the coordinator has threads: never fork it
        child_calls, self._calls = context.Pipe(duplex=False)  # (reader, writer)
        self._done, child_done = context.Pipe(duplex=False)
        self._process = context.Process(
            target=_serve, args=(storage_url, child_calls, child_done), name="hpo-sql-writer", daemon=True
        )
        self._process.start()
        child_calls.close()
        child_done.close()
        self._send_lock = threading.Lock()
        self._pending: list[tuple[str, tuple[Any, ...]] | int] = []  # calls and marks not yet sent
        self._sent = 0  # sequence number of the last mark queued
        # marks not yet stored: (sequence number, when queued, callback)
        self._callbacks: collections.deque[tuple[int, float, Callable[[], None]]] = collections.deque()
        self._closing = False
        self._closed = threading.Event()
        self._results = threading.Thread(target=self._read_results, name="hpo-sql-results", daemon=True)
        self._results.start()
        self._sender = threading.Thread(target=self._send_regularly, name="hpo-sql-sender", daemon=True)
        self._sender.start()

    def call(self, method: str, *args: Any) -> None:
        with self._send_lock:
            self._pending.append((method, args))

    def on_done(self, callback: Callable[[], None]) -> None:
        with self._send_lock:
            self._sent += 1
            self._callbacks.append((self._sent, time.monotonic(), callback))
            self._pending.append(self._sent)
            self._send_pending()

    def lag_s(self) -> float:
        """Seconds since the oldest write not yet stored was queued (0 when all are stored)."""
        try:
            oldest = self._callbacks[0][1]
        except IndexError:
            return 0.0
        return time.monotonic() - oldest

    def _send_pending(self) -> None:
        """Send the queued calls and marks as one message (the caller holds ``_send_lock``)."""
        if self._pending:
            self._calls.send(self._pending)
            self._pending = []

    def _send_regularly(self) -> None:
        while not self._closed.wait(_SEND_EVERY_S):
            with self._send_lock:
                self._send_pending()

    def flush(self, timeout: float | None = None) -> bool:
        """Wait until everything queued so far is stored."""
        done = threading.Event()
        self.on_done(done.set)
        return done.wait(timeout)

    def close(self) -> None:
        self.flush()
        self._closing = True
        self._closed.set()
        self._sender.join()
        with self._send_lock:
            self._send_pending()
            self._calls.send(None)
        self._process.join()
        self._results.join()

    def _read_results(self) -> None:
        while True:
            try:
                stored = self._done.recv()
            except EOFError:
                if not self._closing:
                    _logger.critical("The SQL writer process died; stopping so that a restart replays the inbox.")
                    os._exit(WRITER_DIED_EXIT)
                return
            ready = []
            while self._callbacks and self._callbacks[0][0] <= stored:  # deque ends are thread-safe
                ready.append(self._callbacks.popleft()[2])
            for callback in ready:
                try:
                    callback()
                except Exception:
                    _logger.exception("A post-store callback failed.")


def _serve(storage_url: str, calls: Connection, done: Connection) -> None:
    """The writer process: apply calls in batches; report each batch's last mark once stored.

    It ignores SIGINT and SIGTERM (a Ctrl-C or a stop aimed at the coordinator's process group):
    the coordinator closes it after a last flush, and it exits by itself when the coordinator is gone.
    """
    from hpo.storages import get_storage

    become_child()
    backend = get_storage(storage_url)
    while True:
        first = next_request(calls)
        if first is None:
            break
        items = list(first)
        deadline = time.monotonic() + _LINGER_S
        closing = False
        while len(items) < _BATCH and calls.poll(max(0.0, deadline - time.monotonic())):
            try:
                bundle = calls.recv()
            except EOFError:
                bundle = None
            if bundle is None:
                closing = True
                break
            items.extend(bundle)
        _apply(backend, [item for item in items if isinstance(item, tuple)])
        marks = [item for item in items if isinstance(item, int)]
        if marks:
            try:
                done.send(marks[-1])
            except OSError:  # the coordinator is gone
                break
        if closing:
            break
    backend.close()


def _apply(backend: Any, calls: list[tuple[str, tuple[Any, ...]]]) -> None:
    if not calls:
        return
    apply_batch = getattr(backend, "apply_batch", None)
    try:
        if apply_batch is None:
            raise NotImplementedError
        apply_batch(calls, trusted=True)
    except Exception:  # one by one, to store everything that can be stored
        for method, args in calls:
            _apply_one(backend, method, args)


def _apply_one(backend: Any, method: str, args: tuple[Any, ...]) -> None:
    while True:
        try:
            getattr(backend, method)(*args)
            return
        except _PERMANENT:  # the data itself is refused: retrying cannot help
            _logger.exception("The store refused %s%r; skipped.", method, args)
            return
        except Exception:  # unreachable or busy store: keep the data and retry
            _logger.exception("Storing %s failed; retrying in 1 s.", method)
            time.sleep(1.0)
