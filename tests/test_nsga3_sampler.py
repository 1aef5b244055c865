"""NSGAIIISampler (reference-point niching on NSGA-II's machinery) and BaseGASampler, Optuna's GA base."""

from __future__ import annotations

import inspect
import json
import math
import pathlib
import subprocess
import sys
from collections import Counter
from collections.abc import Iterator
from typing import Any

import numpy as np
import pytest
from optuna_venv import optuna_python

import hpo
from hpo import specs
from hpo.coordinator._mirror import MirroredStorage
from hpo.distributions import BaseDistribution, FloatDistribution
from hpo.records import StudyDirection
from hpo.samplers import BaseGASampler, NSGAIIISampler, NSGAIISampler, RandomSampler
from hpo.samplers.nsgaii._niching import NSGAIIIElitePopulationSelectionStrategy, das_dennis_points, normalize
from hpo.study import Study
from hpo.trial import FrozenTrial, create_trial

hpo.logging.set_verbosity(hpo.logging.ERROR)
GENERATION = "NSGAIIISampler:generation"


def dtlz2(trial: hpo.Trial, n_objectives: int = 3, n_vars: int = 6) -> list[float]:
    x = np.array([trial.suggest_float(f"x{i}", 0, 1) for i in range(n_vars)])
    g = float(np.sum((x[n_objectives - 1 :] - 0.5) ** 2))
    angles = x[: n_objectives - 1] * math.pi / 2
    values = []
    for i in range(n_objectives):
        value = (1 + g) * float(np.prod(np.cos(angles[: n_objectives - 1 - i])))
        values.append(value * (math.sin(angles[n_objectives - 1 - i]) if i else 1.0))
    return values


def x_at_most_half(trial: FrozenTrial) -> list[float]:
    return [trial.params["x0"] - 0.5]


def test_signature_is_optunas() -> None:
    code = (
        "import inspect, json, optuna; p = inspect.signature(optuna.samplers.NSGAIIISampler).parameters;"
        "print(json.dumps({n: repr(v.default) for n, v in p.items()}))"
    )
    theirs = json.loads(subprocess.check_output([str(optuna_python("5.0.0")), "-c", code], text=True))
    ours = {n: repr(v.default) for n, v in inspect.signature(NSGAIIISampler).parameters.items()}
    assert ours == theirs
    assert list(inspect.signature(BaseGASampler.__init__).parameters) == ["self", "population_size"]


@pytest.mark.parametrize(
    ("kwargs", "match"),
    [
        ({"population_size": 1}, "population_size"),
        ({"dividing_parameter": 0}, "dividing_parameter"),
        ({"reference_points": [1.0, 0.0]}, "2-D"),
        ({"reference_points": [[0.0, 0.0]]}, "origin"),
        ({"reference_points": [["a", "b"]]}, "2-D array of numbers"),
        ({"crossover_prob": 1.5}, "crossover_prob"),
        ({"population_size": 2, "crossover": hpo.samplers.nsgaii.SPXCrossover()}, "3 parents"),
    ],
)
def test_bad_options_raise(kwargs: dict[str, Any], match: str) -> None:
    with pytest.raises(ValueError, match=match):
        NSGAIIISampler(**kwargs)


def test_reference_points_with_the_wrong_number_of_objectives_are_refused_clearly() -> None:
    study = hpo.create_study(directions=["minimize"] * 3, sampler=NSGAIIISampler(population_size=4,
                                                                                  reference_points=[[1, 0], [0, 1]]))
    with pytest.raises(ValueError, match="2 coordinates each, but the study has 3 objectives"):
        study.optimize(dtlz2, n_trials=12)


def test_das_dennis_points_cover_the_simplex() -> None:
    points = das_dennis_points(3, 3)
    assert len(points) == 10 and len(das_dennis_points(4, 3)) == 20 and len(das_dennis_points(5, 4)) == 70
    assert np.allclose(points.sum(axis=1), 1.0)
    assert {tuple(p) for p in (points * 3).round().astype(int).tolist()} == {
        (a, b, 3 - a - b) for a in range(4) for b in range(4 - a)
    }


