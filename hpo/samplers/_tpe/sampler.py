"""``TPESampler``: the Tree-structured Parzen Estimator, single- and multi-objective, with constraints."""

from __future__ import annotations

import math
import threading
from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING, Any

import numpy as np

from hpo.distributions import BaseDistribution
from hpo.logging import get_logger
from hpo.pruners import filter_study, view_key
from hpo.records import TrialState
from hpo.samplers._base import BaseSampler, ConstraintsFunc, store_constraints
from hpo.samplers._random import sample_uniform
from hpo.samplers._tpe._history import TrialHistory
from hpo.samplers._tpe.parzen_estimator import ParzenEstimator, ParzenEstimatorParameters
from hpo.specs import import_path
from hpo.trial import FrozenTrial

if TYPE_CHECKING:
    from hpo.study import Study

_logger = get_logger(__name__)

RELATIVE_PARAMS_KEY = "tpe:relative_params"
_MAX_CANDIDATES, _MIN_CANDIDATES = 256, 24  # the default number of EI candidates...
_CANDIDATE_BUDGET = 24_000  # ...as candidate-kernel pairs scored against g(x)
_SCORE_TIE = 1e-6  # log-density ratios closer than this are equal (the mixture sums run in single precision)


def default_gamma(x: int) -> int:
    """10% of the trials are good, at most 25."""
    return min(math.ceil(0.1 * x), 25)


def default_gamma_multiobjective(x: int) -> int:
    """10% of the trials are good (no cap: a Pareto front needs many points)."""
    return math.ceil(0.1 * x)


def hyperopt_default_gamma(x: int) -> int:
    """Hyperopt's choice: a quarter of the square root of the number of trials, at most 25."""
    return min(math.ceil(0.25 * x**0.5), 25)


def default_weights(x: int) -> np.ndarray:
    """Equal weights for the 25 newest trials, a linear ramp from 1/x up to 1 for the older ones."""
    if x == 0:
        return np.asarray([])
    if x < 25:
        return np.ones(x)
    return np.concatenate([np.linspace(1.0 / x, 1.0, num=x - 25), np.ones(25)])


