"""A lane: one thread that runs submitted work in order, so one study's slow sampler delays only itself."""

from __future__ import annotations

import logging
import queue
import threading
from collections.abc import Callable

_logger = logging.getLogger(__name__)


class SerialLane:
    """Runs callables one after another on its own daemon thread."""

    def __init__(self, name: str) -> None:
        self._queue: queue.Queue[Callable[[], None] | None] = queue.Queue()
        self._thread = threading.Thread(target=self._loop, name=name, daemon=True)
        self._thread.start()

    def submit(self, work: Callable[[], None]) -> None:
        self._queue.put(work)

    def close(self, wait: bool = True) -> None:
        self._queue.put(None)
        if wait:
            self._thread.join()

    def _loop(self) -> None:
        while True:
            work = self._queue.get()
            if work is None:
                return
            try:
                work()
            except Exception:
                _logger.exception("Work in lane %s failed.", self._thread.name)
