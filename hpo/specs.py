"""JSON specs of samplers and pruners, so they can travel to the coordinator without pickle.

A spec is ``{"class": "module:QualName", "kwargs": {...}}``. Every subclass of ``BaseSampler``
and ``BasePruner`` records the arguments its constructor was called with, so ``to_spec`` works
for built-in and user-defined classes alike. Inside ``kwargs`` a function travels as
``{"$callable": "module:function"}`` and a nested sampler or pruner as ``{"$object": spec}``.
"""

from __future__ import annotations

import contextlib
import contextvars
import functools
import inspect
from collections.abc import Collection, Iterator
from typing import Any

from hpo.exceptions import ImportTargetError, SpecError
from hpo.importing import import_object

__all__ = ["BUILTIN_MODULES", "SpecError", "from_spec", "import_path", "path_of", "record_init_args", "to_spec"]

_ARGS_ATTR = "_spec_kwargs"
#: The modules whose classes and functions a spec may always name: hpo's samplers and pruners.
BUILTIN_MODULES = ("hpo.samplers", "hpo.pruners")
#: While a spec from another process is built: the modules it may import from (None: any).
_ALLOWED: contextvars.ContextVar[tuple[str, ...] | None] = contextvars.ContextVar("hpo_spec_modules", default=None)


_BUILDABLE_ATTR = "_spec_buildable"


def record_init_args(cls: type) -> None:
    """Wrap ``cls.__init__`` so instances remember the (outermost) constructor arguments; marks
    ``cls`` (and so its subclasses) as buildable from a spec."""
    setattr(cls, _BUILDABLE_ATTR, True)
    init = cls.__dict__.get("__init__")
    if init is None or getattr(init, "_records_spec", False):
        return
    signature = inspect.signature(init)

    @functools.wraps(init)
    def wrapper(self: Any, *args: Any, **kwargs: Any) -> None:
        if _ARGS_ATTR not in self.__dict__:
            bound = signature.bind(self, *args, **kwargs)
            bound.apply_defaults()
            recorded: dict[str, Any] = {}
            for name, value in list(bound.arguments.items())[1:]:
                kind = signature.parameters[name].kind
                if kind == inspect.Parameter.VAR_KEYWORD:
                    recorded.update(value)
                elif kind != inspect.Parameter.VAR_POSITIONAL:
                    recorded[name] = value
            self.__dict__[_ARGS_ATTR] = recorded
        init(self, *args, **kwargs)

    wrapper._records_spec = True  # type: ignore[attr-defined]
    cls.__init__ = wrapper  # type: ignore[misc]


def import_path(path: str) -> Any:
    """Import ``"package.module:Name"`` (or ``"package.module.Name"``) and return the object.

    While :func:`from_spec` builds a spec with ``allowed_modules``, only those modules (and
    :data:`BUILTIN_MODULES`) may be imported, whoever asks (e.g. a sampler's ``constraints_func``).
    """
    allowed = _ALLOWED.get()
    try:
        return import_object(path, dotted=True, allowed_modules=allowed)
    except ImportTargetError as e:
        hint = (
            " Allow its module on the coordinator with HPO_SPEC_MODULES (comma-separated package names)."
            if allowed is not None and "not allowed" in str(e) else ""
        )
        raise SpecError(f"Cannot import {path!r}: {e}{hint}") from None


@contextlib.contextmanager
def _only_from(allowed_modules: Collection[str] | None) -> Iterator[None]:
    if allowed_modules is None:
        yield
        return
    token = _ALLOWED.set((*BUILTIN_MODULES, *allowed_modules))
    try:
        yield
    finally:
        _ALLOWED.reset(token)


def path_of(obj: Any) -> str:
    """``"module:QualName"`` of a class or function that another process can import."""
    module, qualname = getattr(obj, "__module__", None), getattr(obj, "__qualname__", None)
    if not module or not qualname or "<" in qualname or module == "__main__":
        raise SpecError(
            f"{obj!r} cannot be sent to the coordinator: define it at module level in an importable "
            "module (not in __main__, not a lambda or a nested function)."
        )
    return f"{module}:{qualname}"


