"""``hpo storage ...``: the SQL schema version and its migrations, and importing Optuna's databases."""

from __future__ import annotations

from typing import Literal

import click

from hpo.cli._options import (
    STORAGE_ENVS,
    check_database_exists,
    display_url,
    storage_option,
    verbosity_options,
)
from hpo.cli._output import echo_rows, format_option
from hpo.trial import TrialState


@click.group()
def storage() -> None:
    """Manage the database schema of a SQL storage; copy studies from an Optuna database."""


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



@storage.command(name="import")
@click.option("--from", "from_url", required=True, metavar="URL",
              help="Database written by Optuna 3.0 to 5.x, e.g. sqlite:///optuna.db (only read).")
@click.option("--to", "to_url", required=True, metavar="URL", envvar=list(STORAGE_ENVS), show_envvar=True,
              help="hpo database to copy into (created if empty), e.g. sqlite:///hpo.db.")
@click.option("--study", "studies", multiple=True, metavar="NAME",
              help="Copy only this study; repeat for several.  [default: all]")
@click.option("--datetimes", type=click.Choice(["auto", "utc", "local"]), default="auto", show_default=True,
              help="How the source stores trial times: utc (Optuna 5), local (Optuna 3 and 4), or auto: by "
                   "the Optuna version that created it.")
@format_option
@verbosity_options
def import_(
    from_url: str, to_url: str, studies: tuple[str, ...], datetimes: Literal["auto", "utc", "local"], fmt: str
) -> None:
    """Copy studies from an Optuna database into an hpo database.

    Every trial is copied with its number, state, parameters and distributions, values, intermediate
    values, attributes and times; each study in one transaction. A study whose name the target
    already has is refused. Stop the processes writing to the Optuna database first.
    """
    from hpo.storages import import_optuna_database

    copied = import_optuna_database(from_url, to_url, studies or None, datetimes=datetimes)
    rows = [
        {
            "study": study.study_name,
            "directions": [d.name for d in study.directions],
            "n_trials": study.n_trials,
            **{state.name: study.states.get(state, 0) for state in TrialState},
            "renumbered": study.renumbered,
        }
        for study in copied
    ]
    echo_rows(rows, fmt, empty=f"(no studies in {display_url(from_url)})")
    if fmt.lower() == "table":
        n_trials = sum(study.n_trials for study in copied)
        n_studies = "1 study" if len(copied) == 1 else f"{len(copied)} studies"
        click.echo(f"Copied {n_studies} ({n_trials} trials) from {display_url(from_url)} to {display_url(to_url)}.",
                   err=True)
        if any(study.renumbered for study in copied):
            click.echo("Some trial numbers were not 0, 1, 2 ... in the source (concurrent writers left "
                       "duplicates): those studies' trials were numbered again in the source's order.", err=True)
