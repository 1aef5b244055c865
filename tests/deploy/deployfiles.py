"""Reading the deployment files as Docker Compose and kustomize read them, and what hpo's code reads.

- :func:`interpolate` expands ``${VAR}``, ``${VAR:-default}`` (nested too), ``${VAR:?error}`` and ``$$`` as
  Compose does; :func:`compose_config` gives docker-compose.yml with them expanded from an env file.
- :func:`render_kustomization` renders a kustomization with ``kubectl kustomize`` when kubectl is on PATH,
  else with :func:`render_kustomization_here`, which reads the kustomization files itself (the subset these
  files use: resources, components, namespace, images and JSON 6902 patches; anything else is refused).
- :func:`names_hpo_reads` is every environment variable hpo's settings and command line read, recorded
  from the code itself; :func:`entrypoint_commands` runs workers/entrypoint.sh with ENTRYPOINT_DRY_RUN=1;
  :func:`check_click_argv` checks a command line against a click command's options.
"""

from __future__ import annotations

import copy
import os
import re
import shutil
import subprocess
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import Any

import click
import yaml

REPO = Path(__file__).resolve().parents[2]
COMPOSE_FILE = REPO / "docker-compose.yml"
ENV_EXAMPLE = REPO / ".env.example"
ENTRYPOINT = REPO / "workers" / "entrypoint.sh"
DEPLOY = REPO / "deploy"
KUBERNETES_VERSION = "1.30"
"""The Kubernetes API the manifests are validated against: the oldest release they are meant for."""
REQUIRE_TOOLS_ENV = "HPO_TEST_REQUIRE_DEPLOY_TOOLS"
"""With ``1`` (CI), a check whose tool (kubectl, systemd-analyze, redis-cli) is missing fails instead of skipping."""
TEST_PASSWORDS = {"REDIS_PASSWORD": "redisPass123", "POSTGRES_PASSWORD": "pgPass456",
                  "FLOWER_PASSWORD": "flowerPass789", "DASHBOARD_PASSWORD": "dashboardToken0"}


# ---------------------------------------------------------------- Compose


class InterpolationError(ValueError):
    """A ``${VAR:?message}`` whose variable is unset or empty."""


_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")


def interpolate(value: str, env: Mapping[str, str]) -> str:
    """``value`` with Compose's variable syntax expanded from ``env``."""
    out: list[str] = []
    i = 0
    while i < len(value):
        if value[i] != "$":
            out.append(value[i])
            i += 1
        elif value.startswith("$$", i):
            out.append("$")
            i += 2
        elif value.startswith("${", i):
            end = _closing_brace(value, i + 1)
            out.append(_expand(value[i + 2:end], env))
            i = end + 1
        elif match := _NAME.match(value, i + 1):
            out.append(env.get(match.group(), ""))
            i = match.end()
        else:
            out.append("$")
            i += 1
    return "".join(out)


def _closing_brace(value: str, opening: int) -> int:
    depth = 0
    for i in range(opening, len(value)):
        if value[i] == "{":
            depth += 1
        elif value[i] == "}":
            depth -= 1
            if depth == 0:
                return i
    raise ValueError(f"Unclosed ${{ in {value!r}")


def _expand(expression: str, env: Mapping[str, str]) -> str:
    match = re.fullmatch(r"([A-Za-z_][A-Za-z0-9_]*)(?:(:?[-?])(.*))?", expression, re.DOTALL)
    if match is None:
        raise ValueError(f"Not a Compose variable: ${{{expression}}}")
    name, operator, argument = match.groups()
    value = env.get(name)
    if operator is None:
        return value or ""
    missing = not value if operator.startswith(":") else value is None
    if operator.endswith("-"):
        return interpolate(argument, env) if missing else str(value)
    if missing:
        raise InterpolationError(f"{name}: {interpolate(argument, env)}")
    return str(value)


def variables_used(value: str) -> set[str]:
    """The variable names ``value`` refers to (defaults' own variables included)."""
    return set(re.findall(r"(?<!\$)\$\{?([A-Za-z_][A-Za-z0-9_]*)", value.replace("$$", "")))


