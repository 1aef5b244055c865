"""Rung values and per-step values are kept incrementally: decisions stay Optuna's when other
processes (other pruner objects, other storage objects) judge trials of the same study, and a
report reads the unfinished trials at most, never the whole study."""

from __future__ import annotations

import itertools
from collections.abc import Container
from pathlib import Path
from typing import Any

import pytest
from test_optuna_decisions import _cases, build

import hpo
from hpo.pruners import MedianPruner, SuccessiveHalvingPruner
from hpo.storages import BaseStorage, InMemoryStorage, RDBStorage
from hpo.trial import FrozenTrial, Trial, TrialState, create_trial

PARALLEL = [
    (family, case)
    for family in ("successive_halving", "hyperband")
    for case in _cases(family)
    if len({e["trial"] for e in case["events"][:12] if e["op"] == "ask"}) > 2  # several trials at once
]


def _replay_in_processes(case: dict[str, Any], storages: list[BaseStorage]) -> list[tuple[int, int, bool]]:
    """Replay ``case`` with trial i asked, reported and told by "process" i % len(storages): a Study
    object of its own, with its own pruner (from the case's spec), on its own storage object."""
    hpo.create_study(study_name=case["study_name"], direction=case["direction"], storage=storages[0])
    studies = [
        hpo.load_study(study_name=case["study_name"], storage=storage, pruner=build(case["pruner"]))
        for storage in storages
    ]
    trials: dict[int, Trial] = {}
    decisions = []
    for event in case["events"]:
        index = event.get("trial", 0)
        study = studies[index % len(studies)]
        if event["op"] == "add":
            study.add_trial(create_trial(
                state=TrialState[event["state"]], value=event.get("value"),
                intermediate_values={int(k): v for k, v in event["intermediate_values"].items()},
            ))
        elif event["op"] == "ask":
            trials[index] = study.ask()
        elif event["op"] == "report":
            trials[index].report(event["value"], event["step"])
            decisions.append((index, event["step"], trials[index].should_prune()))
        elif event["state"] == "COMPLETE":
            study.tell(trials[index], event["value"])
        else:
            study.tell(trials[index], state=TrialState[event["state"]])
    return decisions


def _expected(case: dict[str, Any]) -> list[tuple[int, int, bool]]:
    return [(e["trial"], e["step"], e["prune"]) for e in case["events"] if e["op"] == "report"]


@pytest.mark.parametrize(("family", "case"), PARALLEL, ids=[c["name"] for _, c in PARALLEL])
def test_three_pruners_on_one_storage_decide_as_optuna(family: str, case: dict[str, Any]) -> None:
    storage = InMemoryStorage()
    assert _replay_in_processes(case, [storage, storage, storage]) == _expected(case)


@pytest.mark.parametrize(("family", "case"), PARALLEL[::8], ids=[c["name"] for _, c in PARALLEL[::8]])
def test_two_processes_on_one_sqlite_file_decide_as_optuna(family: str, case: dict[str, Any], tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'study.db'}"
    assert _replay_in_processes(case, [RDBStorage(url), RDBStorage(url)]) == _expected(case)


class CountingStorage(InMemoryStorage):
    """An in-memory storage that counts the trials its ``get_all_trials`` hands out."""

    handed_out = 0

    def get_all_trials(
        self, study_id: int, deepcopy: bool = True, states: Container[TrialState] | None = None
    ) -> list[FrozenTrial]:
        trials = super().get_all_trials(study_id, deepcopy, states)
        self.handed_out += len(trials)
        return trials


@pytest.mark.parametrize(
    "pruner",
    [SuccessiveHalvingPruner(min_resource=1, reduction_factor=2), MedianPruner(n_startup_trials=1),
     MedianPruner(compare_running=True)],
    ids=repr,
)
def test_a_report_reads_the_running_trials_not_the_study(pruner: Any) -> None:
    storage = CountingStorage()
    study = hpo.create_study(storage=storage, pruner=pruner)
    for i in range(2000):
        study.add_trial(create_trial(value=float(i), intermediate_values={s: i + 1 / (s + 1) for s in range(8)}))
    running = [study.ask() for _ in range(5)]
    for trial in running:
        trial.report(0.5, 0)
        trial.should_prune()  # the first report reads the study once
    read = 0
    for step, trial in itertools.product(range(1, 8), running):
        trial.report(0.5 - step / 100, step)
        storage.handed_out = 0
        trial.should_prune()
        read += storage.handed_out
        late = study.ask()  # a new trial, that ends, between every two reports
        study.tell(late, 1.0) if step % 2 else study.tell(late, state=TrialState.FAIL)
    assert read <= 7 * 5 * 6  # the 5 running trials (and the new one) per report
