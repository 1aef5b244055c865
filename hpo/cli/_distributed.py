"""The distributed commands: ``hpo coordinator start``, ``hpo study submit|status|cancel``, ``hpo run --workers``."""

from __future__ import annotations

import os
import time
from typing import Any

import click

import hpo
from hpo.cli._components import PRUNER_NAMES, SAMPLER_NAMES, make_pruner, make_sampler
from hpo.cli._load import worker_target
from hpo.cli._options import STORAGE_ENVS
from hpo.cli._output import echo_object, echo_rows, format_option
from hpo.distributed.client import get_study_handle
from hpo.distributed.local_stack import LocalStack
from hpo.exceptions import BrokerUnavailableError, CoordinatorConflictError

BROKER_ENV = "HPO_BROKER_URL"
DEFAULT_LOCAL_STORAGE = "sqlite:///hpo.db"


def broker_option(func: Any) -> Any:
    return click.option(
        "--broker", metavar="URL", envvar=BROKER_ENV, show_envvar=True,
        help="Redis URL of the broker, e.g. redis://host:6379/0.",
    )(func)


@click.group()
def coordinator() -> None:
    """Run the coordinator that hosts submitted studies."""


@coordinator.command()
@click.option("--storage", metavar="URL", envvar=list(STORAGE_ENVS), show_envvar=True, required=True,
              help="SQL storage the coordinator writes, e.g. sqlite:///hpo.db.")
@broker_option
@click.option("--metrics-port", type=click.IntRange(0, 65535), envvar="HPO_METRICS_PORT", show_envvar=True,
              default=None, help="Serve Prometheus metrics (/metrics) and a health check (/healthz) on this port.")
@click.option("--metrics-host", default="127.0.0.1", envvar="HPO_METRICS_HOST", show_envvar=True, show_default=True,
              help="Address the metrics port listens on (0.0.0.0 for a Prometheus on another host or pod).")
def start(storage: str, broker: str | None, metrics_port: int | None, metrics_host: str) -> None:
    """Host every submitted study until Ctrl-C or SIGTERM."""
    from hpo.coordinator import serve

    try:
        serve(storage, broker, None if metrics_port is None else (metrics_host, metrics_port))
    except (BrokerUnavailableError, CoordinatorConflictError) as e:
        raise click.ClickException(str(e)) from None


@coordinator.command("dead-letters")
@click.option("--limit", type=click.IntRange(min=1), default=20, show_default=True, help="How many, newest first.")
@broker_option
@format_option
def dead_letters(limit: int, broker: str | None, fmt: str) -> None:
    """List the messages the coordinator refused on arrival (too large, not JSON, unknown...) and why."""
    from hpo.distributed.client import read_dead_letters

    rows = [
        {"at": time.strftime("%Y-%m-%d %H:%M:%S", time.localtime(d.at)), "stream": d.stream, "reason": d.reason,
         "size": d.size, "message": d.message[:200]}
        for d in read_dead_letters(limit, broker_url=broker)
    ]
    echo_rows(rows, fmt, empty="(no dead letters)")


def submit_options(func: Any) -> Any:
    for option in reversed([
        click.option(
            "--n-trials", type=click.IntRange(min=1), required=True, help="Trials to run, across all workers."
        ),
        click.option("--study-name", help="Name of the study. A unique name is generated when omitted."),
        click.option("--queue", help="Celery queue of the workers to use (cpu, gpu, ...).  [default: cpu]"),
        click.option("--timeout", type=click.FloatRange(min=0), metavar="SECONDS", help="Publish no trial after this."),
        click.option("--load-if-exists", is_flag=True, help="Add trials to the study if it already exists."),
        click.option("--trial-timeout", type=click.FloatRange(min=0, min_open=True), metavar="SECONDS",
                      help="Stop each trial after this long; it ends FAIL."),
        click.option("--max-retries", type=click.IntRange(min=0), default=0, show_default=True,
                     help="Run a trial again when its worker or process dies, up to this many times."),
    ]):
        func = option(func)
    return func