def test_normalization_puts_the_extreme_points_on_the_unit_hyperplane() -> None:
    loss = np.array([[3.0, 10.0, 1.0], [1.0, 30.0, 1.0], [1.0, 10.0, 5.0], [2.0, 20.0, 3.0]])
    normalized = normalize(loss)
    assert np.allclose(normalized.min(axis=0), 0.0)
    assert np.allclose(normalized[:3].max(axis=1), 1.0)  # each extreme point at 1 on its own axis


def _front_trials(points: np.ndarray) -> list[FrozenTrial]:
    return [create_trial(values=list(p), params={"i": i}, distributions={"i": FloatDistribution(0, 1000)})
            for i, p in enumerate(points.tolist())]


class _Study:
    directions = [StudyDirection.MINIMIZE] * 3


def test_niching_keeps_one_trial_per_reference_direction_before_any_second() -> None:
    """A front crowded near one corner and sparse elsewhere: the kept trials spread over every niche."""
    rng = np.random.RandomState(0)
    crowd = np.abs(rng.normal([1, 0.05, 0.05], 0.01, size=(40, 3)))
    spread = das_dennis_points(3, 3) + 1e-3
    points = np.vstack([crowd, spread])
    points /= np.linalg.norm(points, axis=1, keepdims=True)  # every point on one Pareto front (the sphere)
    select = NSGAIIIElitePopulationSelectionStrategy(population_size=10, rng=np.random.RandomState(1))
    kept = select(_Study(), _front_trials(points))  # type: ignore[arg-type]
    assert len(kept) == 10
    assert sorted(t.params["i"] for t in kept) == list(range(40, 50))  # the ten spread ones, one per niche


def test_reference_points_express_a_preference() -> None:
    """With one reference point, the kept trials are those closest to its direction."""
    angles = np.linspace(0, math.pi / 2, 30)
    points = np.column_stack([np.cos(angles), np.sin(angles), np.full(30, 0.2)])
    select = NSGAIIIElitePopulationSelectionStrategy(
        population_size=5, reference_points=[[1.0, 0.0, 0.0]], rng=np.random.RandomState(0)
    )
    kept = sorted(t.params["i"] for t in select(_Study(), _front_trials(points)))  # type: ignore[arg-type]
    assert kept[0] == 0  # the closest one fills the empty niche first
    default = NSGAIIIElitePopulationSelectionStrategy(population_size=5, rng=np.random.RandomState(0))
    spread = sorted(t.params["i"] for t in default(_Study(), _front_trials(points)))  # type: ignore[arg-type]
    assert max(spread) - min(spread) > 20  # the default points spread over the front


def test_whole_fronts_are_kept_first_and_maximized_objectives_count_as_maximized() -> None:
    high = [create_trial(values=[10.0, float(i), 2.0 - i]) for i in range(3)]  # the front when maximizing
    low = [create_trial(values=[1.0, float(i), 2.0 - i]) for i in range(3)]  # the front when minimizing

    class Mixed:
        directions = [StudyDirection.MAXIMIZE, StudyDirection.MINIMIZE, StudyDirection.MINIMIZE]

    select = NSGAIIIElitePopulationSelectionStrategy(population_size=4, rng=np.random.RandomState(0))
    kept = select(Mixed(), low + high)  # type: ignore[arg-type]
    assert len(kept) == 4 and all(any(k is t for k in kept) for t in high)


def test_generations_and_stored_parents() -> None:
    sampler = NSGAIIISampler(population_size=10, seed=0)
    study = hpo.create_study(directions=["minimize"] * 3, sampler=sampler)
    study.optimize(dtlz2, n_trials=40)
    assert Counter(t.system_attrs[GENERATION] for t in study.trials) == {0: 10, 1: 10, 2: 10, 3: 10}
    for g in (1, 2, 3):
        parents = study.system_attrs[f"NSGAIIISampler:parent:{g}"]
        assert len(parents) == 10 and all(isinstance(i, int) for i in parents)
    assert NSGAIIISampler._GENERATION_KEY == GENERATION and sampler.population_size == 10
    assert not isinstance(sampler, NSGAIISampler) and isinstance(sampler, BaseGASampler)  # as in Optuna


