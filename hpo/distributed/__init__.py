"""The distributed side of hpo: what clients, the coordinator and the workers share.

- :mod:`~hpo.distributed.wire`: every message that crosses Redis, its JSON schema, the key names;
- :mod:`~hpo.distributed.redis_round`: rounds of raw Redis commands for the hot paths;
- :mod:`~hpo.distributed.broker`: every Redis client, with the broker URL's TLS options;
- :mod:`~hpo.distributed.config`: settings from the environment and a config file;
- :mod:`~hpo.distributed.objectives`: registered objectives and the workers' allowlist;
- :mod:`~hpo.distributed.celery_app` and :mod:`~hpo.distributed.kombu_transport`: the Celery app factory;
- :mod:`~hpo.distributed.client`: ``submit_study`` and :class:`StudyHandle`;
- :mod:`~hpo.distributed.local_stack`: Redis, a coordinator and workers on this machine (``hpo run``).

The coordinator (:mod:`hpo.coordinator`) and the workers' Celery app (:mod:`hpo.workers`) sit
beside this package and build on it; neither imports the other.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from hpo.distributed.client import StudyHandle, get_study_handle, submit_study
    from hpo.distributed.local_stack import LocalStack

__all__ = ["LocalStack", "StudyHandle", "get_study_handle", "submit_study"]

_LAZY = {
    "LocalStack": "hpo.distributed.local_stack",
    "StudyHandle": "hpo.distributed.client",
    "get_study_handle": "hpo.distributed.client",
    "submit_study": "hpo.distributed.client",
}


def __getattr__(name: str) -> Any:
    # Imported on first use: workers import this package's protocol modules without the client's
    # dependencies (studies, samplers), and the coordinator's children without Celery.
    if name in _LAZY:
        return getattr(importlib.import_module(_LAZY[name]), name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