@click.command()
@click.argument("objective", metavar="MODULE:FUNCTION|NAME")
@submit_options
@click.option("--direction", type=click.Choice(["minimize", "maximize"], case_sensitive=False))
@click.option("--sampler", metavar="NAME", help=f"{', '.join(SAMPLER_NAMES)}, or MODULE:CLASS.")
@click.option("--pruner", metavar="NAME", help=f"{', '.join(PRUNER_NAMES)}, or MODULE:CLASS.")
@click.option("--wait/--no-wait", default=False, help="Wait for the study to end, with a progress bar.")
@broker_option
def submit(objective: str, n_trials: int, study_name: str | None, queue: str | None, timeout: float | None,
           load_if_exists: bool, trial_timeout: float | None, max_retries: int, direction: str | None,
           sampler: str | None, pruner: str | None, wait: bool, broker: str | None) -> None:
    """Submit a study of OBJECTIVE (importable by the workers) to the coordinator."""
    handle = hpo.submit_study(
        objective, n_trials, study_name=study_name, direction=direction, sampler=make_sampler(sampler),
        pruner=make_pruner(pruner), queue=queue, timeout=timeout, load_if_exists=load_if_exists, broker_url=broker,
        trial_timeout=trial_timeout, max_retries=max_retries,
    )
    click.echo(handle.study_name)
    if wait:
        handle.wait(progress=True)


@click.command()
@click.argument("study_name")
@format_option
@broker_option
def status(study_name: str, fmt: str, broker: str | None) -> None:
    """Progress of a submitted study, from the coordinator."""
    echo_object(get_study_handle(study_name, broker_url=broker).status(), fmt)


@click.command()
@click.argument("study_name")
@broker_option
def cancel(study_name: str, broker: str | None) -> None:
    """Publish no more trials of a submitted study; running ones are pruned at their next report."""
    echo_object(get_study_handle(study_name, broker_url=broker).cancel(), "table")


def run_on_workers(
    target: str,
    n_workers: int,
    n_trials: int,
    timeout: float | None,
    storage: str | None,
    study_name: str | None,
    direction_kwargs: dict[str, Any],
    sampler: str | None,
    pruner: str | None,
    load_if_exists: bool,
    progress: bool,
    queue: str,
) -> tuple[hpo.Study, float, bool]:
    """Start a local stack (embedded Redis unless HPO_BROKER_URL is set), run the study on it, tear it
    down; return the study, the seconds it took, and whether Ctrl-C interrupted it."""
    objective_path, pythonpath = worker_target(target)
    storage = storage or DEFAULT_LOCAL_STORAGE
    click.echo(f"Starting a local stack: Redis, a coordinator and {n_workers} worker process(es); storage {storage}.",
               err=True)
    started = time.perf_counter()
    sampler_obj, pruner_obj = make_sampler(sampler), make_pruner(pruner)
    own_classes = [type(obj).__module__ for obj in (sampler_obj, pruner_obj) if obj is not None]
    with LocalStack(
        storage_url=storage, n_workers=n_workers, queues=[queue], objective_modules=[objective_path.split(":")[0]],
        spec_modules=[m for m in own_classes if m != "hpo" and not m.startswith("hpo.")],
        pythonpath=pythonpath, broker_url=os.environ.get(BROKER_ENV),
    ) as stack:
        handle = hpo.submit_study(
            objective_path, n_trials, study_name=study_name, sampler=sampler_obj, pruner=pruner_obj,
            storage=storage, queue=queue, timeout=timeout, load_if_exists=load_if_exists, broker_url=stack.broker_url,
            **direction_kwargs,
        )
        try:
            return handle.wait(progress=progress), time.perf_counter() - started, False
        except KeyboardInterrupt:  # Ctrl-C: the running trials end, the stack stops at once
            click.echo("\nInterrupted: cancelling the study and stopping the local stack.", err=True)
            try:
                handle.cancel()
            except hpo.exceptions.HpoError as e:
                click.echo(f"Could not cancel the study: {e}", err=True)
            stack.stop(grace_s=0.5)  # the trials are cancelled: their workers need not finish them
            return handle.study, time.perf_counter() - started, True
