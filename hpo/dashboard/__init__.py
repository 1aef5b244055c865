"""``hpo dashboard``: a live, read-only web view of a storage's studies (and of the runtime, given a broker).

Needs the ``dashboard`` extra (Starlette and uvicorn): ``pip install 'hpo[dashboard]'``.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from hpo.dashboard._data import DashboardData

if TYPE_CHECKING:
    from starlette.types import ASGIApp

__all__ = ["DashboardData", "LOCAL_HOSTS", "create_app", "open_read_only", "serve"]

#: Hosts a dashboard may bind without --auth or --token.
LOCAL_HOSTS = ("127.0.0.1", "localhost", "::1")


def open_read_only(url: str, broker_url: str | None = None) -> DashboardData:
    """The dashboard's view of the storage at ``url`` (SQLite opened read-only, no tables created) and of
    the runtime on ``broker_url``."""
    from hpo.storages import RDBStorage

    engine_kwargs: dict[str, Any] = {}
    if url.startswith("sqlite:///") and "?" not in url and url != "sqlite:///:memory:":
        from pathlib import Path

        path = Path(url[len("sqlite:///"):]).resolve()
        url = f"sqlite:///file:{path}?mode=ro&uri=true"
        engine_kwargs = {"connect_args": {"uri": True}}
    return DashboardData(RDBStorage(url, engine_kwargs=engine_kwargs, skip_table_creation=True), broker_url)


def create_app(data: DashboardData, *, basic: str | None = None, token: str | None = None) -> ASGIApp:
    """The dashboard's ASGI app over ``data``; ``basic`` (``user:password``) or ``token`` guard every request."""
    from hpo.dashboard._app import create_app as create

    return create(data, basic=basic, token=token)


def serve(data: DashboardData, host: str, port: int, *, basic: str | None = None, token: str | None = None) -> None:
    """Serve the dashboard until interrupted. Refuses a host other than this machine's without a guard."""
    if host not in LOCAL_HOSTS and basic is None and token is None:
        raise ValueError(f"Binding {host} exposes the studies to the network: pass --auth user:password or "
                         "--token T (or bind 127.0.0.1).")
    import plotly.graph_objects  # noqa: F401
    import uvicorn

    import hpo.visualization  # noqa: F401  (imported now, not by the first chart's request)

    data.warm()
    uvicorn.run(create_app(data, basic=basic, token=token), host=host, port=port, log_level="warning")
