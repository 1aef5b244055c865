"""``GPSampler``: Bayesian optimization with a Gaussian-process surrogate and log expected improvement."""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

import numpy as np

from hpo.distributions import BaseDistribution
from hpo.pruners import filter_study, view_key
from hpo.records import StudyDirection, TrialState
from hpo.samplers._base import BaseSampler, ConstraintsFunc, IndependentFallbackSampler, store_constraints
from hpo.samplers._gp.acquisition import Acquisition
from hpo.samplers._gp.blas import single_threaded_blas
from hpo.samplers._gp.gp import GPRegressor, KernelParams, fit_gp
from hpo.samplers._gp.optim import optimize_acquisition
from hpo.samplers._gp.search_space import SearchSpace
from hpo.samplers._gp.transform import standardize, warp
from hpo.samplers._random import RandomSampler
from hpo.search_space import IntersectionSearchSpace
from hpo.specs import import_path
from hpo.trial import FrozenTrial

if TYPE_CHECKING:
    from hpo.study import Study

RELATIVE_PARAMS_KEY = "gp:relative_params"
_EPS = 1e-10
_PAREGO_RHO = 0.05


class GPSampler(IndependentFallbackSampler):
    """Gaussian-process Bayesian optimization, built on NumPy and SciPy.

    The surrogate is a GP with a Matern-5/2 kernel (one lengthscale per parameter; categorical
    parameters compared by equality), a kernel scale and a noise variance, fitted by maximizing the
    log marginal likelihood with priors. Parameters are normalized to ``[0, 1]`` (log scales in log
    space); objective values are standardized and made closer to Gaussian by a Yeo-Johnson power
    transform, which tames long tails. The next point maximizes log expected improvement,
    found from 2048 Sobol candidates by multi-start L-BFGS-B plus a discrete search over integer,
    stepped and categorical parameters.

    Trials still running are added to the GP as observations of its own posterior mean (the
    "Kriging believer"), so parallel workers are sent to different points. With ``constraints_func``
    each constraint gets a GP too, and the acquisition adds ``log P(constraint <= 0)`` for each.
    Multi-objective studies are scalarized by a random augmented Chebyshev weighting per trial
    (ParEGO).
    Under a :class:`~hpo.pruners.HyperbandPruner` the GP learns only from the trials of the bracket
    it samples for (:func:`hpo.pruners.filter_study`), as in Optuna.

    Args:
        seed: Seed of the sampler's random numbers (and of the default independent sampler).
        independent_sampler: Samples the first ``n_startup_trials`` trials and parameters outside the
            search space shared by all finished trials. Defaults to ``RandomSampler(seed)``.
        n_startup_trials: Completed trials to collect before the GP takes over.
        deterministic_objective: Fix the noise variance at a tiny value, for noise-free objectives.
        constraints_func: Maps a finished trial to constraint values, feasible when all are ``<= 0``;
            a callable, or a ``"module:function"`` string naming one. The values are stored in the
            trial's system attrs under ``"constraints"``.
        warn_independent_sampling: Log a warning when a parameter falls back to the independent
            sampler after the startup trials.
    """

    _fallback_warning = (
        "The parameter {param!r} in trial {number} is sampled independently by {sampler} instead of GPSampler, "
        "because it is not in every finished trial with the same distribution. Pass "
        "warn_independent_sampling=False to GPSampler to silence this warning."
    )

    def __init__(
        self,
        *,
        seed: int | None = None,
        independent_sampler: BaseSampler | None = None,
        n_startup_trials: int = 10,
        deterministic_objective: bool = False,
        constraints_func: ConstraintsFunc | str | None = None,
        warn_independent_sampling: bool = True,
    ) -> None:
        if isinstance(n_startup_trials, bool) or not isinstance(n_startup_trials, int) or n_startup_trials < 0:
            raise ValueError(f"n_startup_trials must be an integer >= 0, got {n_startup_trials!r}.")
        if independent_sampler is not None and not isinstance(independent_sampler, BaseSampler):
            raise TypeError(
                f"independent_sampler must be a sampler (a BaseSampler), got {type(independent_sampler).__name__}."
            )
        self._seed = seed
        self._rng = np.random.RandomState(seed)
        self._independent_sampler = independent_sampler or RandomSampler(seed=seed)
        self._n_startup_trials = n_startup_trials
        self._deterministic = bool(deterministic_objective)
        self._constraints_func = _resolve_constraints_func(constraints_func)
        self._warn_independent_sampling = warn_independent_sampling
        self._search_spaces: dict[int | None, IntersectionSearchSpace] = {}  # by Hyperband bracket (None: all)
        # Kernel parameters of the last fit of each model, the start of the next fit.
        self._kernel_cache: dict[tuple[str, tuple[str, ...]], KernelParams] = {}

    def reseed_rng(self) -> None:
        self._rng = np.random.RandomState()
        super().reseed_rng()

    def infer_relative_search_space(self, study: Study, trial: FrozenTrial) -> dict[str, BaseDistribution]:
        study = filter_study(study, trial)
        space = self._search_spaces.setdefault(view_key(study), IntersectionSearchSpace())
        return {name: d for name, d in space.calculate(study).items() if not d.single()}

    def sample_relative(
        self, study: Study, trial: FrozenTrial, search_space: dict[str, BaseDistribution]
    ) -> dict[str, Any]:
        if not search_space:
            return {}
        study = filter_study(study, trial)
        trials = study.get_trials(deepcopy=False, states=(TrialState.COMPLETE, TrialState.RUNNING))
        completed = [t for t in trials if t.state == TrialState.COMPLETE and search_space.keys() <= t.params.keys()]
        if len(completed) < self._n_startup_trials or not completed:
            return {}
        running = [
            p
            for t in trials
            if t.state == TrialState.RUNNING and t.number != trial.number
            if (p := _running_params(t, search_space)) is not None
        ]
        space = SearchSpace(search_space)
        internal = space.normalize([_internal_params(t, search_space) for t in completed])
        with single_threaded_blas():
            x = self._suggest(study, space, internal, completed, space.normalize(running))
        params = space.unnormalize(x)
        study.storage.set_trial_system_attr(trial.trial_id, RELATIVE_PARAMS_KEY, params)
        return {name: search_space[name].to_external_repr(v) for name, v in params.items()}

    def _suggest(
        self,
        study: Study,
        space: SearchSpace,
        X: np.ndarray,
        completed: list[FrozenTrial],
        X_running: np.ndarray,
    ) -> np.ndarray:
        """The normalized point that maximizes the acquisition function."""
        signs = np.array([1.0 if d == StudyDirection.MAXIMIZE else -1.0 for d in study.directions])
        scores = np.array([t.values for t in completed], dtype=float) * signs
        score = scores[:, 0] if scores.shape[1] == 1 else _parego(scores, self._rng)
        y = warp(score)
        objective = self._fit("objective", space, X, y)

        constraints, feasible = self._fit_constraints(space, X, completed)
        best = float(np.max(y[feasible])) if feasible.any() else None
        warm_starts = X[[int(np.argmax(np.where(feasible, y, -np.inf)))]] if feasible.any() else X[:0]
        if len(X_running) > 0:
            # Kriging believer: the running trials' points count as observed at the posterior mean,
            # and a believed value that beats (and is believed feasible) becomes the one to beat.
            objective, believed = _believe(objective, X_running)
            believed_feasible = np.ones(len(X_running), dtype=bool)
            believed_constraints = []
            for gp, threshold in constraints:
                gp, means = _believe(gp, X_running)
                believed_constraints.append((gp, threshold))
                believed_feasible &= means >= threshold
            constraints = believed_constraints
            if believed_feasible.any():
                best = max(-np.inf if best is None else best, float(np.max(believed[believed_feasible])))
        acq = Acquisition(objective, best, constraints)
        return optimize_acquisition(acq, space, self._rng, warm_starts)

    def _fit_constraints(
        self, space: SearchSpace, X: np.ndarray, completed: list[FrozenTrial]
    ) -> tuple[list[tuple[GPRegressor, float]], np.ndarray]:
        """A GP and its feasibility threshold for each constraint, and which trials are feasible.

        Trials without constraint values (constraints_func failed) count as infeasible.
        """
        values = [list(t.constraints.values()) or None for t in completed]
        if all(v is None for v in values):
            return [], np.ones(len(completed), dtype=bool)
        if len({len(v) for v in values if v is not None}) > 1:
            raise ValueError(
                "The trials have different numbers of constraint values; constraints_func must always "
                "return the same number of values."
            )
        has = np.array([v is not None for v in values])
        C = np.array([v for v in values if v is not None], dtype=float)
        feasible = has.copy()
        feasible[has] = np.all(C <= 0.0, axis=1)
        constraints = []
        for j in range(C.shape[1]):
            # The GP models -c, so that feasibility (c <= 0) means exceeding the threshold.
            yc, mean, std = standardize(-C[:, j])
            constraints.append((self._fit(f"constraint{j}", space, X[has], yc), -mean / max(std, _EPS)))
        return constraints, feasible

    def _fit(self, name: str, space: SearchSpace, X: np.ndarray, y: np.ndarray) -> GPRegressor:
        key = (name, tuple(space.names))
        gp = fit_gp(X, y, space.is_categorical, self._deterministic, self._kernel_cache.get(key))
        self._kernel_cache[key] = gp.params
        return gp

    def _warns_fallback(self, study: Study) -> bool:
        return (
            self._warn_independent_sampling
            and len(study.get_trials(deepcopy=False, states=(TrialState.COMPLETE,))) >= self._n_startup_trials
        )

    def after_trial(
        self, study: Study, trial: FrozenTrial, state: TrialState, values: Sequence[float] | None
    ) -> None:
        store_constraints(self._constraints_func, study, trial, state)
        super().after_trial(study, trial, state, values)

    def __repr__(self) -> str:
        return (
            f"GPSampler(seed={self._seed!r}, n_startup_trials={self._n_startup_trials}, "
            f"deterministic_objective={self._deterministic})"
        )


