"""``hpo storage ...``: the SQL schema version and its migrations."""

from __future__ import annotations

import click

from hpo.cli._options import check_database_exists, display_url, storage_option, verbosity_options


@click.group()
def storage() -> None:
    """Manage the database schema of a SQL storage."""


@storage.command()
@storage_option(required=True)
@verbosity_options
def upgrade(storage: str) -> None:
    """Migrate the database schema to the latest version (back up the database first)."""
    from hpo.storages import upgrade as upgrade_schema

    check_database_exists(storage)
    old, new = upgrade_schema(storage)
    if old == new:
        click.echo(f"Already at the latest version {new}")
    elif old is None:
        click.echo(f"Created the hpo schema in {display_url(storage)} at version {new}")
    else:
        click.echo(f"Upgraded {display_url(storage)} from {old} to {new}")


@storage.command()
@storage_option(required=True)
@verbosity_options
def version(storage: str) -> None:
    """Print the schema version (revision) of the database."""
    from hpo.storages import current_version

    check_database_exists(storage)
    revision = current_version(storage)
    if revision is None:
        click.echo(f"No hpo schema in {display_url(storage)} yet: the first study or `hpo storage upgrade` creates it.")
    else:
        click.echo(revision)

