"""Registered objectives and the allowlist that decides which ones a worker may import."""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Collection
from typing import Any, TypeVar

from hpo.exceptions import ImportTargetError, ObjectiveNotAllowedError
from hpo.importing import import_object, module_allowed

F = TypeVar("F", bound=Callable[..., Any])


@dataclasses.dataclass(frozen=True)
class RegisteredObjective:
    name: str
    path: str
    queue: str


_REGISTRY: dict[str, RegisteredObjective] = {}
#: Packages no objective comes from, whatever the allowlist says (Celery adds its own modules to it).
_NEVER_OBJECTIVES = ("hpo", "celery", "kombu", "billiard", "redis")


def objective(name: str | None = None, queue: str = "cpu") -> Callable[[F], F]:
    """Register an objective under ``name`` (default: ``"module:function"``) for ``queue``.

    ``hpo.submit_study(name, ...)`` then finds it, and workers that import its module run it.
    """

    def register(func: F) -> F:
        path = f"{func.__module__}:{func.__qualname__}"
        key = name or path
        existing = _REGISTRY.get(key)
        if existing is not None and existing.path != path:
            raise ValueError(f"Objective name {key!r} is already registered for {existing.path}; pick another name.")
        _REGISTRY[key] = RegisteredObjective(key, path, queue)
        return func

    return register


def registered(name: str) -> RegisteredObjective | None:
    return _REGISTRY.get(name)


def load_objective(path: str, allowed_modules: Collection[str]) -> Callable[..., Any]:
    """The function for ``"module:function"`` or a registered name, if its module is allowed."""
    entry = _REGISTRY.get(path)
    if entry is not None:
        path = entry.path
    module_name, sep, func_name = path.partition(":")
    if not sep:
        known = sorted(_REGISTRY) or ["none"]
        raise ObjectiveNotAllowedError(
            f"Objective {path!r} is neither 'module:function' nor a registered name on this worker "
            f"(registered: {', '.join(known)}). Add its module to HPO_OBJECTIVE_MODULES on the workers."
        )
    if module_name.partition(".")[0] in _NEVER_OBJECTIVES:
        raise ObjectiveNotAllowedError(
            f"Module {module_name!r} belongs to hpo's or Celery's own code; objectives never come from there."
        )
    if not module_allowed(module_name, allowed_modules):
        raise ObjectiveNotAllowedError(
            f"Module {module_name!r} is not an allowed objective module on this worker "
            f"(allowed: {', '.join(sorted(allowed_modules)) or 'none'}). Start the workers with "
            f"HPO_OBJECTIVE_MODULES={module_name} (comma-separated list) or `celery -A hpo.workers worker "
            f"--include {module_name}`."
        )
    try:
        func = import_object(path)
    except ImportTargetError as e:
        raise ObjectiveNotAllowedError(f"Cannot import objective {path!r} on this worker: {e}") from e
    if not callable(func):
        raise ObjectiveNotAllowedError(f"Module {module_name!r} has no callable {func_name!r}.")
    return func
