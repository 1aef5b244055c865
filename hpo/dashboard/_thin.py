"""Thinning a chart to what its pixels can show, so that a large study's history draws at once.

Marker traces keep one point per cell of ``CELL_PX`` x ``CELL_PX`` pixels (the first trial in the cell,
and every trial on a line trace, such as each new best); line and band traces keep their exact
polyline, without the points that lie inside a run of equal values. Zoomed in (``x_range``,
``y_range``), the cells are finer in data terms, so the points come back in full detail.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

import numpy as np

if TYPE_CHECKING:
    import plotly.graph_objects as go

#: Side of a cell, in pixels, that keeps one marker (a marker is 6 px wide: neighbours overlap).
CELL_PX = 4
#: Marker traces up to this many points in view are kept whole.
KEEP_ALL = 1000
#: Per-point attributes subset along with x and y.
_PER_POINT = ("text", "hovertext", "customdata", "ids", "marker.color", "marker.size", "marker.symbol",
              "error_y.array", "error_y.arrayminus")


def _numbers(values: Any) -> np.ndarray | None:
    """``values`` as floats, or None when they are not numbers (dates, categories)."""
    if values is None:
        return None
    try:
        return np.asarray(values, dtype=float)
    except (TypeError, ValueError):
        return None


def _get(trace: Any, path: str) -> Any:
    for part in path.split("."):
        trace = getattr(trace, part, None) if trace is not None else None
    return trace


def _subset(trace: Any, n: int, keep: np.ndarray) -> None:
    """Keep the points ``keep`` (indices) of every per-point array of ``trace`` (``n`` points long)."""
    trace.x = np.asarray(trace.x)[keep]
    trace.y = np.asarray(trace.y)[keep]
    for path in _PER_POINT:
        value = _get(trace, path)
        if value is None or isinstance(value, str) or not hasattr(value, "__len__") or len(value) != n:
            continue
        owner, _, name = path.rpartition(".")
        setattr(_get(trace, owner) if owner else trace, name, np.asarray(value)[keep])


def _polyline(y: np.ndarray) -> np.ndarray:
    """Indices of the points a polyline needs: the ends and every point not inside a run of equal values."""
    if len(y) <= 2:
        return np.arange(len(y))
    inside = (y[1:-1] == y[:-2]) & (y[1:-1] == y[2:])
    return np.flatnonzero(np.concatenate(([True], ~inside, [True])))


def _extent(arrays: Sequence[np.ndarray], given: tuple[float, float] | None) -> tuple[float, float] | None:
    if given is not None:
        return given
    finite = [a[np.isfinite(a)] for a in arrays]
    finite = [a for a in finite if len(a)]
    if not finite:
        return None
    return float(min(a.min() for a in finite)), float(max(a.max() for a in finite))


def thin(figure: go.Figure, width: int, height: int, x_range: tuple[float, float] | None = None,
         y_range: tuple[float, float] | None = None) -> tuple[int, int]:
    """Thin ``figure``'s scatter traces in place for a plot area of ``width`` x ``height`` pixels showing
    ``x_range`` x ``y_range`` (the data's extent when None). Returns (points kept, points before)."""
    log_y = getattr(figure.layout.yaxis, "type", None) == "log"
    markers: list[tuple[Any, np.ndarray, np.ndarray]] = []
    lines: list[tuple[Any, np.ndarray, np.ndarray]] = []
    for trace in figure.data:
        if trace.type != "scatter" or trace.x is None or trace.y is None:
            continue
        x, y = _numbers(trace.x), _numbers(trace.y)
        if x is None or y is None or len(x) != len(y):
            continue
        if log_y:
            with np.errstate(divide="ignore", invalid="ignore"):
                y = np.where(y > 0, np.log10(np.where(y > 0, y, 1.0)), np.nan)
        (markers if "markers" in (trace.mode or "markers") else lines).append((trace, x, y))
    before = sum(len(x) for _trace, x, _y in markers + lines)
    on_lines: set[tuple[float, float]] = set()
    for trace, x, y in lines:
        keep = _polyline(y)
        on_lines.update(zip(x[keep].tolist(), y[keep].tolist(), strict=True))
        if len(keep) < len(x):
            _subset(trace, len(x), keep)
    if log_y and y_range is not None:
        y_range = (float(np.log10(max(y_range[0], 1e-300))), float(np.log10(max(y_range[1], 1e-300))))
    x_extent = _extent([x for _, x, _ in markers], x_range)
    y_extent = _extent([y for _, _, y in markers], y_range)
    columns, rows = max(1, width // CELL_PX), max(1, height // CELL_PX)
    for trace, x, y in markers:
        seen = np.isfinite(x) & np.isfinite(y)
        if x_range is not None:
            seen &= (x >= x_range[0]) & (x <= x_range[1])
        if y_range is not None:
            seen &= (y >= y_range[0]) & (y <= y_range[1])
        shown = np.flatnonzero(seen)
        if len(shown) > KEEP_ALL and x_extent is not None and y_extent is not None:
            x_span = (x_extent[1] - x_extent[0]) or 1.0
            y_span = (y_extent[1] - y_extent[0]) or 1.0
            column = np.clip(((x[shown] - x_extent[0]) / x_span * columns).astype(np.int64), 0, columns - 1)
            row = np.clip(((y[shown] - y_extent[0]) / y_span * rows).astype(np.int64), 0, rows - 1)
            _, first = np.unique(row * columns + column, return_index=True)
            best = [i for i, point in enumerate(zip(x[shown].tolist(), y[shown].tolist(), strict=True))
                    if point in on_lines] if on_lines else []
            shown = shown[np.union1d(first, np.asarray(best, dtype=np.int64))]
        if len(shown) < len(x):
            _subset(trace, len(x), shown)
    after = sum(len(trace.x) for trace, _x, _y in markers + lines)
    return after, before
