"""GridSampler: every grid point once, in random order, safe with threads and shared storages."""

from __future__ import annotations

import itertools
import json
import pickle
from pathlib import Path
from typing import Any

import numpy as np
import pytest

import hpo
from hpo import specs
from hpo.samplers import GridSampler
from hpo.study import Study
from hpo.trial import Trial, TrialState

hpo.logging.set_verbosity(hpo.logging.WARNING)

SPACE: dict[str, list[Any]] = {"x": [-1.0, 0.0, 1.5], "n": [1, 3], "kind": ["a", None, True]}


def objective(trial: Trial) -> float:
    x = trial.suggest_float("x", -2, 2)
    n = trial.suggest_int("n", 0, 5)
    kind = trial.suggest_categorical("kind", ["a", "b", None, True])
    return x * n + (kind == "a")


def points(study: Study) -> list[tuple[Any, ...]]:
    return [(t.params["x"], t.params["n"], t.params["kind"]) for t in study.trials]


ALL_POINTS = sorted(itertools.product(SPACE["x"], SPACE["n"], SPACE["kind"]), key=repr)


def test_every_point_once_then_stop() -> None:
    study = hpo.create_study(sampler=GridSampler(SPACE))
    study.optimize(objective)  # no n_trials: the sampler stops the study
    assert sorted(points(study), key=repr) == ALL_POINTS
    assert all(t.state == TrialState.COMPLETE for t in study.trials)
    assert study.sampler.is_exhausted(study)


def test_n_trials_larger_than_the_grid_still_stops() -> None:
    study = hpo.create_study(sampler=GridSampler({"x": [0.0, 1.0]}))
    study.optimize(lambda t: t.suggest_float("x", 0, 1), n_trials=100)
    assert len(study.trials) == 2


@pytest.mark.parametrize("n_jobs", [2, 4])
def test_every_point_with_threads(n_jobs: int) -> None:
    study = hpo.create_study(sampler=GridSampler(SPACE, seed=3))
    study.optimize(objective, n_jobs=n_jobs)
    assert sorted(set(points(study)), key=repr) == ALL_POINTS
    # Each thread picks a point no other thread holds. A thread that asked for a trial just before the
    # last point was taken evaluates a point again, as in Optuna: at most n_jobs - 1 repeats.
    assert len(study.trials) <= len(ALL_POINTS) + n_jobs - 1


def test_order_is_random_and_fixed_by_the_seed() -> None:
    space = {"i": list(range(30))}

    def order(seed: int | None) -> list[int]:
        study = hpo.create_study(sampler=GridSampler(space, seed=seed))
        study.optimize(lambda t: t.suggest_int("i", 0, 29))
        return [t.params["i"] for t in study.trials]

    assert order(1) == order(1)
    assert order(None) == order(0)  # as in Optuna, so that processes agree on the order
    assert order(1) != order(2)
    assert order(1) != list(range(30)) and sorted(order(1)) == list(range(30))


def test_grid_point_is_kept_in_system_attrs() -> None:
    study = hpo.create_study(sampler=GridSampler(SPACE))
    study.optimize(objective, n_trials=3)
    ordered = list(itertools.product(*(v for _, v in sorted(SPACE.items()))))  # kind, n, x
    for trial in study.trials:
        grid_id = trial.system_attrs["grid_id"]
        assert ordered[grid_id] == (trial.params["kind"], trial.params["n"], trial.params["x"])
        assert trial.system_attrs["search_space"] == {k: SPACE[k] for k in sorted(SPACE)}
        json.dumps(trial.system_attrs)
    assert len({t.system_attrs["grid_id"] for t in study.trials}) == 3


def test_resume_in_later_calls_and_with_a_new_sampler_object() -> None:
    study = hpo.create_study(sampler=GridSampler(SPACE, seed=5))
    study.optimize(objective, n_trials=7)
    study.optimize(objective, n_trials=4)
    resumed = hpo.load_study(study_name=study.study_name, storage=study._storage, sampler=GridSampler(SPACE, seed=9))
    resumed.optimize(objective)
    assert sorted(points(study), key=repr) == ALL_POINTS


