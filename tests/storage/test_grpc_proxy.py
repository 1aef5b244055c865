"""GrpcStorageProxy and run_grpc_proxy_server over real ports: the storage contract, client processes
sharing one SQLite study through one server, a server restart, a server that is down, hostile bytes."""

from __future__ import annotations

import inspect
import json
import os
import pickle
import signal
import socket
import subprocess
import sys
import textwrap
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import grpc
import pytest
from optuna_venv import optuna_python

import hpo
from hpo.exceptions import DuplicatedStudyError, StudyNotFoundError, UpdateFinishedTrialError, WireError
from hpo.storages import BaseStorage, GrpcStorageProxy, get_storage
from hpo.storages._grpc._protocol import MAX_REQUEST_BYTES, SERVICE
from hpo.storages._grpc._server import make_server
from hpo.testing import StorageContract
from hpo.trial import TrialState

ROOT = Path(__file__).resolve().parents[2]
hpo.logging.set_verbosity(hpo.logging.WARNING)


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture()
def served(tmp_path: Path) -> Iterator[tuple[str, int]]:
    """A proxy server in this process (its own threads) on SQLite: (the database URL, the port)."""
    url = f"sqlite:///{tmp_path / 'proxy.db'}"
    backend = get_storage(url)
    server, port = make_server(backend, "127.0.0.1", 0)
    server.start()
    yield url, port
    server.stop(None).wait()
    backend.close()


class TestGrpcProxyContract(StorageContract):
    """Every call crosses a real port to a server on SQLite; the database itself must hold what the client wrote."""

    @pytest.fixture
    def storage(self, served: tuple[str, int]) -> Iterator[BaseStorage]:
        self.url, port = served
        proxy = GrpcStorageProxy(host="127.0.0.1", port=port)
        yield proxy
        proxy.close()

    def reopen(self, storage: BaseStorage) -> BaseStorage | None:
        return get_storage(self.url)


def test_signatures_are_optunas() -> None:
    code = (
        "import inspect, json, optuna.storages as s; print(json.dumps({f: {n: repr(p.default) for n, p in "
        "inspect.signature(getattr(s, f)).parameters.items()} for f in ('GrpcStorageProxy', 'run_grpc_proxy_server')}))"
    )
    theirs = json.loads(subprocess.check_output([str(optuna_python("5.0.0")), "-c", code], text=True))
    for name, parameters in theirs.items():
        ours = inspect.signature(getattr(hpo.storages, name)).parameters
        assert {n: repr(p.default) for n, p in ours.items()} == parameters


def objective(trial: hpo.Trial) -> float:
    x = trial.suggest_float("x", -5, 5)
    c = trial.suggest_categorical("c", [None, True, 2, "s"])
    trial.report(x * x, 0)
    trial.set_user_attr("pid", os.getpid())
    return x * x + (1.0 if c is None else 0.0)


def test_finished_trials_are_cached_and_others_writes_are_seen(served: tuple[str, int]) -> None:
    url, port = served
    proxy = GrpcStorageProxy(host="127.0.0.1", port=port)
    study = hpo.create_study(study_name="cached", storage=proxy, sampler=hpo.samplers.TPESampler(seed=0))
    study.optimize(objective, n_trials=12)
    running = study.ask()
    study_id = study.study_id
    assert proxy.get_all_trials(study_id, deepcopy=False)[-1].state == TrialState.RUNNING
    assert proxy._studies[study_id].finished_ranges() == [(0, 11)]
    # Finished trials are not sent again.
    assert proxy._call("get_trials", study_id=study_id, skip=[(0, 11)])[0] == [proxy.get_trial(running._trial_id)]
    # Another client (here the database itself) finishes the running trial and adds one: both are seen.
    other = get_storage(url)
    other.set_trial_state_values(running._trial_id, TrialState.COMPLETE, [7.0])
    other.create_new_trial(study_id)
    trials = proxy.get_all_trials(study_id)
    assert [t.number for t in trials] == list(range(14))
    assert trials[12].values == [7.0] and trials[13].state == TrialState.RUNNING
    assert [t.params for t in trials[:12]] == [t.params for t in other.get_all_trials(study_id)[:12]]
    other.close()
    # A client made from a pickle (e.g. in a worker process) works on its own channel.
    copy = pickle.loads(pickle.dumps(proxy))
    assert copy.get_study_id_from_name("cached") == study_id
    copy.close()
    proxy.close()


