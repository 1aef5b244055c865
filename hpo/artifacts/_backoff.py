"""``Backoff``: retries a store's operations with exponentially growing waits."""

from __future__ import annotations

import logging
import time
from typing import BinaryIO

from hpo.artifacts._protocol import ArtifactStore
from hpo.artifacts.exceptions import ArtifactNotFound

_logger = logging.getLogger(__name__)


class Backoff:
    """An artifact store that calls ``backend`` and retries a failed call, as Optuna's does.

    A call that raises anything but :class:`~hpo.artifacts.exceptions.ArtifactNotFound` is tried
    again after ``min(min_delay * multiplier ** n, max_delay)`` seconds (n = 0, 1, ...), up to
    ``max_retries`` calls in all; the last failure is raised. ``ArtifactNotFound`` is raised at once.
    A retried ``write`` rewinds ``content_body`` (``seek(0)``). The defaults wait 0.1, 0.2, 0.4, ...
    up to 30 s between 10 calls.
    """

    def __init__(
        self,
        backend: ArtifactStore,
        *,
        max_retries: int = 10,
        multiplier: float = 2,
        min_delay: float = 0.1,
        max_delay: float = 30,
    ) -> None:
        if max_retries <= 0:
            raise ValueError(f"max_retries must be > 0 (the number of calls), got {max_retries}.")
        if multiplier <= 0:
            raise ValueError(f"multiplier must be > 0, got {multiplier}.")
        if min_delay <= 0:
            raise ValueError(f"min_delay must be > 0 seconds, got {min_delay}.")
        if max_delay <= min_delay:
            raise ValueError(f"max_delay must be greater than min_delay ({min_delay}), got {max_delay}.")
        self._backend = backend
        self._max_retries = max_retries
        self._multiplier = multiplier
        self._min_delay = min_delay
        self._max_delay = max_delay

    def _get_sleep_secs(self, n_retry: int) -> float:
        return min(self._min_delay * self._multiplier**n_retry, self._max_delay)

    def _failed(self, what: str, artifact_id: str, n_retry: int, error: Exception) -> None:
        """Log a failed call that will be retried, then wait; raise ``error`` when no try is left."""
        if n_retry == self._max_retries - 1:
            raise error
        _logger.error("Failed to %s artifact=%s n_retry=%d", what, artifact_id, n_retry, exc_info=error)
        time.sleep(self._get_sleep_secs(n_retry))

    def open_reader(self, artifact_id: str) -> BinaryIO:
        for i in range(self._max_retries):
            try:
                return self._backend.open_reader(artifact_id)
            except ArtifactNotFound:
                raise
            except Exception as e:
                self._failed("open", artifact_id, i, e)
        raise AssertionError("unreachable: the last try returns or raises")

    def write(self, artifact_id: str, content_body: BinaryIO) -> None:
        for i in range(self._max_retries):
            try:
                self._backend.write(artifact_id, content_body)
                return
            except ArtifactNotFound:
                raise
            except Exception as e:
                self._failed("write", artifact_id, i, e)
            content_body.seek(0)

    def remove(self, artifact_id: str) -> None:
        for i in range(self._max_retries):
            try:
                self._backend.remove(artifact_id)
                return
            except ArtifactNotFound:
                raise
            except Exception as e:
                self._failed("remove", artifact_id, i, e)
