"""Share one storage through Optuna's gRPC storage proxy: only the import differs from Optuna.

A proxy server serves a SQLite database; the study talks to it through ``GrpcStorageProxy``. Here
the server runs in a thread of this process to keep the example self-contained; in practice run
``run_grpc_proxy_server`` in its own process and point every optimizing process at its address.
Run: python grpc_proxy.py
"""

import socket
import tempfile
import threading

import hpo as optuna
from hpo.storages import GrpcStorageProxy, get_storage, run_grpc_proxy_server


def objective(trial):
    x = trial.suggest_float("x", -10, 10)
    y = trial.suggest_int("y", -5, 5)
    return (x - 2) ** 2 + (y + 1) ** 2


def free_port():
    with socket.socket() as s:
        s.bind(("localhost", 0))
        return s.getsockname()[1]


if __name__ == "__main__":
    workdir = tempfile.mkdtemp()
    port = free_port()
    storage = get_storage(f"sqlite:///{workdir}/example.db")
    threading.Thread(target=run_grpc_proxy_server, args=(storage,), kwargs={"port": port}, daemon=True).start()

    proxy = GrpcStorageProxy(host="localhost", port=port)
    proxy.wait_server_ready(timeout=10)
    study = optuna.create_study(study_name="grpc-example", storage=proxy)
    study.optimize(objective, n_trials=50)

    print(f"Number of finished trials: {len(study.trials)}")
    print(f"Best value: {study.best_value}")
    print(f"Best params: {study.best_params}")
