"""``hpo dashboard``: serve the live, read-only web dashboard of a storage's studies."""

from __future__ import annotations

import click

from hpo.cli._options import check_database_exists, storage_option


@click.command()
@storage_option(required=True)
@click.option("--broker", metavar="URL", envvar="HPO_BROKER_URL", show_envvar=True, default=None,
              help="Redis URL of the coordinator's broker: adds the runtime panel (workers, queues, coordinator).")
@click.option("--host", default="127.0.0.1", show_default=True,
              help="Address to bind; anything but this machine's needs --auth or --token.")
@click.option("--port", default=8080, show_default=True, type=click.IntRange(0, 65535))
@click.option("--auth", metavar="USER:PASSWORD", default=None, help="Require HTTP Basic authentication.")
@click.option("--token", metavar="T", envvar="HPO_DASHBOARD_TOKEN", default=None,
              help="Require this token: Authorization: Bearer T, or open the dashboard once at /?token=T.")
def dashboard(storage: str, broker: str | None, host: str, port: int, auth: str | None, token: str | None) -> None:
    """Serve a live web dashboard of the studies in --storage (never writes it).

    Open http://HOST:PORT/ in a browser. Needs the dashboard extra: pip install 'hpo[dashboard]'.
    """
    if auth is not None and ":" not in auth:
        raise click.BadParameter("write it USER:PASSWORD", param_hint="--auth")
    check_database_exists(storage)
    try:
        import starlette  # noqa: F401
        import uvicorn  # noqa: F401
    except ImportError as e:
        raise click.ClickException(f"hpo dashboard needs Starlette and uvicorn: pip install 'hpo[dashboard]' ({e})") \
            from None
    from hpo.dashboard import open_read_only, serve

    data = open_read_only(storage, broker)
    click.echo(f"hpo dashboard on http://{host}:{port}/ (Ctrl+C stops it)")
    serve(data, host, port, basic=auth, token=token)