def test_same_seed_same_trials() -> None:
    def params(seed: int) -> list[dict[str, Any]]:
        study = hpo.create_study(directions=["minimize"] * 3, sampler=NSGAIIISampler(population_size=6, seed=seed))
        study.optimize(dtlz2, n_trials=30)
        return [t.params for t in study.trials]

    assert params(0) == params(0)
    assert params(0) != params(1)


def test_constraints_are_stored_and_feasible_parents_win() -> None:
    sampler = NSGAIIISampler(population_size=8, seed=0, constraints_func=x_at_most_half)
    study = hpo.create_study(directions=["minimize"] * 3, sampler=sampler)
    study.optimize(dtlz2, n_trials=48)
    assert all(t.system_attrs["constraints"] == x_at_most_half(t) for t in study.trials)
    feasible = sum(t.params["x0"] <= 0.5 for t in study.trials)
    parents = set(study.system_attrs["NSGAIIISampler:parent:5"])
    assert all(t.params["x0"] <= 0.5 for t in study.trials if t.trial_id in parents)
    assert feasible > 24  # the feasible side fills the later generations


def test_trial_set_constraint_is_respected_too() -> None:
    def objective(trial: hpo.Trial) -> list[float]:
        values = dtlz2(trial)
        trial.set_constraint("x0", trial.params["x0"] - 0.5)
        return values

    study = hpo.create_study(directions=["minimize"] * 3, sampler=NSGAIIISampler(population_size=8, seed=1))
    study.optimize(objective, n_trials=48)
    parents = set(study.system_attrs["NSGAIIISampler:parent:5"])
    assert all(t.params["x0"] <= 0.5 for t in study.trials if t.trial_id in parents)


def _hypervolume_mc(loss: np.ndarray, reference: float, samples: np.ndarray) -> float:
    dominated = np.zeros(len(samples), dtype=bool)
    for point in loss[np.all(loss < reference, axis=1)]:
        dominated |= np.all(samples >= point, axis=1)
    return float(dominated.mean()) * reference ** loss.shape[1]


def test_four_objectives_beat_random_search() -> None:
    samples = np.random.RandomState(0).uniform(0, 1.1, size=(20_000, 4))

    def volume(sampler: hpo.samplers.BaseSampler) -> float:
        study = hpo.create_study(directions=["minimize"] * 4, sampler=sampler)
        study.optimize(lambda t: dtlz2(t, 4, 10), n_trials=400)
        return _hypervolume_mc(np.array([t.values for t in study.trials]), 1.1, samples)

    assert volume(NSGAIIISampler(population_size=40, seed=0)) > 1.4 * volume(RandomSampler(seed=0))


def test_spec_round_trip_with_reference_points() -> None:
    sampler = NSGAIIISampler(population_size=6, seed=3, reference_points=np.eye(3), dividing_parameter=2,
                             mutation=hpo.samplers.nsgaii.PolynomialMutation(eta=15))
    spec = specs.to_spec(sampler)
    assert json.loads(json.dumps(spec)) == spec
    assert spec["kwargs"]["reference_points"] == [[1.0, 0.0, 0.0], [0.0, 1.0, 0.0], [0.0, 0.0, 1.0]]
    built = specs.from_spec(spec, allowed_modules=())
    assert isinstance(built, NSGAIIISampler)
    assert np.array_equal(built._elite_selection.reference_points(3), np.eye(3))


@pytest.fixture()
def mirror(tmp_path: pathlib.Path) -> Iterator[MirroredStorage]:
    storage = MirroredStorage(f"sqlite:///{tmp_path / 's.db'}")
    yield storage
    storage.close()


