"""Settings shared by the coordinator, the workers and clients: environment first, then a config file.

Environment variables: ``HPO_BROKER_URL``, ``HPO_STORAGE_URL`` (else Optuna's ``OPTUNA_STORAGE``),
``HPO_OBJECTIVE_MODULES`` (comma-separated), ``HPO_SPEC_MODULES`` (comma-separated packages whose samplers, pruners and
functions a submitted spec may name, besides hpo's own; read by the coordinator), ``HPO_GPUS``
(comma-separated device ids), ``HPO_REPLY_TIMEOUT`` (seconds),
``HPO_HEARTBEAT_TIMEOUT`` (seconds without a heartbeat after which the coordinator ends a running
trial FAIL: its worker died; 30 by default), ``HPO_VISIBILITY_TIMEOUT`` (seconds after which Redis
gives an unacknowledged task to another worker; 7 days by default: a redelivered trial that already
runs is refused anyway), ``HPO_CONFIG_FILE`` (a JSON or TOML file with the same
keys in lower case, without ``HPO_``).
Without a broker URL, the embedded Redis of a running ``hpo run --workers`` stack is used if
its state file exists (``$HPO_HOME/stack.json``), else ``redis://127.0.0.1:6379/0``.
"""

from __future__ import annotations

import dataclasses
import json
import os
import pathlib
import sys
from collections.abc import Mapping
from typing import Any
from urllib.parse import urlsplit, urlunsplit

from hpo.exceptions import ConfigError, ConfigFileNotFoundError

DEFAULT_BROKER_URL = "redis://127.0.0.1:6379/0"


def hpo_home(env: Mapping[str, str] = os.environ) -> pathlib.Path:
    return pathlib.Path(env.get("HPO_HOME", pathlib.Path.home() / ".hpo"))


def stack_state_file(env: Mapping[str, str] = os.environ) -> pathlib.Path:
    return hpo_home(env) / "stack.json"


@dataclasses.dataclass(frozen=True)
class Settings:
    broker_url: str
    storage_url: str | None
    objective_modules: tuple[str, ...]
    spec_modules: tuple[str, ...]
    gpus: tuple[str, ...] | None
    reply_timeout_s: float
    heartbeat_timeout_s: float
    visibility_timeout_s: float = 7 * 24 * 3600.0

    @classmethod
    def from_env(cls, env: Mapping[str, str] = os.environ, *, stack_fallback: bool = True) -> Settings:
        """The settings ``env`` and ``HPO_CONFIG_FILE`` give. ``stack_fallback``: without a broker URL,
        use a running ``hpo run`` stack's Redis (clients and workers); the coordinator never does."""
        file_values = _read_config_file(env.get("HPO_CONFIG_FILE"))

        def get(key: str) -> Any:
            return env.get("HPO_" + key.upper(), file_values.get(key))

        return cls(
            broker_url=(
                get("broker_url") or (_embedded_broker_url(env) if stack_fallback else None) or DEFAULT_BROKER_URL
            ),
            storage_url=get("storage_url") or env.get("OPTUNA_STORAGE") or None,
            objective_modules=_split(get("objective_modules")) or (),
            spec_modules=_split(get("spec_modules")) or (),
            gpus=_split(get("gpus")),
            reply_timeout_s=_positive("reply_timeout", _given(get("reply_timeout"), 120.0)),
            heartbeat_timeout_s=_positive("heartbeat_timeout", _given(get("heartbeat_timeout"), 30.0)),
            visibility_timeout_s=_positive("visibility_timeout", _given(get("visibility_timeout"), 7 * 24 * 3600.0)),
        )


def _given(value: Any, default: float) -> Any:
    """``value``, unless it is missing (None or an empty variable): then ``default`` (0 stays 0)."""
    return default if value is None or value == "" else value


def _positive(key: str, value: Any) -> float:
    try:
        number = float(value)
    except (TypeError, ValueError):
        number = -1.0
    if not number > 0:
        raise ConfigError(f"HPO_{key.upper()} must be a number of seconds > 0, got {value!r}.")
    return number


def _split(value: Any) -> tuple[str, ...] | None:
    if value is None or value == "":
        return None
    items = value if isinstance(value, (list, tuple)) else str(value).split(",")
    return tuple(str(v).strip() for v in items if str(v).strip())


def _read_config_file(path: str | None) -> dict[str, Any]:
    if not path:
        return {}
    file = pathlib.Path(path)
    if file.is_dir():
        raise ConfigError(f"HPO_CONFIG_FILE {path} is a directory, not a file: point it at a .json or .toml file.")
    if not file.is_file():
        raise ConfigFileNotFoundError(f"HPO_CONFIG_FILE points to {path}, which does not exist.")
    text = file.read_text()
    if file.suffix == ".toml":
        if sys.version_info < (3, 11):
            raise ConfigError(f"HPO_CONFIG_FILE {path}: TOML needs Python 3.11+; use a .json file instead.")
        import tomllib  # type: ignore[import-not-found, unused-ignore]  # mypy checks as Python 3.10

        try:
            return tomllib.loads(text)
        except tomllib.TOMLDecodeError as e:
            raise ConfigError(f"HPO_CONFIG_FILE {path} is not valid TOML (use .json for JSON): {e}.") from e
    try:
        loaded = json.loads(text)
    except ValueError as e:
        raise ConfigError(f"HPO_CONFIG_FILE {path} is not valid JSON (use .toml for TOML): {e}.") from e
    if not isinstance(loaded, dict):
        raise ConfigError(f"HPO_CONFIG_FILE {path} must hold a JSON object.")
    return loaded


def _embedded_broker_url(env: Mapping[str, str]) -> str | None:
    try:
        return json.loads(stack_state_file(env).read_text())["broker_url"]
    except (OSError, ValueError, KeyError, TypeError):
        return None


def masked_url(url: str) -> str:
    """``url`` with its password (if any) shown as ``***``, for messages and logs."""
    parts = urlsplit(url)
    if parts.password is None:
        return url
    host = parts.netloc.rpartition("@")[2]
    netloc = f"{parts.username or ''}:***@{host}"
    return urlunsplit((parts.scheme, netloc, parts.path, parts.query, parts.fragment))
