"""GPSampler: kernel fit, acquisition, mixed search spaces, running trials, constraints, seeding, quality."""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np
import pytest
import scipy.optimize
import scipy.stats

import hpo
from hpo import specs
from hpo.samplers import GPSampler, RandomSampler
from hpo.samplers._gp.acquisition import Acquisition, log_h
from hpo.samplers._gp.batched_lbfgsb import batched_lbfgsb
from hpo.samplers._gp.gp import _neg_log_posterior, fit_gp
from hpo.samplers._gp.kernel import matern52, squared_differences, weighted_sqdist
from hpo.samplers._gp.sampler import RELATIVE_PARAMS_KEY
from hpo.samplers._gp.transform import standardize, warp
from hpo.trial import Trial, TrialState

hpo.logging.set_verbosity(hpo.logging.ERROR)

IS_CAT = np.array([False, False, True])


def _data(n: int = 25, seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.RandomState(seed)
    X = rng.rand(n, 3)
    X[:, 2] = rng.randint(3, size=n)
    y = np.sin(5 * X[:, 0]) + X[:, 1] + 0.3 * X[:, 2] + 0.01 * rng.randn(n)
    return X, (y - y.mean()) / y.std()


def _central_difference(f, x: np.ndarray, h: float = 1e-6) -> np.ndarray:  # type: ignore[no-untyped-def]
    grad = np.zeros_like(x)
    for j in range(len(x)):
        e = np.zeros_like(x)
        e[j] = h
        grad[j] = (f(x + e) - f(x - e)) / (2 * h)
    return grad


def quadratic(trial: hpo.Trial) -> float:
    return (trial.suggest_float("x", -5, 5) - 1.0) ** 2 + (trial.suggest_float("y", -5, 5) + 2.0) ** 2


# --- kernel and fit ---------------------------------------------------------------------------
def test_matern_derivative_matches_finite_difference() -> None:
    r2 = np.array([0.0, 1e-3, 0.3, 2.0, 10.0])
    k, dk = matern52(r2)
    assert k[0] == 1.0 and np.all(np.diff(k) < 0)
    h = 1e-7
    numeric = (matern52(r2 + h)[0] - matern52(np.maximum(r2 - h, 0))[0]) / (r2 + h - np.maximum(r2 - h, 0))
    np.testing.assert_allclose(dk, numeric, rtol=1e-3, atol=1e-6)


def test_weighted_sqdist_matches_per_dimension_differences() -> None:
    X, _ = _data()
    w = np.array([0.5, 3.0, 2.0])
    expected = squared_differences(X[:7], X, IS_CAT) @ w
    np.testing.assert_allclose(weighted_sqdist(X[:7], X, w, IS_CAT), expected, atol=1e-12)


@pytest.mark.parametrize("deterministic", [False, True])
def test_marginal_likelihood_gradient_matches_finite_difference(deterministic: bool) -> None:
    X, y = _data()
    D = squared_differences(X, X, IS_CAT).reshape(len(X) ** 2, 3)
    raw = np.random.RandomState(1).randn(4 if deterministic else 5) * 0.5
    value, grad = _neg_log_posterior(raw, D, y, deterministic)
    numeric = _central_difference(lambda r: _neg_log_posterior(r, D, y, deterministic)[0], raw)
    assert math.isfinite(value)
    np.testing.assert_allclose(grad, numeric, rtol=1e-4, atol=1e-4)


def test_fit_recovers_known_lengthscales() -> None:
    rng = np.random.RandomState(0)
    X = rng.rand(80, 2)
    true_lengthscales = np.array([0.2, 2.0])
    K = matern52(squared_differences(X, X, np.zeros(2, bool)) @ true_lengthscales**-2)[0]
    y = np.linalg.cholesky(K + 1e-6 * np.eye(80)) @ rng.randn(80)
    gp = fit_gp(X, (y - y.mean()) / y.std(), np.zeros(2, bool), deterministic=False)
    np.testing.assert_allclose(gp.lengthscales, true_lengthscales, rtol=0.3)
    assert gp.params.noise < 1e-3


def test_deterministic_objective_fixes_the_noise_at_its_minimum() -> None:
    X, y = _data()
    gp = fit_gp(X, y, IS_CAT, deterministic=True)
    assert gp.params.noise == pytest.approx(1e-6)


def test_posterior_interpolates_noise_free_data() -> None:
    X, y = _data()
    gp = fit_gp(X, y, IS_CAT, deterministic=True)
    mean, var, _, _ = gp.posterior(X)
    np.testing.assert_allclose(mean, y, atol=1e-2)
    assert np.all(var < 1e-3)


# --- output transforms ------------------------------------------------------------------------
def test_standardize_clips_infinities() -> None:
    y, mean, std = standardize(np.array([1.0, 2.0, 3.0, np.inf, -np.inf]))
    assert np.all(np.isfinite(y)) and y[3] == y[2] and y[4] == y[0]
    assert y.mean() == pytest.approx(0.0) and y.std() == pytest.approx(1.0)


def test_warp_is_monotone_and_tames_a_long_tail() -> None:
    values = np.exp(np.random.RandomState(0).randn(50) * 2)  # log-normal: a long right tail
    warped = warp(values)
    assert np.array_equal(np.argsort(warped), np.argsort(values))
    assert warped.mean() == pytest.approx(0.0) and warped.std() == pytest.approx(1.0)
    assert abs(scipy.stats.skew(warped)) < abs(scipy.stats.skew(values)) / 3
    np.testing.assert_array_equal(warp(np.full(5, 3.0)), np.zeros(5))


# --- acquisition ------------------------------------------------------------------------------
def test_log_h_is_finite_monotone_and_accurate_for_extreme_z() -> None:
    z = np.array([-1e300, -1e100, -1e10, -1e5, -1001.0, -999.0, -40.0, -1.0 - 1e-9, -1.0 + 1e-9, 0.0, 5.0, 1e10, 1e300])
    values = log_h(z)
    assert np.all(np.isfinite(values))
    assert np.all(np.diff(values) >= 0)
    # The branches agree where they meet.
    assert log_h(np.array([-1.0 - 1e-9]))[0] == pytest.approx(log_h(np.array([-1.0 + 1e-9]))[0], rel=1e-7)
    assert log_h(np.array([-1000.0 - 1e-9]))[0] == pytest.approx(log_h(np.array([-1000.0 + 1e-9]))[0], rel=1e-9)
    # Against the direct formula where it is accurate, and the asymptote far out.
    from scipy.stats import norm

    for zi in (-5.0, -0.5, 0.0, 2.0):
        assert log_h(np.array([zi]))[0] == pytest.approx(math.log(zi * norm.cdf(zi) + norm.pdf(zi)), rel=1e-10)
    assert log_h(np.array([-1e5]))[0] == pytest.approx(-0.5e10 - 0.5 * math.log(2 * math.pi) - 2 * math.log(1e5))


def test_acquisition_is_finite_far_from_the_incumbent() -> None:
    X, y = _data()
    gp = fit_gp(X, y, IS_CAT, deterministic=True)
    for best, constraint_threshold in ((1e6, 0.0), (float(y.max()), 1e6)):
        acq = Acquisition(gp, best, [(gp, constraint_threshold)])
        values, grads = acq.value_and_grad(np.random.RandomState(0).rand(20, 3).round(3))
        assert np.all(np.isfinite(values)) and np.all(np.isfinite(grads))


@pytest.mark.parametrize("with_constraint", [False, True])
def test_acquisition_gradient_matches_finite_difference(with_constraint: bool) -> None:
    X, y = _data()
    gp = fit_gp(X, y, IS_CAT, deterministic=False)
    acq = Acquisition(gp, float(y.max()), [(gp, 0.3)] if with_constraint else [])
    x = np.random.RandomState(2).rand(4, 3)
    x[:, 2] = 1.0
    _, grads = acq.value_and_grad(x)
    for row, grad in zip(x, grads):
        numeric = _central_difference(lambda v: acq(v[None])[0], row, h=1e-5)
        np.testing.assert_allclose(grad[:2], numeric[:2], rtol=1e-3, atol=1e-3 * np.abs(numeric).max())
        assert grad[2] == 0.0  # categorical: searched discretely


def test_batched_lbfgsb_matches_independent_runs() -> None:
    centers = np.array([[0.2, 0.7], [0.9, 0.1], [0.5, 0.5]])

    def func(ids: np.ndarray, X: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        diff = X - centers[ids]
        return np.sum(diff**2 + diff**4, axis=1), 2 * diff + 4 * diff**3

    X0 = np.zeros((3, 2))
    bounds = np.array([[0.0, 1.0], [0.0, 0.8]])
    result = batched_lbfgsb(func, X0, bounds, pgtol=1e-8, maxiter=100)
    for i in range(3):
        single, _, _ = scipy.optimize.fmin_l_bfgs_b(
            lambda x, i=i: tuple(v[0] for v in func(np.array([i]), x[None])), X0[i], bounds=bounds, pgtol=1e-8
        )
        np.testing.assert_allclose(result[i], single, atol=1e-6)
    np.testing.assert_allclose(result, np.minimum(centers, [1.0, 0.8]), atol=1e-5)


def test_batched_lbfgsb_reraises_errors_of_the_function() -> None:
    def func(ids: np.ndarray, X: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        raise ZeroDivisionError("boom")

    with pytest.raises(ZeroDivisionError, match="boom"):
        batched_lbfgsb(func, np.zeros((3, 2)), np.array([[0.0, 1.0]] * 2), pgtol=1e-5, maxiter=10)


# --- the sampler ------------------------------------------------------------------------------
def test_params_stay_inside_their_distributions() -> None:
    def objective(trial: hpo.Trial) -> float:
        x = trial.suggest_float("x", -3, 3)
        lr = trial.suggest_float("lr", 1e-5, 1e-1, log=True)
        q = trial.suggest_float("q", 0.0, 1.0, step=0.25)
        n = trial.suggest_int("n", 1, 9, step=2)
        k = trial.suggest_int("k", 1, 1000, log=True)
        m = trial.suggest_int("m", -50, 50)
        c = trial.suggest_categorical("c", ["a", "b", None, 3])
        return x**2 + math.log10(lr) ** 2 + q + n + math.log(k) + abs(m) / 10 + (c == "b")

    study = hpo.create_study(sampler=GPSampler(seed=0, n_startup_trials=4))
    study.optimize(objective, n_trials=12)
    for trial in study.trials:
        assert trial.state == TrialState.COMPLETE
        for name, value in trial.params.items():
            dist = trial.distributions[name]
            assert dist._contains(dist.to_internal_repr(value)), (name, value)
        assert isinstance(trial.params["n"], int) and isinstance(trial.params["k"], int)
        assert isinstance(trial.params["x"], float)
    gp_trials = study.trials[4:]
    assert all(RELATIVE_PARAMS_KEY in t.system_attrs for t in gp_trials)


def test_discrete_only_space_finds_the_optimum() -> None:
    def objective(trial: hpo.Trial) -> float:
        a = trial.suggest_categorical("a", ["x", "y", "z"])
        b = trial.suggest_int("b", 0, 5)
        return {"x": 1, "y": 0, "z": 2}[a] + (b - 3) ** 2 + trial.suggest_categorical("c", [True, False])

    study = hpo.create_study(sampler=GPSampler(seed=0, n_startup_trials=4))
    study.optimize(objective, n_trials=14)
    assert study.best_params == {"a": "y", "b": 3, "c": False}


def test_running_trials_get_distinct_points() -> None:
    study = hpo.create_study(sampler=GPSampler(seed=0, n_startup_trials=5))
    study.optimize(quadratic, n_trials=5)
    running = [study.ask() for _ in range(4)]
    points = [(t.suggest_float("x", -5, 5), t.suggest_float("y", -5, 5)) for t in running]
    distances = [math.dist(a, b) for i, a in enumerate(points) for b in points[i + 1 :]]
    assert min(distances) > 0.2, points


def test_running_trials_are_seen_before_they_suggest() -> None:
    """A trial asked but not yet run (as on a distributed worker) still counts as running."""
    study = hpo.create_study(sampler=GPSampler(seed=0, n_startup_trials=5))
    study.optimize(quadratic, n_trials=5)
    first = study.ask()  # nothing suggested yet: its point lives in the relative-params attr
    second = study.ask()
    assert first.relative_params and second.relative_params
    assert math.dist(first.relative_params.values(), second.relative_params.values()) > 0.2


def test_constraints_steer_towards_the_feasible_region() -> None:
    def objective(trial: hpo.Trial) -> float:
        x, y = trial.suggest_float("x", 0, 1), trial.suggest_float("y", 0, 1)
        trial.set_user_attr("c", 1.2 - x - y)
        return x**2 + y**2

    sampler = GPSampler(seed=0, n_startup_trials=8, constraints_func=_constraint)
    study = hpo.create_study(sampler=sampler)
    study.optimize(objective, n_trials=24)
    trials = study.trials
    assert all(t.system_attrs["constraints"] == [pytest.approx(t.user_attrs["c"])] for t in trials)
    # The optimum (0.72 at x = y = 0.6) lies on the boundary x + y = 1.2, which the GP trials hug.
    violations = np.array([t.user_attrs["c"] for t in trials[8:]])
    assert np.median(np.abs(violations)) < 0.02 and np.count_nonzero(violations > 0.05) <= 2
    assert study.best_value < 0.73


def _constraint(trial: hpo.FrozenTrial) -> list[float]:
    return [trial.user_attrs["c"]]


def test_constrained_running_trials_get_distinct_feasible_looking_points() -> None:
    sampler = GPSampler(seed=0, n_startup_trials=6, constraints_func=lambda t: [0.5 - t.params["x"]])
    study = hpo.create_study(sampler=sampler)
    study.optimize(lambda t: t.suggest_float("x", 0, 1) + t.suggest_float("y", 0, 1), n_trials=6)
    points = [tuple(study.ask().relative_params.values()) for _ in range(3)]
    assert len(set(points)) == 3


def test_a_changing_number_of_constraints_is_an_error() -> None:
    sampler = GPSampler(seed=0, n_startup_trials=2, constraints_func=lambda t: [0.0] * (t.number + 1))
    study = hpo.create_study(sampler=sampler)
    study.optimize(lambda t: t.suggest_float("x", 0, 1), n_trials=2)
    with pytest.raises(ValueError, match="different numbers of constraint values"):
        study.ask()


def test_constraints_func_by_import_path_and_bad_arguments(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    (tmp_path / "gp_constraints.py").write_text("def first(trial):\n    return [trial.params['x'] - 1.0]\n")
    monkeypatch.syspath_prepend(str(tmp_path))
    sampler = GPSampler(constraints_func="gp_constraints:first")
    assert specs.to_spec(sampler)["kwargs"]["constraints_func"] == "gp_constraints:first"
    study = hpo.create_study(sampler=specs.from_spec(specs.to_spec(sampler)))
    study.optimize(lambda t: t.suggest_float("x", 0, 3), n_trials=2)
    assert [t.system_attrs["constraints"] for t in study.trials] == [[t.params["x"] - 1.0] for t in study.trials]
    with pytest.raises(ValueError, match="has no 'missing'"):
        GPSampler(constraints_func="gp_constraints:missing")
    with pytest.raises(TypeError, match="constraints_func"):
        GPSampler(constraints_func=3)  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="n_startup_trials"):
        GPSampler(n_startup_trials=-1)
    with pytest.raises(TypeError, match="independent_sampler"):
        GPSampler(independent_sampler="random")  # type: ignore[arg-type]


def test_nan_constraint_is_an_error() -> None:
    study = hpo.create_study(sampler=GPSampler(constraints_func=lambda t: [float("nan")]))
    trial = study.ask()
    with pytest.raises(ValueError, match="NaN"):
        study.tell(trial, 1.0)


def test_seed_makes_runs_reproducible() -> None:
    def run() -> list[dict[str, float]]:
        study = hpo.create_study(sampler=GPSampler(seed=3, n_startup_trials=3))
        study.optimize(quadratic, n_trials=7)
        return [t.params for t in study.trials]

    assert run() == run()


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_beats_random_search_on_a_quadratic(seed: int) -> None:
    gp = hpo.create_study(sampler=GPSampler(seed=seed, n_startup_trials=5, deterministic_objective=True))
    gp.optimize(quadratic, n_trials=15)
    random = hpo.create_study(sampler=RandomSampler(seed=seed))
    random.optimize(quadratic, n_trials=15)
    assert gp.best_value < 0.05 < random.best_value


def test_maximize_direction() -> None:
    study = hpo.create_study(direction="maximize", sampler=GPSampler(seed=0, n_startup_trials=5))
    study.optimize(lambda t: -quadratic(t), n_trials=12)
    assert study.best_value > -0.5


def test_multi_objective_runs_and_spreads_over_the_front() -> None:
    def objective(trial: hpo.Trial) -> tuple[float, float]:
        x = trial.suggest_float("x", 0, 1)
        return x**2, (x - 1) ** 2

    study = hpo.create_study(directions=["minimize", "minimize"], sampler=GPSampler(seed=0, n_startup_trials=4))
    study.optimize(objective, n_trials=10)
    assert len(study.best_trials) >= 5


def test_dynamic_parameters_fall_back_to_the_independent_sampler() -> None:
    def objective(trial: hpo.Trial) -> float:
        x = trial.suggest_float("x", -1, 1)
        if x > 0:
            return x + trial.suggest_float("extra", 0, 1)
        return -x

    study = hpo.create_study(sampler=GPSampler(seed=0, n_startup_trials=3, warn_independent_sampling=False))
    study.optimize(objective, n_trials=8)
    assert all(t.state == TrialState.COMPLETE for t in study.trials)
    assert all("x" in t.params for t in study.trials)


def test_startup_trials_use_the_independent_sampler() -> None:
    study = hpo.create_study(sampler=GPSampler(seed=0, n_startup_trials=3))
    for _ in range(3):
        trial = study.ask()
        assert isinstance(trial, Trial) and trial.relative_params == {}
        study.tell(trial, quadratic(trial))
    assert study.ask().relative_params != {}