def test_in_the_coordinators_sampler_process_it_samples_what_it_samples_in_process(mirror: MirroredStorage) -> None:
    sampler = NSGAIIISampler(population_size=6, seed=7, reference_points=[[1, 1, 1], [1, 0, 0], [0, 1, 0]])
    spec = specs.to_spec(sampler)
    study_id = mirror.create_new_study([StudyDirection.MINIMIZE] * 3, "remote")
    process = mirror.start_sampler(study_id, mirror.build_sampler(spec, 3))
    remote = hpo.Study("remote", mirror, sampler=process)
    remote.optimize(dtlz2, n_trials=24)
    local = hpo.create_study(directions=["minimize"] * 3, sampler=specs.from_spec(spec))
    local.optimize(dtlz2, n_trials=24)
    assert [t.params for t in remote.trials] == [t.params for t in local.trials]
    assert [t.system_attrs for t in remote.trials] == [t.system_attrs for t in local.trials]
    assert max(t.system_attrs[GENERATION] for t in remote.trials) == 3


# --- BaseGASampler: a GA written against Optuna's API ----------------------------------------------


class TruncationGA(BaseGASampler):
    """A user's GA on Optuna's BaseGASampler API: parents are the best half, children Gaussian mutants."""

    def __init__(self, population_size: int = 8, seed: int | None = None) -> None:
        super().__init__(population_size=population_size)
        self._random_sampler = RandomSampler(seed=seed)
        self._rng = np.random.RandomState(seed)

    def select_parent(self, study: Study, generation: int) -> list[FrozenTrial]:
        pool = self.get_population(study, generation - 1) + self.get_parent_population(study, generation - 1)
        return sorted(pool, key=lambda t: t.value)[: self.population_size // 2]  # type: ignore[operator]

    def infer_relative_search_space(self, study: Study, trial: FrozenTrial) -> dict[str, BaseDistribution]:
        return {"x": FloatDistribution(-5, 5)}

    def sample_relative(
        self, study: Study, trial: FrozenTrial, search_space: dict[str, BaseDistribution]
    ) -> dict[str, Any]:
        parents = self.get_parent_population(study, self.get_trial_generation(study, trial))
        if not parents:
            return {}
        parent = parents[self._rng.randint(len(parents))]
        return {"x": float(np.clip(parent.params["x"] + self._rng.normal(0, 0.3), -5, 5))}

    def sample_independent(
        self, study: Study, trial: FrozenTrial, param_name: str, param_distribution: BaseDistribution
    ) -> Any:
        return self._random_sampler.sample_independent(study, trial, param_name, param_distribution)


def test_a_users_ga_sampler_runs_and_converges() -> None:
    assert TruncationGA._get_generation_key() == "TruncationGA:generation"
    assert TruncationGA._get_parent_cache_key_prefix() == "TruncationGA:parent:"
    sampler = TruncationGA(population_size=8, seed=0)
    assert sampler.population_size == 8
    study = hpo.create_study(sampler=sampler)
    study.optimize(lambda t: (t.suggest_float("x", -5, 5) - 1.5) ** 2, n_trials=80)
    generations = Counter(t.system_attrs["TruncationGA:generation"] for t in study.trials)
    assert generations == {g: 8 for g in range(10)}
    assert sampler.get_population(study, 9) == [t for t in study.trials if t.number >= 72]
    stored = study.system_attrs["TruncationGA:parent:9"]
    assert [t.trial_id for t in sampler.get_parent_population(study, 9)] == sorted(stored)
    assert study.best_value < 0.01
    # A new sampler reads the stored parents instead of choosing again.
    again = TruncationGA(population_size=8, seed=5)
    assert [t.trial_id for t in again.get_parent_population(study, 9)] == sorted(stored)
    assert specs.from_spec(specs.to_spec(sampler), allowed_modules=(__name__,)).population_size == 8


def test_population_size_must_be_set_before_sampling() -> None:
    sampler = TruncationGA()
    sampler.population_size = None  # type: ignore[assignment]
    study = hpo.create_study(sampler=sampler)
    with pytest.raises(ValueError, match="population_size must be set"):
        study.optimize(lambda t: t.suggest_float("x", -5, 5), n_trials=1)


def test_the_optuna_style_example_runs() -> None:
    example = pathlib.Path(__file__).resolve().parent.parent / "examples" / "optuna_style" / "nsga3_multi_objective.py"
    done = subprocess.run([sys.executable, str(example)], capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr[-3000:]
    assert "Number of finished trials: 200" in done.stdout
    assert int(done.stdout.split("Pareto front: ")[1].split()[0]) >= 10
