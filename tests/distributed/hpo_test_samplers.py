"""Samplers and helpers the sampler-process tests build from JSON specs in a child process."""

from __future__ import annotations

import json
from typing import Any

import hpo
from hpo.distributions import BaseDistribution
from hpo.trial import FrozenTrial


def x_above_one(trial: FrozenTrial) -> list[float]:
    """A constraint for TPE's ``constraints_func``: feasible when x <= 1."""
    return [trial.params["x"] - 1.0]


class FailingSampler(hpo.samplers.RandomSampler):
    """Refuses to sample parameter ``bad``; anything else comes from random search."""

    def sample_independent(
        self, study: hpo.Study, trial: FrozenTrial, param_name: str, param_distribution: BaseDistribution
    ) -> Any:
        if param_name == "bad":
            raise ValueError(f"FailingSampler will not sample {param_name!r}.")
        return super().sample_independent(study, trial, param_name, param_distribution)


class RecordingPruner(hpo.pruners.BasePruner):
    """Prunes as ``wrapped`` does, and appends each decision to the JSON-lines file ``path`` in the order
    the decisions are made (in the coordinator: the order reports arrive)."""

    def __init__(self, wrapped: hpo.pruners.BasePruner, path: str) -> None:
        self._wrapped = wrapped
        self._path = path

    def prune(self, study: hpo.Study, trial: FrozenTrial) -> bool:
        decision = self._wrapped.prune(study, trial)
        step = trial.last_step
        assert step is not None
        record = {"number": trial.number, "step": step, "value": trial.intermediate_values[step], "prune": decision}
        with open(self._path, "a") as log:
            log.write(json.dumps(record) + "\n")
        return decision

    def filter_study(self, study: hpo.Study, trial: FrozenTrial) -> hpo.Study:
        return self._wrapped.filter_study(study, trial)


class BracketRecordingSampler(hpo.samplers.RandomSampler):
    """Random search that records, in the trial's ``seen`` system attr, the trial numbers it was
    shown through :func:`hpo.pruners.filter_study` when it sampled the trial."""

    def sample_independent(
        self, study: hpo.Study, trial: FrozenTrial, param_name: str, param_distribution: BaseDistribution
    ) -> Any:
        view = hpo.pruners.filter_study(study, trial)
        seen = [t.number for t in view.get_trials(deepcopy=False) if t.number != trial.number]
        study.storage.set_trial_system_attr(trial.trial_id, "seen", {"filtered": view is not study, "numbers": seen})
        return super().sample_independent(study, trial, param_name, param_distribution)
