"""A recorded study rebuilt in Optuna or in hpo: shared by the recorders (Optuna's environment) and the tests.

Imports neither library: the caller passes the module (``optuna`` or ``hpo``), whose
``create_study``, ``trial.create_trial``, ``trial.TrialState`` and ``distributions.json_to_distribution``
have the same names and arguments in both.
"""

from __future__ import annotations

import datetime
from types import ModuleType
from typing import Any


def rebuild(lib: ModuleType, name: str, spec: dict[str, Any]) -> Any:
    """The study ``spec`` (directions, trials as recorded) built in memory with ``create_trial`` and ``add_trial``."""
    study = lib.create_study(study_name=name, directions=spec["directions"])
    for t in spec["trials"]:
        trial = lib.trial.create_trial(
            state=lib.trial.TrialState[t["state"]],
            values=t["values"],
            params=t["params"],
            distributions={k: lib.distributions.json_to_distribution(d) for k, d in t["distributions"].items()},
            user_attrs=t["user_attrs"],
            system_attrs=t["system_attrs"],
            intermediate_values={int(k): v for k, v in t["intermediate_values"].items()},
        )
        trial.datetime_start = t["datetime_start"] and datetime.datetime.fromisoformat(t["datetime_start"])
        trial.datetime_complete = t["datetime_complete"] and datetime.datetime.fromisoformat(t["datetime_complete"])
        study.add_trial(trial)
    return study
