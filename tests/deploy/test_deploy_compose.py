"""docker-compose.yml and .env.example, checked without Docker: the Compose specification's schema
(check-jsonschema's bundled copy), every setting in .env.example, the variables and commands each service
uses against what hpo's code, the entrypoint and Flower read, and nothing published beyond 127.0.0.1."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import yaml
from deployfiles import (
    COMPOSE_FILE,
    ENV_EXAMPLE,
    InterpolationError,
    check_command,
    compose_config,
    compose_raw,
    entrypoint_commands,
    entrypoint_roles,
    example_env,
    names_entrypoint_reads,
    names_flower_reads,
    names_hpo_reads,
    read_env_file,
    settings_names,
    strings_in,
    variables_used,
)

HPO_SERVICES = ("coordinator", "cpu-worker", "gpu-worker", "flower", "dashboard")
POSTGRES_IMAGE_VARIABLES = {"POSTGRES_USER", "POSTGRES_PASSWORD", "POSTGRES_DB", "PGDATA"}
"""The official postgres image's documented variables (its entrypoint reads them)."""


def _check_jsonschema(path: Path) -> subprocess.CompletedProcess[str]:
    tool = shutil.which("check-jsonschema", path=str(Path(sys.executable).parent)) or "check-jsonschema"
    return subprocess.run([tool, "--builtin-schema", "vendor.compose-spec", str(path)],
                          capture_output=True, text=True, timeout=120)


def test_compose_file_matches_the_compose_specification(tmp_path: Path) -> None:
    """The file as written and as Compose sees it once .env is read both pass the Compose spec's schema."""
    as_written = _check_jsonschema(COMPOSE_FILE)
    assert as_written.returncode == 0, as_written.stdout + as_written.stderr
    expanded = tmp_path / "docker-compose.yml"
    expanded.write_text(yaml.safe_dump(compose_config(example_env())))
    as_run = _check_jsonschema(expanded)
    assert as_run.returncode == 0, as_run.stdout + as_run.stderr


def test_the_validator_refuses_what_compose_would(tmp_path: Path) -> None:
    """Guards the check above: a misspelt service key fails the same validation."""
    broken = compose_raw()
    broken["services"]["redis"]["healthchek"] = broken["services"]["redis"].pop("healthcheck")
    path = tmp_path / "docker-compose.yml"
    path.write_text(yaml.safe_dump(broken))
    assert _check_jsonschema(path).returncode != 0


def test_env_example_holds_every_setting_and_nothing_unused() -> None:
    """Every hpo setting (hpo/distributed/config.py) is in .env.example; every variable the compose file
    uses is there, and every one there is used."""
    example = read_env_file(ENV_EXAMPLE)
    # HPO_HOME: only `hpo run`'s local stack; OPTUNA_STORAGE: Optuna's name, read when HPO_STORAGE_URL is unset
    settings = settings_names() - {"HPO_HOME", "OPTUNA_STORAGE"}
    assert settings <= set(example), f"missing from .env.example: {sorted(settings - set(example))}"
    used = set().union(*(variables_used(s) for s in strings_in(compose_raw())))
    assert used == set(example), (f"used in docker-compose.yml, not in .env.example: {sorted(used - set(example))}; "
                                  f"in .env.example, unused: {sorted(set(example) - used)}")


def test_every_service_variable_is_read_by_what_runs_there() -> None:
    """HPO_* names are those hpo's code reads; the others are read by the entrypoint, Flower, or the
    service's own command or image."""
    config = compose_config(example_env())
    hpo_names = names_hpo_reads()
    entrypoint_names = names_entrypoint_reads()
    flower_names = names_flower_reads()
    for name, service in config["services"].items():
        for variable in service.get("environment", {}):
            where = f"service {name}: {variable}"
            if variable.startswith("HPO_"):
                assert variable in hpo_names, f"{where} is read by no hpo code ({sorted(hpo_names)})"
            elif name in HPO_SERVICES:
                assert variable in entrypoint_names | flower_names, f"{where} is read by neither entrypoint nor Flower"
            elif name == "postgres":
                assert variable in POSTGRES_IMAGE_VARIABLES, where
            else:
                command = " ".join(service.get("command", [])) + " ".join(service["healthcheck"]["test"])
                assert variable in variables_used(command), f"{where} is used by neither its command nor healthcheck"


