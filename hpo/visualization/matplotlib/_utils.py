"""What the matplotlib plots share: the lazy import of pyplot, the style Optuna's figures use, the experimental mark."""

from __future__ import annotations

import contextlib
import functools
import warnings
from collections.abc import Callable, Iterator
from typing import Any, ParamSpec, TypeVar

from hpo.exceptions import ExperimentalWarning

_P = ParamSpec("_P")
_R = TypeVar("_R")


def experimental(version: str) -> Callable[[Callable[_P, _R]], Callable[_P, _R]]:
    """Mark a function experimental as Optuna does: each call warns (ExperimentalWarning) that it is
    experimental since Optuna ``version``."""

    def mark(func: Callable[_P, _R]) -> Callable[_P, _R]:
        @functools.wraps(func)
        def call(*args: _P.args, **kwargs: _P.kwargs) -> _R:
            warnings.warn(
                f"{func.__module__}.{func.__qualname__} is experimental (supported from v{version}). "
                "The interface can change in the future.",
                ExperimentalWarning,
                stacklevel=2,
            )
            return func(*args, **kwargs)

        return call

    return mark


@experimental("2.2.0")
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
