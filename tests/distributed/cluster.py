"""Starting a real local cluster for the distributed tests."""

from __future__ import annotations

import pathlib

from hpo.distributed.local_stack import LocalStack

HERE = pathlib.Path(__file__).parent
OBJECTIVES = "hpo_test_objectives"


def make_stack(tmp_path: pathlib.Path, n_workers: int = 0) -> LocalStack:
    """Redis + coordinator (+ ``n_workers`` slots) with the test objectives allowed, logs in ``tmp_path``."""
    return LocalStack(
        storage_url=f"sqlite:///{tmp_path / 'hpo.db'}",
        n_workers=n_workers,
        objective_modules=[OBJECTIVES],
        spec_modules=["hpo_test_samplers"],
        pythonpath=[str(HERE)],
        log_dir=str(tmp_path),
    )
