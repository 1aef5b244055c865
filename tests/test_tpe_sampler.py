"""TPESampler: options, reproducibility, search spaces, constant liar, constraints, multi-objective."""

from __future__ import annotations

import itertools
import math
import pickle
from typing import Any

import numpy as np
import pytest
from scipy.stats import truncnorm

import hpo
from hpo.distributions import CategoricalDistribution, FloatDistribution, IntDistribution
from hpo.multi_objective import hypervolume, is_pareto_front, select_by_hypervolume
from hpo.samplers import RandomSampler, TPESampler
from hpo.samplers._tpe import _truncnorm
from hpo.samplers._tpe._split import below_mask
from hpo.samplers._tpe.parzen_estimator import ParzenEstimator, ParzenEstimatorParameters
from hpo.samplers._tpe.sampler import RELATIVE_PARAMS_KEY, _auto_candidates
from hpo.trial import TrialState, create_trial

hpo.logging.set_verbosity(hpo.logging.ERROR)


def quadratic(trial: hpo.Trial) -> float:
    return (trial.suggest_float("x", -5, 5) - 1) ** 2 + (trial.suggest_float("y", -5, 5) + 2) ** 2


def conditional(trial: hpo.Trial) -> float:
    if trial.suggest_categorical("branch", ["a", "b"]) == "a":
        return trial.suggest_float("x", -5, 5) ** 2 + trial.suggest_int("n", 0, 10)
    return 1 + (trial.suggest_float("y", 0, 1, step=0.1) - 0.5) ** 2 + math.log(trial.suggest_float("lr", 1e-4, 1, log=True)) ** 2


def constraints_of(trial: Any) -> list[float]:
    """Feasible iff x >= 1 (resolved from a string in a test)."""
    return [1.0 - trial.params["x"]]


def fixed_gamma(n: int) -> int:
    return 3


# --- options -------------------------------------------------------------------------------------
@pytest.mark.parametrize(
    "kwargs, message",
    [
        ({"prior_weight": -1.0}, "prior_weight"),
        ({"n_startup_trials": -1}, "n_startup_trials"),
        ({"n_ei_candidates": 0}, "n_ei_candidates"),
        ({"n_ei_candidates": 2.5}, "n_ei_candidates"),
        ({"seed": "1"}, "seed"),
        ({"multivariate": "yes"}, "multivariate"),
        ({"constant_liar": 1}, "constant_liar"),
        ({"consider_endpoints": None}, "consider_endpoints"),
        ({"group": True, "multivariate": False}, "group"),
        ({"gamma": 3}, "gamma"),
        ({"weights": "no_colon_or_dot"}, "import path"),
        ({"constraints_func": "math:no_such_function"}, "has no .no_such_function."),
    ],
)
def test_bad_options_name_the_problem(kwargs: dict[str, Any], message: str) -> None:
    with pytest.raises(ValueError, match=message):
        TPESampler(**kwargs)


def test_bad_gamma_and_weights_results_are_reported() -> None:
    study = hpo.create_study(sampler=TPESampler(n_startup_trials=2, gamma=lambda n: -1))
    study.optimize(quadratic, n_trials=2)
    with pytest.raises(ValueError, match="gamma"):
        study.optimize(quadratic, n_trials=1)
    study = hpo.create_study(sampler=TPESampler(n_startup_trials=2, weights=lambda n: np.ones(n + 1)))
    study.optimize(quadratic, n_trials=2)
    with pytest.raises(ValueError, match="weights"):
        study.optimize(quadratic, n_trials=1)


def test_string_callables_resolve() -> None:
    sampler = TPESampler(
        n_startup_trials=3,
        gamma=f"{__name__}:fixed_gamma",
        weights="hpo.samplers._tpe:default_weights",
        constraints_func=f"{__name__}:constraints_of",
        seed=0,
    )
    study = hpo.create_study(sampler=sampler)
    study.optimize(quadratic, n_trials=8)
    assert all(t.system_attrs["constraints"] == [1.0 - t.params["x"]] for t in study.trials)


