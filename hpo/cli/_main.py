"""The ``hpo`` command group and its error handling."""

from __future__ import annotations

from typing import Any

import click

import hpo
from hpo.cli._dashboard import dashboard
from hpo.cli._distributed import cancel, coordinator, status, submit
from hpo.cli._doctor import doctor
from hpo.cli._options import verbosity_options
from hpo.cli._optuna_verbs import (
    ask,
    best_trial,
    best_trials,
    delete_study,
    set_user_attr,
    studies,
    study_names,
    tell,
    trials,
)
from hpo.cli._report import report
from hpo.cli._run import run
from hpo.cli._storage import storage
from hpo.cli._study import create, study
from hpo.exceptions import HpoError


class _Group(click.Group):
    """Reports hpo's own errors (unknown study, bad storage URL ...) and refused values (a bad
    objective name, a Redis URL of another scheme, the coordinator's refusals) as one-line
    messages, not tracebacks."""

    def invoke(self, ctx: click.Context) -> Any:
        try:
            return super().invoke(ctx)
        except (HpoError, ValueError) as e:
            raise click.ClickException(str(e)) from None


@click.group(cls=_Group, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(hpo.__version__, prog_name="hpo", message="%(prog)s %(version)s")
@verbosity_options
def main() -> None:
    """hpo: hyperparameter optimization with Optuna's API.

    Every command that needs a storage takes --storage URL, or reads HPO_STORAGE_URL (else OPTUNA_STORAGE).
    Optuna's commands work under their names too: create-study, delete-study, study set-user-attr,
    study-names, studies, trials, best-trial, best-trials, ask and tell, with Optuna's options and
    output formats (-f value|json|table|yaml).
    """


study.add_command(submit)
study.add_command(status)
study.add_command(cancel)
study.add_command(set_user_attr)
main.add_command(study)
main.add_command(coordinator)
main.add_command(storage)
main.add_command(run)
main.add_command(doctor)
main.add_command(dashboard)
main.add_command(report)
for command in (ask, tell, trials, best_trial, best_trials, studies, study_names, delete_study):
    main.add_command(command)
main.add_command(create, name="create-study")
