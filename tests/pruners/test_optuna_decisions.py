"""hpo's pruners decide as Optuna 5's on recorded histories (``data/*.json``, made by
``make_optuna_decisions.py`` with Optuna 5.0.0 in its own environment).

Each history is replayed on an hpo study (``ask``, ``report``, ``should_prune``, ``tell``, the
same events in the same order); every decision must equal Optuna's, and the trials' rung
values (``completed_rung_*`` system attrs) must be those Optuna stored.
"""

from __future__ import annotations

import json
import math
from pathlib import Path
from typing import Any

import pytest

import hpo
from hpo.pruners import PRUNE_REASON_KEY, BasePruner
from hpo.pruners._hyperband import Brackets
from hpo.samplers import RandomSampler
from hpo.trial import Trial, TrialState, create_trial

DATA = Path(__file__).parent / "data"
FAMILIES = ("percentile", "successive_halving", "hyperband", "threshold", "patient", "wilcoxon")


def _cases(family: str) -> list[dict[str, Any]]:
    recorded = json.loads((DATA / f"{family}.json").read_text())
    assert recorded["optuna"] == "5.0.0"
    return recorded["cases"]


CASES = [(family, case) for family in FAMILIES for case in _cases(family)]


def build(spec: dict[str, Any]) -> BasePruner:
    kwargs = {k: build(v) if isinstance(v, dict) and "class" in v else v for k, v in spec["kwargs"].items()}
    return getattr(hpo.pruners, spec["class"])(**kwargs)


def replay(case: dict[str, Any]) -> tuple[list[tuple[int, int, bool]], hpo.Study, dict[int, Trial]]:
    """Play the case's events on hpo: each report's (trial, step, hpo's decision), the study, its trials."""
    study = hpo.create_study(
        study_name=case["study_name"], direction=case["direction"], pruner=build(case["pruner"]),
        sampler=RandomSampler(seed=0),
    )
    trials: dict[int, Trial] = {}
    decisions = []
    for event in case["events"]:
        op = event["op"]
        if op == "add":
            study.add_trial(create_trial(
                state=TrialState[event["state"]], value=event.get("value"),
                intermediate_values={int(k): v for k, v in event["intermediate_values"].items()},
            ))
        elif op == "ask":
            trials[event["trial"]] = study.ask()
        elif op == "report":
            trial = trials[event["trial"]]
            trial.report(event["value"], event["step"])
            decisions.append((event["trial"], event["step"], trial.should_prune()))
        elif event["state"] == "COMPLETE":
            study.tell(trials[event["trial"]], event["value"])
        else:
            study.tell(trials[event["trial"]], state=TrialState[event["state"]])
    return decisions, study, trials


@pytest.mark.filterwarnings("ignore::UserWarning")
@pytest.mark.parametrize(("family", "case"), CASES, ids=[case["name"] for _, case in CASES])
def test_decisions_equal_optuna(family: str, case: dict[str, Any]) -> None:
    decisions, study, trials = replay(case)
    expected = [(e["trial"], e["step"], e["prune"]) for e in case["events"] if e["op"] == "report"]
    assert decisions == expected
    pruned = {trials[e["trial"]].number for e in case["events"] if e.get("prune")}
    for trial in study.get_trials(deepcopy=False):
        rungs = {k: v for k, v in trial.system_attrs.items() if k.startswith("completed_rung_")}
        assert rungs == case.get("rung_attrs", {}).get(str(trial.number), {}), trial.number
        assert (PRUNE_REASON_KEY in trial.system_attrs) == (trial.number in pruned), trial.number


def test_the_suite_is_large_and_prunes() -> None:
    """Hundreds of decisions per pruner family, both ways."""
    for family in FAMILIES:
        reports = [e for case in _cases(family) for e in case["events"] if e["op"] == "report"]
        assert len(reports) >= 1000, family
        assert 50 <= sum(e["prune"] for e in reports) < len(reports) / 2, family


def test_brackets_equal_optuna() -> None:
    cases = json.loads((DATA / "brackets.json").read_text())["cases"]
    assert len(cases) >= 30
    for case in cases:
        brackets = Brackets(case["study_name"], case["min_resource"], case["max_resource"], case["reduction_factor"])
        assert brackets.n == case["n_brackets"]
        assert [brackets.of(number) for number in range(len(case["brackets"]))] == case["brackets"], case


def test_nan_and_inf_survive_the_test_data() -> None:
    """The histories hold NaN and infinite values (JSON's NaN/Infinity tokens, read back as floats)."""
    values = [e["value"] for _, case in CASES for e in case["events"] if e["op"] == "report"]
    assert any(math.isnan(v) for v in values)
    assert any(math.isinf(v) for v in values)
