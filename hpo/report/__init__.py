"""A study as one self-contained HTML file that opens offline: ``hpo report`` and :func:`write_report`.

The page holds plotly.js (from the installed plotly package), the figures of :mod:`hpo.visualization`,
the best trial(s), the importances of :mod:`hpo.importance` and a trials table that sorts and filters
in the browser; no URL is fetched, no server is needed. Large studies are sampled (the page says how)
so that the file stays small: 6 MB at 1,000 trials, under 10 MB at 20,000.
"""

from __future__ import annotations

import contextlib
import logging
import math
import os
from collections.abc import Iterator
from pathlib import Path

from hpo.records import TrialState
from hpo.report._figures import figures, importances, objective_names
from hpo.report._page import PageContent, render
from hpo.report._view import TrialView, best_trials, sample, table_trials
from hpo.study import Study

__all__ = ["DEFAULT_MAX_TRIALS", "build_report", "write_report"]

#: Studies with more trials than this get a sampled table and sampled plots.
DEFAULT_MAX_TRIALS = 5000


def build_report(study: Study, *, title: str | None = None, max_trials: int = DEFAULT_MAX_TRIALS) -> str:
    """The report of ``study`` as an HTML page (a string). The study is only read.

    Args:
        study: The study (single- or multi-objective; metric names are used when set).
        title: The page's title; ``"hpo report: <study name>"`` by default.
        max_trials: The trials table holds at most this many trials (beyond it, the best half of this many
            and the most recent ones), the plots half as many (a sample beyond that); at least 10.
    """
    if isinstance(max_trials, bool) or not isinstance(max_trials, int) or max_trials < 10:
        raise ValueError(f"max_trials must be an integer of at least 10, got {max_trials!r}.")
    with _quiet_plots():
        return _build(study, title, max_trials)


@contextlib.contextmanager
def _quiet_plots() -> Iterator[None]:
    """The plots' warnings (a trial omitted for an infinite value...) off: the page says what it shows."""
    logger = logging.getLogger("hpo.visualization")
    level = logger.level
    logger.setLevel(logging.ERROR)
    try:
        yield
    finally:
        logger.setLevel(level)


def _build(study: Study, title: str | None, max_trials: int) -> str:
    import plotly.offline

    trials = study.get_trials(deepcopy=False)
    full = TrialView(study, trials)
    directions = full.directions
    names = objective_names(directions, full.metric_names)
    importance = importances(full, names)
    table, table_note = table_trials(trials, directions, max_trials)
    best = best_trials(trials, directions)
    notices = []
    if not trials:
        notices.append("The study has no trials yet.")
    elif not best:
        notices.append("No trial of this study completed (with finite, feasible values): there is no best trial, "
                       "no importance and no plot of values yet.")
    infinite = sum(1 for t in trials if t.state == TrialState.COMPLETE and t.values is not None
                   and not all(math.isfinite(v) for v in t.values))
    if infinite:
        notices.append(f"{infinite:,} complete trial{'s have' if infinite > 1 else ' has'} an infinite or NaN value: "
                       "the plots leave them out, the trials table lists them.")
    return render(
        PageContent(
            title=title or f"hpo report: {study.study_name}",
            study_name=study.study_name,
            directions=directions,
            names=names,
            trials=trials,
            best=best,
            study_user_attrs=study.user_attrs,
            importance=importance,
            figures=figures(full, sample(trials, directions, max_trials // 2), names, importance),
            table=table,
            notices=notices,
            table_note=table_note,
        ),
        plotly.offline.get_plotlyjs(),
    )


def write_report(
    study: Study, path: str | os.PathLike[str], *, title: str | None = None, max_trials: int = DEFAULT_MAX_TRIALS
) -> Path:
    """Write :func:`build_report` of ``study`` to ``path`` (UTF-8, replacing the file); return the path."""
    target = Path(path)
    html = build_report(study, title=title, max_trials=max_trials)
    partial = target.with_name(target.name + ".partial")
    partial.write_text(html, encoding="utf-8")
    partial.replace(target)
    return target
