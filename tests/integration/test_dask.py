"""DaskStorage on real dask.distributed clusters: the storage contract through the scheduler,
trials run on 2 worker processes, and every request and answer a JSON string."""

from __future__ import annotations

import importlib.util
import json
import pickle
import subprocess
import sys
from collections.abc import Iterator
from typing import Any

import pytest

import hpo
from hpo.integration import DaskStorage
from hpo.storages import BaseStorage
from hpo.testing import StorageContract
from hpo.trial import TrialState

distributed = pytest.importorskip("distributed")
hpo.logging.set_verbosity(hpo.logging.ERROR)


@pytest.fixture(scope="module")
def client() -> Iterator[Any]:
    """An in-process cluster: a scheduler and one worker thread."""
    cluster = distributed.LocalCluster(n_workers=1, threads_per_worker=1, processes=False, dashboard_address=None)
    with cluster, distributed.Client(cluster) as c:
        yield c


class TestDaskStorageContract(StorageContract):
    @pytest.fixture
    def storage(self, client: Any) -> Iterator[BaseStorage]:
        yield DaskStorage(client=client)

    def reopen(self, storage: BaseStorage) -> BaseStorage | None:
        return pickle.loads(pickle.dumps(storage))  # rebuilt from its name, as on a worker


def test_requests_and_answers_are_json_strings(client: Any) -> None:
    seen: list[tuple[Any, Any]] = []
    scheduler = client.cluster.scheduler
    storage = DaskStorage(client=client)
    handle = scheduler.handlers["hpo_storage"]

    def recording(request: Any) -> Any:
        answer = handle(request=request)
        seen.append((request, answer))
        return answer

    scheduler.handlers["hpo_storage"] = recording
    try:
        study = hpo.create_study(storage=storage, study_name="wire")
        study.set_user_attr("nested", {"a": [1, 2.5, None]})
        study.optimize(lambda t: t.suggest_float("x", 0, 1) + len(t.suggest_categorical("c", ["a", "bb"])),
                       n_trials=3)
    finally:
        scheduler.handlers["hpo_storage"] = handle
    assert len(seen) > 20
    for request, answer in seen:
        assert isinstance(request, str) and isinstance(answer, str)
        json.loads(request)
        assert "result" in json.loads(answer)
    assert study.user_attrs == {"nested": {"a": [1, 2.5, None]}}
    assert len(study.trials) == 3 and all(t.params["c"] in ("a", "bb") for t in study.trials)


def test_a_storage_name_unknown_to_the_scheduler_is_a_clear_error(client: Any) -> None:
    with pytest.raises(KeyError, match="No DaskStorage named 'nowhere'"):
        DaskStorage(name="nowhere", client=client, register=False).get_all_studies()


def test_trials_run_on_two_worker_processes_and_the_study_comes_back() -> None:
    with distributed.LocalCluster(n_workers=2, threads_per_worker=1, processes=True, dashboard_address=None) as cluster:
        with distributed.Client(cluster) as c:
            storage = DaskStorage(client=c)
            study = hpo.create_study(storage=storage, study_name="on-workers",
                                     sampler=hpo.samplers.RandomSampler(seed=0))

            def objective(trial: hpo.Trial) -> float:
                import os

                trial.set_user_attr("pid", os.getpid())
                x = trial.suggest_float("x", -1, 1)
                for step in range(3):
                    trial.report(x**2 + step, step)
                return x**2

            futures = [c.submit(study.optimize, objective, n_trials=4, pure=False) for _ in range(2)]
            distributed.wait(futures)
            for f in futures:
                f.result()
            trials = study.trials
            local = storage.get_base_storage()
    assert sorted(t.number for t in trials) == list(range(8))
    assert all(t.state == TrialState.COMPLETE and len(t.intermediate_values) == 3 for t in trials)
    assert len({t.user_attrs["pid"] for t in trials}) == 2  # both worker processes ran trials
    copied = hpo.load_study(study_name="on-workers", storage=local)
    assert [(t.params, t.value) for t in copied.trials] == [(t.params, t.value) for t in trials]


def test_without_distributed_the_error_names_the_package(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in ("distributed", "distributed.utils", "distributed.worker"):
        monkeypatch.setitem(sys.modules, name, None)
    spec = importlib.util.find_spec("hpo.integration.dask")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    with pytest.raises(ImportError, match="pip install distributed"):
        module.DaskStorage()


def test_experimental_as_in_optuna(client: Any) -> None:
    with pytest.warns(hpo.exceptions.ExperimentalWarning, match="DaskStorage is experimental"):
        DaskStorage(client=client)


ASYNC_REGISTRATION = """
import warnings
warnings.simplefilter("ignore")
from distributed.utils_test import gen_cluster
import hpo
from hpo.integration import DaskStorage

@gen_cluster(client=True)
async def registers(c, s, a, b):
    await DaskStorage(name="foo")
    await DaskStorage(name="bar")
    assert sorted(s.extensions["hpo"].storages) == ["bar", "foo"]
    assert all(type(st) is hpo.storages.InMemoryStorage for st in s.extensions["hpo"].storages.values())
    print("registered")

registers()
"""


def test_an_asynchronous_client_registers_on_await() -> None:
    """``await DaskStorage(...)`` with an asynchronous client (Dask's own gen_cluster, in its own process:
    its event loop must not meet the module's cluster)."""
    done = subprocess.run([sys.executable, "-c", ASYNC_REGISTRATION], capture_output=True, text=True, timeout=120)
    assert done.returncode == 0 and "registered" in done.stdout, done.stderr[-3000:]
