"""The floors of the throughput benchmark: hpo's own Celery configuration with nothing of hpo behind it.

``celery -A celery_floor worker`` runs :func:`floor_trial`: ``FLOOR_ROUND_TRIPS`` round trips
through Redis to a process that answers each at once (:func:`echo`: a stream entry in, a list
push out, as a worker's start and reports go to the coordinator), then it counts itself. With 0
round trips the time and CPU per task is what Celery alone costs a trial; with a trial's round
trips, what the protocol costs before the coordinator samples, prunes or stores anything.
"""

from __future__ import annotations

import json
import os
import uuid

import redis

from hpo.distributed.redis_round import Round, stream_entries
from hpo.distributed.config import Settings
from hpo.distributed.celery_app import create_app

TASK_NAME = "hpo.bench.floor"
COUNTER_KEY = "hpo:bench:floor-count"
STREAM, GROUP = "hpo:bench:echo", "echo"
STOP = b"stop"

settings = Settings.from_env()
app = create_app(settings)
_line: Round | None = None


@app.task(name=TASK_NAME)
def floor_trial(payload: dict) -> None:
    global _line
    if _line is None:
        _line = Round(redis.Redis.from_url(settings.broker_url))
    reply_key = f"hpo:bench:reply:{uuid.uuid4().hex}"
    for seq in range(int(os.environ.get("FLOOR_ROUND_TRIPS", "0"))):
        report = {"type": "report", "v": 1, "study_id": 1, "trial_id": payload.get("trial_id", 1), "attempt": 0,
                  "token": reply_key, "used_params": {}, "user_attrs": {}, "seq": seq, "step": seq, "value": 0.5}
        replies = _line.execute([("XADD", STREAM, "*", "m", json.dumps(report), "r", reply_key),
                                 ("BLPOP", reply_key, 30)])
        json.loads(replies[1][1])
    _line.execute([("INCR", COUNTER_KEY)])


def echo(url: str) -> None:
    """Answer every entry of :data:`STREAM` at once on the list it names, until one says stop; one
    round of commands per batch, as the coordinator's inbox lane does."""
    client = redis.Redis.from_url(url)
    try:
        client.xgroup_create(STREAM, GROUP, id="0", mkstream=True)
    except redis.ResponseError:
        pass
    line = Round(client)
    commands: list[tuple] = []
    while True:
        results = line.execute([*commands, ("XREADGROUP", "GROUP", GROUP, "echo", "COUNT", 256, "BLOCK", 1000,
                                            "STREAMS", STREAM, ">")])
        commands = []
        entries = stream_entries(results[-1])
        for _, fields in entries:
            if fields[b"m"] == STOP:
                return
            reply = json.dumps({"type": "reply", "v": 1, "seq": json.loads(fields[b"m"]).get("seq", 0), "ok": True,
                                "prune": False})
            commands.append(("RPUSH", fields[b"r"], reply))
        if entries:
            commands.append(("XACK", STREAM, GROUP, *(entry_id for entry_id, _ in entries)))
