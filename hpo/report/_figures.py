"""The report's figures (drawn by :mod:`hpo.visualization`) and its importances (from :mod:`hpo.importance`)."""

from __future__ import annotations

import functools
import warnings
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from hpo import visualization
from hpo.importance import get_param_importances
from hpo.records import StudyDirection, TrialState
from hpo.report._view import Sample, TrialView, curves, losses, ranked, sample
from hpo.trial import FrozenTrial

if TYPE_CHECKING:
    import plotly.graph_objects as go

#: The slice and parallel coordinate plots show at most this many parameters (the most important).
MAX_PLOTTED_PARAMS = 8
#: Beyond this many objectives the hypervolume computations (PED-ANOVA's Pareto-front ranking, the
#: hypervolume history) grow slow: the importances skip the Pareto front, the history draws fewer trials.
MAX_FRONT_OBJECTIVES = 3
#: The hypervolume history draws at most this many trials beyond ``MAX_FRONT_OBJECTIVES`` objectives.
MAX_HYPERVOLUME_TRIALS = 500
#: PED-ANOVA's warning for a ``target`` that is not to be minimized: the report's targets are.
_LOW_TARGET_WARNING = "computes the importances of params to achieve low `target` values"


@dataclass(frozen=True)
class Figure:
    """A section of the report: a figure's JSON, or why it is not drawn; notes on what it shows."""

    key: str
    title: str
    json: str | None
    notes: list[str] = field(default_factory=list)


@dataclass(frozen=True)
class Importances:
    """Each column's importances (``{column: {param: importance}}``), the parameters most important first,
    and what went wrong or is worth knowing."""

    columns: dict[str, dict[str, float]]
    order: list[str]
    notes: list[str]


def objective_names(directions: Sequence[StudyDirection], metric_names: list[str] | None) -> list[str]:
    """The study's metric names, else ``Objective Value`` (one objective) or ``Objective i``."""
    if metric_names is not None:
        return list(metric_names)
    if len(directions) == 1:
        return ["Objective Value"]
    return [f"Objective {i}" for i in range(len(directions))]


def _value(index: int, sign: float = 1.0) -> Callable[[FrozenTrial], float]:
    def value(trial: FrozenTrial) -> float:
        assert trial.values is not None
        return sign * trial.values[index]

    return value


def _lower_is_better(index: int, direction: StudyDirection) -> Callable[[FrozenTrial], float]:
    return _value(index, -1.0 if direction == StudyDirection.MAXIMIZE else 1.0)


def importances(full: TrialView, names: list[str]) -> Importances:
    """PED-ANOVA importances: of the objective; with several objectives, of reaching the Pareto front and
    of each objective."""
    directions = full.directions
    notes: list[str] = []
    complete = full.get_trials(deepcopy=False, states=(TrialState.COMPLETE,))
    if not complete:
        return Importances({}, [], [])
    if not any(t.params for t in complete):
        return Importances({}, [], ["The complete trials have no parameters."])
    runs: list[tuple[str, Callable[[FrozenTrial], float] | None]] = [(names[0], None)]
    if len(directions) > 1:
        runs = [(n, _lower_is_better(i, d)) for i, (n, d) in enumerate(zip(names, directions))]
        if len(directions) <= MAX_FRONT_OBJECTIVES:
            runs.insert(0, ("Pareto front", None))
        else:
            notes.append(f"No importance for reaching the Pareto front: its hypervolume ranking is slow beyond "
                         f"{MAX_FRONT_OBJECTIVES} objectives.")
    columns: dict[str, dict[str, float]] = {}
    for column, target in runs:
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            try:
                columns[column] = get_param_importances(full, target=target)
            except (ValueError, RuntimeError) as e:
                notes.append(f"{column}: no importances ({e}).")
        for warning in caught:
            text = str(warning.message)
            if _LOW_TARGET_WARNING not in text and text not in notes:
                notes.append(text)
    first = next(iter(columns.values()), {})
    return Importances(columns, list(first), notes)


def _figure_json(figure: go.Figure) -> str:
    figure.update_layout(autosize=True, margin={"t": 60, "l": 70, "r": 30, "b": 60})
    return str(figure.to_json())


def _draw(key: str, title: str, draw: Callable[[], go.Figure], notes: list[str] | None = None) -> Figure:
    try:
        return Figure(key, title, _figure_json(draw()), notes or [])
    except (ValueError, RuntimeError) as e:
        return Figure(key, title, None, [f"Not drawn: {e}"])


def _reference_point(trials: list[FrozenTrial], directions: Sequence[StudyDirection]) -> list[float]:
    """A corner just beyond the worst value of each objective among the ranked trials (10% of its span)."""
    rows = [losses(t, directions) for t in trials]
    point = []
    for i, direction in enumerate(directions):
        column = [row[i] for row in rows]
        worst, best = max(column), min(column)
        worst += 0.1 * (worst - best) if worst > best else max(0.1 * abs(worst), 1.0)
        point.append(-worst if direction == StudyDirection.MAXIMIZE else worst)
    return point