def to_spec(obj: Any) -> dict[str, Any]:
    """The spec of a sampler or pruner instance."""
    if _ARGS_ATTR not in obj.__dict__ and type(obj).__init__ is object.__init__:
        return {"class": path_of(type(obj)), "kwargs": {}}
    if _ARGS_ATTR not in obj.__dict__:
        raise SpecError(
            f"{type(obj).__name__} does not record its constructor arguments; subclass BaseSampler/BasePruner."
        )
    kwargs = {}
    for name, value in obj.__dict__[_ARGS_ATTR].items():
        try:
            kwargs[name] = _encode(value)
        except SpecError as e:
            raise SpecError(
                f"{type(obj).__name__}'s argument {name!r} cannot travel to the coordinator: {e} Pass JSON values "
                "(numbers, strings, lists, dicts), samplers or pruners, or functions defined at module level."
            ) from None
    return {"class": path_of(type(obj)), "kwargs": kwargs}


def from_spec(spec: dict[str, Any], allowed_modules: Collection[str] | None = None) -> Any:
    """Build the object a spec describes.

    ``allowed_modules`` (for a spec that came from another process): classes, nested objects and
    ``$callable`` functions may come only from these modules, their packages' modules and
    :data:`BUILTIN_MODULES`; nothing else is imported. Either way, only classes that record their
    constructor arguments (samplers, pruners, NSGA-II crossovers and mutations) are built.
    """
    with _only_from(allowed_modules):
        return _build(spec)


def _build(spec: Any) -> Any:
    if (
        not isinstance(spec, dict)
        or not isinstance(spec.get("class"), str)
        or not isinstance(spec.get("kwargs", {}), dict)
        or not set(spec) <= {"class", "kwargs"}
    ):
        raise SpecError(f"A spec must look like {{'class': 'module:Class', 'kwargs': {{...}}}}, got {spec!r:.200}.")
    cls = import_path(spec["class"])
    if not isinstance(cls, type):
        raise SpecError(f"{spec['class']!r} is not a class.")
    if not getattr(cls, _BUILDABLE_ATTR, False):
        raise SpecError(
            f"{spec['class']!r} is not a sampler, pruner, crossover or mutation (a subclass of "
            "hpo.samplers.BaseSampler or hpo.pruners.BasePruner); only those are built from specs."
        )
    kwargs = {k: _decode(v) for k, v in spec.get("kwargs", {}).items()}
    try:
        return cls(**kwargs)
    except (TypeError, ValueError) as e:
        raise SpecError(f"Cannot build {spec['class']} with {sorted(kwargs)}: {e}") from e


def _encode(value: Any) -> Any:
    if value is None or isinstance(value, (bool, int, float, str)):
        return value
    if isinstance(value, (list, tuple)):
        return [_encode(v) for v in value]
    if isinstance(value, dict):
        if not all(isinstance(k, str) for k in value):
            raise SpecError(f"Dict keys must be strings to travel as JSON: {value!r}.")
        return {k: _encode(v) for k, v in value.items()}
    if _ARGS_ATTR in getattr(value, "__dict__", {}):
        return {"$object": to_spec(value)}
    if callable(value):
        return {"$callable": path_of(value)}
    if hasattr(value, "tolist"):  # numpy scalars and arrays (NSGAIIISampler's reference_points)
        return _encode(value.tolist())
    raise SpecError(f"{value!r} of type {type(value).__name__} cannot travel as JSON.")


def _decode(value: Any) -> Any:
    if isinstance(value, list):
        return [_decode(v) for v in value]
    if isinstance(value, dict):
        if set(value) == {"$callable"}:
            return import_path(value["$callable"])
        if set(value) == {"$object"}:
            return _build(value["$object"])
        return {k: _decode(v) for k, v in value.items()}
    return value
