"""Samplers and pruners chosen on the command line by short name or as ``MODULE:CLASS``."""

from __future__ import annotations

from types import ModuleType
from typing import Any

import click

from hpo import pruners, samplers
from hpo.cli._load import load_object

# Short names of hpo's samplers and pruners; only those this version of hpo provides are offered.
SAMPLER_NAMES = {
    "random": "RandomSampler",
    "tpe": "TPESampler",
    "cmaes": "CmaEsSampler",
    "gp": "GPSampler",
    "qmc": "QMCSampler",
    "nsga2": "NSGAIISampler",
    "nsga3": "NSGAIIISampler",
}
PRUNER_NAMES = {
    "median": "MedianPruner",
    "nop": "NopPruner",
    "successive-halving": "SuccessiveHalvingPruner",
    "hyperband": "HyperbandPruner",
    "wilcoxon": "WilcoxonPruner",
}


def available_samplers() -> dict[str, type[samplers.BaseSampler]]:
    return _available(samplers, SAMPLER_NAMES)


def available_pruners() -> dict[str, type[pruners.BasePruner]]:
    return _available(pruners, PRUNER_NAMES)


def make_sampler(name: str | None) -> samplers.BaseSampler | None:
    """The sampler for ``--sampler NAME`` (None: the study's default)."""
    if name is None:
        return None
    return _make(name, "--sampler", available_samplers(), samplers.BaseSampler, "my_package.samplers:MySampler")


def make_pruner(name: str | None) -> pruners.BasePruner | None:
    """The pruner for ``--pruner NAME`` (None: the study's default)."""
    if name is None:
        return None
    return _make(name, "--pruner", available_pruners(), pruners.BasePruner, "my_package.pruners:MyPruner")


def _available(module: ModuleType, names: dict[str, str]) -> dict[str, Any]:
    return {short: getattr(module, cls) for short, cls in names.items() if hasattr(module, cls)}


def _make(name: str, option: str, available: dict[str, Any], base: type, example: str) -> Any:
    """An instance of ``base`` (checked here) from a short name or ``MODULE:CLASS``.

    ``base`` is a plain ``type``, not ``type[T]``: mypy accepts no abstract class (BaseSampler) there.
    """
    if ":" not in name:
        if name.lower() not in available:
            raise click.BadParameter(
                f"unknown name {name!r}. Available: {', '.join(available)}; or a class as MODULE:CLASS "
                f"(e.g. {example} or path/to/file.py:MyClass).",
                param_hint=option,
            )
        return available[name.lower()]()
    obj = load_object(name, f"a {base.__name__} class")
    if isinstance(obj, base):
        return obj
    if not callable(obj):
        raise click.BadParameter(f"{name} is a {type(obj).__name__}, not a {base.__name__} class.", param_hint=option)
    try:
        instance = obj()
    except TypeError as e:
        raise click.BadParameter(f"{name}() cannot be created without arguments: {e}", param_hint=option) from None
    if not isinstance(instance, base):
        raise click.BadParameter(
            f"{name}() gave a {type(instance).__name__}, not a subclass of {base.__name__}.", param_hint=option
        )
    return instance