def test_hyperopt_parameters_build_a_sampler() -> None:
    study = hpo.create_study(sampler=TPESampler(**TPESampler.hyperopt_parameters(), seed=0))
    study.optimize(quadratic, n_trials=22)
    assert len(study.trials) == 22


def test_default_sampler_is_tpe_and_sampler_pickles() -> None:
    study = hpo.create_study()
    assert isinstance(study.sampler, TPESampler)
    study.optimize(quadratic, n_trials=12)
    clone = pickle.loads(pickle.dumps(study.sampler))
    assert isinstance(clone, TPESampler)


# --- reproducibility and sampling ------------------------------------------------------------------
def _params(seed: int | None, n_trials: int = 15, **kwargs: Any) -> list[dict[str, Any]]:
    study = hpo.create_study(sampler=TPESampler(seed=seed, n_startup_trials=5, **kwargs))
    study.optimize(conditional, n_trials=n_trials)
    return [t.params for t in study.trials]


@pytest.mark.parametrize("kwargs", [{}, {"multivariate": False}, {"group": True}])
def test_same_seed_same_sequence(kwargs: dict[str, Any]) -> None:
    assert _params(7, **kwargs) == _params(7, **kwargs)
    assert _params(7, **kwargs) != _params(8, **kwargs)


def test_values_stay_in_their_distributions() -> None:
    def objective(trial: hpo.Trial) -> float:
        a = trial.suggest_float("a", 1e-3, 1e3, log=True)
        b = trial.suggest_float("b", -1, 1, step=0.25)
        c = trial.suggest_int("c", 1, 1000, log=True)
        d = trial.suggest_int("d", -10, 10, step=5)
        e = trial.suggest_categorical("e", [None, True, 2, 3.5, "s"])
        f = trial.suggest_float("f", 2.0, 2.0)
        return math.log(a) ** 2 + b + math.log(c) + d + (0 if e == "s" else 1) + f

    for kwargs in ({}, {"multivariate": False}):
        study = hpo.create_study(sampler=TPESampler(seed=1, n_startup_trials=3, **kwargs))
        study.optimize(objective, n_trials=15)
        for trial in study.trials:
            assert trial.state == TrialState.COMPLETE
            for name, value in trial.params.items():
                dist = trial.distributions[name]
                assert dist._contains(dist.to_internal_repr(value)), (name, value)


def test_pruned_and_failed_trials() -> None:
    def objective(trial: hpo.Trial) -> float:
        x = trial.suggest_float("x", -5, 5)
        if trial.number % 3 == 1:
            trial.report(x * x, 0)
            raise hpo.TrialPruned()
        if trial.number % 3 == 2:
            raise RuntimeError("boom")
        return x * x

    study = hpo.create_study(sampler=TPESampler(seed=0, n_startup_trials=4))
    study.optimize(objective, n_trials=30, catch=(RuntimeError,))
    states = {t.state for t in study.trials}
    assert states == {TrialState.COMPLETE, TrialState.PRUNED, TrialState.FAIL}


def test_maximize() -> None:
    study = hpo.create_study(direction="maximize", sampler=TPESampler(seed=0))
    study.optimize(lambda t: -quadratic(t), n_trials=60)
    assert study.best_value > -0.5


def test_beats_random_on_a_quadratic() -> None:
    def best(sampler: Any) -> float:
        study = hpo.create_study(sampler=sampler)
        study.optimize(quadratic, n_trials=25)
        return study.best_value

    tpe = np.array([best(TPESampler(seed=s, n_startup_trials=8)) for s in range(20)])
    rand = np.array([best(RandomSampler(seed=s)) for s in range(20)])
    assert np.median(tpe) < np.median(rand) / 2
    assert np.mean(tpe < rand) >= 0.7


# --- search spaces ---------------------------------------------------------------------------------
def _study_with(trials_params: list[dict[str, Any]], dists: dict[str, Any], **kwargs: Any) -> hpo.Study:
    study = hpo.create_study(sampler=TPESampler(seed=0, n_startup_trials=0, **kwargs))
    for i, params in enumerate(trials_params):
        study.add_trial(
            create_trial(params=params, distributions={k: dists[k] for k in params}, value=float(i))
        )
    return study


