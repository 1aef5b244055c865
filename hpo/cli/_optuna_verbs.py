"""The commands of Optuna's CLI under their Optuna names and options, output in Optuna's formats.

``hpo ask``, ``hpo tell``, ``hpo trials``, ``hpo best-trial``, ``hpo best-trials``, ``hpo studies``,
``hpo study-names``, ``hpo delete-study``, ``hpo study set-user-attr``; ``hpo create-study`` is
``hpo study create`` (see ``_main.py``). A script written for ``optuna`` runs with ``hpo`` instead.
"""

from __future__ import annotations

import json
from typing import Any

import click

import hpo
from hpo.cli._options import ManyValuesOption, display_url, open_storage, storage_option, verbosity_options
from hpo.cli._optuna_output import Column, Record, echo_records, format_options, trial_records
from hpo.distributions import BaseDistribution, json_to_distribution
from hpo.exceptions import StudyNotFoundError
from hpo.logging import get_logger
from hpo.trial import TrialState

_logger = get_logger(__name__)

study_name_option = click.option("--study-name", metavar="NAME", help="Name of the study.")
required_study_name_option = click.option("--study-name", metavar="NAME", required=True, help="Name of the study.")


def _load(study_name: str | None, storage: str, sampler: hpo.samplers.BaseSampler | None = None) -> hpo.Study:
    try:
        return hpo.load_study(study_name=study_name, storage=open_storage(storage), sampler=sampler)
    except StudyNotFoundError as e:
        raise click.ClickException(
            f"{e} Create it first: hpo create-study --study-name NAME --storage '{display_url(storage)}'."
        ) from None


# --- studies -------------------------------------------------------------------------------------
@click.command(name="study-names")
@storage_option(required=True)
@format_options(default="value")
@verbosity_options
def study_names(storage: str, fmt: str, flatten: bool) -> None:
    """List the names of the studies in the storage."""
    records: list[Record] = [{("name", ""): name} for name in hpo.get_all_study_names(open_storage(storage))]
    echo_records(records, [("name", "")], fmt, flatten)


@click.command()
@storage_option(required=True)
@format_options(default="table")
@verbosity_options
def studies(storage: str, fmt: str, flatten: bool) -> None:
    """List the studies: name, directions, number of trials, start time (and user attributes)."""
    records: list[Record] = [
        {
            ("name", ""): summary.study_name,
            ("direction", ""): tuple(d.name for d in summary.directions),
            ("n_trials", ""): summary.n_trials,
            ("datetime_start", ""): summary.datetime_start,
            ("user_attrs", ""): summary.user_attrs,
        }
        for summary in hpo.get_all_study_summaries(open_storage(storage), include_best_trial=False)
    ]
    columns: list[Column] = [("name", ""), ("direction", ""), ("n_trials", ""), ("datetime_start", "")]
    if any(record[("user_attrs", "")] for record in records):
        columns.append(("user_attrs", ""))
    echo_records(records, columns, fmt, flatten)


@click.command(name="delete-study")
@required_study_name_option
@storage_option(required=True)
@verbosity_options
def delete_study(study_name: str, storage: str) -> None:
    """Delete a study and its trials, without asking (hpo study delete asks)."""
    hpo.delete_study(study_name=study_name, storage=open_storage(storage))
    _logger.info(f"Deleted study {study_name!r}.")


@click.command(name="set-user-attr")
@required_study_name_option
@click.option("--key", "-k", required=True, help="Key of the user attribute.")
@click.option("--value", required=True, help="Value to set (stored as a string).")
@storage_option(required=True)
@verbosity_options
def set_user_attr(study_name: str, key: str, value: str, storage: str) -> None:
    """Set a user attribute of a study."""
    _load(study_name, storage).set_user_attr(key, value)
    _logger.info("Attribute successfully written.")


# --- trials --------------------------------------------------------------------------------------
@click.command()
@required_study_name_option
@storage_option(required=True)
@format_options(default="table")
@verbosity_options
def trials(study_name: str, storage: str, fmt: str, flatten: bool) -> None:
    """List the trials: number, value(s), times, duration, parameters, user attributes, state."""
    records, columns = trial_records(_load(study_name, storage))
    echo_records(records, columns, fmt, flatten)


@click.command(name="best-trial")
@required_study_name_option
@storage_option(required=True)
@format_options(default="table")
@verbosity_options
def best_trial(study_name: str, storage: str, fmt: str, flatten: bool) -> None:
    """Show the best trial of a single-objective study."""
    study = _load(study_name, storage)
    if len(study.directions) > 1:
        raise click.ClickException(
            f"Study {study_name!r} has {len(study.directions)} objectives, so no single best trial: use best-trials."
        )
    try:
        best = study.best_trial
    except ValueError:
        raise click.ClickException(f"Study {study_name!r} has no completed trial yet, so no best trial.") from None
    records, columns = trial_records(study, [best])
    echo_records(records[0], columns, fmt, flatten)


@click.command(name="best-trials")
@required_study_name_option
@storage_option(required=True)
@format_options(default="table")
@verbosity_options
def best_trials(study_name: str, storage: str, fmt: str, flatten: bool) -> None:
    """List the trials on the Pareto front (the best trial of a single-objective study)."""
    study = _load(study_name, storage)
    records, columns = trial_records(study, study.best_trials)
    echo_records(records, columns, fmt, flatten)


# --- ask and tell --------------------------------------------------------------------------------
@click.command()
@study_name_option
@click.option("--sampler", metavar="CLASS", help="Sampler class of hpo.samplers, e.g. TPESampler.  [default: the "
                                                 "study's, TPESampler]")
