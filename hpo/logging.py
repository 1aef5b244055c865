"""hpo's logger: INFO lines to stderr by default, in Optuna's format. ``set_verbosity`` tunes it."""

from __future__ import annotations

import contextlib
import logging
import sys
import threading
from collections.abc import Iterator
from logging import CRITICAL, DEBUG, ERROR, FATAL, INFO, WARN, WARNING

__all__ = [
    "CRITICAL",
    "DEBUG",
    "ERROR",
    "FATAL",
    "INFO",
    "WARN",
    "WARNING",
    "disable_default_handler",
    "disable_propagation",
    "enable_default_handler",
    "enable_propagation",
    "get_logger",
    "get_verbosity",
    "set_verbosity",
]

_lock = threading.Lock()
_default_handler: logging.Handler | None = None
_ROOT = "hpo"


class _Formatter(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        line = f"[{record.levelname[0]} {self.formatTime(record)}] {record.getMessage()}"
        if record.exc_info:  # logger.exception(...): the traceback too
            line += "\n" + self.formatException(record.exc_info)
        return line


def _root_logger() -> logging.Logger:
    global _default_handler
    with _lock:
        logger = logging.getLogger(_ROOT)
        if _default_handler is None:
            _default_handler = logging.StreamHandler(sys.stderr)
            _default_handler.setFormatter(_Formatter())
            _default_handler.flush = sys.stderr.flush  # type: ignore[method-assign]
            logger.addHandler(_default_handler)
            logger.setLevel(logging.INFO)
            logger.propagate = False
        return logger


def get_logger(name: str) -> logging.Logger:
    """A child of hpo's root logger."""
    _root_logger()
    return logging.getLogger(name)


def get_verbosity() -> int:
    return _root_logger().getEffectiveLevel()


def set_verbosity(verbosity: int) -> None:
    """Set the level of hpo's logs, e.g. ``hpo.logging.set_verbosity(hpo.logging.WARNING)``."""
    _root_logger().setLevel(verbosity)


def disable_default_handler() -> None:
    _root_logger()
    assert _default_handler is not None
    logging.getLogger(_ROOT).removeHandler(_default_handler)


def enable_default_handler() -> None:
    _root_logger()
    assert _default_handler is not None
    logging.getLogger(_ROOT).addHandler(_default_handler)


@contextlib.contextmanager
def written_above_progress_bar() -> Iterator[None]:
    """While a tqdm bar is shown, print hpo's log lines above it instead of through it."""
    import tqdm

    class _TqdmHandler(logging.Handler):
        def emit(self, record: logging.LogRecord) -> None:
            tqdm.tqdm.write(self.format(record), file=sys.stderr)

    root = _root_logger()
    handler = _TqdmHandler()
    handler.setFormatter(_Formatter())
    assert _default_handler is not None
    had_default = _default_handler in root.handlers
    root.removeHandler(_default_handler)
    root.addHandler(handler)
    try:
        yield
    finally:
        root.removeHandler(handler)
        if had_default:
            root.addHandler(_default_handler)


def disable_propagation() -> None:
    _root_logger().propagate = False


def enable_propagation() -> None:
    _root_logger().propagate = True
