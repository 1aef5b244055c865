"""The coordinator: ``hpo coordinator start`` hosts every submitted study (see :class:`Coordinator`)."""

from __future__ import annotations

import dataclasses
import faulthandler
import logging
import signal
from typing import TYPE_CHECKING, Any

from hpo.coordinator._job import JOB_KEY
from hpo.coordinator._study_run import WORKER_KEY
from hpo.distributed.config import Settings

if TYPE_CHECKING:
    from hpo.coordinator._coordinator import Coordinator
    from hpo.coordinator._mirror import MirroredStorage

__all__ = ["JOB_KEY", "WORKER_KEY", "Coordinator", "MirroredStorage", "job_queue", "serve"]


def __getattr__(name: str) -> Any:
    # Imported on first use: the coordinator's child processes (SQL writer, samplers) import
    # modules of this package without needing Celery and the rest of the coordinator.
    if name == "Coordinator":
        from hpo.coordinator._coordinator import Coordinator

        return Coordinator
    if name == "MirroredStorage":
        from hpo.coordinator._mirror import MirroredStorage

        return MirroredStorage
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


def job_queue(system_attrs: dict[str, Any]) -> str | None:
    """The queue a study's running job publishes its trials to, read from the study's system attrs;
    None when no job of it runs. Raises :class:`hpo.exceptions.HpoError` for a job record this hpo cannot read."""
    from hpo.coordinator._job import stored_job

    job = stored_job(system_attrs)
    return job.queue if job is not None and job.running else None


def serve(
    storage_url: str | None = None, broker_url: str | None = None, metrics_address: tuple[str, int] | None = None
) -> None:
    """Run a coordinator until SIGINT or SIGTERM; arguments override ``HPO_STORAGE_URL``/``HPO_BROKER_URL``.
    ``metrics_address``: (host, port) of ``/metrics`` and ``/healthz`` (None: not served)."""
    settings = Settings.from_env(stack_fallback=False)  # never another stack's Redis by accident
    settings = dataclasses.replace(
        settings, storage_url=storage_url or settings.storage_url, broker_url=broker_url or settings.broker_url
    )
    from hpo.coordinator._child import log_as_the_coordinator
    from hpo.coordinator._coordinator import Coordinator

    log_as_the_coordinator()
    logging.getLogger("alembic").setLevel(logging.WARNING)
    faulthandler.register(signal.SIGUSR2, all_threads=True)  # kill -USR2 PID: every thread's stack, in the log

    coordinator = Coordinator(settings, metrics_address=metrics_address)
    signal.signal(signal.SIGTERM, lambda *_: coordinator.request_stop())
    coordinator.serve_forever()
