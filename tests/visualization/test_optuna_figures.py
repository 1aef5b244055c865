"""hpo's figures have the content of Optuna 5's on the same trials.

``data/optuna_figures.json`` (made by ``make_optuna_figures.py`` with Optuna 5.0.0 and plotly in
their own environment) holds a few studies and Optuna's figures of them. Each study is rebuilt
here in hpo (``create_trial`` + ``add_trial``), each plot drawn with the same arguments, and the
figures compared as JSON: the traces (x, y, z, names, modes, colors, hover texts) and the layout
(titles, axis types and ranges, log and categorical axes, subplot grids), with the same warnings
and log lines. Where hpo draws differently on purpose, the test says so and compares the content:

- parallel coordinates and intermediate values: hpo puts the lines of one color in one trace
  (Optuna makes a trace per trial, which takes minutes at 100,000 trials); the lines, their
  colors and hover texts are compared trial by trial;
- rank: hpo colors the points with a numeric color scale (Optuna's per-point color strings are
  slow to validate at scale) and draws infeasible trials as a trace of their own; each point's
  position, color and hover text are compared;
- param importances (hpo.importance's PED-ANOVA): the numbers in the hover texts to 1e-9.

Two cases differ by Optuna quirks hpo does not copy (``OPTUNA_QUIRKS``, each with its reason).
"""

from __future__ import annotations

import warnings
from typing import Any

import plotly.colors
import pytest
from figure_data import DATA, TARGET_LISTS, TARGETS, assert_close, build_study, figure_json, logged, plain, rgb

import hpo.visualization


@pytest.fixture(scope="module")
def studies() -> dict[str, Any]:
    return {name: build_study(name) for name in DATA["studies"]}


def draw(recorded: dict[str, Any], studies: dict[str, Any]) -> tuple[dict[str, Any], list[str], list[str]]:
    """hpo's figure of a recorded call, with the warnings and log lines it gave."""
    kwargs = dict(recorded["kwargs"])
    if "target" in kwargs:
        kwargs["target"] = TARGETS[kwargs["target"]]
    if "targets" in kwargs:
        kwargs["targets"] = TARGET_LISTS[kwargs["targets"]]
    study = recorded["study"]
    target = [studies[s] for s in study] if isinstance(study, list) else studies[study]
    with warnings.catch_warnings(record=True) as caught, logged() as lines:
        warnings.simplefilter("always")
        figure = getattr(hpo.visualization, recorded["function"])(target, **kwargs)
    return figure_json(figure), [f"{w.category.__name__}: {w.message}" for w in caught], lines


def _user_warnings(messages: list[str]) -> list[str]:
    """Warnings meant for the user (Optuna's numpy RuntimeWarnings are accidents of its arithmetic)."""
    return [m for m in messages if not m.startswith("RuntimeWarning")]


@pytest.mark.parametrize("case", sorted(DATA["cases"]))
def test_same_figure_as_optuna(case: str, studies: dict[str, Any]) -> None:
    recorded = DATA["cases"][case]
    ours, caught, lines = draw(recorded, studies)
    assert _user_warnings(caught) == _user_warnings(recorded["warnings"])
    assert lines == recorded["log"]
    theirs = plain(recorded["figure"])
    if case in OPTUNA_QUIRKS:
        OPTUNA_QUIRKS[case](ours, theirs)
    COMPARE.get(recorded["function"], assert_same)(ours, theirs)


def _error_bar_infeasible(ours: dict[str, Any], theirs: dict[str, Any]) -> None:
    """With error bars Optuna pairs the averaged trial numbers with the states of all trial numbers,
    so its (empty) infeasible trace gets unrelated x values; hpo's has none. Neither draws a point."""
    assert theirs["data"][-1]["y"] == [] and ours["data"][-1]["y"] == [] and ours["data"][-1]["x"] == []
    theirs["data"][-1]["x"] = []


def _categorical_slice_infeasible(ours: dict[str, Any], theirs: dict[str, Any]) -> None:
    """Optuna drops the infeasible trials of a categorical slice panel (it zips them with an empty list
    of trial numbers); hpo draws them in gray like on the numerical panels."""
    dropped = [t for t in ours["data"] if t["xaxis"] == "x2" and t["name"] == "Infeasible Trial"]
    assert len(dropped) == 1 and dropped[0]["x"] == ["4"]
    ours["data"].remove(dropped[0])


OPTUNA_QUIRKS = {
    "history_error_bar": _error_bar_infeasible,
    "slice_constrained": _categorical_slice_infeasible,
}


def assert_same(ours: dict[str, Any], theirs: dict[str, Any]) -> None:
    assert_close(ours["layout"], theirs["layout"], "layout")
    assert_close(ours["data"], theirs["data"], "data")


def _segments(trace: dict[str, Any], key: str) -> list[list[int]]:
    """The index runs of a gapped trace: the points between two None values of ``key``."""
    runs: list[list[int]] = [[]]
    for i, value in enumerate(trace[key]):
        if value is None:
            runs.append([])
        else:
            runs[-1].append(i)
    return [r for r in runs if r]


