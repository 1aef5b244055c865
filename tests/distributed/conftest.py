"""A real cluster for the distributed tests: embedded redis-server, coordinator and Celery worker processes."""

from __future__ import annotations

import pathlib
from collections.abc import Iterator

import pytest

from hpo.local_stack import LocalStack

HERE = pathlib.Path(__file__).parent
OBJECTIVES = "hpo_test_objectives"


def make_stack(tmp_path: pathlib.Path, n_workers: int = 0, **kwargs: object) -> LocalStack:
    return LocalStack(
        storage_url=f"sqlite:///{tmp_path / 'hpo.db'}",
        n_workers=n_workers,
        objective_modules=[OBJECTIVES],
        pythonpath=[str(HERE)],
        log_dir=str(tmp_path),
        **kwargs,  # type: ignore[arg-type]
    )


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