@click.option("--sampler-kwargs", metavar="JSON", help='Sampler arguments as a JSON object, e.g. \'{"seed": 1}\'.')
@click.option("--search-space", metavar="JSON",
              help='Parameters to suggest now, as a JSON object of name to distribution, e.g. \'{"x": {"name": '
                   '"FloatDistribution", "attributes": {"low": 0.0, "high": 1.0}}}\' (distribution_to_json).')
@storage_option(required=True)
@format_options(default="json")
@verbosity_options
def ask(
    study_name: str | None, sampler: str | None, sampler_kwargs: str | None, search_space: str | None, storage: str,
    fmt: str, flatten: bool,
) -> None:
    """Start a trial and print its number and the parameters suggested for the --search-space.

    Finish it with: hpo tell --study-name NAME --trial-number N --values V.
    """
    space = _search_space(search_space)
    study = _load(study_name, storage, _sampler(sampler, sampler_kwargs))
    trial = study.ask(fixed_distributions=space)
    _logger.info(f"Asked trial {trial.number} with parameters {trial.params}.")
    record: Record = {("number", ""): trial.number}
    columns: list[Column] = [("number", "")]
    if not trial.params and not flatten:
        record[("params", "")] = {}
        columns.append(("params", ""))
    for name, value in trial.params.items():
        record[("params", name)] = value
        columns.append(("params", name))
    echo_records(record, columns, fmt, flatten)


@click.command()
@study_name_option
@click.option("--trial-number", type=int, required=True, help="Number of the trial, as ask printed it.")
@click.option("--values", cls=ManyValuesOption, type=float, metavar="V...",
              help="Objective values, one per objective: --values 0.5 or --values 0.5 1.2.")
@click.option("--state", type=click.Choice(["complete", "pruned", "fail"], case_sensitive=False),
              help="State to finish the trial in.  [default: complete]")
@click.option("--skip-if-finished", is_flag=True, help="Succeed without change if the trial is already finished.")
@storage_option(required=True)
@verbosity_options
def tell(
    study_name: str | None, trial_number: int, values: tuple[float, ...], state: str | None, skip_if_finished: bool,
    storage: str,
) -> None:
    """Finish a trial that ask started, with its value(s), or as pruned or failed."""
    study = _load(study_name, storage)
    trial_state = TrialState[state.upper()] if state is not None else TrialState.COMPLETE
    n_objectives = len(study.directions)
    if trial_state == TrialState.COMPLETE and len(values) != n_objectives:
        raise click.UsageError(
            f"Study {study.study_name!r} has {n_objectives} objective(s), so a complete trial needs "
            f"--values with {n_objectives} number(s); got {len(values)}. (--state pruned or fail takes none.)"
        )
    if trial_state == TrialState.FAIL and values:
        raise click.UsageError("A failed trial has no values: give --state fail without --values.")
    trials = {t.number: t for t in study.get_trials(deepcopy=False)}
    if trial_number not in trials:
        raise click.ClickException(
            f"Study {study.study_name!r} has no trial number {trial_number} (it has {len(trials)} trials); "
            "start one with hpo ask."
        )
    if trials[trial_number].state.is_finished() and not skip_if_finished:
        raise click.ClickException(
            f"Trial {trial_number} is already finished ({trials[trial_number].state.name}); tell cannot change it. "
            "Pass --skip-if-finished to ignore finished trials."
        )
    told = study.tell(trial_number, list(values) or None, trial_state, skip_if_finished)
    _logger.info(f"Told trial {trial_number} with values {list(values) or None} and state {told.state.name}.")


def _search_space(text: str | None) -> dict[str, BaseDistribution]:
    """The distributions of ``--search-space``: a JSON object of name to distribution JSON."""
    if text is None:
        return {}
    loaded = _json(text, "--search-space")
    if not isinstance(loaded, dict):
        raise click.BadParameter(f"must be a JSON object of parameter name to distribution, got {text!r}.",
                                 param_hint="--search-space")
    space = {}
    for name, distribution in loaded.items():
        try:
            space[name] = json_to_distribution(json.dumps(distribution))
        except ValueError as e:
            raise click.BadParameter(f"parameter {name!r}: {e}", param_hint="--search-space") from None
    return space


def _sampler(name: str | None, kwargs_json: str | None) -> hpo.samplers.BaseSampler | None:
    """``hpo.samplers.<name>(**kwargs)``, as Optuna's ``--sampler`` and ``--sampler-kwargs``."""
    if name is None:
        if kwargs_json is not None:
            raise click.UsageError("--sampler-kwargs needs --sampler: give both, or neither.")
        return None
    kwargs = _json(kwargs_json, "--sampler-kwargs") if kwargs_json is not None else {}
    if not isinstance(kwargs, dict):
        raise click.BadParameter(f"must be a JSON object, got {kwargs_json!r}.", param_hint="--sampler-kwargs")
    cls = getattr(hpo.samplers, name, None)
    if not (isinstance(cls, type) and issubclass(cls, hpo.samplers.BaseSampler)):
        available = sorted(n for n in hpo.samplers.__all__ if n.endswith("Sampler") and not n.startswith("Base"))
        raise click.BadParameter(f"unknown sampler {name!r}; available: {', '.join(available)}.",
                                 param_hint="--sampler")
    try:
        return cls(**kwargs)
    except (TypeError, ValueError) as e:
        raise click.BadParameter(f"{name}(**{kwargs}) failed: {e}", param_hint="--sampler-kwargs") from None


def _json(text: str, option: str) -> Any:
    try:
        return json.loads(text)
    except json.JSONDecodeError as e:
        raise click.BadParameter(f"{text!r} is not JSON: {e}.", param_hint=option) from None
