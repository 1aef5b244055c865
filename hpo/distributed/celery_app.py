"""The one explicit Celery app of hpo, configured from :class:`hpo.distributed.config.Settings`."""

from __future__ import annotations

from urllib.parse import urlsplit

from celery import Celery
from celery.app.amqp import AMQP

from hpo.distributed import kombu_transport
from hpo.distributed.broker import tls_options
from hpo.distributed.config import Settings


class _AMQP(AMQP):
    Connection = kombu_transport.Connection


def create_app(settings: Settings) -> Celery:
    """A Celery app that speaks JSON only and runs one trial attempt per task, acked late; with TLS
    as the broker URL says (no result backend: results travel as hpo's own messages)."""
    app = Celery("hpo", set_as_current=False, amqp=_AMQP)
    app.conf.update(
        broker_url=settings.broker_url,
        broker_transport=(
            kombu_transport.TRANSPORT if urlsplit(settings.broker_url).scheme in kombu_transport.SCHEMES else None
        ),
        # The URL's TLS options, checked; also read by Flower's own Redis client, and verifying the
        # server's certificate where kombu, given a bare rediss:// URL, would verify nothing.
        broker_use_ssl=tls_options(settings.broker_url),
        broker_connection_retry_on_startup=True,
        # A trial is published again and again while Redis is away (a restart, a network blip):
        # from the coordinator's own publishing lane, so nothing else waits meanwhile.
        task_publish_retry=True,
        task_publish_retry_policy={"max_retries": None, "interval_start": 0.1, "interval_step": 0.5,
                                   "interval_max": 2.0},
        # Unacknowledged tasks are redelivered after this long (7 days by default: trials may run for
        # days); a delivery of an attempt that already runs is refused by the start handshake anyway.
        # A sweep every few seconds gives abandoned tasks to another worker soon after the timeout.
        broker_transport_options={
            "visibility_timeout": settings.visibility_timeout_s,
            "unacked_restore_interval": min(10.0, max(1.0, settings.visibility_timeout_s / 4)),
            "unacked_restore_throttle": 1,
        },
        task_serializer="json",
        result_serializer="json",
        event_serializer="json",
        accept_content=["json"],
        task_ignore_result=True,
        task_acks_late=True,
        task_reject_on_worker_lost=True,
        worker_prefetch_multiplier=1,
        worker_send_task_events=True,  # Flower sees each trial from the worker's events, named by
        # the task's shadow; no task-sent events: they carry the bare task name and cost a publish per trial
        task_default_queue="cpu",
        task_create_missing_queues=True,
        include=list(settings.objective_modules),
        worker_hijack_root_logger=False,
    )
    return app