def test_refusals_raise_the_storage_errors(served: tuple[str, int]) -> None:
    proxy = GrpcStorageProxy(host="127.0.0.1", port=served[1])
    study_id = proxy.create_new_study([hpo.study.StudyDirection.MINIMIZE], "a")
    with pytest.raises(DuplicatedStudyError):
        proxy.create_new_study([hpo.study.StudyDirection.MINIMIZE], "a")
    with pytest.raises(StudyNotFoundError, match="'nope'"):
        proxy.get_study_id_from_name("nope")
    trial_id = proxy.create_new_trial(study_id)
    proxy.set_trial_state_values(trial_id, TrialState.COMPLETE, [1.0])
    with pytest.raises(UpdateFinishedTrialError, match="already finished"):
        proxy.set_trial_user_attr(trial_id, "k", 1)
    with pytest.raises(TypeError):  # not JSON: refused before anything is sent
        proxy.set_study_user_attr(study_id, "k", object())
    with pytest.raises(ValueError, match="over the proxy's limit"):
        proxy.set_study_user_attr(study_id, "k", "x" * MAX_REQUEST_BYTES)
    proxy.close()


def test_hostile_requests_are_refused_and_the_server_lives_on(served: tuple[str, int]) -> None:
    url, port = served
    with grpc.insecure_channel(f"127.0.0.1:{port}") as channel:
        create = channel.unary_unary(f"/{SERVICE}/create_new_study")
        for body, expected in [
            (b"\x80\x04\x95pickle", "not valid JSON"),
            (b"[1, 2]", "must be a JSON object"),
            (json.dumps({"directions": [1], "study_name": "x", "extra": 1}).encode(), "takes no arguments"),
            (json.dumps({"directions": ["1"], "study_name": "x"}).encode(), "expected an integer"),
            (json.dumps({"directions": [1], "study_name": 3}).encode(), "expected a string"),
            (json.dumps({"directions": [1]}).encode(), "lacks argument 'study_name'"),
        ]:
            with pytest.raises(grpc.RpcError) as raised:
                create(body)
            assert raised.value.code() == grpc.StatusCode.INVALID_ARGUMENT and expected in raised.value.details()
        deep: object = 1
        for _ in range(40):
            deep = [deep]
        attr = channel.unary_unary(f"/{SERVICE}/set_study_user_attr")
        with pytest.raises(grpc.RpcError, match="nested deeper"):
            attr(json.dumps({"study_id": 1, "key": "k", "value": deep}).encode())
        with pytest.raises(grpc.RpcError) as raised:
            create(b" " * (MAX_REQUEST_BYTES + 10))
        assert raised.value.code() == grpc.StatusCode.RESOURCE_EXHAUSTED
        trial = channel.unary_unary(f"/{SERVICE}/create_new_trial")
        template = {"number": 0, "trial_id": 0, "state": 1, "values": [1.0], "datetime_start": None,
                    "datetime_complete": None, "params": [["c", "b", '{"name": "CategoricalDistribution", '
                                                           '"attributes": {"choices": ["a"]}}']],
                    "user_attrs": {}, "system_attrs": {}, "intermediate_values": []}
        with pytest.raises(grpc.RpcError, match="not one of the choices"):
            trial(json.dumps({"study_id": 1, "template_trial": template}).encode())
    assert get_storage(url).get_all_studies() == []  # nothing was created
    proxy = GrpcStorageProxy(host="127.0.0.1", port=port)
    assert proxy.create_new_study([hpo.study.StudyDirection.MAXIMIZE], "fine") >= 0
    proxy.close()


def test_a_server_that_is_down_raises_a_clear_connection_error() -> None:
    port = _free_port()
    proxy = GrpcStorageProxy(host="127.0.0.1", port=port)
    started = time.monotonic()
    with pytest.raises(ConnectionError, match=f"Cannot reach the gRPC storage proxy at 127.0.0.1:{port}.*"
                                              "run_grpc_proxy_server"):
        hpo.create_study(storage=proxy)
    assert time.monotonic() - started < 5
    with pytest.raises(ConnectionError, match="did not answer within 0.2 s"):
        proxy.wait_server_ready(timeout=0.2)
    proxy.close()
    with pytest.raises(ValueError, match="port"):
        GrpcStorageProxy(port=70000)


def test_replies_are_checked_too() -> None:
    """A server answering junk (pickle bytes, wrong shapes) makes the client raise WireError, never unpickle."""
    replies = {"get_trial": b"\x80\x04\x95pickle", "get_study_directions": b'{"result": ["minimize"]}',
               "get_all_studies": b'{"result": [{"study_id": 1}]}', "create_new_study": b'{"result": 1, "x": 2}'}
    handlers = {name: grpc.unary_unary_rpc_method_handler(lambda request, context, reply=reply: reply)
                for name, reply in replies.items()}
    server = grpc.server(ThreadPoolExecutor(2))
    server.add_generic_rpc_handlers((grpc.method_handlers_generic_handler(SERVICE, handlers),))
    port = server.add_insecure_port("127.0.0.1:0")
    server.start()
    proxy = GrpcStorageProxy(host="127.0.0.1", port=port)
    try:
        with pytest.raises(WireError, match="not valid JSON"):
            proxy.get_trial(1)
        with pytest.raises(WireError, match="expected an integer"):
            proxy.get_study_directions(1)
        with pytest.raises(WireError, match="a study must be an object"):
            proxy.get_all_studies()
        with pytest.raises(WireError, match="must be {'result'"):
            proxy.create_new_study([hpo.study.StudyDirection.MINIMIZE])
    finally:
        proxy.close()
        server.stop(None)