def test_every_hpo_service_runs_an_entrypoint_role_with_real_options() -> None:
    """Each hpo service's command is a role of workers/entrypoint.sh (or an hpo command, which it runs as
    given); the commands the role runs (printed by ENTRYPOINT_DRY_RUN=1, with the service's environment) are
    hpo's and Celery's, with options they have."""
    config = compose_config(example_env())
    roles = entrypoint_roles()
    for name in HPO_SERVICES:
        service = config["services"][name]
        if service["command"][0] == "hpo":
            check_command(service["command"], f"service {name}")
            continue
        assert service["command"][0] in roles, f"{name}: {service['command']}"
        env = {key: str(value) for key, value in service["environment"].items()}
        if name == "gpu-worker":
            env["HPO_GPUS"] = "0,1"  # no GPU here; the GPU mapping has tests of its own
        commands = [words for words in entrypoint_commands(service["command"], env) if "=" not in words[0]]
        assert commands, name
        for words in commands:
            check_command(words, f"service {name}")
    healthcheck = config["services"]["coordinator"]["healthcheck"]["test"]
    assert healthcheck[:2] == ["CMD", "hpo-entrypoint"] and healthcheck[2] in roles


def test_compose_runs_the_services_issue_15_asks_for() -> None:
    """Redis with an append-only file and a password, PostgreSQL, a coordinator waiting for both healthy,
    scalable CPU workers, a GPU worker reserving NVIDIA GPUs, Flower behind basic auth."""
    config = compose_config(example_env())
    services = config["services"]
    redis_command = " ".join(services["redis"]["command"])
    assert "--appendonly yes" in redis_command and "requirepass" in redis_command
    assert "noeviction" in redis_command
    assert "redis-data:/data" in services["redis"]["volumes"]
    assert any(volume.endswith(":/var/lib/postgresql/data") for volume in services["postgres"]["volumes"])
    for name in ("redis", "postgres", "coordinator"):
        assert services[name]["healthcheck"]["test"], name
    assert services["coordinator"]["depends_on"] == {"redis": {"condition": "service_healthy"},
                                                     "postgres": {"condition": "service_healthy"}}
    for name, service in services.items():
        for dependency, condition in service.get("depends_on", {}).items():
            if condition["condition"] == "service_healthy":
                assert "healthcheck" in services[dependency], f"{name} waits for {dependency}'s healthcheck"
    assert "container_name" not in services["cpu-worker"], "a fixed name would forbid --scale"
    assert not services["cpu-worker"].get("ports"), "a published port would forbid --scale"
    device = services["gpu-worker"]["deploy"]["resources"]["reservations"]["devices"][0]
    assert device["driver"] == "nvidia" and device["capabilities"] == ["gpu"]
    assert "HPO_GPUS" in services["gpu-worker"]["environment"]
    assert services["gpu-worker"]["profiles"] == ["gpu"], "a host without GPUs must start without it"
    assert services["flower"]["environment"]["FLOWER_BASIC_AUTH"] == "admin:" + example_env()["FLOWER_PASSWORD"]
    assert services["dashboard"]["environment"]["HPO_DASHBOARD_TOKEN"] == example_env()["DASHBOARD_PASSWORD"]
    assert services["coordinator"]["environment"]["HPO_METRICS_PORT"] == "9464"


def test_ports_listen_on_localhost_unless_the_user_opts_in() -> None:
    """Every published port defaults to 127.0.0.1; a *_PUBLISH variable moves it."""
    published = {name: service.get("ports", []) for name, service in compose_config(example_env())["services"].items()}
    assert published["redis"] == ["127.0.0.1:6379:6379"]
    assert published["postgres"] == ["127.0.0.1:5432:5432"]
    assert published["flower"] == ["127.0.0.1:5555:5555"]
    assert published["dashboard"] == ["127.0.0.1:8080:8080"]
    assert published["coordinator"] == ["127.0.0.1:9464:9464"]
    assert all(port.startswith("127.0.0.1:") for ports in published.values() for port in ports)
    opened = compose_config(example_env(REDIS_PUBLISH="0.0.0.0:6379"))["services"]["redis"]["ports"]
    assert opened == ["0.0.0.0:6379:6379"]


def test_passwords_are_required_and_none_is_written_down() -> None:
    """Compose refuses to start without each password; the files hold none."""
    for password in ("REDIS_PASSWORD", "POSTGRES_PASSWORD", "FLOWER_PASSWORD", "DASHBOARD_PASSWORD"):
        assert read_env_file(ENV_EXAMPLE)[password] == ""
        with pytest.raises(InterpolationError, match=password):
            compose_config(example_env(**{password: ""}))
    text = COMPOSE_FILE.read_text()
    assert "requirepass $${REDIS_PASSWORD}" in text, "Redis's password goes in on stdin, from the environment"
    for service in compose_raw()["services"].values():
        assert "--requirepass" not in " ".join(service.get("command", [])), "a password on a command line shows in ps"