def test_multivariate_and_group_search_spaces() -> None:
    dists = {
        "branch": CategoricalDistribution(["a", "b"]),
        "x": FloatDistribution(-5, 5),
        "n": IntDistribution(0, 10),
        "y": FloatDistribution(0, 1),
    }
    history = [{"branch": "a", "x": 1.0, "n": 2}, {"branch": "b", "y": 0.5}, {"branch": "a", "x": -1.0, "n": 3}]
    study = _study_with(history, dists)
    trial = study.ask()
    assert trial.relative_search_space == {"branch": dists["branch"]}  # the intersection
    study = _study_with(history, dists, group=True)
    trial = study.ask()
    assert set(trial.relative_search_space) == {"branch", "x", "n", "y"}
    assert study.sampler._history_of(study).groups == [{"branch": dists["branch"]}, {"n": dists["n"], "x": dists["x"]}, {"y": dists["y"]}]
    assert set(trial.relative_params) == {"branch", "x", "n", "y"}
    study = _study_with(history, dists, multivariate=False)
    assert study.ask().relative_search_space == {}


@pytest.mark.parametrize("kwargs", [{}, {"group": True}, {"multivariate": False}])
def test_conditional_space_optimizes(kwargs: dict[str, Any]) -> None:
    study = hpo.create_study(sampler=TPESampler(seed=0, **kwargs))
    study.optimize(conditional, n_trials=50)
    assert study.best_value < 1.0


def test_independent_sampling_warning_once_per_parameter(caplog: pytest.LogCaptureFixture) -> None:
    hpo.logging.set_verbosity(hpo.logging.WARNING)
    hpo.logging.enable_propagation()
    try:
        study = hpo.create_study(sampler=TPESampler(seed=0, multivariate=True, n_startup_trials=2))
        study.optimize(conditional, n_trials=20)
    finally:
        hpo.logging.disable_propagation()
        hpo.logging.set_verbosity(hpo.logging.ERROR)
    messages = {r.getMessage() for r in caplog.records if "sampled independently" in r.getMessage()}
    names = [message.split("'")[1] for message in messages]
    assert sorted(names) == sorted(set(names)) == ["lr", "n", "x", "y"]  # one trial each


# --- constant liar ---------------------------------------------------------------------------------
def _distinct_running_suggestions(constant_liar: bool | None, seed: int) -> int:
    study = hpo.create_study(sampler=TPESampler(seed=seed, n_startup_trials=5, constant_liar=constant_liar))
    study.optimize(lambda t: abs(t.suggest_int("x", 0, 50) - 10), n_trials=20)
    running = [study.ask() for _ in range(8)]
    return len({trial.suggest_int("x", 0, 50) for trial in running})


def test_constant_liar_spreads_running_trials() -> None:
    off = sum(_distinct_running_suggestions(False, seed) for seed in range(3))
    auto = sum(_distinct_running_suggestions(None, seed) for seed in range(3))
    assert auto >= off + 6


def test_constant_liar_auto_shares_relative_params_only_in_parallel() -> None:
    study = hpo.create_study(sampler=TPESampler(seed=0, n_startup_trials=3))
    study.optimize(quadratic, n_trials=5)
    assert not any(RELATIVE_PARAMS_KEY in t.system_attrs for t in study.trials)
    first, second = study.ask(), study.ask()
    assert RELATIVE_PARAMS_KEY not in study._storage.get_trial(first._trial_id).system_attrs
    assert study._storage.get_trial(second._trial_id).system_attrs[RELATIVE_PARAMS_KEY] == second.relative_params


def test_parallel_threads() -> None:
    study = hpo.create_study(sampler=TPESampler(seed=0))
    study.optimize(quadratic, n_trials=40, n_jobs=4)
    assert len(study.trials) == 40 and study.best_value < 2.0


