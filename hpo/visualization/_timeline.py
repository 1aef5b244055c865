"""``plot_timeline``: a horizontal bar per trial from its start to its end, colored by state."""

from __future__ import annotations

import datetime
from typing import TYPE_CHECKING, NamedTuple

import numpy as np

from hpo.records import TrialState
from hpo.study import Study
from hpo.trial import FrozenTrial
from hpo.visualization._utils import INFEASIBLE_COLOR, feasible_mask, hovertexts, logger

if TYPE_CHECKING:
    import plotly.graph_objects as go

_STATE_COLORS = {"COMPLETE": "blue", "FAIL": "red", "PRUNED": "orange", "RUNNING": "green", "WAITING": "gray"}
#: The length of the bar of a trial that has no end (or no start) yet.
_SMALL_BAR = datetime.timedelta(seconds=1)


class TimelineInfo(NamedTuple):
    """One bar per trial, in trial order."""

    trials: list[FrozenTrial]
    starts: list[datetime.datetime]
    completes: list[datetime.datetime]
    numbers: np.ndarray
    states: np.ndarray  # the state names
    feasible: np.ndarray


def timeline_info(study: Study, n_recent_trials: int | None) -> TimelineInfo:
    """Read the trials once and place each bar (checking ``n_recent_trials`` first)."""
    if n_recent_trials is not None and n_recent_trials <= 0:
        raise ValueError("n_recent_trials must be a positive integer or None.")
    all_trials = study.get_trials(deepcopy=False)
    end = _end_of_time_axis(all_trials)
    trials = all_trials if n_recent_trials is None else all_trials[-n_recent_trials:]
    if not trials:
        logger.warning("Your study does not have any trials.")
    starts: list[datetime.datetime] = []
    completes: list[datetime.datetime] = []
    for trial in trials:
        start = trial.datetime_start or end
        if trial.state == TrialState.RUNNING:
            complete = end + _SMALL_BAR
        else:
            complete = trial.datetime_complete or start + _SMALL_BAR
        if complete < start:
            logger.warning(
                f"The start and end times for Trial {trial.number} seem to be reversed. "
                f"The start time is {start} and the end time is {complete}."
            )
        starts.append(start)
        completes.append(complete)
    numbers = np.fromiter((t.number for t in trials), dtype=int, count=len(trials))
    states = np.array([t.state.name for t in trials], dtype=object)
    return TimelineInfo(trials, starts, completes, numbers, states, feasible_mask(trials))


def plot_timeline(study: Study, n_recent_trials: int | None = None) -> go.Figure:
    """Plot when each trial started and ended, one bar per trial, colored by state.

    Running trials reach the present; a trial with no start (WAITING) is a short bar at the end.
    Infeasible COMPLETE trials are gray. The legend names the states.

    Args:
        study: The study whose trials are plotted.
        n_recent_trials: Only the last this many trials (all when None); must be positive.
    """
    info = timeline_info(study, n_recent_trials)
    import plotly.graph_objects as go

    milliseconds = (
        np.array(info.completes, dtype="datetime64[us]") - np.array(info.starts, dtype="datetime64[us]")
    ) / np.timedelta64(1, "ms")
    bases = np.array([s.isoformat() for s in info.starts], dtype=object)
    texts = hovertexts(info.trials)
    states, feasible, numbers = info.states, info.feasible, info.numbers

    figure = go.Figure()
    for name in sorted(_STATE_COLORS):
        in_state = states == name
        if name == "COMPLETE":
            groups = [(in_state & ~feasible, INFEASIBLE_COLOR, "INFEASIBLE"), (in_state & feasible, "blue", name)]
        else:
            groups = [(in_state, _STATE_COLORS[name], name)]
        for members, color, label in groups:
            if not members.any():
                continue
            figure.add_traces(
                {
                    "type": "bar",
                    "name": label,
                    "x": milliseconds[members],
                    "y": numbers[members],
                    "base": bases[members],
                    "text": texts[members],
                    "hovertemplate": "%{text}<extra>" + label + "</extra>",
                    "orientation": "h",
                    "marker": {"color": color},
                    "textposition": "none",  # the text is for hovering, not drawn in the bar
                }
            )
    figure.update_xaxes(type="date")
    figure.update_layout(
        go.Layout(title="Timeline Plot", xaxis={"title": "Datetime"}, yaxis={"title": "Trial"})
    )
    figure.update_layout(showlegend=True)  # a legend even when every trial has the same state
    return figure


def _end_of_time_axis(trials: list[FrozenTrial]) -> datetime.datetime:
    """Now while trials still run; else the last completion (now when nothing completed).

    A RUNNING trial that started more than five times the longest trial's duration ago is taken
    for a dead one left RUNNING, as Optuna does.
    """
    durations = [t.duration for t in trials if t.duration is not None]
    longest = max(durations, default=None)
    now = datetime.datetime.now()
    running = [t for t in trials if t.state == TrialState.RUNNING]
    if longest is None:
        if running:
            return now
    elif any(now - start < 5 * longest for start in (t.datetime_start for t in running) if start is not None):
        return now
    return max((t.datetime_complete for t in trials if t.datetime_complete is not None), default=now)
