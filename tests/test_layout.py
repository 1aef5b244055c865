"""Where the distributed code lives, and what each part may depend on.

- Importing the coordinator never runs the workers' code (their settings, Celery app, signals).
- The workers depend only on the wire protocol, the Redis round, broker connections, config,
  exceptions, objective loading, the shared outcome rules and the trial/distribution types an
  objective sees: never on studies, storages, samplers, pruners, the client or the coordinator.
"""

from __future__ import annotations

import ast
import pathlib
import subprocess
import sys

import hpo

ROOT = pathlib.Path(hpo.__file__).parent

#: What a worker may depend on (modules and packages, with everything below them).
WORKER_DEPENDENCIES = (
    "hpo.workers",
    "hpo.distributed.wire",
    "hpo.distributed.redis_round",
    "hpo.distributed.broker",
    "hpo.distributed.config",
    "hpo.distributed.objectives",
    "hpo.distributed.celery_app",
    "hpo.distributed.kombu_transport",
    "hpo.distributed.outage",
    "hpo.exceptions",
    "hpo.importing",
    "hpo.outcome",
    "hpo.records",
    "hpo.distributions",
    "hpo.trial",
)


def _module_path(name: str) -> pathlib.Path | None:
    base = ROOT.parent / pathlib.Path(*name.split("."))
    for candidate in (base.with_suffix(".py"), base / "__init__.py"):
        if candidate.exists():
            return candidate
    return None


def _imports_at_import_time(name: str) -> set[str]:
    """The hpo modules ``name`` imports when it is imported (module level, not under TYPE_CHECKING),
    with the packages whose ``__init__`` such an import runs (but not ``hpo`` itself)."""
    path = _module_path(name)
    assert path is not None, name
    found: set[str] = set()
    for node in ast.parse(path.read_text()).body:
        if isinstance(node, ast.If) and "TYPE_CHECKING" in ast.unparse(node.test):
            continue
        names: list[str] = []
        if isinstance(node, ast.Import):
            names = [a.name for a in node.names]
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            names = [node.module] + [f"{node.module}.{a.name}" for a in node.names]
        for imported in names:
            parts = imported.split(".")
            if parts[0] != "hpo":
                continue
            for i in range(2, len(parts) + 1):
                prefix = ".".join(parts[:i])
                if _module_path(prefix) is not None:
                    found.add(prefix)
    return found


def _closure(start: str) -> set[str]:
    seen, todo = set(), [start]
    while todo:
        module = todo.pop()
        if module in seen:
            continue
        seen.add(module)
        todo.extend(_imports_at_import_time(module) - seen)
    return seen


def _allowed(module: str, allowed: tuple[str, ...]) -> bool:
    # hpo.distributed's own __init__ imports nothing when imported (its names load lazily)
    return module == "hpo.distributed" or any(module == a or module.startswith(a + ".") for a in allowed)


def test_workers_depend_only_on_the_wire_side() -> None:
    worker_modules = ["hpo.workers"] + [
        "hpo.workers." + p.stem for p in (ROOT / "workers").glob("*.py") if p.stem != "__init__"
    ]
    reached = set().union(*(_closure(m) for m in worker_modules))
    outside = sorted(m for m in reached if not _allowed(m, WORKER_DEPENDENCIES))
    assert not outside, f"Worker code depends on {outside}"


def test_the_checker_sees_a_dependency() -> None:
    """The closure follows imports through packages: the client reaches studies."""
    assert "hpo.study" in _closure("hpo.distributed.client")


def test_importing_the_coordinator_runs_no_worker_code() -> None:
    code = (
        "import sys\n"
        "import hpo.coordinator\n"
        "from hpo.coordinator import Coordinator\n"
        "leaked = sorted(m for m in sys.modules if m == 'hpo.workers' or m.startswith('hpo.workers.'))\n"
        "assert not leaked, leaked\n"
    )
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stderr
