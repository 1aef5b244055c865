"""``plot_edf``: the empirical distribution function of the target, for one study or several."""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, NamedTuple

import numpy as np

from hpo.records import TrialState
from hpo.study import Study
from hpo.visualization._utils import (
    DEFAULT_TARGET_NAME,
    TargetType,
    as_studies,
    check_plot_args,
    drop_nonfinite,
    logger,
    target_values,
)

if TYPE_CHECKING:
    import plotly.graph_objects as go

#: Points of each curve, evenly spaced over the range of all studies' values.
NUM_SAMPLES_X_AXIS = 100


class EdfInfo(NamedTuple):
    """What an EDF figure shows: the x samples and one curve per study (empty without values)."""

    x: np.ndarray
    lines: list[tuple[str, np.ndarray]]  # (study name, fraction of its values <= each x)


def edf_info(studies: Sequence[Study], target: TargetType | None, target_name: str) -> EdfInfo:
    """Read each study's COMPLETE trials once and compute its curve."""
    check_plot_args(studies, target, target_name)
    if not studies:
        logger.warning("There are no studies.")
        return EdfInfo(np.array([]), [])
    curves = []
    for s in studies:
        trials = s.get_trials(deepcopy=False, states=(TrialState.COMPLETE,))
        curves.append((s.study_name, np.sort(drop_nonfinite(trials, target_values(trials, target))[1])))
    if all(len(values) == 0 for _, values in curves):
        logger.warning("There are no complete trials.")
        return EdfInfo(np.array([]), [])
    everything = np.concatenate([values for _, values in curves])
    x = np.linspace(everything.min(), everything.max(), NUM_SAMPLES_X_AXIS)
    lines = []
    for name, values in curves:
        with np.errstate(invalid="ignore", divide="ignore"):  # a study without values has no curve
            lines.append((name, np.searchsorted(values, x, side="right") / values.size))
    return EdfInfo(x, lines)


def plot_edf(
    study: Study | Sequence[Study],
    *,
    target: TargetType | None = None,
    target_name: str = DEFAULT_TARGET_NAME,
) -> go.Figure:
    """Plot, for each study, the fraction of its COMPLETE trials whose target is at most x.

    Args:
        study: A study, or several to compare (one curve each, named after the study).
        target: The value to plot (required for a multi-objective study).
        target_name: The x axis title.
    """
    import plotly.graph_objects as go

    info = edf_info(as_studies(study), target, target_name)
    layout = go.Layout(
        title="Empirical Distribution Function Plot",
        xaxis={"title": target_name},
        yaxis={"title": "Cumulative Probability"},
    )
    if not info.lines:
        return go.Figure(data=[], layout=layout)
    traces = [go.Scatter(x=info.x, y=y, name=name, mode="lines") for name, y in info.lines]
    figure = go.Figure(data=traces, layout=layout)
    figure.update_yaxes(range=[0, 1])
    return figure