def read_env_file(path: Path = ENV_EXAMPLE) -> dict[str, str]:
    """``KEY=VALUE`` lines of an env file (comments and blank lines skipped; values unquoted)."""
    values: dict[str, str] = {}
    for line in path.read_text().splitlines():
        line = line.strip()
        if line and not line.startswith("#"):
            key, _, value = line.partition("=")
            values[key.strip()] = value.strip()
    return values


def example_env(**overrides: str) -> dict[str, str]:
    """.env.example as a user fills it in: the passwords set, then ``overrides``."""
    return {**read_env_file(), **TEST_PASSWORDS, **overrides}


def compose_raw() -> dict[str, Any]:
    return yaml.safe_load(COMPOSE_FILE.read_text())


def _walk_strings(node: Any, env: Mapping[str, str]) -> Any:
    if isinstance(node, str):
        return interpolate(node, env)
    if isinstance(node, list):
        return [_walk_strings(item, env) for item in node]
    if isinstance(node, dict):
        return {key: _walk_strings(item, env) for key, item in node.items()}
    return node


def compose_config(env: Mapping[str, str]) -> dict[str, Any]:
    """docker-compose.yml with its variables expanded from ``env`` (as from a .env file)."""
    return _walk_strings(compose_raw(), env)


def strings_in(node: Any) -> Iterator[str]:
    """Every string value in a YAML tree."""
    if isinstance(node, str):
        yield node
    elif isinstance(node, list):
        for item in node:
            yield from strings_in(item)
    elif isinstance(node, dict):
        for item in node.values():
            yield from strings_in(item)


# ---------------------------------------------------------------- kustomize

CLUSTER_SCOPED = {"Namespace", "ClusterRole", "ClusterRoleBinding", "PersistentVolume", "StorageClass",
                  "CustomResourceDefinition", "PriorityClass"}
_SUPPORTED_KEYS = {"apiVersion", "kind", "resources", "components", "namespace", "images", "patches"}


def kustomizations() -> list[Path]:
    """Every kustomization under deploy/ that is meant to be applied (components are rendered through them)."""
    found = []
    for file in sorted(DEPLOY.rglob("kustomization.yaml")):
        if yaml.safe_load(file.read_text()).get("kind", "Kustomization") == "Kustomization":
            found.append(file.parent)
    return found


def render_kustomization(folder: Path) -> list[dict[str, Any]]:
    """The manifests ``kubectl kustomize folder`` gives (or, without kubectl, :func:`render_kustomization_here`)."""
    kubectl = shutil.which("kubectl")
    if kubectl is None:
        return render_kustomization_here(folder)
    out = subprocess.run([kubectl, "kustomize", str(folder)], capture_output=True, text=True, timeout=120)
    assert out.returncode == 0, out.stderr
    return [doc for doc in yaml.safe_load_all(out.stdout) if doc]


def render_kustomization_here(folder: Path) -> list[dict[str, Any]]:
    """``folder``'s kustomization rendered by reading its files: resources (files and folders), components,
    namespace, images and JSON 6902 patches, in kustomize's order; any other feature is refused."""
    kustomization = _kustomization(folder)
    docs: list[dict[str, Any]] = []
    for resource in kustomization.get("resources", []):
        path = (folder / resource).resolve()
        docs += render_kustomization_here(path) if path.is_dir() else _load_documents(path)
    for component in kustomization.get("components", []):
        component_dir = (folder / component).resolve()
        component_file = _kustomization(component_dir)
        assert component_file.get("kind") == "Component", f"{component_dir} is not a kustomize Component"
        for resource in component_file.get("resources", []):
            docs += _load_documents(component_dir / resource)
        docs = _transform(component_file, docs)
    return _transform(kustomization, docs)


def _kustomization(folder: Path) -> dict[str, Any]:
    kustomization = yaml.safe_load((folder / "kustomization.yaml").read_text())
    unsupported = set(kustomization) - _SUPPORTED_KEYS
    assert not unsupported, f"{folder}: the test's renderer does not know {sorted(unsupported)}"
    return kustomization


def _load_documents(path: Path) -> list[dict[str, Any]]:
    return [doc for doc in yaml.safe_load_all(path.read_text()) if doc]