def figures(full: TrialView, chosen: Sample, names: list[str], importance: Importances) -> list[Figure]:
    """Every figure of the report, in page order; a figure that cannot be drawn says why."""
    trials = full.get_trials(deepcopy=False)
    plotted = TrialView(full, chosen.trials)
    sample_notes = [chosen.note] if chosen.note else []
    timeline = _draw("timeline", "Timeline", lambda: visualization.plot_timeline(plotted), sample_notes)
    if not any(t.state == TrialState.COMPLETE for t in trials):
        return [timeline] if trials else []
    drawn = _value_figures(full, chosen, names)
    reported, curve_note = curves(trials)
    if reported:
        drawn.append(_draw("intermediate", "Intermediate values",
                           lambda: visualization.plot_intermediate_values(TrialView(full, reported)),
                           [curve_note] if curve_note else []))
    if importance.order:
        drawn.append(_draw("importances", "Parameter importances", lambda: _importance_figure(full, names)))
    target: dict[str, Any] = {"target_name": names[0]}
    objective_note = []
    if len(full.directions) > 1:
        target = {"target": _value(0), "target_name": names[0]}
        objective_note = [f"The value shown is the first objective, {names[0]}."]
    drawn += _param_figures(plotted, importance, target, sample_notes + objective_note)
    drawn.append(timeline)
    stride = TrialView(full, chosen.stride)
    stride_note = [f"One trial in every {len(trials) / len(chosen.stride):.1f}."] if chosen.note else []
    drawn.append(_draw("edf", "Empirical distribution of the objective value",
                       lambda: visualization.plot_edf(stride, **target), stride_note + objective_note))
    return drawn


def _value_figures(full: TrialView, chosen: Sample, names: list[str]) -> list[Figure]:
    """The optimization history; with several objectives, the Pareto front, the hypervolume history and
    the history of each objective."""
    directions = full.directions
    plotted = TrialView(full, chosen.trials)
    notes = [chosen.note] if chosen.note else []
    if len(directions) == 1:
        return [_draw("history", "Optimization history",
                      lambda: visualization.plot_optimization_history(plotted, target_name=names[0]), notes)]
    drawn = []
    if len(directions) in (2, 3):
        drawn.append(_draw("pareto", "Pareto front",
                           lambda: visualization.plot_pareto_front(plotted, target_names=names), notes))
    trials = full.get_trials(deepcopy=False)
    ranked_trials = ranked(trials, directions)
    if ranked_trials:
        reference = _reference_point(ranked_trials, directions)
        volume, volume_notes = plotted, list(notes)
        if len(directions) > MAX_FRONT_OBJECTIVES and len(chosen.trials) > MAX_HYPERVOLUME_TRIALS:
            fewer = sample(trials, directions, MAX_HYPERVOLUME_TRIALS,
                           f"With {len(directions)} objectives, this plot draws")
            volume, volume_notes = TrialView(full, fewer.trials), [str(fewer.note)]
        drawn.append(_draw(
            "hypervolume", "Hypervolume history", lambda: visualization.plot_hypervolume_history(volume, reference),
            volume_notes + ["Reference point " + ", ".join(f"{n} = {v:.6g}" for n, v in zip(names, reference))
                            + ": 10% beyond the worst value of each objective."],
        ))
    for i, name in enumerate(names):
        drawn.append(_draw(f"history{i}", f"Optimization history: {name}",
                           functools.partial(visualization.plot_optimization_history, plotted, target=_value(i),
                                             target_name=name), notes))
    return drawn


def _param_figures(
    plotted: TrialView, importance: Importances, target: dict[str, Any], notes: list[str]
) -> list[Figure]:
    """Parallel coordinates and slices of the most important parameters, the contour of the top two."""
    if importance.order:
        params, which = importance.order, "most important"
    else:
        complete = plotted.get_trials(deepcopy=False, states=(TrialState.COMPLETE,))
        params, which = sorted({p for t in complete for p in t.params}), "first by name"
    shown = params[:MAX_PLOTTED_PARAMS]
    params_note = [f"The {len(shown)} {which} of {len(params)} parameters."] if len(params) > len(shown) else []
    drawn = []
    if shown:
        drawn.append(_draw("parallel", "Parallel coordinates",
                           lambda: visualization.plot_parallel_coordinate(plotted, params=shown, **target),
                           notes + params_note))
        drawn.append(_draw("slice", "Slice", lambda: visualization.plot_slice(plotted, params=shown, **target),
                           notes + params_note))
    if len(params) >= 2:
        pair = params[:2]
        drawn.append(_draw("contour", f"Contour of the two {which} parameters: {pair[0]}, {pair[1]}",
                           lambda: visualization.plot_contour(plotted, params=pair, **target), notes))
    return drawn


def _importance_figure(full: TrialView, names: list[str]) -> go.Figure:
    """:func:`hpo.visualization.plot_param_importances` of the objective; with several objectives, one
    series per objective (each rated for its own direction) in one figure."""
    directions = full.directions
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # importances() reported them
        if len(directions) == 1:
            return visualization.plot_param_importances(full, target_name=names[0])
        figure = None
        for i, (name, direction) in enumerate(zip(names, directions)):
            drawn = visualization.plot_param_importances(full, target=_lower_is_better(i, direction), target_name=name)
            if figure is None:
                figure = drawn
            else:
                figure.add_traces(drawn.data)
    assert figure is not None
    figure.update_layout(barmode="group", showlegend=True)
    return figure
