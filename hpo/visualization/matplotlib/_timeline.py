"""``plot_timeline`` drawn with matplotlib."""

from __future__ import annotations

from typing import TYPE_CHECKING

from hpo.study import Study
from hpo.visualization._timeline import timeline_info
from hpo.visualization.matplotlib._utils import experimental, ggplot, pyplot

if TYPE_CHECKING:
    from matplotlib.axes import Axes

#: Each bar's color by its trial's state (INFEASIBLE: a COMPLETE trial that violates its constraints),
#: in the order the legend lists them.
STATE_COLORS = {
    "COMPLETE": "tab:blue",
    "FAIL": "tab:red",
    "PRUNED": "tab:orange",
    "INFEASIBLE": "#CCCCCC",
    "RUNNING": "tab:green",
    "WAITING": "tab:gray",
}


@experimental("3.2.0")
def plot_timeline(study: Study, n_recent_trials: int | None = None) -> Axes:
    """Plot when each trial started and ended, one horizontal bar per trial, colored by state.

    Running trials reach the present; a trial with no start (WAITING) is a short bar at the end.
    The legend names the states present; the x axis shows times of day.

    Args:
        study: The study whose trials are plotted.
        n_recent_trials: Only the last this many trials (all when None); must be positive.
    """
    info = timeline_info(study, n_recent_trials)
    plt = pyplot()
    import matplotlib.dates
    import matplotlib.patches
    import matplotlib.ticker

    states = [
        "INFEASIBLE" if state == "COMPLETE" and not feasible else state
        for state, feasible in zip(info.states.tolist(), info.feasible.tolist())
    ]
    with ggplot(plt):
        fig, ax = plt.subplots()
        ax.set_title("Timeline Plot")
        ax.set_xlabel("Datetime")
        ax.set_ylabel("Trial")
        if not states:
            return ax
        ax.barh(
            y=info.numbers,
            width=[end - start for start, end in zip(info.starts, info.completes)],
            left=info.starts,
            color=[STATE_COLORS[state] for state in states],
        )
        shown = set(states)
        handles = [
            matplotlib.patches.Patch(color=color, label=state)
            for state, color in STATE_COLORS.items()
            if state in shown
        ]
        ax.legend(handles=handles, loc="upper left", bbox_to_anchor=(1.05, 1.0))
        fig.tight_layout()
        first, last = min(info.starts), max(info.completes)
        margin = (last - first) * 0.05
        ax.set_xlim(left=first - margin, right=last + margin)
        ax.yaxis.set_major_locator(matplotlib.ticker.MaxNLocator(integer=True))
        ax.xaxis.set_major_formatter(matplotlib.dates.DateFormatter("%H:%M:%S"))
        fig.autofmt_xdate()
    return ax
