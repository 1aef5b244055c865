"""Constructor arguments: Optuna's names and defaults, clear refusals, and JSON specs that rebuild the same pruner."""

from __future__ import annotations

import inspect
import json
from typing import Any

import pytest

from hpo import specs
from hpo.pruners import (
    HyperbandPruner,
    MedianPruner,
    NopPruner,
    PatientPruner,
    PercentilePruner,
    SuccessiveHalvingPruner,
    ThresholdPruner,
    WilcoxonPruner,
)

DEFAULTS = {
    SuccessiveHalvingPruner: {"min_resource": "auto", "reduction_factor": 4, "min_early_stopping_rate": 0,
                              "bootstrap_count": 0},
    HyperbandPruner: {"min_resource": 1, "max_resource": "auto", "reduction_factor": 3, "bootstrap_count": 0},
    ThresholdPruner: {"lower": None, "upper": None, "n_warmup_steps": 0, "interval_steps": 1},
    PatientPruner: {"wrapped_pruner": inspect.Parameter.empty, "patience": inspect.Parameter.empty, "min_delta": 0.0},
    WilcoxonPruner: {"p_threshold": 0.1, "n_startup_steps": 2},
    MedianPruner: {"n_startup_trials": 5, "n_warmup_steps": 0, "interval_steps": 1, "n_min_trials": 1,
                   "compare_running": False},
}


@pytest.mark.parametrize("cls", list(DEFAULTS), ids=lambda c: c.__name__)
def test_optunas_names_and_defaults(cls: type) -> None:
    parameters = inspect.signature(cls.__init__).parameters
    assert {name: p.default for name, p in parameters.items() if name != "self"} == DEFAULTS[cls]


@pytest.mark.parametrize(
    ("make", "error", "match"),
    [
        (lambda: SuccessiveHalvingPruner(min_resource=0), ValueError, "min_resource must be an integer >= 1 or 'auto'"),
        (lambda: SuccessiveHalvingPruner(min_resource="big"), ValueError, "min_resource"),
        (lambda: SuccessiveHalvingPruner(reduction_factor=1), ValueError, "reduction_factor must be an integer >= 2"),
        (lambda: SuccessiveHalvingPruner(reduction_factor=2.5), ValueError, "reduction_factor"),
        (lambda: SuccessiveHalvingPruner(min_early_stopping_rate=-1), ValueError, "min_early_stopping_rate"),
        (lambda: SuccessiveHalvingPruner(min_resource=1, bootstrap_count=-1), ValueError, "bootstrap_count"),
        (lambda: SuccessiveHalvingPruner(bootstrap_count=2), ValueError, "needs an integer min_resource"),
        (lambda: HyperbandPruner(min_resource="auto"), ValueError, "'auto' is for max_resource"),
        (lambda: HyperbandPruner(max_resource="big"), ValueError, "max_resource must be an integer or 'auto'"),
        (lambda: HyperbandPruner(min_resource=10, max_resource=5), ValueError, r"max_resource \(5\) must be >="),
        (lambda: HyperbandPruner(reduction_factor=1), ValueError, "reduction_factor"),
        (lambda: HyperbandPruner(bootstrap_count=1), ValueError, "needs an integer max_resource"),
        (lambda: ThresholdPruner(), TypeError, "needs a lower or an upper bound"),
        (lambda: ThresholdPruner(lower="low"), TypeError, "lower must be a number"),
        (lambda: ThresholdPruner(upper=float("nan")), ValueError, "not NaN"),
        (lambda: ThresholdPruner(lower=2.0, upper=1.0), ValueError, r"lower \(2.0\) must be <= upper"),
        (lambda: ThresholdPruner(upper=1.0, n_warmup_steps=-1), ValueError, "n_warmup_steps"),
        (lambda: ThresholdPruner(upper=1.0, interval_steps=0), ValueError, "interval_steps"),
        (lambda: PatientPruner(None, patience=-1), ValueError, "patience must be an integer >= 0"),
        (lambda: PatientPruner(None, patience=1, min_delta=-0.1), ValueError, "min_delta must be >= 0"),
        (lambda: PatientPruner("median", patience=1), ValueError, "wrapped_pruner must be a pruner or None"),
        (lambda: WilcoxonPruner(p_threshold=1.5), ValueError, "p_threshold must be between 0 and 1"),
        (lambda: WilcoxonPruner(n_startup_steps=-1), ValueError, "n_startup_steps"),
        (lambda: MedianPruner(compare_running=1), ValueError, "compare_running must be True or False"),
    ],
)
def test_refusals_name_the_argument(make: Any, error: type[Exception], match: str) -> None:
    with pytest.raises(error, match=match):
        make()


PRUNERS = [
    MedianPruner(n_startup_trials=2, compare_running=True),
    PercentilePruner(25.0, n_min_trials=3),
    NopPruner(),
    SuccessiveHalvingPruner(min_resource=2, reduction_factor=3, min_early_stopping_rate=1, bootstrap_count=1),
    SuccessiveHalvingPruner(),
    HyperbandPruner(min_resource=2, max_resource=81, reduction_factor=3, bootstrap_count=2),
    HyperbandPruner(),
    ThresholdPruner(lower=0.1, n_warmup_steps=3, interval_steps=2),
    PatientPruner(MedianPruner(n_warmup_steps=4), patience=3, min_delta=0.01),
    PatientPruner(PatientPruner(None, 1), patience=2),
    WilcoxonPruner(p_threshold=0.05, n_startup_steps=4),
]


@pytest.mark.parametrize("pruner", PRUNERS, ids=repr)
def test_spec_round_trip(pruner: Any) -> None:
    """A pruner travels as JSON and is rebuilt, from hpo's own modules only, with the same settings."""
    spec = specs.to_spec(pruner)
    rebuilt = specs.from_spec(json.loads(json.dumps(spec, allow_nan=False)), allowed_modules=())
    assert type(rebuilt) is type(pruner)
    assert repr(rebuilt) == repr(pruner)
    assert specs.to_spec(rebuilt) == spec