def test_an_optuna_style_proxy_server_is_told_apart(served: tuple[str, int]) -> None:
    """A server that does not speak hpo's protocol: a clear error, not a hang or a pickle."""
    server = grpc.server(ThreadPoolExecutor(1))
    port = server.add_insecure_port("127.0.0.1:0")
    server.start()
    proxy = GrpcStorageProxy(host="127.0.0.1", port=port)
    with pytest.raises(WireError, match="does not serve hpo's storage protocol"):
        proxy.get_all_studies()
    proxy.close()
    server.stop(None)


# --- processes ----------------------------------------------------------------------------------

SERVER = textwrap.dedent("""
    import sys
    import hpo
    hpo.logging.set_verbosity(hpo.logging.WARNING)
    hpo.storages.run_grpc_proxy_server(sys.argv[1], host="127.0.0.1", port=int(sys.argv[2]))
""")
CLIENT = textwrap.dedent("""
    import os, sys
    import hpo
    hpo.logging.set_verbosity(hpo.logging.WARNING)
    storage = hpo.storages.GrpcStorageProxy(host="127.0.0.1", port=int(sys.argv[1]))
    storage.wait_server_ready(timeout=30)
    study = hpo.create_study(study_name="shared", storage=storage, load_if_exists=True,
                             sampler=hpo.samplers.TPESampler(n_startup_trials=5))
    def objective(trial):
        trial.set_user_attr("pid", os.getpid())
        return trial.suggest_float("x", -5, 5) ** 2
    study.optimize(objective, n_trials=int(sys.argv[2]))
""")


def _start_server(url: str, port: int) -> subprocess.Popen[bytes]:
    process = subprocess.Popen([sys.executable, "-c", SERVER, url, str(port)], cwd=ROOT)
    GrpcStorageProxy(host="127.0.0.1", port=port).wait_server_ready(timeout=30)
    return process


def _stop(process: subprocess.Popen[bytes]) -> None:
    process.send_signal(signal.SIGKILL)
    process.wait(10)


def test_client_processes_optimize_one_study_through_one_proxy_onto_sqlite(tmp_path: Path) -> None:
    url, port = f"sqlite:///{tmp_path / 'shared.db'}", _free_port()
    server = _start_server(url, port)
    try:
        clients = [subprocess.Popen([sys.executable, "-c", CLIENT, str(port), "15"], cwd=ROOT) for _ in range(3)]
        assert [c.wait(120) for c in clients] == [0, 0, 0]
    finally:
        _stop(server)
    storage = get_storage(url)
    trials = storage.get_all_trials(storage.get_study_id_from_name("shared"))
    assert [t.number for t in trials] == list(range(45))
    assert all(t.state == TrialState.COMPLETE and t.value == t.params["x"] ** 2 for t in trials)
    assert len({t.user_attrs["pid"] for t in trials}) == 3
    storage.close()


def test_clients_carry_on_after_the_server_restarts(tmp_path: Path) -> None:
    url, port = f"sqlite:///{tmp_path / 'restart.db'}", _free_port()
    server = _start_server(url, port)
    proxy = GrpcStorageProxy(host="127.0.0.1", port=port)
    try:
        study = hpo.create_study(study_name="restart", storage=proxy, sampler=hpo.samplers.RandomSampler(seed=0))
        study.optimize(objective, n_trials=5)
        _stop(server)
        with pytest.raises(ConnectionError, match="Cannot reach"):
            study.optimize(objective, n_trials=1)
        server = _start_server(url, port)
        proxy.wait_server_ready(timeout=10)
        study.optimize(objective, n_trials=5)
        numbers_states = [(t.number, t.state) for t in study.trials]
    finally:
        _stop(server)
        proxy.close()
    # The trial cut off by the outage stays RUNNING (as with any storage that went away); the rest went on.
    assert numbers_states[:5] == [(i, TrialState.COMPLETE) for i in range(5)]
    assert [n for n, _ in numbers_states] == list(range(len(numbers_states)))
    assert sum(s == TrialState.COMPLETE for _, s in numbers_states) == 10


def test_the_optuna_style_example_runs() -> None:
    done = subprocess.run([sys.executable, str(ROOT / "examples" / "optuna_style" / "grpc_proxy.py")],
                          capture_output=True, text=True, timeout=120, cwd=ROOT)
    assert done.returncode == 0, done.stderr
    assert "Best value:" in done.stdout


def test_without_grpcio_the_error_says_what_to_install() -> None:
    code = (
        "import sys; sys.modules['grpc'] = None\n"
        "import hpo\n"
        "assert 'grpc' not in [m.split('.')[0] for m in sys.modules if sys.modules[m] is not None]\n"
        "from hpo.storages import GrpcStorageProxy\n"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60)
    assert done.returncode == 1 and "pip install grpcio" in done.stderr, done.stderr[-2000:]
