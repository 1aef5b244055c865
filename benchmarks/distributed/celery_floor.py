"""The Celery floor of the throughput benchmark: hpo's own Celery configuration running empty tasks.

``celery -A celery_floor worker`` runs :func:`noop`, which only counts itself in Redis; the time and
CPU it takes per task is what one trial costs before hpo does anything (no coordinator, no reports).
"""

from __future__ import annotations

import redis

from hpo.config import Settings
from hpo.workers._app import create_app

TASK_NAME = "hpo.bench.noop"
COUNTER_KEY = "hpo:bench:noop-count"

settings = Settings.from_env()
app = create_app(settings)
_client: redis.Redis | None = None


@app.task(name=TASK_NAME)
def noop(payload: dict) -> None:
    global _client
    if _client is None:
        _client = redis.Redis.from_url(settings.broker_url)
    _client.incr(COUNTER_KEY)
