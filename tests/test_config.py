"""Settings from the environment and from a config file."""

from __future__ import annotations

import json
import pathlib

import pytest

from hpo.distributed.config import DEFAULT_BROKER_URL, Settings


def test_environment_wins_over_the_file(tmp_path: pathlib.Path) -> None:
    config = tmp_path / "hpo.json"
    config.write_text(json.dumps({"broker_url": "redis://file:6379/0", "objective_modules": ["a", "b"], "gpus": "0,1"}))
    settings = Settings.from_env({"HPO_CONFIG_FILE": str(config), "HPO_BROKER_URL": "redis://env:6379/0",
                                  "HPO_HOME": str(tmp_path)})
    assert settings.broker_url == "redis://env:6379/0"
    assert settings.objective_modules == ("a", "b")
    assert settings.gpus == ("0", "1")


def test_defaults_and_the_embedded_stack(tmp_path: pathlib.Path) -> None:
    assert Settings.from_env({"HPO_HOME": str(tmp_path)}).broker_url == DEFAULT_BROKER_URL
    (tmp_path / "stack.json").write_text(json.dumps({"broker_url": "redis://127.0.0.1:4242/0"}))
    settings = Settings.from_env({"HPO_HOME": str(tmp_path)})
    assert settings.broker_url == "redis://127.0.0.1:4242/0"
    assert settings.objective_modules == () and settings.gpus is None and settings.storage_url is None


def test_bad_config_files_are_named(tmp_path: pathlib.Path) -> None:
    with pytest.raises(FileNotFoundError, match="does not exist"):
        Settings.from_env({"HPO_CONFIG_FILE": str(tmp_path / "missing.json")})
    bad = tmp_path / "bad.json"
    bad.write_text("{nope")
    with pytest.raises(ValueError, match="not valid JSON"):
        Settings.from_env({"HPO_CONFIG_FILE": str(bad)})


def test_heartbeat_timeout(tmp_path: pathlib.Path) -> None:
    assert Settings.from_env({"HPO_HOME": str(tmp_path)}).heartbeat_timeout_s == 30.0
    assert Settings.from_env({"HPO_HOME": str(tmp_path), "HPO_HEARTBEAT_TIMEOUT": "2.5"}).heartbeat_timeout_s == 2.5
    for bad in ("0", "-1", "soon"):
        with pytest.raises(ValueError, match=rf"HPO_HEARTBEAT_TIMEOUT must be a number of seconds > 0, got '{bad}'"):
            Settings.from_env({"HPO_HOME": str(tmp_path), "HPO_HEARTBEAT_TIMEOUT": bad})


def test_optuna_storage_is_read_after_hpo_storage_url(tmp_path: pathlib.Path) -> None:
    home = {"HPO_HOME": str(tmp_path)}
    assert Settings.from_env({**home, "OPTUNA_STORAGE": "sqlite:///optuna.db"}).storage_url == "sqlite:///optuna.db"
    both = {**home, "OPTUNA_STORAGE": "sqlite:///optuna.db", "HPO_STORAGE_URL": "sqlite:///hpo.db"}
    assert Settings.from_env(both).storage_url == "sqlite:///hpo.db"


def test_the_coordinator_module_takes_optuna_storage(tmp_path: pathlib.Path) -> None:
    """``python -m hpo.coordinator`` with only OPTUNA_STORAGE set gets past the storage check (and then
    fails on the unreachable broker, naming it)."""
    import os
    import subprocess
    import sys

    env = {**os.environ, "HPO_HOME": str(tmp_path), "OPTUNA_STORAGE": f"sqlite:///{tmp_path / 'o.db'}",
           "HPO_BROKER_URL": "redis://127.0.0.1:1/0"}
    env.pop("HPO_STORAGE_URL", None)
    done = subprocess.run([sys.executable, "-m", "hpo.coordinator"], env=env, capture_output=True, text=True,
                          timeout=60)
    assert done.returncode != 0
    assert "needs a storage" not in done.stderr + done.stdout
    assert "127.0.0.1:1" in done.stderr + done.stdout