class TPESampler(BaseSampler):
    """Tree-structured Parzen Estimator.

    After ``n_startup_trials`` random trials, the finished trials are split into the ``gamma(n)``
    good ones and the rest; a Parzen estimator ``l(x)`` is fitted to the good and ``g(x)`` to the
    others, and the candidate (out of ``n_ei_candidates`` drawn from ``l``) maximizing
    ``l(x) / g(x)`` is suggested.
    Under a :class:`~hpo.pruners.HyperbandPruner` it learns only from the trials of the bracket it
    samples for (:func:`hpo.pruners.filter_study`), as in Optuna.

    Args:
        consider_prior: Add a wide prior kernel to each estimator.
        prior_weight: Weight of the prior kernel (>= 0).
        consider_magic_clip: Keep kernel widths above ``range / min(100, n + 2)``.
        consider_endpoints: Let the domain bounds widen the outermost kernels.
        n_startup_trials: Random trials before TPE starts (COMPLETE and PRUNED trials count).
        n_ei_candidates: Candidates drawn from ``l(x)`` per suggestion. ``None`` (default, unlike
            Optuna's fixed 24): 256 while the trials are few, fewer as they grow, so that scoring
            stays at about 24,000 candidate-kernel pairs, never under 24 candidates (24 from about
            1,000 trials on). More candidates exploit ``l(x) / g(x)`` harder: on the sampler
            benchmark (``benchmarks/samplers``, 100 trials) 256 beat 24 on held-out seeds. With
            several objectives the default is 24, as in Optuna: there the larger counts lowered the
            hypervolume win rate against Optuna (52% against 61% with 24).
        gamma: ``n -> number of good trials``; a callable or a ``"module:function"`` string.
            ``None``: :func:`default_gamma`, or :func:`default_gamma_multiobjective` for several
            objectives.
        weights: ``n -> weights of n trials (oldest first)``; callable or ``"module:function"``.
        seed: Seed of the random generator: the same seed gives the same suggestions.
        multivariate: Sample the parameters every finished trial has jointly. ``None`` (default):
            on for a single objective, off for several, as in Optuna 5.
        group: With ``multivariate``, split a conditional search space into groups of parameters
            that appear together and sample each group jointly.
        warn_independent_sampling: With ``multivariate=True`` (explicitly) and no ``group``, log
            once per parameter that had to be sampled on its own (it is not in every finished trial).
        constant_liar: Count RUNNING trials as bad ones so that parallel workers spread out.
            ``None`` (default): on whenever other trials are running (``n_jobs > 1``, distributed
            workers), off otherwise. While it is on, the jointly sampled values of a trial are
            stored in its ``tpe:relative_params`` system attribute, so that other workers see
            them before the objective suggests them.
        constraints_func: ``FrozenTrial -> sequence of floats``, each > 0 when a constraint is
            violated; a callable or ``"module:function"``. The values are stored in the trial's
            ``constraints`` system attribute, and feasible trials rank above infeasible ones.
    """

    def __init__(
        self,
        *,
        consider_prior: bool = True,
        prior_weight: float = 1.0,
        consider_magic_clip: bool = True,
        consider_endpoints: bool = False,
        n_startup_trials: int = 10,
        n_ei_candidates: int | None = None,
        gamma: Callable[[int], int] | str | None = None,
        weights: Callable[[int], np.ndarray] | str = default_weights,
        seed: int | None = None,
        multivariate: bool | None = None,
        group: bool = False,
        warn_independent_sampling: bool = True,
        constant_liar: bool | None = None,
        constraints_func: ConstraintsFunc | str | None = None,
    ) -> None:
        for name, flag in (
            ("consider_prior", consider_prior),
            ("consider_magic_clip", consider_magic_clip),
            ("consider_endpoints", consider_endpoints),
            ("group", group),
            ("warn_independent_sampling", warn_independent_sampling),
        ):
            if not isinstance(flag, bool):
                raise ValueError(f"TPESampler {name} must be True or False, got {flag!r}.")
        for name, option in (("multivariate", multivariate), ("constant_liar", constant_liar)):
            if option is not None and not isinstance(option, bool):
                raise ValueError(f"TPESampler {name} must be True, False or None (automatic), got {option!r}.")
        if isinstance(prior_weight, bool) or not isinstance(prior_weight, (int, float)) or not prior_weight >= 0:
            raise ValueError(f"TPESampler prior_weight must be a number >= 0, got {prior_weight!r}.")
        _check_int("n_startup_trials", n_startup_trials, minimum=0)
        if n_ei_candidates is not None:
            _check_int("n_ei_candidates", n_ei_candidates, minimum=1)
        if seed is not None:
            _check_int("seed", seed, minimum=0)
        if group and multivariate is False:
            raise ValueError("TPESampler group=True needs the multivariate TPE: drop multivariate=False.")

        self._parameters = ParzenEstimatorParameters(
            consider_prior=consider_prior,
            prior_weight=float(prior_weight),
            consider_magic_clip=consider_magic_clip,
            consider_endpoints=consider_endpoints,
        )
        self._n_startup_trials = n_startup_trials
        self._n_ei_candidates = n_ei_candidates
        self._gamma = None if gamma is None else _resolve("gamma", gamma)
        self._weights = _resolve("weights", weights)
        self._weights_cache: dict[int, np.ndarray] = {}
        self._seed = seed
        self._rng = np.random.RandomState(seed)
        self._multivariate = multivariate
        self._group = group
        self._warn_independent_sampling = warn_independent_sampling
        self._warned: set[str] = set()
        self._constant_liar = constant_liar
        self._constraints_func = None if constraints_func is None else _resolve("constraints_func", constraints_func)
        self._histories: dict[int | None, TrialHistory] = {}  # by Hyperband bracket (None: the whole study)
        self._lock = threading.Lock()

    def __getstate__(self) -> dict[str, Any]:
        state = self.__dict__.copy()
        del state["_lock"]
        return state

    def __setstate__(self, state: dict[str, Any]) -> None:
        self.__dict__.update(state)
        self._lock = threading.Lock()

    @staticmethod
    def hyperopt_parameters() -> dict[str, Any]:
        """The defaults of hyperopt 0.1.2, as keyword arguments: ``TPESampler(**TPESampler.hyperopt_parameters())``."""
        return {
            "consider_prior": True,
            "prior_weight": 1.0,
            "consider_magic_clip": True,
            "consider_endpoints": False,
            "n_startup_trials": 20,
            "n_ei_candidates": 24,
            "gamma": hyperopt_default_gamma,
            "weights": default_weights,
        }

    def reseed_rng(self) -> None:
        self._rng = np.random.RandomState()

    # --- the sampler interface ------------------------------------------------------------------
    def infer_relative_search_space(self, study: Study, trial: FrozenTrial) -> dict[str, BaseDistribution]:
        if not self._is_multivariate(study):
            return {}
        study = filter_study(study, trial)
        with self._lock:
            history = self._history_of(study)
            history.sync(study)
            spaces = history.groups if self._group else [history.intersection or {}]
            return {name: d for space in spaces for name, d in sorted(space.items()) if not d.single()}

    def sample_relative(
        self, study: Study, trial: FrozenTrial, search_space: dict[str, BaseDistribution]
    ) -> dict[str, Any]:
        if not search_space:
            return {}
        study = filter_study(study, trial)
        with self._lock:
            history = self._history_of(study)
            running = history.sync(study)
            if history.n < self._n_startup_trials:
                return {}
            liars = self._liars(trial, running)
            if self._group:
                subspaces = [{k: search_space[k] for k in group if k in search_space} for group in history.groups]
            else:
                subspaces = [search_space]
            params: dict[str, Any] = {}
            for subspace in subspaces:
                if subspace:
                    params.update(self._sample(study, history, subspace, liars))
        if params and liars is not None:
            # Let the other workers' constant liar see these values before the objective suggests them.
            study.storage.set_trial_system_attr(trial.trial_id, RELATIVE_PARAMS_KEY, params)
        return params

    def sample_independent(
        self, study: Study, trial: FrozenTrial, param_name: str, param_distribution: BaseDistribution
    ) -> Any:
        study = filter_study(study, trial)
        with self._lock:
            history = self._history_of(study)
            running = history.sync(study)
            if history.n < self._n_startup_trials:
                return sample_uniform(self._rng, param_distribution)
            self._warn_independent(history, trial, param_name)
            space = {param_name: param_distribution}
            return self._sample(study, history, space, self._liars(trial, running))[param_name]

    def after_trial(
        self, study: Study, trial: FrozenTrial, state: TrialState, values: Sequence[float] | None
    ) -> None:
        store_constraints(self._constraints_func, study, trial, state)

    # --- TPE --------------------------------------------------------------------------------------
    def _history_of(self, study: Study) -> TrialHistory:
        """The finished trials ``study`` shows (a Hyperband bracket's have a history of their own)."""
        history = self._histories.get(view_key(study))
        if history is None:
            history = self._histories[view_key(study)] = TrialHistory()
        return history

    def _is_multivariate(self, study: Study) -> bool:
        if self._multivariate is not None:
            return self._multivariate
        return self._group or len(study.directions) == 1

    def _liars(self, trial: FrozenTrial, running: list[FrozenTrial]) -> list[FrozenTrial] | None:
        """The running trials to count as bad, or None when the constant liar is off."""
        others = [t for t in running if t.number != trial.number]
        if self._constant_liar is False or (self._constant_liar is None and not others):
            return None
        return others

    def _sample(
        self,
        study: Study,
        history: TrialHistory,
        space: dict[str, BaseDistribution],
        liars: list[FrozenTrial] | None,
    ) -> dict[str, Any]:
        names, dists = list(space), list(space.values())
        n_objectives = len(study.directions)
        gamma = self._gamma or (default_gamma if n_objectives == 1 else default_gamma_multiobjective)
        observed, numbers, is_below = history.observations(names, history.below(gamma))
        below, above = observed[is_below], observed[~is_below]
        above_numbers = numbers[~is_below]
        if liars:
            lied = [(t.number, row) for t in liars if (row := _internal_row(t, names, dists)) is not None]
            if lied:
                above = np.vstack([above, np.array([row for _, row in lied])])
                above_numbers = np.append(above_numbers, [number for number, _ in lied])
                above = above[np.argsort(above_numbers, kind="stable")]
        below_weights = np.ones(len(below)) if n_objectives > 1 else self._checked_weights(len(below))
        groups = [(below, below_weights), (above, self._checked_weights(len(above)))]
        estimator = ParzenEstimator(groups, dists, self._parameters)
        n_candidates = self._n_ei_candidates or (_auto_candidates(len(above)) if n_objectives == 1 else _MIN_CANDIDATES)
        candidates = estimator.sample(self._rng, n_candidates)
        log_below, log_above = estimator.log_pdf(candidates)
        score = log_below - log_above
        # Equal scores (as categorical and integer candidates often have) go to the first drawn: a draw
        # from l(x) among them, whatever the rounding of the densities.
        best = candidates[int(np.flatnonzero(score >= score.max() - _SCORE_TIE)[0])]
        return {name: dist.to_external_repr(float(v)) for name, dist, v in zip(names, dists, best)}

    def _checked_weights(self, n: int) -> np.ndarray:
        """``weights(n)``, checked; the last few results are kept (each ask needs two, mostly the same)."""
        w = self._weights_cache.get(n)
        if w is not None:
            return w
        w = np.asarray(self._weights(n), dtype=float)
        if w.shape != (n,) or np.any(w < 0) or not np.all(np.isfinite(w)) or (n > 0 and w.sum() <= 0):
            raise ValueError(
                f"weights({n}) returned {w!r}; it must return {n} finite non-negative numbers, not all zero."
            )
        if len(self._weights_cache) >= 4:
            self._weights_cache.clear()
        self._weights_cache[n] = w
        return w

    def _warn_independent(self, history: TrialHistory, trial: FrozenTrial, param_name: str) -> None:
        if (
            not self._warn_independent_sampling
            or self._group
            or self._multivariate is not True
            or param_name in self._warned
            or not history.has_param(param_name)
        ):
            return
        self._warned.add(param_name)
        _logger.warning(
            f"The parameter {param_name!r} in trial#{trial.number} is sampled independently by the "
            "univariate TPE instead of jointly with the others, because it is not in every finished "
            "trial. Pass TPESampler(multivariate=True, group=True) to sample conditional parameters "
            "jointly, or warn_independent_sampling=False to silence this warning."
        )