# --- constraints -----------------------------------------------------------------------------------
def test_feasible_trials_rank_above_infeasible_ones() -> None:
    states = np.array([TrialState.COMPLETE] * 4 + [TrialState.PRUNED], dtype=np.int8)
    loss = np.array([[0.0], [1.0], [2.0], [3.0], [np.nan]])
    violation = np.array([5.0, 0.0, 1.0, 0.0, 0.0])
    step = np.array([-1, -1, -1, -1, 4])
    numbers = np.arange(5)
    mask = below_mask(states, loss, violation, step, loss[:, 0], numbers, 3)
    # Feasible COMPLETE (1, 3) first, then the feasible PRUNED one (4), not the better infeasible 0.
    assert mask.tolist() == [False, True, False, True, True]
    mask = below_mask(states, loss, violation, step, loss[:, 0], numbers, 4)
    assert mask.tolist() == [False, True, True, True, True]  # the least violating infeasible one next


def test_constrained_optimization_finds_feasible_optimum() -> None:
    sampler = TPESampler(seed=0, constraints_func=constraints_of)
    study = hpo.create_study(sampler=sampler)
    study.optimize(lambda t: t.suggest_float("x", -5, 5) ** 2, n_trials=60)
    feasible = [t for t in study.trials if t.system_attrs["constraints"][0] <= 0]
    assert len(feasible) > 30
    assert 1.0 <= min(feasible, key=lambda t: t.value).params["x"] < 1.3


def test_bad_constraint_values() -> None:
    study = hpo.create_study(sampler=TPESampler(constraints_func=lambda t: [float("nan")]))
    with pytest.raises(ValueError, match="NaN"):
        study.optimize(quadratic, n_trials=1)


# --- multi-objective -------------------------------------------------------------------------------
def test_multi_objective_runs_and_improves() -> None:
    def zdt1(trial: hpo.Trial) -> tuple[float, float]:
        x = np.array([trial.suggest_float(f"x{i}", 0, 1) for i in range(4)])
        g = 1 + 9 * x[1:].mean()
        return x[0], g * (1 - math.sqrt(x[0] / g))

    def hv(sampler: Any) -> float:
        study = hpo.create_study(directions=["minimize", "minimize"], sampler=sampler)
        study.optimize(zdt1, n_trials=50)
        return hypervolume(np.array([t.values for t in study.best_trials]), np.array([1.1, 11.0]))

    assert hv(TPESampler(seed=0)) > hv(RandomSampler(seed=0))


def test_three_objectives_with_constraints_and_maximize() -> None:
    def objective(trial: hpo.Trial) -> tuple[float, float, float]:
        x, y = trial.suggest_float("x", 0, 1), trial.suggest_float("y", 0, 1)
        return x, y, -(1 - x) * (1 - y)

    sampler = TPESampler(seed=0, n_startup_trials=5, constraints_func=lambda t: [t.params["x"] - 0.8])
    study = hpo.create_study(directions=["minimize", "minimize", "maximize"], sampler=sampler)
    study.optimize(objective, n_trials=30)
    assert len(study.best_trials) > 0 and all(t.params["x"] <= 0.8 for t in study.best_trials)


def test_multi_objective_split_keeps_whole_fronts_and_breaks_ties_by_hypervolume() -> None:
    # Front 0: (0, 3), (1, 1), (3, 0); front 1: (2, 2), (4, 1).
    loss = np.array([[0.0, 3.0], [2.0, 2.0], [1.0, 1.0], [3.0, 0.0], [4.0, 1.0]])
    states = np.full(5, TrialState.COMPLETE, dtype=np.int8)
    zeros, numbers = np.zeros(5), np.arange(5)
    mask = below_mask(states, loss, zeros, -np.ones(5, int), loss[:, 0], numbers, 4)
    assert mask.tolist() == [True, True, True, True, False]
    # One point of front 0: (1, 1) adds the most hypervolume.
    mask = below_mask(states, loss, zeros, -np.ones(5, int), loss[:, 0], numbers, 1)
    assert mask.tolist() == [False, False, True, False, False]


