"""The distributed commands of the CLI against a real cluster, and `hpo run --workers` end to end."""

from __future__ import annotations

import json
import os
import pathlib
import subprocess
import sys

from hpo.distributed.local_stack import LocalStack

REPO = pathlib.Path(__file__).resolve().parents[2]


def hpo_cli(*args: str, env: dict[str, str], cwd: pathlib.Path | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "hpo.cli", *args], env=env, cwd=cwd, capture_output=True,
                          text=True, timeout=300)


def test_submit_status_cancel(broker_env: LocalStack) -> None:
    env = dict(broker_env.env)
    done = hpo_cli("study", "submit", "hpo_test_objectives:conditional", "--n-trials", "5", "--study-name", "cli",
                   "--sampler", "random", "--wait", env=env)
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip().splitlines()[0] == "cli"
    status = hpo_cli("study", "status", "cli", "--format", "json", env=env)
    assert status.returncode == 0, status.stderr
    assert json.loads(status.stdout)["status"] == "done"
    missing = hpo_cli("study", "cancel", "no-such-study", env=env)
    assert missing.returncode != 0 and "no-such-study" in missing.stderr and "Traceback" not in missing.stderr


def test_run_with_workers_starts_and_stops_a_local_stack(tmp_path: pathlib.Path) -> None:
    env = {k: v for k, v in os.environ.items() if k not in ("HPO_BROKER_URL", "HPO_STORAGE_URL")}
    env["HPO_HOME"] = str(tmp_path / "home")
    result = hpo_cli("run", str(REPO / "examples" / "quadratic.py") + ":objective", "--n-trials", "20",
                     "--workers", "2", "--no-progress", env=env, cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    assert "Ran 20 trials (20 complete)" in result.stdout
    assert (tmp_path / "hpo.db").exists()
    assert not (tmp_path / "home" / "stack.json").exists()  # torn down
    leftovers = subprocess.run(["pgrep", "-f", f"hpo.coordinator --storage sqlite:///hpo.db"], capture_output=True)
    assert leftovers.returncode == 1


def test_ctrl_c_on_run_with_workers_stops_everything_at_once(tmp_path: pathlib.Path) -> None:
    """Ctrl-C reaches `hpo run` alone (Redis, coordinator and workers run in sessions of their own):
    it cancels the study, stops the stack within seconds and prints the summary; nothing stays RUNNING."""
    import signal
    import time

    import hpo
    from hpo.trial import TrialState

    env = {k: v for k, v in os.environ.items() if k not in ("HPO_BROKER_URL", "HPO_STORAGE_URL")}
    env.update(HPO_HOME=str(tmp_path / "home"), HPO_TEST_SLEEP="5",
               PYTHONPATH=os.pathsep.join([str(REPO / "tests" / "distributed"), env.get("PYTHONPATH", "")]))
    storage = f"sqlite:///{tmp_path / 'hpo.db'}"
    run = subprocess.Popen(
        [sys.executable, "-m", "hpo.cli", "run", "hpo_test_objectives:sleepy", "--n-trials", "100", "--workers", "2",
         "--no-progress", "--study-name", "ctrl-c", "--storage", storage],
        env=env, cwd=tmp_path, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, start_new_session=True,
        # as from a terminal: a test run started in the background (`cmd &`) passes SIGINT on ignored
        preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_DFL),
    )
    try:
        deadline = time.monotonic() + 90
        while True:  # until trials run on both slots
            assert run.poll() is None and time.monotonic() < deadline, run.communicate()
            try:
                running = hpo.load_study(study_name="ctrl-c", storage=storage).get_trials(states=(TrialState.RUNNING,))
                if sum("hpo:worker" in t.system_attrs for t in running) >= 2:  # started, not just published
                    break
            except (KeyError, ValueError):
                pass
            time.sleep(0.3)
        interrupted = time.monotonic()
        os.killpg(run.pid, signal.SIGINT)  # what a terminal's Ctrl-C does
        out, err = run.communicate(timeout=60)
        took = time.monotonic() - interrupted
    finally:
        if run.poll() is None:
            os.killpg(run.pid, signal.SIGKILL)
    print(f"hpo run exited {took:.2f} s after Ctrl-C")
    assert took < 10.0, err  # about 3 s when the machine is idle (was 30 s); slack for a loaded 2-core machine
    assert run.returncode != 0 and "Interrupted." in err and "Traceback" not in err
    assert "Ran " in out and "of study 'ctrl-c'" in out
    trials = hpo.load_study(study_name="ctrl-c", storage=storage).trials
    assert trials and all(t.state.is_finished() for t in trials)
