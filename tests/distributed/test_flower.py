"""Flower sees every trial task, named after its study and trial number."""

from __future__ import annotations

import json
import subprocess
import sys
import time
import urllib.request
from typing import Any

import hpo
from hpo.distributed.local_stack import LocalStack, free_port


def _get(url: str) -> Any:
    with urllib.request.urlopen(url, timeout=5) as response:
        return json.load(response)


def test_flower_lists_trial_tasks_by_study_and_number(broker_env: LocalStack) -> None:
    port = free_port()
    flower = subprocess.Popen(
        [sys.executable, "-m", "celery", "-A", "hpo.workers", "flower", f"--port={port}", "--address=127.0.0.1"],
        env={**broker_env.env, "FLOWER_UNAUTHENTICATED_API": "true"},
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        deadline = time.monotonic() + 90
        while True:  # until Flower answers and has heard from the workers (it then receives their events)
            try:
                if _get(f"http://127.0.0.1:{port}/api/workers?refresh=1"):
                    break
            except OSError:
                pass
            assert time.monotonic() < deadline, "Flower did not start"
            time.sleep(0.3)
        time.sleep(2.0)
        hpo.submit_study("hpo_test_objectives:conditional", n_trials=4, study_name="flower").wait(progress=False, timeout=120)
        names: set[str] = set()
        deadline = time.monotonic() + 60  # Flower's own start may have taken most of the first minute
        while time.monotonic() < deadline and len(names) < 4:
            tasks = _get(f"http://127.0.0.1:{port}/api/tasks")
            names = {t["name"] for t in tasks.values() if t.get("state") == "SUCCESS" and "[flower#" in (t["name"] or "")}
            time.sleep(0.5)
        assert names == {f"hpo.trial[flower#{n}]" for n in range(4)}
    finally:
        flower.terminate()
        flower.wait(30)