def test_two_processes_share_a_grid_through_sqlite(tmp_path: Path) -> None:
    url = "sqlite:///" + str(tmp_path / "grid.db")
    first = hpo.create_study(study_name="grid", storage=url, sampler=GridSampler(SPACE, seed=1))
    second = hpo.load_study(study_name="grid", storage=url, sampler=GridSampler(SPACE, seed=2))
    for _ in range(9):  # the two "processes" take turns
        first.optimize(objective, n_trials=1)
        second.optimize(objective, n_trials=1)
    assert sorted(points(first), key=repr) == ALL_POINTS


def test_running_points_are_left_to_their_trials() -> None:
    study = hpo.create_study(sampler=GridSampler({"x": [0.0, 1.0, 2.0]}))
    running = study.ask()  # e.g. a worker still busy with this point
    x_running = running.suggest_float("x", 0, 2)
    study.optimize(lambda t: t.suggest_float("x", 0, 2))
    assert sorted(t.params["x"] for t in study.trials[1:]) == sorted({0.0, 1.0, 2.0} - {x_running})
    # A later call takes the point that is still unfinished (its worker may be gone), then stops.
    study.optimize(lambda t: t.suggest_float("x", 0, 2))
    assert study.trials[-1].params["x"] == x_running
    assert len(study.trials) == 4


def test_other_grids_and_samplers_in_the_same_study_do_not_count() -> None:
    study = hpo.create_study(sampler=hpo.samplers.RandomSampler(seed=0))
    study.optimize(lambda t: t.suggest_float("x", 0, 2), n_trials=3)
    study.sampler = GridSampler({"x": [0.0, 2.0]})
    study.optimize(lambda t: t.suggest_float("x", 0, 2))
    study.sampler = GridSampler({"x": [0.0, 1.0, 2.0]})
    study.optimize(lambda t: t.suggest_float("x", 0, 2))
    assert [t.params["x"] for t in study.trials[3:5]] in ([0.0, 2.0], [2.0, 0.0])
    assert sorted(t.params["x"] for t in study.trials[5:]) == [0.0, 1.0, 2.0]


def test_ask_and_tell_outside_optimize_never_calls_stop() -> None:
    sampler = GridSampler({"x": [0, 1]})
    study = hpo.create_study(sampler=sampler)
    for _ in range(2):
        trial = study.ask()
        study.tell(trial, trial.suggest_int("x", 0, 1))
    assert sampler.is_exhausted(study)
    trial = study.ask()  # the grid is exhausted: a point is evaluated again
    assert trial.suggest_int("x", 0, 1) in (0, 1)


def test_enqueued_grid_point_counts_as_visited() -> None:
    study = hpo.create_study(sampler=GridSampler({"x": [0, 1, 2], "y": ["a", "b"]}))
    study.enqueue_trial({"x": 2, "y": "b"})
    study.optimize(lambda t: t.suggest_int("x", 0, 2) + len(t.suggest_categorical("y", ["a", "b"])))
    assert len(study.trials) == 6
    assert study.trials[0].params == {"x": 2, "y": "b"} and study.trials[0].system_attrs["grid_id"] == 5
    assert len({(t.params["x"], t.params["y"]) for t in study.trials}) == 6


def test_enqueued_partial_point_names_the_missing_parameters() -> None:
    study = hpo.create_study(sampler=GridSampler({"x": [0, 1], "y": [0, 1]}))
    study.enqueue_trial({"x": 1})
    with pytest.raises(ValueError, match=r"enqueue_trial needs a value from the grid for every one of \['x', 'y'\]"):
        study.optimize(lambda t: t.suggest_int("x", 0, 1) + t.suggest_int("y", 0, 1), n_trials=1)
    assert study.trials[0].state == TrialState.FAIL