def _transform(kustomization: dict[str, Any], docs: list[dict[str, Any]]) -> list[dict[str, Any]]:
    docs = copy.deepcopy(docs)
    namespace = kustomization.get("namespace")
    if namespace:
        for doc in docs:
            if doc["kind"] not in CLUSTER_SCOPED:
                doc["metadata"]["namespace"] = namespace
    for patch in kustomization.get("patches", []):
        operations = yaml.safe_load(patch["patch"])
        assert isinstance(operations, list), "the test's renderer applies JSON 6902 patches only"
        target = patch["target"]
        matched = [doc for doc in docs if doc["kind"] == target.get("kind", doc["kind"])
                   and doc["metadata"]["name"] == target.get("name", doc["metadata"]["name"])]
        assert matched, f"patch target {target} matches nothing"
        for doc in matched:
            for operation in operations:
                _apply_json_patch(doc, operation)
    for image in kustomization.get("images", []):
        for container in _containers(docs):
            if _image_name(container["image"]) == image["name"]:
                new = image.get("newName", image["name"])
                if "digest" in image:
                    new += "@" + image["digest"]
                elif "newTag" in image:
                    new += ":" + str(image["newTag"])
                container["image"] = new
    return docs


def _apply_json_patch(doc: dict[str, Any], operation: dict[str, Any]) -> None:
    *parents, last = [part.replace("~1", "/").replace("~0", "~") for part in operation["path"].split("/")[1:]]
    node: Any = doc
    for part in parents:
        node = node[int(part)] if isinstance(node, list) else node[part]
    key: Any = int(last) if isinstance(node, list) and last != "-" else last
    if operation["op"] == "replace":
        assert (key < len(node)) if isinstance(node, list) else key in node, f"nothing at {operation['path']}"
        node[key] = operation["value"]
    elif operation["op"] == "add":
        if isinstance(node, list):
            node.insert(len(node) if key == "-" else key, operation["value"])
        else:
            node[key] = operation["value"]
    elif operation["op"] == "remove":
        del node[key]
    else:
        raise AssertionError(f"the test's renderer does not apply {operation['op']!r} operations")


def _image_name(image: str) -> str:
    name = image.split("@")[0]
    return name.rsplit(":", 1)[0] if ":" in name.rsplit("/", 1)[-1] else name


def pod_spec(doc: dict[str, Any]) -> dict[str, Any] | None:
    """The pod template's spec of a Deployment, StatefulSet, DaemonSet or Job, else None."""
    template = doc.get("spec", {}).get("template")
    return template["spec"] if isinstance(template, dict) else None


def _containers(docs: list[dict[str, Any]]) -> Iterator[dict[str, Any]]:
    for doc in docs:
        spec = pod_spec(doc)
        if spec is not None:
            yield from spec.get("initContainers", [])
            yield from spec["containers"]


# ---------------------------------------------------------------- what the code reads


class _RecordingEnv(dict):  # type: ignore[type-arg]
    """An empty environment that records the names looked up in it."""

    def __init__(self) -> None:
        super().__init__()
        self.read: set[str] = set()

    def get(self, key: str, default: Any = None) -> Any:
        self.read.add(key)
        return super().get(key, default)

    def __getitem__(self, key: str) -> Any:
        self.read.add(key)
        return super().__getitem__(key)

    def __contains__(self, key: object) -> bool:
        self.read.add(str(key))
        return super().__contains__(key)


def settings_names() -> set[str]:
    """The variables ``Settings.from_env`` reads (hpo/distributed/config.py), as each process loads them."""
    from hpo.distributed.config import Settings

    names: set[str] = set()
    for fallback in (True, False):
        env = _RecordingEnv()
        Settings.from_env(env, stack_fallback=fallback)
        names |= env.read
    return names


def names_hpo_reads() -> set[str]:
    """The environment variables hpo's settings (as the coordinator, workers and clients load them) and
    every option of its command line read."""
    from hpo.cli import main

    names = settings_names()

    def walk(command: click.Command) -> None:
        for param in command.params:
            envvar = getattr(param, "envvar", None)
            names.update([envvar] if isinstance(envvar, str) else envvar or [])
        if isinstance(command, click.Group):
            for sub in command.commands.values():
                walk(sub)

    walk(main)
    return names


