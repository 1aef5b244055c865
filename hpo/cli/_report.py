"""``hpo report [STUDY]``: write a study's self-contained, offline HTML report."""

from __future__ import annotations

import re
import time
from pathlib import Path

import click

from hpo.cli._options import check_database_exists, storage_option, verbosity_options


@click.command()
@click.argument("study_name", metavar="[STUDY]", required=False)
@storage_option(required=True)
@click.option("-o", "--output", type=click.Path(dir_okay=False, writable=True), default=None,
              help="The HTML file to write.  [default: STUDY-report.html]")
@click.option("--title", default=None, help="The page's title.  [default: hpo report: STUDY]")
@click.option("--max-trials", type=click.IntRange(min=10), default=5000, show_default=True,
              help="The trials table holds at most this many trials (the best half of this many and the most "
                   "recent), the plots half as many (a sample).")
@verbosity_options
def report(study_name: str | None, storage: str, output: str | None, title: str | None, max_trials: int) -> None:
    """Write one HTML file with a study's plots, best trial(s), importances and trials table.

    The file opens offline (plotly.js and the data are inside), to attach to a paper or a ticket.
    STUDY may be left out when the storage holds one study. The storage is opened read-only.
    """
    if output is not None and not Path(output).resolve().parent.is_dir():
        raise click.BadParameter(f"the folder of {output!r} does not exist; create it first.",
                                 param_hint="-o/--output")
    check_database_exists(storage)
    import hpo
    from hpo.dashboard import open_read_only
    from hpo.report import write_report

    started = time.perf_counter()
    study = hpo.load_study(study_name=study_name, storage=open_read_only(storage).storage)
    path = output or re.sub(r"[^A-Za-z0-9._-]+", "_", study.study_name) + "-report.html"
    written = write_report(study, path, title=title, max_trials=max_trials)
    size = written.stat().st_size / 1e6
    click.echo(f"Wrote the report of study {study.study_name!r} to {written} ({size:.1f} MB, "
               f"{time.perf_counter() - started:.1f} s).")
