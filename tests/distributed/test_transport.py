"""hpo's kombu transport: kombu's Redis transport, publishing through one client per channel."""

from __future__ import annotations

import dataclasses
import pathlib

import redis

from hpo.distributed import wire
from hpo.distributed.config import Settings
from hpo.distributed.local_stack import EmbeddedRedis
from hpo.distributed.celery_app import create_app
from hpo.distributed.kombu_transport import Transport


def test_redis_urls_publish_through_one_client_per_channel(tmp_path: pathlib.Path) -> None:
    server = EmbeddedRedis(tmp_path)
    server.start()
    try:
        app = create_app(dataclasses.replace(Settings.from_env({}), broker_url=server.url))
        with app.producer_or_acquire() as producer:
            assert isinstance(producer.connection.transport, Transport)
            for number in range(3):
                app.send_task(wire.TASK_NAME, args=[{"n": number}], queue="cpu", producer=producer)
            channel = producer.channel
            with channel.conn_or_acquire() as first, channel.conn_or_acquire() as second:
                assert first is second
        assert redis.Redis.from_url(server.url).llen("cpu") == 3
    finally:
        server.stop()


def test_other_broker_urls_keep_kombus_transport() -> None:
    app = create_app(dataclasses.replace(Settings.from_env({}), broker_url="sentinel://localhost:26379"))
    assert app.conf.broker_transport is None
