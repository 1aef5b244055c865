"""``PyCmaSampler``: CMA-ES from the ``cma`` package (pycma), as optuna-integration's sampler of that name."""

from __future__ import annotations

import math
import random
import warnings
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

import numpy as np

from hpo.distributions import BaseDistribution, CategoricalDistribution, FloatDistribution, IntDistribution
from hpo.integration._imports import try_import
from hpo.logging import get_logger
from hpo.records import StudyDirection, TrialState
from hpo.samplers import BaseSampler, RandomSampler
from hpo.search_space import IntersectionSearchSpace
from hpo.trial import FrozenTrial

if TYPE_CHECKING:
    from hpo.study import Study

with try_import("cma") as _imports:
    import cma

__all__ = ["PyCmaSampler"]

_logger = get_logger(__name__)
_EPS = 1e-10


class PyCmaSampler(BaseSampler):
    """Samples the parameters shared by all finished trials with ``cma.CMAEvolutionStrategy``.

    Categorical parameters are handled by their index (ordinal), stepped and log parameters on their
    grid and log scale. The evolution strategy is rebuilt from the study's COMPLETE trials at every
    trial (a generation is told once ``popsize`` of them finished), so the sampler keeps no state
    between trials and serves parallel trials, in-process or on the coordinator. Parameters outside
    the intersection of past search spaces, and all parameters of the first ``n_startup_trials``
    trials, come from ``independent_sampler``. Single-objective studies only.
    Deprecated in Optuna 4.9 (removed in 6.0): a FutureWarning when made, as there.

    Args:
        x0: Initial mean, parameter name to value; default the centre of each range (of the log
            range on a log scale; the middle choice of a categorical).
        sigma0: Initial standard deviation; default ``min_range / 6`` over the search space
            (``len(choices) - 1`` is a categorical's range, the log range on a log scale).
        cma_stds: Multipliers of ``sigma0`` per parameter name (default 1.0).
        seed: Seed of CMA-ES and of the default independent sampler; random when ``None``.
        cma_opts: Options of ``cma.CMAEvolutionStrategy`` (``verbose`` defaults to -2);
            ``BoundaryHandler``, ``bounds``, ``CMA_stds`` and ``seed`` are set by the sampler.
        n_startup_trials: COMPLETE trials to wait for before CMA-ES takes over.
        independent_sampler: Sampler of the other parameters; default
            :class:`~hpo.samplers.RandomSampler` seeded with ``seed``.
        warn_independent_sampling: Log a warning when a parameter is sampled independently after
            the startup trials.
    """

    def __init__(
        self,
        x0: dict[str, Any] | None = None,
        sigma0: float | None = None,
        cma_stds: dict[str, float] | None = None,
        seed: int | None = None,
        cma_opts: dict[str, Any] | None = None,
        n_startup_trials: int = 1,
        independent_sampler: BaseSampler | None = None,
        warn_independent_sampling: bool = True,
    ) -> None:
        warnings.warn(
            "PyCmaSampler has been deprecated in v4.9.0. This feature will be removed in v6.0.0. "
            "See https://github.com/optuna/optuna/releases/tag/v4.9.0.",
            FutureWarning,
            stacklevel=2,
        )
        _imports.check()
        if seed is None:
            seed = random.randint(1, 2**32)
        self._x0 = x0
        self._sigma0 = sigma0
        self._cma_stds = cma_stds
        self._cma_opts = {"verbose": -2, **(cma_opts or {}), "seed": seed}
        self._n_startup_trials = n_startup_trials
        self._independent_sampler = independent_sampler or RandomSampler(seed=seed)
        self._warn_independent_sampling = warn_independent_sampling
        self._search_space = IntersectionSearchSpace()

    def reseed_rng(self) -> None:
        self._cma_opts["seed"] = random.randint(1, 2**32)
        self._independent_sampler.reseed_rng()

    def infer_relative_search_space(self, study: Study, trial: FrozenTrial) -> dict[str, BaseDistribution]:
        # cma cannot sample a single-valued parameter; the trial fills those in itself.
        return {name: dist for name, dist in self._search_space.calculate(study).items() if not dist.single()}

    def sample_relative(
        self, study: Study, trial: FrozenTrial, search_space: dict[str, BaseDistribution]
    ) -> dict[str, Any]:
        _check_single_objective(study)
        if not search_space:
            return {}
        if len(search_space) == 1:
            _logger.info(
                "PyCmaSampler does not optimize a 1-D search space; "
                f"{type(self._independent_sampler).__name__} is used instead."
            )
            self._warn_independent_sampling = False
            return {}
        if len(study.get_trials(deepcopy=False, states=(TrialState.COMPLETE,))) < self._n_startup_trials:
            return {}
        x0 = self._x0 if self._x0 is not None else _initial_x0(search_space)
        sigma0 = max(self._sigma0 if self._sigma0 is not None else _initial_sigma0(search_space), _EPS)
        space = _CmaSpace(search_space)
        es = space.strategy(x0, sigma0, self._cma_stds, dict(self._cma_opts))
        trials = study.get_trials(deepcopy=False)
        last_told = space.tell(es, trials, study.direction)
        return space.ask(es, trials, last_told)

    def sample_independent(
        self, study: Study, trial: FrozenTrial, param_name: str, param_distribution: BaseDistribution
    ) -> Any:
        _check_single_objective(study)
        if self._warn_independent_sampling:
            n_complete = len(study.get_trials(deepcopy=False, states=(TrialState.COMPLETE,)))
            if n_complete >= self._n_startup_trials:
                _logger.warning(
                    f"Parameter {param_name!r} of trial {trial.number} is sampled independently by "
                    f"{type(self._independent_sampler).__name__} instead of PyCmaSampler (optimization "
                    "performance may be degraded): PyCmaSampler does not support a dynamic search space. "
                    "Pass warn_independent_sampling=False to silence this warning if that is intended."
                )
        return self._independent_sampler.sample_independent(study, trial, param_name, param_distribution)

    def before_trial(self, study: Study, trial: FrozenTrial) -> None:
        self._independent_sampler.before_trial(study, trial)

    def after_trial(
        self, study: Study, trial: FrozenTrial, state: TrialState, values: Sequence[float] | None
    ) -> None:
        self._independent_sampler.after_trial(study, trial, state, values)


