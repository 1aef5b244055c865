"""Waiting out a Redis outage: backoff between tries, one log line when it starts and one when it ends."""

from __future__ import annotations

import logging
import time


class Outage:
    """Tracks the outages of one dependency seen by one loop.

    Call :meth:`failed` after each failed try and sleep the seconds it returns (doubling from
    ``first_s`` up to ``max_s``); call :meth:`recovered` after each success. The first failure of
    an outage logs a warning, the first success after it an info line: no flood.
    """

    def __init__(self, what: str, logger: logging.Logger, first_s: float = 0.1, max_s: float = 2.0) -> None:
        self._what = what
        self._logger = logger
        self._first_s = first_s
        self._max_s = max_s
        self._since: float | None = None
        self._wait_s = first_s

    @property
    def down(self) -> bool:
        return self._since is not None

    def failed(self, error: BaseException) -> float:
        """Record a failed try; the seconds to wait before the next."""
        if self._since is None:
            self._since = time.monotonic()
            self._wait_s = self._first_s
            self._logger.warning("%s is unreachable (%s); retrying until it is back.", self._what, error)
        else:
            self._wait_s = min(self._wait_s * 2, self._max_s)
        return self._wait_s

    def recovered(self) -> bool:
        """Record a success; True when it ends an outage."""
        if self._since is None:
            return False
        self._logger.info("%s is back after %.1f s.", self._what, time.monotonic() - self._since)
        self._since = None
        return True