def test_parameter_not_in_the_grid() -> None:
    study = hpo.create_study(sampler=GridSampler({"x": [0.0, 1.0]}))

    def objective(trial: Trial) -> float:
        return trial.suggest_float("x", 0, 1) + trial.suggest_float("lr", 1e-3, 1, log=True)

    with pytest.raises(ValueError, match="'lr' is not in the GridSampler's search space"):
        study.optimize(objective)
    assert study.trials[0].state == TrialState.FAIL
    assert "Add it to the grid" in study.trials[0].system_attrs["fail_reason"]


@pytest.mark.parametrize(
    ("grid", "suggest"),
    [
        ([5.0], lambda t: t.suggest_float("v", 0, 1)),
        ([0.5], lambda t: t.suggest_int("v", 0, 1)),
        ([0.5], lambda t: t.suggest_float("v", 0, 1.5, step=0.75)),
        (["c"], lambda t: t.suggest_categorical("v", ["a", "b"])),
        ([0.0], lambda t: t.suggest_float("v", 0.1, 1, log=True)),
    ],
)
def test_grid_value_outside_the_distribution(grid: list[Any], suggest: Any) -> None:
    study = hpo.create_study(sampler=GridSampler({"v": grid}))
    with pytest.raises(ValueError, match="is out of .*Change the grid or the suggest_"):
        study.optimize(suggest)
    assert study.trials[0].params == {}


def test_single_value_distribution_does_not_need_the_grid() -> None:
    study = hpo.create_study(sampler=GridSampler({"x": [1, 2]}))
    study.optimize(lambda t: t.suggest_int("x", 0, 5) + t.suggest_float("fixed", 3.0, 3.0))
    assert sorted(t.params["x"] for t in study.trials) == [1, 2]


def test_numpy_values_are_accepted_as_plain_python() -> None:
    sampler = GridSampler({"x": np.linspace(0, 1, 3), "n": np.arange(2)})
    study = hpo.create_study(sampler=sampler)
    study.optimize(lambda t: t.suggest_float("x", 0, 1) + t.suggest_int("n", 0, 1))
    assert len(study.trials) == 6
    assert type(study.trials[0].system_attrs["search_space"]["n"][0]) is int


def test_constructor_arguments_travel_as_json() -> None:
    sampler = GridSampler({"x": [0.5, 1], "c": ["a", None, False]}, seed=7)
    spec = json.loads(json.dumps(specs.to_spec(sampler)))
    rebuilt = specs.from_spec(spec)
    assert isinstance(rebuilt, GridSampler) and repr(rebuilt) == repr(sampler)


@pytest.mark.parametrize(
    ("space", "match"),
    [
        ({}, "non-empty dict"),
        ([("x", [1])], "non-empty dict"),
        ({"x": []}, "empty"),
        ({"x": "abc"}, "list of values"),
        ({"x": 3}, "list of values"),
        ({1: [1], "x": [2]}, "names must be strings"),
        ({"x": [[1, 2]]}, "None, bool, int, float or str"),
        ({"x": [{"a": 1}]}, "None, bool, int, float or str"),
        ({"x": [float("nan")]}, "finite"),
        ({"x": [float("inf")]}, "finite"),
    ],
)
def test_bad_search_spaces(space: Any, match: str) -> None:
    with pytest.raises(ValueError, match=match):
        GridSampler(space)


def test_a_study_with_a_grid_sampler_pickles() -> None:
    study = hpo.create_study(sampler=GridSampler({"x": [0, 1, 2]}))
    study.optimize(lambda t: t.suggest_int("x", 0, 2), n_trials=1)
    restored = pickle.loads(pickle.dumps(study))
    restored.optimize(lambda t: t.suggest_int("x", 0, 2))
    assert sorted(t.params["x"] for t in restored.trials) == [0, 1, 2]
