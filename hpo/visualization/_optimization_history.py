"""``plot_optimization_history``: each trial's value and the best value so far, for one study or several."""

from __future__ import annotations

import warnings
from collections.abc import Sequence
from typing import TYPE_CHECKING, NamedTuple

import numpy as np

from hpo.records import StudyDirection, TrialState
from hpo.study import Study
from hpo.visualization._utils import (
    DEFAULT_TARGET_NAME,
    INFEASIBLE_COLOR,
    TargetType,
    as_studies,
    check_plot_args,
    feasible_mask,
    logger,
    target_values,
)

if TYPE_CHECKING:
    import plotly.graph_objects as go


class History(NamedTuple):
    """One line of the history plot: a study's trials (or, with error bars, the mean over the studies)."""

    numbers: np.ndarray  # the trial numbers on the x axis
    values: np.ndarray  # NaN for trials that did not complete
    feasible: np.ndarray  # COMPLETE and within its constraints
    infeasible: np.ndarray  # COMPLETE but violating a constraint
    best: np.ndarray | None  # best feasible value so far; None with a custom target
    stds: np.ndarray | None  # with error_bar: the spread across the studies
    best_stds: np.ndarray | None
    label: str
    best_label: str


def plot_optimization_history(
    study: Study | Sequence[Study],
    *,
    target: TargetType | None = None,
    target_name: str = DEFAULT_TARGET_NAME,
    error_bar: bool = False,
) -> go.Figure:
    """Plot every trial's objective value and the best value so far.

    Args:
        study: A study, or several to compare their histories.
        target: The value to plot for each COMPLETE trial (required for a multi-objective study); no
            best-value line is drawn for a custom target.
        target_name: The target's name on the axis and in the legend.
        error_bar: With several studies, plot the mean and standard deviation per trial number.
    """
    import plotly.graph_objects as go

    histories = history_infos(as_studies(study), target, target_name, error_bar)
    traces = []
    for h in histories:
        error_y = None if h.stds is None else {"type": "data", "array": h.stds, "visible": True}
        traces.append(
            go.Scatter(
                x=h.numbers[h.feasible], y=h.values[h.feasible], error_y=error_y, mode="markers", name=h.label
            )
        )
        if h.best is not None:
            traces.append(go.Scatter(x=h.numbers, y=h.best, name=h.best_label, mode="lines"))
            if h.best_stds is not None:
                traces.append(
                    go.Scatter(
                        x=h.numbers, y=h.best + h.best_stds, mode="lines", line={"width": 0.01}, showlegend=False
                    )
                )
                traces.append(
                    go.Scatter(
                        x=h.numbers,
                        y=h.best - h.best_stds,
                        mode="none",
                        showlegend=False,
                        fill="tonexty",
                        fillcolor="rgba(255,0,0,0.2)",
                    )
                )
        traces.append(
            go.Scatter(
                x=h.numbers[h.infeasible],
                y=h.values[h.infeasible],
                error_y=error_y,
                mode="markers",
                name="Infeasible Trial",
                marker={"color": INFEASIBLE_COLOR},
                showlegend=False,
            )
        )
    layout = go.Layout(
        title="Optimization History Plot", xaxis={"title": "Trial"}, yaxis={"title": target_name}
    )
    return go.Figure(data=traces, layout=layout)


def history_infos(
    studies: Sequence[Study], target: TargetType | None, target_name: str, error_bar: bool
) -> list[History]:
    """Read each study's trials once: one history per study, one aggregate with ``error_bar``, none
    (with a warning) when no trial completed."""
    check_plot_args(studies, target, target_name)
    histories = [_history(s, target, target_name, len(studies) > 1) for s in studies]
    if not histories:
        logger.warning("There are no studies.")
    if not any(h.feasible.any() or h.infeasible.any() for h in histories):
        logger.warning("There are no complete trials.")
        return []
    if error_bar:
        return _aggregate(histories, target_name)
    return histories


def _history(study: Study, target: TargetType | None, target_name: str, several: bool) -> History:
    trials = study.get_trials(deepcopy=False)
    numbers = np.fromiter((t.number for t in trials), dtype=int, count=len(trials))
    complete_at = np.flatnonzero([t.state == TrialState.COMPLETE for t in trials])
    complete = [trials[i] for i in complete_at.tolist()]
    values = np.full(len(trials), np.nan)
    values[complete_at] = target_values(complete, target)
    feasible = np.zeros(len(trials), dtype=bool)
    feasible[complete_at] = feasible_mask(complete)
    infeasible = np.zeros(len(trials), dtype=bool)
    infeasible[complete_at] = ~feasible[complete_at]
    best = None
    if target is None:  # a custom target has no direction, hence no best
        if study.directions[0] == StudyDirection.MINIMIZE:
            best = np.minimum.accumulate(np.where(feasible, values, np.inf))
        else:
            best = np.maximum.accumulate(np.where(feasible, values, -np.inf))
    suffix = f" of {study.study_name}" if several else ""
    return History(
        numbers, values, feasible, infeasible, best, None, None, target_name + suffix, "Best Value" + suffix
    )


def _aggregate(histories: list[History], target_name: str) -> list[History]:
    """One history of the means and standard deviations per trial number, over the studies."""
    if not any(h.feasible.any() for h in histories):
        logger.warning("There are no feasible trials.")
        return []
    size = max(int(h.numbers.max()) + 1 for h in histories if len(h.numbers))
    shown = np.zeros(size, dtype=bool)  # trial numbers with a feasible trial in some study
    values = np.full((len(histories), size), np.nan)  # finite feasible values by study and trial number
    best = np.full((len(histories), size), np.nan)  # finite best values so far
    for row, h in enumerate(histories):
        shown[h.numbers[h.feasible]] = True
        finite = h.feasible & np.isfinite(h.values)
        values[row, h.numbers[finite]] = h.values[finite]
        if h.best is not None:
            finite = np.isfinite(h.best)
            best[row, h.numbers[finite]] = h.best[finite]
    if not shown.all():
        logger.warning(
            "Your study contains infeasible trials. In optimization history plot, "
            "error bars are calculated for only feasible trial values."
        )
    values, best = values[:, shown], best[:, shown]
    with warnings.catch_warnings():  # a trial number whose only feasible values are infinite has no mean
        warnings.simplefilter("ignore", RuntimeWarning)
        means, stds = np.nanmean(values, axis=0), np.nanstd(values, axis=0)
    everywhere = np.ones(int(shown.sum()), dtype=bool)
    has_best = histories[0].best is not None
    return [
        History(
            np.flatnonzero(shown),
            means,
            everywhere,
            ~everywhere,
            np.nanmean(best, axis=0) if has_best else None,
            stds,
            np.nanstd(best, axis=0) if has_best else None,
            target_name,
            "Best Value",
        )
    ]
