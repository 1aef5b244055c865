"""Write optuna_names.json: every public module of Optuna 5 and its ``__all__`` (without one: the
classes and functions it defines).

Run with Optuna's own environment, never hpo's (Optuna is no dependency of hpo):
    python3 -m venv .venv-optuna && .venv-optuna/bin/pip install optuna==5.0.0
    .venv-optuna/bin/python tests/optuna_names/make_optuna_names.py
"""

from __future__ import annotations

import importlib
import json
import pkgutil
import warnings
from pathlib import Path

import optuna


def main() -> None:
    names: dict[str, list[str]] = {}
    modules = ["optuna"] + [
        info.name for info in pkgutil.walk_packages(optuna.__path__, "optuna.")
        if not any(part.startswith("_") for part in info.name.split("."))
    ]
    for name in sorted(modules):
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            try:
                module = importlib.import_module(name)
            except ImportError as e:  # an optional dependency (e.g. grpc) is missing: the names are still Optuna's
                print(f"skipped {name}: {e}")
                continue
        public = getattr(module, "__all__", None)
        if public is None:  # the classes and functions the module defines itself
            public = [
                attr for attr, value in vars(module).items()
                if not attr.startswith("_") and getattr(value, "__module__", None) == name
            ]
        if public:
            names[name] = sorted(public)
    out = Path(__file__).with_name("optuna_names.json")
    out.write_text(json.dumps({"optuna_version": optuna.__version__, "modules": names}, indent=1) + "\n")
    print(f"{sum(map(len, names.values()))} names in {len(names)} modules -> {out}")


if __name__ == "__main__":
    main()
