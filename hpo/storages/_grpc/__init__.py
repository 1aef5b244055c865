"""Optuna's gRPC storage proxy: :func:`run_grpc_proxy_server` serves a storage, :class:`GrpcStorageProxy` uses it.

Needs ``grpcio`` (``pip install 'hpo[grpc]'``).
"""

from hpo.storages._grpc._client import GrpcStorageProxy
from hpo.storages._grpc._server import run_grpc_proxy_server

__all__ = ["GrpcStorageProxy", "run_grpc_proxy_server"]
