"""A broker behind a password or an ACL user: coordinator, workers, clients and Flower all work with
credentials in the URL, a wrong password is refused with the password masked, and no log shows it;
Flower with --basic-auth refuses anonymous requests."""

from __future__ import annotations

import base64
import pathlib
import subprocess
import sys
import time
import urllib.error
import urllib.request

import pytest

import hpo
from hpo.distributed.local_stack import LocalStack, free_port
from hpo.exceptions import CoordinatorUnavailableError

from cluster import HERE, OBJECTIVES

SECRET = "s3cret-Pa55"


def _stack(tmp_path: pathlib.Path, user: str | None) -> LocalStack:
    return LocalStack(storage_url=f"sqlite:///{tmp_path / 'hpo.db'}", n_workers=2, objective_modules=[OBJECTIVES],
                      pythonpath=[str(HERE)], log_dir=str(tmp_path), redis_user=user, redis_password=SECRET)


@pytest.mark.parametrize("user", [None, "hpo"], ids=["requirepass", "acl-user"])
def test_a_study_runs_on_a_broker_with_credentials(tmp_path: pathlib.Path, user: str | None) -> None:
    with _stack(tmp_path, user) as stack:
        assert SECRET in stack.broker_url
        study = hpo.submit_study("hpo_test_objectives:conditional", n_trials=4, study_name="auth",
                                 broker_url=stack.broker_url, storage=stack.storage_url).wait(progress=False,
                                                                                             timeout=120)
        assert len(study.trials) == 4
        wrong = stack.broker_url.replace(SECRET, "wrong-one")
        with pytest.raises(CoordinatorUnavailableError) as refused:
            hpo.submit_study("hpo_test_objectives:conditional", n_trials=1, broker_url=wrong)
        assert "***" in str(refused.value) and "wrong-one" not in str(refused.value)
    for log in tmp_path.glob("*.log"):
        assert SECRET not in log.read_text(errors="replace"), log.name


def test_flower_with_basic_auth_refuses_anonymous_requests(tmp_path: pathlib.Path) -> None:
    with _stack(tmp_path, None) as stack:
        port = free_port()
        flower = subprocess.Popen(
            [sys.executable, "-m", "celery", "-A", "hpo.workers", "flower", f"--port={port}", "--address=127.0.0.1",
             "--basic-auth=admin:flower-pass"],
            env=stack.env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
        )
        try:
            url = f"http://127.0.0.1:{port}/api/workers"
            deadline = time.monotonic() + 90
            while True:
                try:
                    urllib.request.urlopen(url, timeout=5)
                    pytest.fail("Flower answered an anonymous request")
                except urllib.error.HTTPError as e:
                    assert e.code == 401
                    break
                except OSError:
                    assert time.monotonic() < deadline, "Flower did not start"
                    time.sleep(0.3)
            token = base64.b64encode(b"admin:flower-pass").decode()
            request = urllib.request.Request(url, headers={"Authorization": f"Basic {token}"})
            with urllib.request.urlopen(request, timeout=10) as response:
                assert response.status == 200
        finally:
            flower.terminate()
            flower.wait(30)
