"""Helpers of the plot tests: figures as plain JSON data, recorded studies rebuilt in hpo, log capture."""

from __future__ import annotations

import base64
import contextlib
import json
import logging
import math
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import numpy as np
from rebuild import rebuild

import hpo

DATA = json.loads((Path(__file__).parent / "data" / "optuna_figures.json").read_text())

#: The targets ``make_optuna_figures.py`` names.
TARGETS = {
    "negated": lambda t: -t.values[0],
    "second": lambda t: t.values[1],
    "sum": lambda t: sum(t.values),
}
TARGET_LISTS = {"swapped": lambda t: [t.values[1], t.values[0]]}


def plain(value: Any) -> Any:
    """JSON data with plotly's typed arrays decoded and every non-finite number as None."""
    if isinstance(value, dict):
        if "bdata" in value and "dtype" in value:
            array = np.frombuffer(base64.b64decode(value["bdata"]), dtype=value["dtype"])
            if "shape" in value:
                array = array.reshape([int(n) for n in str(value["shape"]).split(",")])
            return plain(array.tolist())
        return {k: plain(v) for k, v in value.items()}
    if isinstance(value, list):
        return [plain(v) for v in value]
    if isinstance(value, float) and not math.isfinite(value):
        return None
    return value


def figure_json(figure: Any) -> dict[str, Any]:
    """The figure's traces and layout (without the template) as plain JSON data."""
    data = plain(json.loads(figure.to_json()))
    data["layout"].pop("template", None)
    return {"data": data["data"], "layout": data["layout"]}


def assert_close(ours: Any, theirs: Any, path: str = "") -> None:
    """Equal JSON data, numbers to 1e-9 relative."""
    if isinstance(theirs, dict):
        assert isinstance(ours, dict), f"{path}: {ours!r} is no dict"
        assert sorted(ours) == sorted(theirs), f"{path}: keys {sorted(ours)} != {sorted(theirs)}"
        for key in theirs:
            assert_close(ours[key], theirs[key], f"{path}.{key}")
    elif isinstance(theirs, list):
        assert isinstance(ours, list) and len(ours) == len(theirs), f"{path}: {ours!r} != {theirs!r}"
        for i, (a, b) in enumerate(zip(ours, theirs)):
            assert_close(a, b, f"{path}[{i}]")
    elif isinstance(theirs, (int, float)) and not isinstance(theirs, bool) and isinstance(ours, (int, float)):
        assert math.isclose(ours, theirs, rel_tol=1e-9, abs_tol=1e-12), f"{path}: {ours} != {theirs}"
    else:
        assert ours == theirs, f"{path}: {ours!r} != {theirs!r}"


def rgb(color: str) -> tuple[float, ...]:
    """``rgb(r, g, b)`` or ``#rrggbb`` as three numbers."""
    if color.startswith("#"):
        return tuple(float(int(color[i : i + 2], 16)) for i in (1, 3, 5))
    return tuple(float(v) for v in re.findall(r"[\d.]+", color)[:3])


def build_study(name: str) -> hpo.Study:
    """The recorded study ``name``, rebuilt in an in-memory hpo study with ``create_trial`` and ``add_trial``."""
    return rebuild(hpo, name, DATA["studies"][name])


class _Lines(logging.Handler):
    def __init__(self) -> None:
        super().__init__(logging.WARNING)
        self.lines: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.lines.append(record.getMessage())


@contextlib.contextmanager
def logged() -> Iterator[list[str]]:
    """The warning lines hpo's plots log inside the block."""
    handler = _Lines()
    logger = logging.getLogger("hpo.visualization")
    logger.addHandler(handler)
    verbosity = hpo.logging.get_verbosity()
    hpo.logging.set_verbosity(hpo.logging.WARNING)  # whatever another test module left it at
    try:
        yield handler.lines
    finally:
        hpo.logging.set_verbosity(verbosity)
        logger.removeHandler(handler)
