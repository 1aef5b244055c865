"""``hpo run FILE_OR_MODULE:FUNCTION``: optimize an objective and print the best trial."""

from __future__ import annotations

import collections
import time
from typing import Any

import click

import hpo
from hpo.cli._components import PRUNER_NAMES, SAMPLER_NAMES, make_pruner, make_sampler
from hpo.cli._distributed import DEFAULT_LOCAL_STORAGE, run_on_workers
from hpo.cli._load import load_objective
from hpo.cli._options import (
    STORAGE_ENV,
    direction_options,
    display_url,
    open_storage,
    resolve_directions,
    storage_option,
    verbosity_options,
)
from hpo.cli._output import echo_object, echo_rows
from hpo.cli._records import best_records
from hpo.exceptions import DuplicatedStudyError
from hpo.trial import TrialState


@click.command()
@click.argument("target", metavar="FILE_OR_MODULE:FUNCTION")
@click.option("--n-trials", type=click.IntRange(min=0), help="Number of trials to run.")
@click.option("--timeout", type=click.FloatRange(min=0), metavar="SECONDS", help="Stop starting trials after this.")
@storage_option(required=False)
@click.option("--study-name", help="Name of the study. A unique name is generated when omitted.")
@direction_options
@click.option("--sampler", metavar="NAME", help=f"{', '.join(SAMPLER_NAMES)}, or MODULE:CLASS.  [default: tpe]")
@click.option("--pruner", metavar="NAME", help=f"{', '.join(PRUNER_NAMES)}, or MODULE:CLASS.  [default: median]")
@click.option("--load-if-exists", is_flag=True, help="Add trials to the study if it already exists.")
@click.option("--no-progress", is_flag=True, help="Hide the progress bar.")
@click.option("--workers", type=click.IntRange(min=1), metavar="K",
              help="Run on K local Celery worker processes with an embedded Redis and a coordinator "
                   "(storage: --storage, else sqlite:///hpo.db).")
@click.option("--queue", default="cpu", show_default=True, help="With --workers: the queue the workers consume.")
@verbosity_options
def run(
    target: str,
    n_trials: int | None,
    timeout: float | None,
    storage: str | None,
    study_name: str | None,
    direction: str | None,
    directions: tuple[str, ...],
    sampler: str | None,
    pruner: str | None,
    load_if_exists: bool,
    no_progress: bool,
    workers: int | None,
    queue: str,
) -> None:
    """Run an objective for --n-trials trials and/or --timeout seconds, here or on --workers K.

    FILE_OR_MODULE:FUNCTION names the objective, e.g. examples/quadratic.py:objective or
    my_package.objectives:objective. At the end the best trial and the wall time are printed.
    """
    if n_trials is None and timeout is None:
        raise click.UsageError("Give --n-trials N, --timeout SECONDS, or both; otherwise the run never ends.")
    direction_kwargs = resolve_directions(direction, directions)
    if workers is not None:
        if n_trials is None:
            raise click.UsageError("--workers needs --n-trials N (the budget the coordinator counts across workers).")
        study, wall_s, interrupted = run_on_workers(target, workers, n_trials, timeout, storage, study_name,
                                                    direction_kwargs, sampler, pruner, load_if_exists,
                                                    not no_progress, queue)
        _echo_summary(study, [t.number for t in study.get_trials(deepcopy=False)][-n_trials:], wall_s,
                      storage or DEFAULT_LOCAL_STORAGE)
        if interrupted:
            raise click.ClickException("Interrupted.")
        return
    objective = load_objective(target)
    sampler_obj, pruner_obj = make_sampler(sampler), make_pruner(pruner)
    study = _create_study(storage, study_name, direction_kwargs, sampler_obj, pruner_obj, load_if_exists)
    if storage is None:
        click.echo(
            f"Study {study.study_name!r} is in memory and is lost at exit; pass --storage URL or set "
            f"{STORAGE_ENV} to keep it.",
            err=True,
        )

    numbers: list[int] = []
    started = time.perf_counter()
    try:
        _optimize_in_process(study, objective, n_trials, timeout, not no_progress, numbers)
    except KeyboardInterrupt:
        _echo_summary(study, numbers, time.perf_counter() - started, storage)
        raise click.ClickException("Interrupted.") from None
    except Exception as e:
        _echo_summary(study, numbers, time.perf_counter() - started, storage)
        raise click.ClickException(
            f"The objective raised {e!r} (its traceback is logged above); the run stopped there."
        ) from None
    _echo_summary(study, numbers, time.perf_counter() - started, storage)


def _create_study(
    storage: str | None,
    study_name: str | None,
    direction_kwargs: dict[str, Any],
    sampler: hpo.samplers.BaseSampler | None,
    pruner: hpo.pruners.BasePruner | None,
    load_if_exists: bool,
) -> hpo.Study:
    try:
        return hpo.create_study(
            storage=None if storage is None else open_storage(storage, must_exist=False),
            study_name=study_name,
            sampler=sampler,
            pruner=pruner,
            load_if_exists=load_if_exists,
            **direction_kwargs,
        )
    except DuplicatedStudyError:
        raise click.ClickException(
            f"A study named {study_name!r} already exists in {display_url(storage or 'memory')}. "
            "Pass --load-if-exists to add trials to it, or choose another --study-name."
        ) from None
    except ValueError as e:  # an existing study with other directions
        raise click.ClickException(str(e)) from None


def _optimize_in_process(
    study: hpo.Study,
    objective: Any,
    n_trials: int | None,
    timeout: float | None,
    progress: bool,
    numbers: list[int],
) -> None:
    """Run trials here with ``study.optimize``, appending the number of each trial started to ``numbers``."""

    def recorded(trial: hpo.Trial) -> Any:
        numbers.append(trial.number)
        return objective(trial)

    study.optimize(recorded, n_trials=n_trials, timeout=timeout, show_progress_bar=progress)


def _echo_summary(study: hpo.Study, numbers: list[int], wall_s: float, storage: str | None) -> None:
    started = set(numbers)
    counts = collections.Counter(t.state for t in study.get_trials(deepcopy=False) if t.number in started)
    details = ", ".join(f"{counts[state]} {state.name.lower()}" for state in TrialState if counts[state])
    where = display_url(storage) if storage is not None else "memory"
    plural = "" if len(numbers) == 1 else "s"
    click.echo(
        f"Ran {len(numbers)} trial{plural} ({details or 'none'}) of study {study.study_name!r} in {where} "
        f"in {wall_s:.2f} s."
    )
    records = best_records(study)
    if not records:
        click.echo("No trial completed, so there is no best trial.")
    elif len(study.directions) == 1:
        click.echo("Best trial:")
        echo_object(records[0], "table")
    else:
        click.echo(f"Best trials (Pareto front, {len(records)}):")
        echo_rows(records, "table")
