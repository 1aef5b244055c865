"""Optuna's gRPC storage proxy: :func:`run_grpc_proxy_server` serves a storage, :class:`GrpcStorageProxy` uses it.

Needs ``grpcio`` (``pip install 'hpo[grpc]'``); ``import hpo`` does not load it.
"""

try:
    import grpc  # noqa: F401
except ImportError as e:
    raise ImportError(
        "GrpcStorageProxy and run_grpc_proxy_server need grpcio: pip install grpcio (or pip install 'hpo[grpc]')."
    ) from e

from hpo.storages._grpc._client import GrpcStorageProxy  # noqa: E402
from hpo.storages._grpc._server import run_grpc_proxy_server  # noqa: E402

__all__ = ["GrpcStorageProxy", "run_grpc_proxy_server"]
