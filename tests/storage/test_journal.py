"""``JournalStorage`` on a file and on Redis: the storage contract, processes sharing one file, the file locks."""

from __future__ import annotations

import json
import subprocess
import sys
import threading
import time
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest

import hpo
from hpo.distributed.local_stack import EmbeddedRedis
from hpo.storages import BaseStorage, JournalStorage
from hpo.storages.journal import (
    JournalFileBackend,
    JournalFileOpenLock,
    JournalFileSymlinkLock,
    JournalRedisBackend,
)
from hpo.testing import StorageContract
from hpo.trial import TrialState

LockClass = type[JournalFileSymlinkLock] | type[JournalFileOpenLock]
LOCKS: dict[str, LockClass] = {"symlink": JournalFileSymlinkLock, "open": JournalFileOpenLock}


class TestJournalFileStorage(StorageContract):
    """Reopened: a new storage replays the file from the start."""

    @pytest.fixture(params=list(LOCKS))
    def storage(self, request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[BaseStorage]:
        self.path = str(tmp_path / "journal.log")
        self.lock = LOCKS[request.param]
        made = JournalStorage(JournalFileBackend(self.path, lock_obj=self.lock(self.path)))
        yield made
        made.close()

    def reopen(self, storage: BaseStorage) -> BaseStorage:
        return JournalStorage(JournalFileBackend(self.path, lock_obj=self.lock(self.path)))


@pytest.fixture(scope="module")
def redis_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    server = EmbeddedRedis(tmp_path_factory.mktemp("redis"))
    server.start()
    yield server.url
    server.stop()


class TestJournalRedisStorage(StorageContract):
    """Each test logs under a prefix of its own; reopened: a new storage replays the list."""

    @pytest.fixture
    def storage(self, redis_url: str) -> Iterator[BaseStorage]:
        self.backend_args = (redis_url, False, uuid.uuid4().hex)
        made = JournalStorage(JournalRedisBackend(*self.backend_args))
        yield made
        made.close()

    def reopen(self, storage: BaseStorage) -> BaseStorage:
        return JournalStorage(JournalRedisBackend(*self.backend_args))


WORKER = """
import os, sys, time
from pathlib import Path
import hpo
from hpo.storages import JournalStorage
from hpo.storages.journal import JournalFileBackend

path, ready, n_trials = sys.argv[1], Path(sys.argv[2]), int(sys.argv[3])
(ready / str(os.getpid())).touch()
while len(list(ready.iterdir())) < 2:  # both start together
    time.sleep(0.01)

def objective(trial):
    trial.set_user_attr("pid", os.getpid())
    return trial.suggest_float("x", -1.0, 1.0) ** 2

hpo.logging.set_verbosity(hpo.logging.ERROR)
study = hpo.load_study(study_name="shared", storage=JournalStorage(JournalFileBackend(path)))
study.optimize(objective, n_trials=n_trials)
"""


def test_two_processes_append_to_one_file(tmp_path: Path) -> None:
    path = str(tmp_path / "journal.log")
    hpo.create_study(study_name="shared", storage=JournalStorage(JournalFileBackend(path)))
    ready = tmp_path / "ready"
    ready.mkdir()
    processes = [
        subprocess.Popen(
            [sys.executable, "-c", WORKER, path, str(ready), "25"],
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
        )
        for _ in range(2)
    ]
    for process in processes:
        output = process.communicate(timeout=240)[0]
        assert process.returncode == 0, output

    trials = hpo.load_study(study_name="shared", storage=JournalStorage(JournalFileBackend(path))).trials
    assert sorted(t.number for t in trials) == list(range(50))
    assert all(t.state == TrialState.COMPLETE and t.value == t.params["x"] ** 2 for t in trials)
    assert len({t.user_attrs["pid"] for t in trials}) == 2
    lines = Path(path).read_text().splitlines()
    assert all(json.loads(line)["op"] for line in lines)  # no line torn by the other process
    assert not Path(f"{path}.lock").exists()


@pytest.mark.parametrize("lock_class", list(LOCKS.values()))
def test_lock_excludes_until_released(tmp_path: Path, lock_class: LockClass) -> None:
    path = str(tmp_path / "journal.log")
    holder, waiter = lock_class(path), lock_class(path)
    assert holder.acquire()
    acquired = threading.Event()

    def wait_for_the_lock() -> None:
        assert waiter.acquire()
        acquired.set()

    thread = threading.Thread(target=wait_for_the_lock)
    thread.start()
    assert not acquired.wait(0.3)
    holder.release()
    assert acquired.wait(10)
    waiter.release()
    thread.join()


@pytest.mark.parametrize("lock_class", list(LOCKS.values()))
def test_stale_lock_is_broken_after_the_grace_period(tmp_path: Path, lock_class: LockClass) -> None:
    path = str(tmp_path / "journal.log")
    assert lock_class(path).acquire()  # held by a process that died
    started = time.monotonic()
    fresh = lock_class(path, grace_period=1)
    assert fresh.acquire()
    assert 1 <= time.monotonic() - started < 10
    fresh.release()


def test_a_partly_written_last_line_is_read_once_complete(tmp_path: Path) -> None:
    path = tmp_path / "journal.log"
    backend = JournalFileBackend(str(path))
    backend.append_logs([{"n": 0}])
    with open(path, "a") as f:
        f.write('{"n": ')  # another process is halfway through its write
    assert list(backend.read_logs(0)) == [{"n": 0}]
    with open(path, "a") as f:
        f.write("1}\n")
    assert list(backend.read_logs(1)) == [{"n": 1}]
    assert list(backend.read_logs(0)) == [{"n": 0}, {"n": 1}]
