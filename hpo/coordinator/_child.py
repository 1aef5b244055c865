"""What the coordinator's child processes (the SQL writer, the samplers) share."""

from __future__ import annotations

import logging
import signal
from multiprocessing.connection import Connection
from typing import Any


def log_as_the_coordinator() -> None:
    """The coordinator's log lines (its own and its children's) on stderr, INFO and up."""
    logging.basicConfig(level=logging.INFO, format="[%(levelname).1s %(asctime)s] %(name)s: %(message)s")


def become_child() -> None:
    """Ignore SIGINT and SIGTERM (a Ctrl-C or a stop aimed at the coordinator's process group: the
    coordinator closes its children itself) and log as the coordinator does."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    signal.signal(signal.SIGTERM, signal.SIG_IGN)
    log_as_the_coordinator()


def next_request(connection: Connection) -> Any:
    """The next object the coordinator sends; None when it says stop or is gone."""
    try:
        return connection.recv()
    except (EOFError, OSError):  # closed, or reset by a coordinator that was killed
        return None