def assert_same_curves(ours: dict[str, Any], theirs: dict[str, Any]) -> None:
    """Each trial's curve: its steps, values and color (plotly's cycle by trace index; gray if infeasible)."""
    assert_close(ours["layout"], theirs["layout"], "layout")
    palette = [c.lower() for c in plotly.colors.qualitative.Plotly]
    expected = {
        t["name"]: (t["x"], t["y"], t["marker"].get("color", palette[i % len(palette)]).lower())
        for i, t in enumerate(theirs["data"])
    }
    drawn = {}
    for trace in ours["data"]:
        assert trace["mode"] == "lines+markers" and trace["marker"]["color"] == trace["line"]["color"]
        for run in _segments(trace, "text"):
            name = trace["text"][run[0]]
            assert all(trace["text"][i] == name for i in run)
            drawn[name] = ([trace["x"][i] for i in run], [trace["y"][i] for i in run], trace["line"]["color"].lower())
    assert_close(drawn, expected, "curves")


def assert_same_lines(ours: dict[str, Any], theirs: dict[str, Any]) -> None:
    """Each trial's polyline (normalized values and hover texts per axis), dash and color; the other traces.

    hpo takes the line colors at 65 evenly spaced points of the color scale (Optuna at the exact
    value), so colors agree within a few units of 255.
    """
    assert_close(ours["layout"], theirs["layout"], "layout")

    def theirs_line(trace: dict[str, Any]) -> bool:
        return "customdata" in trace

    def ours_line(trace: dict[str, Any]) -> bool:
        return "text" in trace

    expected: dict[tuple[Any, ...], list[tuple[float, ...]]] = {}
    for t in filter(theirs_line, theirs["data"]):
        texts = tuple(f"{label}: {value}" for label, value in t["customdata"])
        assert t["hovertemplate"] == "%{customdata[0]}: %{customdata[1]}<extra></extra>"
        expected.setdefault((tuple(round(v, 9) for v in t["y"]), texts, t["line"]["dash"]), []).append(
            rgb(t["line"]["color"])
        )
    drawn: dict[tuple[Any, ...], list[tuple[float, ...]]] = {}
    for trace in filter(ours_line, ours["data"]):
        assert {k: trace[k] for k in ("mode", "opacity", "showlegend", "hovertemplate")} == {
            "mode": "lines", "opacity": 0.5, "showlegend": False, "hovertemplate": "%{text}<extra></extra>",
        }
        assert trace["line"]["width"] == 1.2
        for run in _segments(trace, "x"):
            assert [trace["x"][i] for i in run] == list(range(len(run)))
            key = (
                tuple(round(trace["y"][i], 9) for i in run),
                tuple(trace["text"][i] for i in run),
                trace["line"]["dash"],
            )
            drawn.setdefault(key, []).append(rgb(trace["line"]["color"]))
    assert sorted(drawn) == sorted(expected)
    for key, colors in expected.items():
        for a, b in zip(sorted(drawn[key]), sorted(colors)):
            assert max(abs(x - y) for x, y in zip(a, b)) < 4.0, f"{key}: {a} != {b}"
    others = [t for t in ours["data"] if not ours_line(t)]
    assert_close(others, [t for t in theirs["data"] if not theirs_line(t)])


def assert_same_points(ours: dict[str, Any], theirs: dict[str, Any]) -> None:
    """Per subplot, each point's position, hover text and color; the color bar trace."""
    assert_close(ours["layout"], theirs["layout"], "layout")
    if not theirs["data"]:
        assert ours["data"] == []
        return
    assert_close(ours["data"][-1], theirs["data"][-1], "color bar")

    def points(traces: list[dict[str, Any]], colors: Any) -> dict[tuple[str, str], list[Any]]:
        found: dict[tuple[str, str], list[Any]] = {}
        for t in traces:
            assert t["mode"] == "markers" and t["hovertemplate"] == "%{hovertext}<extra></extra>"
            assert t["marker"]["line"] == {"color": "Grey", "width": 0.5}
            axes = (t.get("xaxis", "x"), t.get("yaxis", "y"))
            found.setdefault(axes, []).extend(zip(t["x"], t["y"], t["hovertext"], colors(t["marker"])))
        return {k: sorted(v, key=lambda p: p[2]) for k, v in found.items()}

    def our_colors(marker: dict[str, Any]) -> list[tuple[float, ...]]:
        if isinstance(marker["color"], str):
            return [rgb(marker["color"])] * 10**6
        return [rgb(c) for c in plotly.colors.sample_colorscale("RdYlBu_r", marker["color"])]

    drawn = points(ours["data"][:-1], our_colors)
    expected = points(theirs["data"][:-1], lambda marker: [rgb(c) for c in marker["color"]])
    assert sorted(drawn) == sorted(expected)
    for axes, want in expected.items():
        assert [p[:3] for p in drawn[axes]] == [p[:3] for p in want]
        for a, b in zip(drawn[axes], want):
            assert max(abs(x - y) for x, y in zip(a[3], b[3])) <= 1.0, f"{axes} {a[2]}: {a[3]} != {b[3]}"


def assert_same_importances(ours: dict[str, Any], theirs: dict[str, Any]) -> None:
    """The bars, their labels and hover texts; the importances (also in the hover texts) to 1e-9."""

    def split(figure: dict[str, Any]) -> None:
        for trace in figure["data"]:
            trace["hovertemplate"] = [
                [text.split(": ")[0], float(text.split(": ")[1].removesuffix("<extra></extra>"))]
                for text in trace["hovertemplate"]
            ]

    split(ours)
    split(theirs)
    assert_same(ours, theirs)


COMPARE = {
    "plot_param_importances": assert_same_importances,
    "plot_intermediate_values": assert_same_curves,
    "plot_parallel_coordinate": assert_same_lines,
    "plot_rank": assert_same_points,
}