def _auto_candidates(n_above: int) -> int:
    """The default number of EI candidates: as many as the scoring budget allows for ``n_above`` bad trials."""
    return min(_MAX_CANDIDATES, max(_MIN_CANDIDATES, _CANDIDATE_BUDGET // (n_above + 1)))


def _internal_row(trial: FrozenTrial, names: list[str], dists: list[BaseDistribution]) -> list[float] | None:
    """A running trial's values for ``names`` (suggested, or decided by relative sampling), or None."""
    relative = trial.system_attrs.get(RELATIVE_PARAMS_KEY) or {}
    params = {**relative, **trial.params}
    if not all(name in params for name in names):
        return None
    return [dist.to_internal_repr(params[name]) for name, dist in zip(names, dists)]


def _check_int(name: str, value: Any, minimum: int) -> None:
    if isinstance(value, bool) or not isinstance(value, (int, np.integer)) or value < minimum:
        raise ValueError(f"TPESampler {name} must be an integer >= {minimum}, got {value!r}.")


def _resolve(name: str, func: Callable[..., Any] | str) -> Callable[..., Any]:
    """A callable, or one imported from a ``"module:function"`` string (how specs carry functions)."""
    if isinstance(func, str):
        func = import_path(func)
    if not callable(func):
        raise ValueError(f"TPESampler {name} must be a callable or a 'module:function' string, got {func!r}.")
    return func
