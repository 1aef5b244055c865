"""What a matplotlib figure shows, as plain JSON data: shared by the recorder (Optuna's environment) and the tests.

Imports only matplotlib and numpy. For every Axes of the figure (subplots, color bars and twin
axes included, in the figure's order): titles, labels, scales, limits, ticks and their labels
(after a draw), lines, collections (points, line segments, contour levels), bars, texts and legend.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np
from matplotlib.axes import Axes
from matplotlib.collections import Collection, LineCollection, PathCollection
from matplotlib.colors import to_hex
from matplotlib.contour import ContourSet


def plain(value: Any) -> Any:
    """numpy values as lists and floats, every non-finite number as None."""
    if isinstance(value, np.ma.MaskedArray):
        value = value.filled(np.nan)
    if isinstance(value, np.ndarray):
        return plain(value.tolist())
    if isinstance(value, dict):
        return {k: plain(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [plain(v) for v in value]
    if isinstance(value, np.generic):
        return plain(value.item())
    if isinstance(value, float) and not math.isfinite(value):
        return None
    return value


def figure_data(result: Any) -> dict[str, Any]:
    """The figure of a plot function's result (an Axes, or an array of them) and the result's shape."""
    first = np.asarray(result, dtype=object).ravel()[0] if isinstance(result, np.ndarray) else result
    figure = first.figure
    figure.canvas.draw()
    suptitle = figure._suptitle.get_text() if figure._suptitle is not None else None
    return plain(
        {
            "shape": list(np.shape(result)) if isinstance(result, np.ndarray) else None,
            "suptitle": suptitle,
            "axes": [axes_data(ax) for ax in figure.axes],
        }
    )


def axes_data(ax: Axes) -> dict[str, Any]:
    legend = ax.get_legend()
    data: dict[str, Any] = {
        "title": [ax.get_title(loc) for loc in ("left", "center", "right")],
        "xlabel": ax.get_xlabel(),
        "ylabel": ax.get_ylabel(),
        "xscale": ax.get_xscale(),
        "yscale": ax.get_yscale(),
        "xlim": plain(ax.get_xlim()),
        "ylim": plain(ax.get_ylim()),
        "xticks": plain(ax.get_xticks()),
        "yticks": plain(ax.get_yticks()),
        "xticklabels": [t.get_text() for t in ax.get_xticklabels()],
        "yticklabels": [t.get_text() for t in ax.get_yticklabels()],
        "lines": [
            {
                "x": plain(np.asarray(line.get_xdata(), dtype=float)),
                "y": plain(np.asarray(line.get_ydata(), dtype=float)),
                "color": to_hex(line.get_color(), keep_alpha=True),
                "alpha": line.get_alpha(),
                "label": line.get_label(),
                "linestyle": line.get_linestyle(),
                "marker": line.get_marker(),
            }
            for line in ax.get_lines()
        ],
        "collections": [collection_data(c) for c in ax.collections],
        "bars": [
            {
                "x": p.get_x(),
                "y": p.get_y(),
                "width": p.get_width(),
                "height": p.get_height(),
                "color": to_hex(p.get_facecolor(), keep_alpha=True),
            }
            for p in ax.patches
            if hasattr(p, "get_width")
        ],
        "texts": [t.get_text() for t in ax.texts],
        "legend": None if legend is None else [t.get_text() for t in legend.get_texts()],
    }
    if hasattr(ax, "get_zlabel"):
        data["zlabel"] = ax.get_zlabel()
    return data


def collection_data(c: Collection) -> dict[str, Any]:
    data: dict[str, Any] = {
        "type": type(c).__name__,
        "facecolors": plain(np.round(c.get_facecolor(), 6)),
        "edgecolors": plain(np.round(c.get_edgecolor(), 6)),
        "label": c.get_label(),
        "array": None if c.get_array() is None else plain(np.asarray(c.get_array(), dtype=float)),
        "cmap": c.get_cmap().name if c.get_array() is not None else None,
    }
    if isinstance(c, ContourSet):
        data["levels"] = plain(c.levels)
        paths = c.get_paths()
        data["paths"] = [len(p.vertices) for p in paths]
        data["vertex_sums"] = [plain(p.vertices.sum(axis=0)) if len(p.vertices) else [] for p in paths]
    elif isinstance(c, LineCollection):
        data["segments"] = [plain(s) for s in c.get_segments()]
        data["linestyles"] = [[offset, dashes and list(dashes)] for offset, dashes in c.get_linestyles()]
    elif isinstance(c, PathCollection):
        offsets3d = getattr(c, "_offsets3d", None)
        data["offsets"] = plain(np.column_stack(offsets3d) if offsets3d is not None else c.get_offsets())
        data["sizes"] = plain(c.get_sizes())
    return data
