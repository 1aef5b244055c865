"""The Celery app of hpo: ``celery -A hpo.workers worker -Q cpu`` (or ``-Q gpu``) runs trials.

Configuration comes from the environment (see :mod:`hpo.distributed.config`): ``HPO_BROKER_URL``,
``HPO_OBJECTIVE_MODULES`` (the only modules whose objectives this worker will import; Celery's
``--include`` adds to them), ``HPO_GPUS`` (one device per child process, e.g. ``0,1,2,3``; by
default the GPUs ``nvidia-smi`` lists on workers consuming a queue named ``gpu``).
"""

from __future__ import annotations

from typing import Any

from billiard.process import current_process
from celery import signals

from hpo.distributed import wire
from hpo.distributed.celery_app import create_app
from hpo.distributed.config import Settings
from hpo.workers._gpu import assign_gpu, detect_gpus
from hpo.workers._heartbeat import Announcer
from hpo.workers._task import WorkerRuntime

settings = Settings.from_env()
app = create_app(settings)
_runtime = WorkerRuntime(settings, settings.objective_modules)
_announcer: Announcer | None = None

__all__ = ["app"]


@app.task(name=wire.TASK_NAME, bind=True, Request="hpo.workers._request:TrialRequest")
def run_trial(self: Any, payload: dict[str, Any]) -> str:
    """Run one trial attempt; the payload is a :class:`hpo.distributed.wire.TrialTask` as JSON."""
    return _runtime.run(payload, self.request.hostname or _runtime.hostname)


def _gpus_for(queues: list[str]) -> tuple[str, ...]:
    if settings.gpus is not None:
        return settings.gpus
    return detect_gpus() if "gpu" in queues else ()


def _consumed_queues() -> list[str]:
    return sorted(q.name for q in app.amqp.queues.consume_from.values()) if app.amqp.queues.consume_from else ["cpu"]


@signals.celeryd_after_setup.connect
def _on_worker_setup(sender: str, instance: Any, **_: Any) -> None:
    global _announcer
    queues = _consumed_queues()
    includes = tuple(app.conf.include or ())
    _runtime.allowed_modules = tuple(dict.fromkeys(settings.objective_modules + includes))
    info = wire.WorkerInfo(hostname=sender, queues=queues, concurrency=int(instance.concurrency),
                           objectives=list(_runtime.allowed_modules), gpus=list(_gpus_for(queues)) or None)
    _announcer = Announcer(settings.broker_url, info)
    _announcer.start()


@signals.worker_process_init.connect
def _on_child_start(**_: Any) -> None:
    _runtime.allowed_modules = tuple(dict.fromkeys(settings.objective_modules + tuple(app.conf.include or ())))
    _runtime.device = assign_gpu(current_process().index, _gpus_for(_consumed_queues()))


@signals.worker_shutdown.connect
def _on_worker_shutdown(**_: Any) -> None:
    if _announcer is not None:
        _announcer.stop()
