"""A real cluster for the distributed tests: embedded redis-server, coordinator and Celery worker processes."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from cluster import make_stack

from hpo.distributed.local_stack import LocalStack

@pytest.fixture(scope="module")
def cluster(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LocalStack]:
    """Redis + coordinator + 2 separate worker processes with 2 slots each, shared by a module's tests."""
    tmp = tmp_path_factory.mktemp("cluster")
    with make_stack(tmp) as stack:
        stack.add_worker(2)
        stack.add_worker(2)
        yield stack


@pytest.fixture()
def broker_env(cluster: LocalStack, monkeypatch: pytest.MonkeyPatch) -> LocalStack:
    """Point this process's hpo client at the cluster."""
    monkeypatch.setenv("HPO_BROKER_URL", cluster.broker_url)
    monkeypatch.setenv("HPO_STORAGE_URL", cluster.storage_url)
    return cluster
