"""Samplers and helpers the sampler-process tests build from JSON specs in a child process."""

from __future__ import annotations

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