def names_entrypoint_reads() -> set[str]:
    """The variables workers/entrypoint.sh reads (``${NAME}``, ``${NAME:-...}``, ``$NAME``)."""
    return set(re.findall(r"\$\{?([A-Z_][A-Z0-9_]*)", ENTRYPOINT.read_text()))


def names_flower_reads() -> set[str]:
    """FLOWER_* variables Flower reads: one per option of its own (flower/command.py's apply_env_options)."""
    from flower.options import options

    return {"FLOWER_" + name.upper().replace("-", "_") for name in options._options}


def entrypoint_roles() -> set[str]:
    """The roles workers/entrypoint.sh's ``case`` knows."""
    return set(re.findall(r"^    ([a-z-]+)\)$", ENTRYPOINT.read_text(), re.MULTILINE))


def entrypoint_commands(args: list[str], env: Mapping[str, str], path_prefix: str = "") -> list[list[str]]:
    """The commands ``hpo-entrypoint ARGS`` would run (ENTRYPOINT_DRY_RUN=1), each split into words;
    a ``NAME=VALUE`` line (the HPO_GPUS it sets) comes as ``["NAME=VALUE"]``."""
    base_path = "/usr/local/bin:/usr/bin:/bin"
    full_env = {**env, "ENTRYPOINT_DRY_RUN": "1", "PATH": f"{path_prefix}:{base_path}" if path_prefix else base_path}
    out = subprocess.run(["sh", str(ENTRYPOINT), *args], env=full_env, capture_output=True, text=True, timeout=60)
    assert out.returncode == 0, f"hpo-entrypoint {' '.join(args)}: {out.stderr}"
    return [line.split() for line in out.stdout.splitlines() if line.strip()]


def check_click_argv(command: click.Command, argv: list[str], where: str) -> None:
    """Every subcommand and option of ``argv`` (the words after the program's name) exists in ``command``."""
    args = list(argv)
    while True:
        options = {opt: param for param in command.params if isinstance(param, click.Option)
                   for opt in (*param.opts, *param.secondary_opts)}
        while args and args[0].startswith("-"):
            word = args.pop(0)
            name, has_value, _ = word.partition("=")
            assert name in options, f"{where}: {command.name} has no option {name} (options: {sorted(options)})"
            option = options[name]
            if not (option.is_flag or option.count or has_value):
                assert args, f"{where}: {name} needs a value"
                args.pop(0)
        if not isinstance(command, click.Group):
            return
        assert args, f"{where}: {command.name} needs a subcommand"
        sub = command.commands.get(args[0])
        assert sub is not None, f"{where}: {command.name} has no subcommand {args[0]} ({sorted(command.commands)})"
        command = sub
        args.pop(0)


def check_command(words: list[str], where: str) -> None:
    """``words`` run hpo's or Celery's command line with options they have (Flower's: its own options)."""
    program, *argv = words
    if program == "hpo":
        from hpo.cli import main

        check_click_argv(main, argv, where)
    elif program == "celery":
        from celery.bin.celery import celery

        if "flower" in argv:
            from flower.options import options

            at = argv.index("flower")
            check_click_argv(celery, argv[:at + 1], where)
            for word in argv[at + 1:]:
                name = word.lstrip("-").partition("=")[0].replace("-", "_")
                assert word.startswith("--") and name in options._options, f"{where}: Flower has no option {word}"
        else:
            check_click_argv(celery, argv, where)
    elif program == "python":
        assert argv[0] == "-c", where
    else:
        raise AssertionError(f"{where}: runs {program}, neither hpo nor celery")


def require_tool(name: str, found: str | None) -> str:
    """``found`` (a tool's path); skip the test without it, or fail when HPO_TEST_REQUIRE_DEPLOY_TOOLS=1."""
    import pytest

    if found is None:
        message = f"{name} is not installed"
        if os.environ.get(REQUIRE_TOOLS_ENV) == "1":
            pytest.fail(f"{REQUIRE_TOOLS_ENV}=1 but {message}")
        pytest.skip(message)
    return found