def _resolve_constraints_func(func: ConstraintsFunc | str | None) -> ConstraintsFunc | None:
    if isinstance(func, str):
        func = import_path(func)
    if func is not None and not callable(func):
        raise TypeError(f"constraints_func must be a callable or a 'module:function' string, got {func!r}.")
    return func


def _internal_params(trial: FrozenTrial, search_space: dict[str, BaseDistribution]) -> dict[str, float]:
    return {name: dist.to_internal_repr(trial.params[name]) for name, dist in search_space.items()}


def _running_params(trial: FrozenTrial, search_space: dict[str, BaseDistribution]) -> dict[str, float] | None:
    """Internal values of a running trial: the ones suggested so far over the relative ones stored."""
    params: dict[str, float] = dict(trial.system_attrs.get(RELATIVE_PARAMS_KEY, {}))
    for name, value in trial.params.items():
        if name in search_space and trial.distributions.get(name) == search_space[name]:
            params[name] = search_space[name].to_internal_repr(value)
    if not search_space.keys() <= params.keys():
        return None
    return {name: params[name] for name in search_space}


def _parego(scores: np.ndarray, rng: np.random.RandomState) -> np.ndarray:
    """ParEGO: a randomly weighted augmented Chebyshev scalarization of ``scores`` (all maximized)."""
    loss = np.column_stack([standardize(-column)[0] for column in scores.T])
    loss = (loss - loss.min(axis=0)) / np.maximum(np.ptp(loss, axis=0), _EPS)
    weights = rng.dirichlet(np.ones(scores.shape[1]))
    return -(np.max(weights * loss, axis=1) + _PAREGO_RHO * loss @ weights)


def _believe(gp: GPRegressor, X_running: np.ndarray) -> tuple[GPRegressor, np.ndarray]:
    """``gp`` with the running trials' points observed at its own posterior mean, and those means."""
    means = gp.posterior(X_running)[0]
    return gp.condition_on(X_running, means), means
