"""Options shared by several commands: storage, directions, verbosity."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any, TypeVar

import click

from hpo import logging
from hpo.storages import BaseStorage, get_storage

STORAGE_ENV = "HPO_STORAGE_URL"
OPTUNA_STORAGE_ENV = "OPTUNA_STORAGE"
STORAGE_ENVS = (STORAGE_ENV, OPTUNA_STORAGE_ENV)
"""Where ``--storage`` is read from when not given, in this order (Optuna's variable is accepted too)."""
NO_STORAGE = (
    f"No storage given: pass --storage URL or set {STORAGE_ENV} (or {OPTUNA_STORAGE_ENV}), e.g. sqlite:///hpo.db"
)
DIRECTIONS = ("minimize", "maximize")

F = TypeVar("F", bound=Callable[..., Any])


class ManyValuesOption(click.Option):
    """A repeatable option that also takes the arguments after it while they are valid values.

    ``--directions minimize maximize`` and ``--directions minimize --directions maximize`` both
    give ``("minimize", "maximize")``, as in Optuna's command line; ``choices`` makes a case-insensitive
    choice, or ``type`` (e.g. ``float``: ``--values 1.5 -2``) says what a value is.
    """

    def __init__(
        self, param_decls: Sequence[str] | None = None, *, choices: Sequence[str] | None = None, **kwargs: Any
    ) -> None:
        if choices is not None:
            kwargs["type"] = click.Choice(choices, case_sensitive=False)
        super().__init__(param_decls, multiple=True, **kwargs)

    def add_to_parser(self, parser: Any, ctx: click.Context) -> None:
        super().add_to_parser(parser, ctx)
        for opt in self.opts:
            parser_option = parser._long_opt.get(opt) or parser._short_opt.get(opt)
            take_one = parser_option.process

            def take_many(value: str, state: Any, take_one: Callable[[str, Any], None] = take_one) -> None:
                take_one(value, state)
                while state.rargs and self._is_value(state.rargs[0]):
                    take_one(state.rargs.pop(0), state)

            parser_option.process = take_many

    def _is_value(self, arg: str) -> bool:
        try:
            self.type.convert(arg, self, None)
        except click.BadParameter:
            return False
        return True


def storage_option(required: bool) -> Callable[[F], F]:
    """``--storage URL`` (default ``$HPO_STORAGE_URL``, else ``$OPTUNA_STORAGE``); without one, an error if
    ``required``."""

    def check(ctx: click.Context, param: click.Parameter, value: str | None) -> str | None:
        if required and not value:
            raise click.UsageError(NO_STORAGE, ctx)
        return value or None

    help_text = "Storage URL, e.g. sqlite:///hpo.db or postgresql+psycopg://user:password@host/db."
    if not required:
        help_text += " Without one, the study lives in memory and is lost at exit."
    return click.option(
        "--storage", metavar="URL", envvar=list(STORAGE_ENVS), show_envvar=True, callback=check, help=help_text
    )


def direction_options(func: F) -> F:
    """``--direction D`` or ``--directions D1 D2 ...`` (mutually exclusive)."""
    func = click.option(
        "--directions",
        cls=ManyValuesOption,
        choices=DIRECTIONS,
        help="Directions of a multi-objective study, one per objective value: --directions minimize maximize.",
    )(func)
    return click.option(
        "--direction",
        type=click.Choice(DIRECTIONS, case_sensitive=False),
        help="Direction of a single-objective study.  [default: minimize]",
    )(func)


def resolve_directions(direction: str | None, directions: Sequence[str]) -> dict[str, Any]:
    """``create_study`` keyword arguments for the direction options; a usage error when both are given."""
    if direction is not None and directions:
        raise click.UsageError("Give either --direction or --directions, not both.")
    if directions:
        return {"directions": [d.lower() for d in directions]}
    return {"direction": direction.lower() if direction is not None else None}


def verbosity_options(func: F) -> F:
    """``-v/--verbose`` (debug logs) and ``-q/--quiet`` (warnings and errors only)."""

    def set_level(level: int) -> Callable[[click.Context, click.Parameter, bool], None]:
        def callback(ctx: click.Context, param: click.Parameter, value: bool) -> None:
            if value:
                logging.set_verbosity(level)

        return callback

    func = click.option(
        "-q", "--quiet", is_flag=True, expose_value=False, callback=set_level(logging.WARNING),
        help="Log only warnings and errors.",
    )(func)
    return click.option(
        "-v", "--verbose", is_flag=True, expose_value=False, callback=set_level(logging.DEBUG),
        help="Log debug messages too.",
    )(func)


def open_storage(url: str, must_exist: bool = True) -> BaseStorage:
    """The storage at ``url``; with ``must_exist``, a missing SQLite file is an error instead of a new database."""
    if must_exist:
        check_database_exists(url)
    return get_storage(url)


def check_database_exists(url: str) -> None:
    """Fail clearly when ``url`` names an SQLite file that does not exist (SQLite would create it)."""
    path = sqlite_path(url)
    if path is not None and not path.exists():
        raise click.ClickException(
            f"No SQLite database at {path}: check --storage {url} (sqlite:///relative.db or "
            "sqlite:////absolute/path.db), or create a study there with `hpo study create`."
        )


def sqlite_path(url: str) -> Path | None:
    """The file of an ``sqlite:///`` URL; None for other databases and in-memory SQLite."""
    from sqlalchemy.engine import make_url
    from sqlalchemy.exc import ArgumentError

    try:
        parsed = make_url(url)
    except ArgumentError:
        return None  # the storage reports the bad URL itself
    database = parsed.database
    if parsed.get_backend_name() != "sqlite" or database in (None, "", ":memory:") or database.startswith("file:"):
        return None
    return Path(database)


def display_url(url: str) -> str:
    """``url`` with its password hidden."""
    from sqlalchemy.engine import make_url
    from sqlalchemy.exc import ArgumentError

    try:
        return make_url(url).render_as_string(hide_password=True)
    except ArgumentError:
        return url
