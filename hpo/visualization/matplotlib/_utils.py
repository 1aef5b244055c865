"""What the matplotlib plots share: the lazy import of pyplot and the style Optuna's figures use."""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from typing import Any


def is_available() -> bool:
    """True when matplotlib, which draws every figure of :mod:`hpo.visualization.matplotlib`, can be imported."""
    try:
        import matplotlib  # noqa: F401
    except ImportError:
        return False
    return True


def pyplot() -> Any:
    """``matplotlib.pyplot``, or an ImportError that says how to install matplotlib."""
    try:
        import matplotlib.pyplot as plt
    except ImportError as error:
        raise ImportError(
            "hpo.visualization.matplotlib draws with matplotlib, which is not installed: "
            "pip install matplotlib (or pip install 'hpo[matplotlib]').",
            name="matplotlib",
        ) from error
    return plt


@contextlib.contextmanager
def ggplot(plt: Any) -> Iterator[None]:
    """Draw inside matplotlib's ``ggplot`` style, as Optuna does, leaving the global style as it was.

    (Optuna switches the global style with ``plt.style.use``; the figure drawn here looks the same.)
    """
    with plt.style.context("ggplot"):
        yield
