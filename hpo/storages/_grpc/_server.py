"""The server side of the gRPC storage proxy: every storage call of its clients runs on one storage."""

from __future__ import annotations

import bisect
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import grpc

from hpo.logging import get_logger
from hpo.storages._base import BaseStorage
from hpo.storages._grpc._protocol import (
    ERROR_KEY,
    MAX_REPLY_BYTES,
    MAX_REQUEST_BYTES,
    METHODS,
    SERVICE,
    decode_args,
    dumps,
    encode_result,
    error_name,
    loads,
)
from hpo.trial import FrozenTrial

_logger = get_logger(__name__)

#: The gRPC status of each refusal (by the name it crosses under); anything else is INTERNAL.
_CODES = {
    "StudyNotFoundError": grpc.StatusCode.NOT_FOUND,
    "TrialNotFoundError": grpc.StatusCode.NOT_FOUND,
    "KeyError": grpc.StatusCode.NOT_FOUND,
    "DuplicatedStudyError": grpc.StatusCode.ALREADY_EXISTS,
    "UpdateFinishedTrialError": grpc.StatusCode.FAILED_PRECONDITION,
    "WireError": grpc.StatusCode.INVALID_ARGUMENT,
    "ValueError": grpc.StatusCode.INVALID_ARGUMENT,
    "RuntimeError": grpc.StatusCode.FAILED_PRECONDITION,
}


def run_grpc_proxy_server(
    storage: BaseStorage | str,
    *,
    host: str = "localhost",
    port: int = 13000,
    thread_pool: ThreadPoolExecutor | None = None,
) -> None:
    """Serve ``storage`` (a storage or its URL) to :class:`~hpo.storages.GrpcStorageProxy` clients on
    ``host:port`` until the process ends; ``thread_pool`` runs the calls (default: 10 threads).

    Many clients (processes, machines) then share one storage, e.g. one SQLite file or one
    database connection pool, without each opening its own. Requests are JSON, checked field by
    field on arrival (at most 16 MiB each); nothing is unpickled. The channel is not encrypted or
    authenticated: listen on ``localhost`` or a trusted network only.

    Example::

        from hpo.storages import get_storage, run_grpc_proxy_server

        run_grpc_proxy_server(get_storage("sqlite:///hpo.db"), host="localhost", port=13000)
    """
    server, bound = make_server(storage, host, port, thread_pool)
    server.start()
    _logger.info(f"Server started at {host}:{bound}")
    _logger.info("Listening...")
    try:
        server.wait_for_termination()
    except KeyboardInterrupt:
        server.stop(grace=1.0).wait()


def make_server(
    storage: BaseStorage | str, host: str, port: int, thread_pool: ThreadPoolExecutor | None = None
) -> tuple[grpc.Server, int]:
    """A gRPC server (not started) for ``storage`` on ``host:port``, and the port it bound (``port=0``: a free one)."""
    from hpo.storages import get_storage

    if isinstance(port, bool) or not isinstance(port, int) or not 0 <= port < 65536:
        raise ValueError(f"port must be an integer from 0 to 65535, got {port!r}.")
    backend = get_storage(storage)
    server = grpc.server(
        thread_pool or ThreadPoolExecutor(max_workers=10),
        options=[
            ("grpc.max_receive_message_length", MAX_REQUEST_BYTES),
            ("grpc.max_send_message_length", MAX_REPLY_BYTES),
        ],
    )
    handlers = {name: grpc.unary_unary_rpc_method_handler(_Handler(backend, name)) for name in METHODS}
    server.add_generic_rpc_handlers((grpc.method_handlers_generic_handler(SERVICE, handlers),))
    try:
        bound = server.add_insecure_port(f"{host}:{port}")
    except RuntimeError as e:
        raise OSError(f"Cannot listen on {host}:{port} ({e}); is the port taken by another server?") from None
    if bound == 0:
        raise OSError(f"Cannot listen on {host}:{port}; is the port taken by another server?")
    return server, bound


class _Handler:
    """One RPC: decode the request, call the storage, encode the result or the refusal."""

    def __init__(self, storage: BaseStorage, method: str) -> None:
        self._storage = storage
        self._method = method

    def __call__(self, request: bytes, context: grpc.ServicerContext) -> bytes:
        try:
            kwargs = decode_args(self._method, loads(request, MAX_REQUEST_BYTES))
            if self._method == "get_trials":
                result: Any = _trials_not_skipped(self._storage, **kwargs)
            else:
                result = getattr(self._storage, self._method)(**kwargs)
            return dumps(encode_result(self._method, result))
        except Exception as e:  # every refusal reaches the client, named
            name = error_name(e)
            if name == "StorageInternalError":
                _logger.exception(f"{self._method} failed in the storage behind the gRPC proxy")
            message = e.args[0] if isinstance(e, KeyError) and len(e.args) == 1 else str(e)
            context.set_trailing_metadata(((ERROR_KEY, name),))
            context.abort(_CODES.get(name, grpc.StatusCode.INTERNAL), str(message) or type(e).__name__)
            raise  # abort raised already; this satisfies the type checker


def _trials_not_skipped(
    storage: BaseStorage, study_id: int, skip: list[tuple[int, int]]
) -> tuple[list[FrozenTrial], int]:
    """The study's trials whose numbers lie in none of the ``skip`` ranges, and its number of trials."""
    trials = storage.get_all_trials(study_id, deepcopy=False)
    ranges = sorted(skip)
    firsts = [first for first, _ in ranges]

    def skipped(number: int) -> bool:
        i = bisect.bisect_right(firsts, number) - 1
        return i >= 0 and number <= ranges[i][1]

    return [t for t in trials if not skipped(t.number)], len(trials)
