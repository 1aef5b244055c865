"""``constraints_func`` of TPESampler, GPSampler and NSGAIISampler: one check, one storage key."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np
import pytest

import hpo
from hpo.records import CONSTRAINTS_KEY
from hpo.samplers import GPSampler, NSGAIISampler, TPESampler

hpo.logging.set_verbosity(hpo.logging.ERROR)

SAMPLERS: list[Callable[..., hpo.samplers.BaseSampler]] = [TPESampler, GPSampler, NSGAIISampler]


def quadratic(trial: hpo.Trial) -> float:
    return trial.suggest_float("x", -2, 2) ** 2


@pytest.mark.parametrize("make", SAMPLERS)
def test_constraint_values_are_stored_as_floats(make: Callable[..., hpo.samplers.BaseSampler]) -> None:
    study = hpo.create_study(sampler=make(seed=0, constraints_func=lambda t: np.array([t.params["x"], 1])))
    study.optimize(quadratic, n_trials=3)
    assert all(t.system_attrs[CONSTRAINTS_KEY] == [t.params["x"], 1.0] for t in study.trials)
    assert all(type(c) is float for t in study.trials for c in t.system_attrs[CONSTRAINTS_KEY])


@pytest.mark.parametrize("make", SAMPLERS)
@pytest.mark.parametrize(
    "returned, message",
    [
        (0.5, "must return a sequence of floats"),
        ("12", "must return a sequence of floats"),
        ([None], "must return a sequence of floats"),
        ([float("nan")], "NaN"),
    ],
)
def test_bad_constraint_values_are_a_value_error(
    make: Callable[..., hpo.samplers.BaseSampler], returned: Any, message: str
) -> None:
    study = hpo.create_study(sampler=make(seed=0, constraints_func=lambda t: returned))
    with pytest.raises(ValueError, match=message):
        study.optimize(quadratic, n_trials=1)
