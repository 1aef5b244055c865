"""A journal log in a file of JSON lines, appended under a lock file that works across processes."""

from __future__ import annotations

import abc
import errno
import json
import os
import threading
import time
import uuid
from collections.abc import Iterable
from typing import Any

from hpo.storages.journal._base import BaseJournalBackend

_RETRY_SECONDS = 0.001
_MAX_RETRY_SECONDS = 0.1


class BaseJournalFileLock(abc.ABC):
    """A lock shared by the processes appending to one journal file."""

    @abc.abstractmethod
    def acquire(self) -> bool:
        """Wait until the lock is ours; True then."""

    @abc.abstractmethod
    def release(self) -> None: ...


class _LockFile(BaseJournalFileLock):
    """A lock held by whoever created ``<file>.lock``; one left behind by a dead process is broken
    after ``grace_period`` seconds (None: never)."""

    def __init__(self, filepath: str, grace_period: int | None = 30) -> None:
        if grace_period is not None and grace_period <= 0:
            raise ValueError(f"grace_period must be positive or None, got {grace_period}.")
        self._lock_file = f"{filepath}.lock"
        self.grace_period = grace_period

    @abc.abstractmethod
    def _create(self) -> None:
        """Create the lock file atomically; FileExistsError when it exists."""

    def acquire(self) -> bool:
        wait = _RETRY_SECONDS
        while True:
            try:
                self._create()
                return True
            except FileExistsError:
                self._break_if_stale()
                time.sleep(wait)
                wait = min(wait * 2, _MAX_RETRY_SECONDS)

    def release(self) -> None:
        # Renamed before removal, so that a process breaking a stale lock at the same moment
        # cannot remove the lock another process has just taken.
        released = f"{self._lock_file}.released-{uuid.uuid4().hex}"
        os.rename(self._lock_file, released)
        os.unlink(released)

    def _break_if_stale(self) -> None:
        if self.grace_period is None:
            return
        try:
            age = time.time() - os.lstat(self._lock_file).st_mtime
            if age > self.grace_period:
                self.release()
        except OSError as e:  # gone in the meantime: released, or broken by another process
            if e.errno != errno.ENOENT:
                raise


class JournalFileSymlinkLock(_LockFile):
    """The lock is a symbolic link ``<file>.lock`` (creating one is atomic, also on NFS)."""

    def _create(self) -> None:
        os.symlink(self._lock_file, self._lock_file)


class JournalFileOpenLock(_LockFile):
    """The lock is a file ``<file>.lock`` created with ``O_EXCL`` (for systems without symlinks)."""

    def _create(self) -> None:
        os.close(os.open(self._lock_file, os.O_CREAT | os.O_EXCL | os.O_WRONLY))


class JournalFileBackend(BaseJournalBackend):
    """The log as a file of JSON lines, one entry a line; ``lock_obj`` (by default a
    :class:`JournalFileSymlinkLock`) serializes appends across processes."""

    def __init__(self, file_path: str, lock_obj: BaseJournalFileLock | None = None) -> None:
        self._file_path = file_path
        self._lock = lock_obj if lock_obj is not None else JournalFileSymlinkLock(file_path)
        with open(file_path, "ab"):  # creates the file
            pass
        self._thread_lock = threading.Lock()
        self._next_number = 0  # the entry that starts at byte _next_offset
        self._next_offset = 0

    def read_logs(self, log_number_from: int) -> Iterable[dict[str, Any]]:
        with self._thread_lock:
            if log_number_from < self._next_number:
                self._next_number, self._next_offset = 0, 0
            with open(self._file_path, "rb") as f:
                f.seek(self._next_offset)
                data = f.read()
            logs = []
            for line in data.splitlines(keepends=True):
                if not line.endswith(b"\n"):  # being appended right now: read it next time
                    break
                self._next_offset += len(line)
                if self._next_number >= log_number_from:
                    logs.append(json.loads(line))
                self._next_number += 1
            return logs

    def append_logs(self, logs: list[dict[str, Any]]) -> None:
        data = "".join(json.dumps(log, separators=(",", ":")) + "\n" for log in logs).encode()
        self._lock.acquire()
        try:
            fd = os.open(self._file_path, os.O_WRONLY | os.O_APPEND)
            try:
                while data:
                    data = data[os.write(fd, data) :]
                os.fsync(fd)
            finally:
                os.close(fd)
        finally:
            self._lock.release()