class _CmaSpace:
    """The search space in the coordinates CMA-ES works in: categorical indices, log scales, steps from low."""

    def __init__(self, search_space: dict[str, BaseDistribution]) -> None:
        self.space = search_space
        self.names = sorted(search_space)

    def bounds(self) -> tuple[list[float], list[float]]:
        lows: list[float] = []
        highs: list[float] = []
        for name in self.names:
            dist = self.space[name]
            if isinstance(dist, CategoricalDistribution):
                lows.append(-0.5)
                highs.append(len(dist.choices) - 0.5)
            elif isinstance(dist, FloatDistribution):
                if dist.step is not None:
                    lows.append(-0.5 * dist.step)
                    highs.append(dist.high - dist.low + 0.5 * dist.step)
                else:
                    lows.append(self.to_cma(name, dist.low))
                    highs.append(self.to_cma(name, dist.high) - _EPS)
            elif isinstance(dist, IntDistribution):
                if dist.log:
                    lows.append(self.to_cma(name, dist.low - 0.5))
                    highs.append(self.to_cma(name, dist.high + 0.5))
                else:
                    lows.append(dist.low - 0.5 * dist.step)
                    highs.append(dist.high + 0.5 * dist.step)
            else:
                raise NotImplementedError(f"PyCmaSampler does not support the distribution {dist!r}.")
        return lows, highs

    def strategy(
        self, x0: dict[str, Any], sigma0: float, cma_stds: dict[str, float] | None, opts: dict[str, Any]
    ) -> Any:
        missing = [name for name in self.names if name not in x0]
        if missing:
            raise ValueError(f"x0 has no initial value for parameters {missing}: give every parameter of the search "
                             "space a value, or leave x0=None for the centre of each range.")
        opts["BoundaryHandler"] = cma.BoundTransform
        opts["bounds"] = list(self.bounds())
        if cma_stds:
            opts["CMA_stds"] = [cma_stds.get(name, 1.0) for name in self.names]
        return cma.CMAEvolutionStrategy([self.to_cma(name, x0[name]) for name in self.names], sigma0, opts)

    def tell(self, es: Any, trials: list[FrozenTrial], direction: StudyDirection) -> int:
        """Tell ``es`` every full generation of COMPLETE trials; the number of the last trial told (-1: none)."""
        complete = [t for t in self._usable(trials, -1) if t.state == TrialState.COMPLETE]
        popsize = es.popsize
        last_told = -1
        sign = -1.0 if direction == StudyDirection.MAXIMIZE else 1.0
        for start in range(0, len(complete) // popsize * popsize, popsize):
            generation = complete[start:start + popsize]
            xs = [[self.to_cma(name, t.params[name]) for name in self.names] for t in generation]
            ys = [sign * t.values[0] for t in generation if t.values is not None]
            last_told = generation[-1].number
            es.ask()  # cma wants one ask() before each tell()
            es.tell(xs, ys)
        return last_told

    def ask(self, es: Any, trials: list[FrozenTrial], last_told: int) -> dict[str, Any]:
        """The next individual of the current generation (past ``popsize``, of the generations after it)."""
        index = len(self._usable(trials, last_told))
        while index >= es.popsize:
            index -= es.popsize
            es.ask()
        x = es.ask()[index]
        return {name: self.to_hpo(name, float(value)) for name, value in zip(self.names, x)}

    def _usable(self, trials: list[FrozenTrial], after: int) -> list[FrozenTrial]:
        """Trials numbered after ``after`` whose parameters lie in the search space."""
        return [t for t in trials if t.number > after and all(self._contains(name, t) for name in self.names)]

    def _contains(self, name: str, trial: FrozenTrial) -> bool:
        dist = self.space[name]
        if name not in trial.params or type(trial.distributions[name]) is not type(dist):
            return False
        value = trial.params[name]
        if isinstance(dist, CategoricalDistribution):
            return any(value == c and type(value) is type(c) for c in dist.choices)
        assert isinstance(dist, (FloatDistribution, IntDistribution))
        return bool(dist.low <= value <= dist.high)

    def to_cma(self, name: str, value: Any) -> float:
        dist = self.space[name]
        if isinstance(dist, CategoricalDistribution):
            return float(dist.choices.index(value))
        assert isinstance(dist, (FloatDistribution, IntDistribution))
        if dist.log:
            return math.log(value)
        if isinstance(dist, FloatDistribution) and dist.step is not None:
            return float(value - dist.low)
        return float(value)

    def to_hpo(self, name: str, value: float) -> Any:
        dist = self.space[name]
        if isinstance(dist, CategoricalDistribution):
            return dist.choices[int(np.round(value))]
        if isinstance(dist, FloatDistribution):
            if dist.log:
                return math.exp(value)
            if dist.step is not None:
                stepped = float(np.round(value / dist.step) * dist.step + dist.low)
                return min(max(stepped, dist.low), dist.high)
            return value
        assert isinstance(dist, IntDistribution)
        if dist.log:
            return int(min(max(np.round(math.exp(value)), dist.low), dist.high))
        return int(np.round((value - dist.low) / dist.step) * dist.step + dist.low)


def _initial_x0(search_space: dict[str, BaseDistribution]) -> dict[str, Any]:
    x0: dict[str, Any] = {}
    for name, dist in search_space.items():
        if isinstance(dist, CategoricalDistribution):
            x0[name] = dist.choices[(len(dist.choices) - 1) // 2]
        elif isinstance(dist, (FloatDistribution, IntDistribution)):
            if dist.log:
                x0[name] = math.exp((math.log(dist.low) + math.log(dist.high)) / 2)
            elif isinstance(dist, IntDistribution):
                x0[name] = int((dist.low + dist.high) / 2)
            else:
                x0[name] = (dist.low + dist.high) / 2
        else:
            raise NotImplementedError(f"PyCmaSampler does not support the distribution {dist!r}.")
    return x0


def _initial_sigma0(search_space: dict[str, BaseDistribution]) -> float:
    sigmas = []
    for dist in search_space.values():
        if isinstance(dist, CategoricalDistribution):
            sigmas.append((len(dist.choices) - 1) / 6)
        elif isinstance(dist, (FloatDistribution, IntDistribution)):
            if dist.log:
                sigmas.append((math.log(dist.high) - math.log(dist.low)) / 6)
            else:
                sigmas.append((dist.high - dist.low) / 6)
        else:
            raise NotImplementedError(f"PyCmaSampler does not support the distribution {dist!r}.")
    return min(sigmas)


def _check_single_objective(study: Study) -> None:
    if len(study.directions) > 1:
        raise ValueError(
            "PyCmaSampler optimizes a single objective, but this study has several directions. Use "
            "NSGAIISampler or TPESampler for multi-objective studies."
        )