# --- numerical building blocks ---------------------------------------------------------------------
def test_log_gauss_mass_and_sampling_match_scipy() -> None:
    a = np.array([-50.0, -40.0, -31.0, -5.0, -1.0, 0.0, 0.5, 3.0, 35.0, -2.0])
    b = np.array([-49.0, -39.9, -30.0, -4.0, 1.0, 1e-3, 0.6, 4.0, 36.0, 10.0])
    assert np.allclose(_truncnorm.log_gauss_mass(a, b), _reference_log_mass(a, b), rtol=1e-6)
    rng = np.random.RandomState(0)
    draws = _truncnorm.sample(np.full(20000, 1.0), np.full(20000, 2.0), 0.0, 1.0, rng)
    assert draws.min() >= 1.0 and draws.max() <= 2.0
    assert abs(draws.mean() - truncnorm.mean(1.0, 2.0)) < 0.01


def _reference_log_mass(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    from scipy.special import log_ndtr

    # Mirror to the left tail, where log_ndtr is accurate, and subtract in log space.
    lo, hi = np.where(a > 0, -b, a), np.where(a > 0, -a, b)
    return log_ndtr(hi) + np.log1p(-np.exp(log_ndtr(lo) - log_ndtr(hi)))


def _inclusion_exclusion(points: np.ndarray, reference: np.ndarray) -> float:
    total = 0.0
    for k in range(1, len(points) + 1):
        for subset in itertools.combinations(range(len(points)), k):
            total += (-1) ** (k + 1) * np.prod(reference - points[list(subset)].max(axis=0))
    return float(total)


@pytest.mark.parametrize("dim", [2, 3, 4])
def test_hypervolume_is_exact(dim: int) -> None:
    points = np.random.RandomState(dim).rand(7, dim)
    reference = np.full(dim, 1.1)
    assert hypervolume(points, reference) == pytest.approx(_inclusion_exclusion(points, reference))


@pytest.mark.parametrize("dim", [2, 3])
def test_greedy_hypervolume_selection_matches_plain_greedy(dim: int) -> None:
    points = np.random.RandomState(0).rand(25, dim)
    points /= np.linalg.norm(points, axis=1, keepdims=True)  # all on one front
    assert is_pareto_front(points).all()
    reference = np.full(dim, 1.1)
    chosen: list[int] = []
    for _ in range(5):
        rest = [i for i in range(len(points)) if i not in chosen]
        chosen.append(max(rest, key=lambda i: hypervolume(points[chosen + [i]], reference)))
    assert sorted(select_by_hypervolume(points, 5, reference).tolist()) == sorted(chosen)


@pytest.mark.parametrize("magic_clip", [True, False])
def test_parzen_log_pdf_matches_a_direct_mixture(magic_clip: bool) -> None:
    # The matrix-product path (magic clip keeps kernels wide) and the direct one give the mixture density.
    space = [
        FloatDistribution(-5, 5),
        FloatDistribution(1e-3, 1, log=True),
        IntDistribution(0, 6),
        FloatDistribution(0, 1, step=0.25),
        CategoricalDistribution(["a", "b", "c"]),
    ]
    rng = np.random.RandomState(0)
    n = 7
    obs = np.column_stack(
        [
            rng.uniform(-5, 5, n),
            np.exp(rng.uniform(math.log(1e-3), 0, n)),
            rng.randint(0, 7, n),
            rng.randint(0, 5, n) * 0.25,
            rng.randint(0, 3, n),
        ]
    )
    obs[1:3, 0] = obs[0, 0] + [1e-6, 2e-6]  # without the magic clip, a kernel too narrow for the product
    weights = rng.uniform(0.5, 1.0, n)
    parameters = ParzenEstimatorParameters(True, 1.0, magic_clip, False)
    # The group of interest second: the first one (two observations) shares the kernel arrays.
    estimator = ParzenEstimator([(obs[:2], np.ones(2)), (obs, weights)], space, parameters)
    assert (estimator._quadratic is not None) == magic_clip
    x = estimator.sample(rng, 40, group=1)

    # (numerical dims, kernels) of the second group; its prior kernel last.
    mus, sigmas = estimator._mus[:, 3:], estimator._sigmas[:, 3:]
    low, high = estimator._space.low[:, None], estimator._space.high[:, None]
    a, b = (low - mus) / sigmas, (high - mus) / sigmas
    kernel_weights = np.append(weights, 1.0) / (weights.sum() + 1.0)
    smoothing = 1.0 / (n + 1)
    categorical = np.vstack([(np.eye(3)[obs[:, 4].astype(int)] + smoothing) / (1 + 3 * smoothing), np.full(3, 1 / 3)])
    expected = []
    for row in x:
        p = kernel_weights * categorical[:, int(row[4])]
        p = p * truncnorm.pdf(row[0], a[0], b[0], loc=mus[0], scale=sigmas[0])
        p = p * truncnorm.pdf(math.log(row[1]), a[1], b[1], loc=mus[1], scale=sigmas[1])
        for j, step in ((2, 1.0), (3, 0.25)):
            cdf = [truncnorm.cdf(row[j] + s * step / 2, a[j], b[j], loc=mus[j], scale=sigmas[j]) for s in (-1, 1)]
            p = p * (cdf[1] - cdf[0])
        expected.append(math.log(p.sum()))
    # Up to the truncation masses of the gridded dimensions, which the estimator leaves out of each cell.
    offset = estimator.log_pdf(x)[1] - np.array(expected)
    assert np.allclose(offset, offset[0], atol=1e-5)


def test_history_rechecks_only_unfinished_trials() -> None:
    study = hpo.create_study(sampler=RandomSampler(seed=0))
    stuck = study.ask()
    study.optimize(quadratic, n_trials=30)
    history = TPESampler()._history_of(study)

    class CountingList(list):  # type: ignore[type-arg]
        reads = 0

        def __getitem__(self, index: Any) -> Any:
            CountingList.reads += 1
            return super().__getitem__(index)

    get_trials = study.get_trials
    study.get_trials = lambda **kwargs: CountingList(get_trials(**kwargs))  # type: ignore[method-assign]
    assert [t.number for t in history.sync(study)] == [stuck.number]
    assert history.n == 30
    CountingList.reads = 0
    history.sync(study)
    assert CountingList.reads == 1  # only the RUNNING trial, not the 30 finished after it
    study.tell(stuck, 0.0)
    assert history.sync(study) == [] and history.n == 31


def test_default_candidates_shrink_as_the_bad_trials_grow(monkeypatch: pytest.MonkeyPatch) -> None:
    sizes: list[int] = []
    sample = ParzenEstimator.sample

    def recording(self: ParzenEstimator, rng: np.random.RandomState, size: int, group: int = 0) -> np.ndarray:
        sizes.append(size)
        return sample(self, rng, size, group)

    monkeypatch.setattr(ParzenEstimator, "sample", recording)
    study = hpo.create_study(sampler=TPESampler(seed=0, n_startup_trials=2))
    study.optimize(quadratic, n_trials=12)
    assert sizes and set(sizes) == {256}
    # 24,000 candidate-kernel pairs: 1000 bad trials and the prior kernel leave 24 candidates, never fewer.
    assert _auto_candidates(199) == 120 and _auto_candidates(999) == 24 and _auto_candidates(5000) == 24
    sizes.clear()
    hpo.create_study(sampler=TPESampler(seed=0, n_startup_trials=2, n_ei_candidates=7)).optimize(quadratic, n_trials=4)
    assert set(sizes) == {7}
    sizes.clear()  # several objectives: Optuna's 24
    two = hpo.create_study(directions=["minimize", "minimize"], sampler=TPESampler(seed=0, n_startup_trials=2))
    two.optimize(lambda t: (quadratic(t), -quadratic(t)), n_trials=6)
    assert sizes and set(sizes) == {24}
