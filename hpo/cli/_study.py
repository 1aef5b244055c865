"""``hpo study ...``: create, list, show, best, trials, plot, delete."""

from __future__ import annotations

import importlib.util
import pathlib

import click

import hpo
from hpo.cli._options import (
    ManyValuesOption,
    direction_options,
    display_url,
    open_storage,
    resolve_directions,
    storage_option,
    verbosity_options,
)
from hpo.cli._output import echo_object, echo_rows, format_option
from hpo.cli._records import best_records, study_record, summary_record, trial_records
from hpo.exceptions import DuplicatedStudyError
from hpo.trial import TrialState


@click.group()
def study() -> None:
    """Create, inspect and delete studies in a storage."""


@study.command()
@click.option("--study-name", help="Name of the study. A unique name is generated when omitted.")
@direction_options
@click.option("--skip-if-exists", is_flag=True, help="Succeed without change if the study already exists.")
@storage_option(required=True)
@verbosity_options
def create(
    study_name: str | None, direction: str | None, directions: tuple[str, ...], skip_if_exists: bool, storage: str
) -> None:
    """Create a study and print its name."""
    kwargs = resolve_directions(direction, directions)
    try:
        created = hpo.create_study(
            storage=open_storage(storage, must_exist=False), study_name=study_name, load_if_exists=skip_if_exists,
            **kwargs,
        )
    except DuplicatedStudyError:
        raise click.ClickException(
            f"A study named {study_name!r} already exists in {display_url(storage)}. "
            "Pass --skip-if-exists to accept it, or choose another --study-name."
        ) from None
    except ValueError as e:  # an existing study with other directions
        raise click.ClickException(str(e)) from None
    click.echo(created.study_name)


@study.command(name="list")
@storage_option(required=True)
@format_option
@verbosity_options
def list_(storage: str, fmt: str) -> None:
    """List the studies: name, directions, trial count, best value, start time."""
    summaries = hpo.get_all_study_summaries(open_storage(storage))
    echo_rows([summary_record(s) for s in summaries], fmt, empty="(no studies)")


@study.command()
@click.argument("name")
@storage_option(required=True)
@format_option
@verbosity_options
def show(name: str, storage: str, fmt: str) -> None:
    """Show a study: directions, trial counts per state, start time, user attributes, best trial(s)."""
    echo_object(study_record(_load(name, storage)), fmt)


@study.command()
@click.argument("name")
@storage_option(required=True)
@format_option
@verbosity_options
def best(name: str, storage: str, fmt: str) -> None:
    """Show the best trial, or the Pareto front of a multi-objective study."""
    loaded = _load(name, storage)
    records = best_records(loaded)
    if not records:
        raise click.ClickException(f"Study {name!r} has no completed trial yet, so it has no best trial.")
    if len(loaded.directions) == 1:
        echo_object(records[0], fmt)
    else:
        echo_rows(records, fmt)


@study.command()
@click.argument("name")
@click.option(
    "--state",
    "states",
    cls=ManyValuesOption,
    choices=[s.name for s in TrialState],
    help="Show only trials in these states: --state COMPLETE PRUNED.",
)
@storage_option(required=True)
@format_option
@verbosity_options
def trials(name: str, states: tuple[str, ...], storage: str, fmt: str) -> None:
    """List the trials: number, state, value(s), parameters, duration."""
    echo_rows(trial_records(_load(name, storage), states=states), fmt, empty="(no trials)")


#: ``hpo study plot --kind``: the hpo.visualization function of each kind, and whether it takes ``params``.
PLOT_KINDS = {
    "history": ("plot_optimization_history", False),
    "intermediate": ("plot_intermediate_values", False),
    "importances": ("plot_param_importances", True),
    "parallel": ("plot_parallel_coordinate", True),
    "contour": ("plot_contour", True),
    "slice": ("plot_slice", True),
    "edf": ("plot_edf", False),
    "rank": ("plot_rank", True),
    "pareto": ("plot_pareto_front", False),
    "timeline": ("plot_timeline", False),
}


@study.command()
@click.argument("name")
@click.option("--kind", type=click.Choice(list(PLOT_KINDS)), default="history", show_default=True,
              help="Which of Optuna's plots.")
@click.option("--param", "params", multiple=True, metavar="NAME",
              help="Only this parameter (repeat for several; where the plot takes parameters).")
@click.option("-o", "--output", "output", required=True, type=click.Path(dir_okay=False),
              help="fig.html (opens offline: plotly.js is inside) or fig.png (needs kaleido).")
@storage_option(required=True)
@verbosity_options
def plot(name: str, kind: str, params: tuple[str, ...], output: str, storage: str) -> None:
    """Draw one of Optuna's plots of a study into an HTML or PNG file."""
    from hpo import visualization

    suffix = pathlib.Path(output).suffix.lower()
    if suffix not in (".html", ".png"):
        raise click.BadParameter(f"{output!r} must end in .html or .png.", param_hint="-o/--output")
    if suffix == ".png" and importlib.util.find_spec("kaleido") is None:
        raise click.ClickException("Writing PNG needs kaleido: pip install kaleido, or write an .html file instead.")
    function_name, takes_params = PLOT_KINDS[kind]
    kwargs = {"params": list(params)} if params and takes_params else {}
    try:
        figure = getattr(visualization, function_name)(_load(name, storage), **kwargs)
    except ValueError as e:  # e.g. a multi-objective study without a target, or a one-objective Pareto front
        raise click.ClickException(str(e)) from None
    if suffix == ".png":
        figure.write_image(output)
    else:
        figure.write_html(output, include_plotlyjs=True)
    click.echo(f"Wrote the {kind} plot of study {name!r} to {output}.")


@study.command()
@click.argument("name")
@click.option("--yes", "-y", is_flag=True, help="Delete without asking for confirmation.")
@storage_option(required=True)
@verbosity_options
def delete(name: str, yes: bool, storage: str) -> None:
    """Delete a study and all its trials."""
    storage_obj = open_storage(storage)
    study_id = storage_obj.get_study_id_from_name(name)
    n_trials = storage_obj.get_n_trials(study_id)
    if not yes:
        click.confirm(f"Delete study {name!r} and its {n_trials} trials from {display_url(storage)}?", abort=True)
    storage_obj.delete_study(study_id)
    click.echo(f"Deleted study {name!r} ({n_trials} trials).")


def _load(name: str, storage: str) -> hpo.Study:
    return hpo.load_study(study_name=name, storage=open_storage(storage))
