"""Alembic environment of hpo's schema.

hpo runs it with an open connection in ``config.attributes["connection"]``; the alembic command line
(see alembic.ini) runs it with ``-x url=...`` or the ini's ``sqlalchemy.url``.
"""

from __future__ import annotations

from logging.config import fileConfig

from alembic import context
from sqlalchemy.engine import Connection

from hpo.storages._sql._database import Database
from hpo.storages._sql._models import BaseModel

config = context.config
target_metadata = BaseModel.metadata


def _run(connection: Connection) -> None:
    context.configure(
        connection=connection,
        target_metadata=target_metadata,
        render_as_batch=connection.dialect.name == "sqlite",  # SQLite alters tables by copying them
    )
    with context.begin_transaction():
        context.run_migrations()


def _url() -> str:
    url = context.get_x_argument(as_dictionary=True).get("url") or config.get_main_option("sqlalchemy.url")
    assert url is not None
    return url


if context.is_offline_mode():
    context.configure(url=_url(), target_metadata=target_metadata, literal_binds=True, render_as_batch=True)
    with context.begin_transaction():
        context.run_migrations()
elif "connection" in config.attributes:
    _run(config.attributes["connection"])
else:
    if config.config_file_name is not None:
        fileConfig(config.config_file_name)
    database = Database(_url())
    try:
        database.run(_run, write=True)
    finally:
        database.dispose()
