"""hpo's importances rank parameters as Optuna 5's on the same studies.

``data/optuna_importances.json`` (made by ``make_optuna_importances.py`` with Optuna 5.0.0 in its own
environment) holds 29 studies' COMPLETE trials and, per evaluator run, Optuna's importances. Each
study is loaded into an hpo study (``create_trial`` + ``add_trials``) and rated with the same
evaluator, seed, ``params`` and ``target``.

The agreement rule (Spearman rank correlation of the normalized importances):

- importances below 1% of the total are noise: they count as tied (0.0) on both sides;
- the mean correlation over all studies must be >= 0.9 for each evaluator;
- each study's correlation must be >= 0.9 too, unless Optuna's importances there are near-tied: two
  of them at 1% or more that differ by less than 2% of the total (their order is not resolved);
  most studies are resolved (checked, so that this rule cannot pass vacuously).

PED-ANOVA fits no model, so hpo's values must equal Optuna's (to 1e-6); fANOVA and MDI must too when
the installed scikit-learn is the one that made the data (the forests are then the same trees).
"""

from __future__ import annotations

import json
import warnings
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
import pytest
import sklearn
from scipy.stats import spearmanr

import hpo
from hpo.distributions import json_to_distribution
from hpo.importance import (
    BaseImportanceEvaluator,
    FanovaImportanceEvaluator,
    MeanDecreaseImpurityImportanceEvaluator,
    PedAnovaImportanceEvaluator,
)
from hpo.trial import FrozenTrial, create_trial

RECORD = json.loads((Path(__file__).parent / "data" / "optuna_importances.json").read_text())
STUDIES = RECORD["studies"]
EVALUATORS: dict[str, Callable[[], BaseImportanceEvaluator]] = {
    "ped_anova": lambda: PedAnovaImportanceEvaluator(),
    "fanova": lambda: FanovaImportanceEvaluator(seed=0),
    "mdi": lambda: MeanDecreaseImpurityImportanceEvaluator(seed=0),
}
TARGETS: dict[str, Callable[[FrozenTrial], float]] = {
    "values[0]": lambda t: t.values[0],  # type: ignore[index]
    "values[1]": lambda t: t.values[1],  # type: ignore[index]
    "-values[0]": lambda t: -t.values[0],  # type: ignore[index]
}
NOISE = 0.01  # importances below this share of the total count as tied
NEAR_TIE = 0.02  # two resolved importances closer than this share are near-tied
SAME_FORESTS = sklearn.__version__ == RECORD["sklearn"]


def load(record: dict[str, Any]) -> hpo.Study:
    dists = {key: json_to_distribution(d) for key, d in record["distributions"].items()}
    study = hpo.create_study(directions=record["directions"])
    study.add_trials(
        create_trial(
            params={key.split("#")[0]: v for key, v in t["params"].items()},
            distributions={key.split("#")[0]: dists[key] for key in t["params"]},
            values=t["values"],
        )
        for t in record["trials"]
    )
    return study


def hpo_importances(study: hpo.Study, run: dict[str, Any]) -> dict[str, float]:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return hpo.importance.get_param_importances(
            study,
            evaluator=EVALUATORS[run["evaluator"]](),
            params=run["params"],
            target=TARGETS[run["target"]] if run["target"] else None,
            normalize=False,
        )


def _shares(importances: dict[str, float], names: list[str]) -> np.ndarray:
    values = np.array([importances[n] for n in names])
    shares = values / values.sum() if values.sum() > 0 else np.full(len(values), 1 / len(values))
    return np.where(shares < NOISE, 0.0, shares)


def near_tied(optuna_importances: dict[str, float]) -> bool:
    shares = np.sort(_shares(optuna_importances, list(optuna_importances)))
    resolved = shares[shares > 0]
    return bool(np.any(np.diff(resolved) < NEAR_TIE))


def rank_correlation(ours: dict[str, float], theirs: dict[str, float]) -> float:
    names = sorted(theirs)
    return float(spearmanr(_shares(ours, names), _shares(theirs, names)).statistic)


@pytest.fixture(scope="module")
def results() -> list[tuple[str, dict[str, Any], dict[str, float]]]:
    """(study name, run, hpo's importances) for every recorded run."""
    out = []
    for record in STUDIES:
        study = load(record)
        for run in record["runs"]:
            out.append((record["name"], run, hpo_importances(study, run)))
    return out


def test_the_data_is_optunas_and_varied() -> None:
    assert RECORD["optuna"] == "5.0.0"
    assert len(STUDIES) >= 20
    assert all(50 <= len(s["trials"]) <= 300 for s in STUDIES)
    kinds = {json.loads(d)["name"] for s in STUDIES for d in s["distributions"].values()}
    assert kinds == {"FloatDistribution", "IntDistribution", "CategoricalDistribution"}
    assert any(len(s["directions"]) > 1 for s in STUDIES)
    assert (Path(__file__).parent / "data" / "optuna_importances.json").stat().st_size < 1_000_000


def test_the_same_parameters_in_the_same_order_of_importance(results: list[Any]) -> None:
    for name, run, ours in results:
        theirs = run["importances"]
        assert set(ours) == set(theirs), (name, run["evaluator"])
        assert all(v >= 0 for v in ours.values())
        assert list(ours.values()) == sorted(ours.values(), reverse=True), (name, run["evaluator"])


@pytest.mark.parametrize("evaluator", list(EVALUATORS))
def test_rank_correlation_with_optuna(results: list[Any], evaluator: str) -> None:
    correlations, resolved = [], 0
    for name, run, ours in results:
        if run["evaluator"] != evaluator:
            continue
        rho = rank_correlation(ours, run["importances"])
        correlations.append(rho)
        if not near_tied(run["importances"]):
            resolved += 1
            assert rho >= 0.9, f"{name}: Spearman {rho:.3f}; hpo {ours}, Optuna {run['importances']}"
    assert len(correlations) >= 20
    assert resolved >= 0.6 * len(correlations), f"only {resolved} of {len(correlations)} studies resolved"
    assert np.mean(correlations) >= 0.9


@pytest.mark.parametrize("evaluator", list(EVALUATORS))
def test_the_same_values_where_the_models_are_the_same(results: list[Any], evaluator: str) -> None:
    if evaluator != "ped_anova" and not SAME_FORESTS:
        pytest.skip(f"scikit-learn {sklearn.__version__} here, {RECORD['sklearn']} made the data: other trees")
    for name, run, ours in results:
        if run["evaluator"] == evaluator:
            assert ours == pytest.approx(run["importances"], rel=1e-6, abs=1e-12), name
