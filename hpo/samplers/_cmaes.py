"""CMA-ES on the ``cmaes`` library: a Gaussian search distribution that moves toward good points."""

from __future__ import annotations

import math
import threading
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, TypeAlias

import cmaes
import numpy as np

from hpo.distributions import BaseDistribution, FloatDistribution, IntDistribution
from hpo.logging import get_logger
from hpo.records import StudyDirection, TrialState
from hpo.samplers._base import BaseSampler, IndependentFallbackSampler
from hpo.samplers._numerical_transform import NumericalTransform
from hpo.search_space import IntersectionSearchSpace
from hpo.trial import FrozenTrial

if TYPE_CHECKING:
    from hpo.study import Study

_logger = get_logger(__name__)

_Optimizer: TypeAlias = cmaes.CMA | cmaes.SepCMA | cmaes.CMAwM
_EPS = 1e-10
_RESTART_STRATEGIES = (None, "ipop", "bipop")


@dataclass
class _Regime:
    """How the current CMA-ES run started: its mean, population and the BIPOP budget counters."""

    mean: list[float] | None
    popsize: int
    poptype: str = "small"
    n_large_restarts: int = 0
    small_n_eval: int = 0
    large_n_eval: int = 0


@dataclass
class _Run:
    """The optimizer of one study, and the generation (counted over restarts) its trials carry."""

    space: dict[str, BaseDistribution]
    transform: NumericalTransform
    optimizer: _Optimizer
    regime: _Regime
    generation: int = 0
    n_restarts: int = 0
    last_told: list[tuple[int, float]] = field(default_factory=list)  # (trial id, value) of the last generation
    warned_dynamic_space: bool = False


class CmaEsSampler(IndependentFallbackSampler):
    """Samples the float and int parameters shared by all finished trials with CMA-ES.

    The first ``n_startup_trials`` trials, categorical parameters, and parameters outside the
    intersection of past trials' search spaces are drawn by ``independent_sampler``. Trials are
    tagged with the generation they were asked for; a generation is told to CMA-ES once
    ``popsize`` of its trials are finished, so trials may run in parallel. The optimizer lives in
    memory and is rebuilt from the trials' history (deterministically) when the sampler is new or
    the study is not the one it learned from; restarts are recorded in the study's system attributes.

    Args:
        x0: Initial mean, parameter name to value; missing names start at their range's centre.
        sigma0: Initial step size in the unit cube the sampler works in (each range scaled to
            ``[0, 1]``); default ``1/6``.
        n_startup_trials: Finished trials to wait for before CMA-ES takes over.
        independent_sampler: Sampler for the rest; default :class:`~hpo.samplers.TPESampler` seeded
            with ``seed``.
        warn_independent_sampling: Log a warning when a parameter is sampled independently after
            the startup trials.
        seed: Seed for reproducible runs.
        consider_pruned_trials: Tell CMA-ES pruned trials too, with their last intermediate value.
        restart_strategy: ``None``, ``"ipop"`` (restart with a population ``inc_popsize`` times
            larger when CMA-ES converges) or ``"bipop"`` (alternate large and small populations).
        popsize: Population size of the first run; default ``4 + floor(3 ln(dim))``.
        inc_popsize: Population multiplier at each large restart.
        use_separable_cma: Diagonal covariance (sep-CMA-ES), faster on separable problems.
        with_margin: CMA-ES with margin, which keeps stepped and int parameters from freezing.
        lr_adapt: Learning-rate adaptation, for multimodal and noisy problems.
        source_trials: Trials of a similar task for warm starting (WS-CMA-ES): finished
            :class:`~hpo.trial.FrozenTrial` objects or ``{"params": {...}, "value": v}`` mappings
            (mappings let the sampler travel as a JSON spec).
    """

    _fallback_warning = (
        "Parameter {param!r} of trial {number} is sampled independently by {sampler} instead of CmaEsSampler, "
        "because it is categorical or not in every past trial. Pass warn_independent_sampling=False to "
        "silence this warning if that is intended."
    )

    def __init__(
        self,
        x0: dict[str, Any] | None = None,
        sigma0: float | None = None,
        n_startup_trials: int = 1,
        independent_sampler: BaseSampler | None = None,
        warn_independent_sampling: bool = True,
        seed: int | None = None,
        *,
        consider_pruned_trials: bool = False,
        restart_strategy: str | None = None,
        popsize: int | None = None,
        inc_popsize: int = 2,
        use_separable_cma: bool = False,
        with_margin: bool = False,
        lr_adapt: bool = False,
        source_trials: Sequence[FrozenTrial | Mapping[str, Any]] | None = None,
    ) -> None:
        _check_options(
            x0, sigma0, n_startup_trials, independent_sampler, seed, restart_strategy, popsize, inc_popsize,
            use_separable_cma, with_margin, lr_adapt, source_trials,
        )
        self._x0 = x0
        self._sigma0 = sigma0
        self._n_startup_trials = n_startup_trials
        self._independent_sampler = independent_sampler or _default_independent_sampler(seed)
        self._warn_independent_sampling = warn_independent_sampling
        self._seed = seed
        self._rng = np.random.RandomState(seed)
        self._consider_pruned_trials = consider_pruned_trials
        self._restart_strategy = restart_strategy
        self._popsize = popsize
        self._inc_popsize = inc_popsize
        self._use_separable_cma = use_separable_cma
        self._with_margin = with_margin
        self._lr_adapt = lr_adapt
        self._source_trials = list(source_trials) if source_trials is not None else None
        self._prefix = "sepcma:" if use_separable_cma else ("cmawm:" if with_margin else "cma:")
        self._search_spaces: dict[tuple[int, int, str], IntersectionSearchSpace] = {}
        self._runs: dict[tuple[int, str], _Run] = {}
        # per study: finished trial id -> (value to minimize, generation tag), or None if not learnable
        self._seen: dict[tuple[int, int, str], dict[int, tuple[float, int | None] | None]] = {}
        self._lock = threading.Lock()

    def __repr__(self) -> str:
        return f"CmaEsSampler(seed={self._seed!r}, restart_strategy={self._restart_strategy!r})"

    def reseed_rng(self) -> None:
        self._rng = np.random.RandomState()
        super().reseed_rng()

    # --- the sampler interface -----------------------------------------------------------------
    def infer_relative_search_space(self, study: Study, trial: FrozenTrial) -> dict[str, BaseDistribution]:
        with self._lock:
            space = self._search_spaces.setdefault(_study_key(study), IntersectionSearchSpace())
            names_and_dists = space.calculate(study).items()
        return {
            name: dist
            for name, dist in names_and_dists
            if isinstance(dist, (FloatDistribution, IntDistribution)) and not dist.single()
        }

    def sample_relative(
        self, study: Study, trial: FrozenTrial, search_space: dict[str, BaseDistribution]
    ) -> dict[str, Any]:
        _check_single_objective(study)
        if not search_space:
            return {}
        finished = self._finished_trials(study)
        if len(finished) < self._n_startup_trials:
            return {}
        with self._lock:
            run = self._runs.get((study.study_id, study.study_name))
            if run is None or not self._agrees_with(run, finished):
                run = self._runs[(study.study_id, study.study_name)] = self._new_run(study, search_space)
            if run.space != search_space:
                if self._warn_independent_sampling and not run.warned_dynamic_space:
                    _logger.warning(
                        "CmaEsSampler does not support a search space that changes during the study; "
                        f"{type(self._independent_sampler).__name__} samples the parameters from now on."
                    )
                    run.warned_dynamic_space = True
                return {}
            self._advance(study, run, finished)
            run.optimizer.reseed_rng(int(self._rng.randint(1, 2**31 - 1)))
            if isinstance(run.optimizer, cmaes.CMAwM):
                x, x_for_tell = run.optimizer.ask()
                study.storage.set_trial_system_attr(trial.trial_id, self._prefix + "x_for_tell", x_for_tell.tolist())
            else:
                x = run.optimizer.ask()
            study.storage.set_trial_system_attr(trial.trial_id, self._prefix + "generation", run.generation)
        return run.transform.untransform(x)

    def sample_independent(
        self, study: Study, trial: FrozenTrial, param_name: str, param_distribution: BaseDistribution
    ) -> Any:
        _check_single_objective(study)
        return super().sample_independent(study, trial, param_name, param_distribution)

    def _warns_fallback(self, study: Study) -> bool:
        return self._warn_independent_sampling and len(self._finished_trials(study)) >= self._n_startup_trials

    # --- the CMA-ES run ----------------------------------------------------------------------
    def _finished_trials(self, study: Study) -> list[_Finished]:
        """Trials CMA-ES may learn from, with the value to minimize and their generation tag.

        Finished trials are immutable, so each is read once per study (later asks look it up).
        """
        states = (TrialState.COMPLETE, TrialState.PRUNED) if self._consider_pruned_trials else (TrialState.COMPLETE,)
        seen = self._seen.setdefault(_study_key(study), {})
        finished: list[_Finished] = []
        for t in study.get_trials(deepcopy=False, states=states):
            if t.trial_id in seen:
                entry = seen[t.trial_id]
            else:
                entry = seen[t.trial_id] = self._learnable(study, t)
            if entry is not None:
                finished.append((t, *entry))
        return finished

    def _learnable(self, study: Study, trial: FrozenTrial) -> tuple[float, int | None] | None:
        """A finished trial's value to minimize and generation tag, or None if CMA-ES cannot learn from it."""
        sign = -1.0 if study.direction == StudyDirection.MAXIMIZE else 1.0
        generation = trial.system_attrs.get(self._prefix + "generation")
        if trial.state == TrialState.COMPLETE:
            assert trial.value is not None
            return sign * trial.value, generation
        last = trial.intermediate_values[max(trial.intermediate_values)] if trial.intermediate_values else None
        return None if last is None or math.isnan(last) else (sign * last, generation)

    def _new_run(self, study: Study, search_space: dict[str, BaseDistribution]) -> _Run:
        transform = NumericalTransform(search_space, transform_step=not self._with_margin, unit_cube=True)
        dim = len(search_space)
        popsize = self._popsize or 4 + math.floor(3 * math.log(dim))
        cov = None
        sigma = 1.0 / 6.0 if self._sigma0 is None else self._sigma0
        if self._source_trials is not None:
            mean, sigma, cov = cmaes.get_warm_start_mgd(self._source_solutions(study, transform))
        elif self._x0 is not None:
            mean = transform.transform(_start_point(self._x0, search_space))
        else:
            mean = np.full(dim, 0.5)
        regime = _Regime(mean=None, popsize=popsize)
        optimizer = self._make_optimizer(transform, np.clip(mean, 0.0, 1.0), max(sigma, _EPS), cov, popsize)
        return _Run(space=dict(search_space), transform=transform, optimizer=optimizer, regime=regime)

    def _source_solutions(self, study: Study, transform: NumericalTransform) -> list[tuple[np.ndarray, float]]:
        sign = -1.0 if study.direction == StudyDirection.MAXIMIZE else 1.0
        space = transform.distributions
        solutions = []
        for source in self._source_trials or []:
            if isinstance(source, FrozenTrial):
                if source.state != TrialState.COMPLETE or source.value is None:
                    continue
                params, value = source.params, source.value
            else:
                params, value = source["params"], source["value"]
            if set(params) == set(space) and all(
                dist._contains(dist.to_internal_repr(params[name])) for name, dist in space.items()
            ):
                solutions.append((transform.transform(params), sign * float(value)))
        if not solutions:
            raise ValueError(
                f"None of the source_trials is a finished trial with exactly the parameters {sorted(space)} inside "
                "their ranges, so CmaEsSampler cannot warm start. Pass source trials of a similar task with the "
                "same search space, or source_trials=None."
            )
        return solutions

    def _make_optimizer(
        self, transform: NumericalTransform, mean: np.ndarray, sigma: float, cov: np.ndarray | None, popsize: int
    ) -> _Optimizer:
        bounds = transform.bounds
        seed = int(self._rng.randint(1, 2**31 - 1))
        common = {"bounds": bounds, "seed": seed, "n_max_resampling": 10 * len(mean), "population_size": popsize}
        if self._use_separable_cma and len(mean) > 1:
            return cmaes.SepCMA(mean=mean, sigma=sigma, **common)
        if self._with_margin:
            steps = np.array([_unit_step(dist) for dist in transform.distributions.values()])
            return cmaes.CMAwM(mean=mean, sigma=sigma, steps=steps, cov=cov, **common)
        return cmaes.CMA(mean=mean, sigma=sigma, cov=cov, lr_adapt=self._lr_adapt, **common)

    def _agrees_with(self, run: _Run, finished: list[_Finished]) -> bool:
        """Whether the trials ``run`` last learned from are in the study (not, say, in a namesake elsewhere)."""
        last = {(t.trial_id, value) for t, value, generation in finished if generation == run.generation - 1}
        return set(run.last_told) <= last

    def _advance(self, study: Study, run: _Run, finished: list[_Finished]) -> None:
        """Tell every generation that has ``popsize`` finished trials, restarting when CMA-ES converges."""
        by_generation: dict[int, list[tuple[FrozenTrial, float]]] = {}
        for t, value, generation in finished:
            if generation is not None and generation >= run.generation:
                by_generation.setdefault(generation, []).append((t, value))
        while len(by_generation.get(run.generation, ())) >= run.optimizer.population_size:
            told = by_generation[run.generation][: run.optimizer.population_size]
            run.optimizer.tell([(self._told_point(run, t), value) for t, value in told])
            run.last_told = [(t.trial_id, value) for t, value in told]
            run.generation += 1
            if self._restart_strategy is not None and run.optimizer.should_stop():
                self._restart(study, run)

    def _told_point(self, run: _Run, trial: FrozenTrial) -> np.ndarray:
        x_for_tell = trial.system_attrs.get(self._prefix + "x_for_tell")
        if isinstance(run.optimizer, cmaes.CMAwM) and x_for_tell is not None:
            return np.array(x_for_tell, dtype=float)
        return run.transform.transform(trial.params)

    def _restart(self, study: Study, run: _Run) -> None:
        """Start a new run; its regime is stored in the study so that a rebuilt sampler replays it."""
        key = f"{self._prefix}restart:{run.n_restarts + 1}"
        stored = study.storage.get_study_system_attrs(study.study_id).get(key)
        if stored is not None:
            regime = _Regime(**stored)
        else:
            regime = self._next_regime(run)
            study.storage.set_study_system_attr(study.study_id, key, regime.__dict__)
        assert regime.mean is not None
        sigma = 1.0 / 6.0 if self._sigma0 is None else self._sigma0
        run.optimizer = self._make_optimizer(run.transform, np.array(regime.mean), sigma, None, regime.popsize)
        run.regime = regime
        run.n_restarts += 1

    def _next_regime(self, run: _Run) -> _Regime:
        old = run.regime
        popsize0 = self._popsize or 4 + math.floor(3 * math.log(run.optimizer.dim))
        n_eval = run.optimizer.population_size * run.optimizer.generation
        small_n_eval = old.small_n_eval + (n_eval if old.poptype == "small" else 0)
        large_n_eval = old.large_n_eval + (n_eval if old.poptype == "large" else 0)
        n_large = old.n_large_restarts
        if self._restart_strategy == "bipop" and small_n_eval < large_n_eval:
            poptype = "small"
            popsize = max(2, math.floor(popsize0 * (self._inc_popsize**n_large) ** (self._rng.uniform() ** 2)))
        else:
            poptype = "large"
            n_large += 1
            popsize = popsize0 * self._inc_popsize**n_large
        mean = [float(m) for m in self._rng.uniform(0.0, 1.0, size=run.optimizer.dim)]
        return _Regime(mean, popsize, poptype, n_large, small_n_eval, large_n_eval)


# A trial CMA-ES may learn from: value to minimize, generation.
_Finished: TypeAlias = "tuple[FrozenTrial, float, int | None]"


def _study_key(study: Study) -> tuple[int, int, str]:
    return id(study.storage), study.study_id, study.study_name


def _center_value(dist: BaseDistribution) -> float:
    assert isinstance(dist, (FloatDistribution, IntDistribution))
    if dist.log:
        return math.exp((math.log(dist.low) + math.log(dist.high)) / 2)
    return (dist.low + dist.high) / 2


def _start_point(x0: Mapping[str, Any], search_space: dict[str, BaseDistribution]) -> dict[str, Any]:
    """``x0`` completed with the centre of each range it does not name."""
    for name, value in x0.items():
        dist = search_space.get(name)
        if dist is not None and not dist._contains(dist.to_internal_repr(value)):
            raise ValueError(f"x0[{name!r}] = {value!r} is outside {dist!r}; give a starting value inside it.")
    return {name: x0.get(name, _center_value(dist)) for name, dist in search_space.items()}


def _unit_step(dist: BaseDistribution) -> float:
    """The grid step of a stepped parameter in the unit cube; 0 for continuous ones."""
    assert isinstance(dist, (FloatDistribution, IntDistribution))
    if dist.step is None or dist.log:
        return 0.0
    return dist.step / (dist.high - dist.low)


def _check_single_objective(study: Study) -> None:
    if len(study.directions) > 1:
        raise ValueError(
            "CmaEsSampler optimizes a single objective, but this study has several directions. Use "
            "NSGAIISampler or TPESampler for multi-objective studies."
        )


def _default_independent_sampler(seed: int | None) -> BaseSampler:
    from hpo.samplers._tpe import TPESampler  # here: TPE is loaded only when a CmaEsSampler needs it

    return TPESampler(seed=seed)


def _check_options(
    x0: Any, sigma0: Any, n_startup_trials: Any, independent_sampler: Any, seed: Any, restart_strategy: Any,
    popsize: Any, inc_popsize: Any, use_separable_cma: bool, with_margin: bool, lr_adapt: bool, source_trials: Any,
) -> None:
    if x0 is not None and not isinstance(x0, Mapping):
        raise TypeError(f"x0 must be a dict of parameter name to initial value, got {type(x0).__name__} {x0!r}.")
    if sigma0 is not None and (isinstance(sigma0, bool) or not isinstance(sigma0, (int, float)) or not sigma0 > 0):
        raise ValueError(f"sigma0 must be a positive number or None, got {sigma0!r}.")
    if isinstance(n_startup_trials, bool) or not isinstance(n_startup_trials, int) or n_startup_trials < 0:
        raise ValueError(f"n_startup_trials must be a non-negative integer, got {n_startup_trials!r}.")
    if independent_sampler is not None and not isinstance(independent_sampler, BaseSampler):
        raise TypeError(f"independent_sampler must be a sampler (a BaseSampler) or None, got {independent_sampler!r}.")
    if seed is not None and (isinstance(seed, bool) or not isinstance(seed, int)):
        raise TypeError(f"seed must be an integer or None, got {seed!r}.")
    if restart_strategy not in _RESTART_STRATEGIES:
        raise ValueError(f"restart_strategy must be None, 'ipop' or 'bipop', got {restart_strategy!r}.")
    if popsize is not None and (isinstance(popsize, bool) or not isinstance(popsize, int) or popsize < 2):
        raise ValueError(f"popsize must be an integer >= 2 or None (automatic), got {popsize!r}.")
    if isinstance(inc_popsize, bool) or not isinstance(inc_popsize, int) or inc_popsize < 1:
        raise ValueError(f"inc_popsize must be a positive integer, got {inc_popsize!r}.")
    if use_separable_cma and with_margin:
        raise ValueError("use_separable_cma=True and with_margin=True cannot be combined; choose one.")
    if lr_adapt and (use_separable_cma or with_margin):
        raise ValueError("lr_adapt=True works with plain CMA-ES only; set use_separable_cma and with_margin to False.")
    if source_trials is not None:
        if x0 is not None or sigma0 is not None:
            raise ValueError("source_trials sets the initial mean and step size; do not pass x0 or sigma0 with it.")
        if use_separable_cma:
            raise ValueError("source_trials (warm start) does not support use_separable_cma=True.")
        for source in source_trials:
            if not isinstance(source, FrozenTrial) and not (
                isinstance(source, Mapping) and "params" in source and "value" in source
            ):
                raise TypeError(
                    f"Each source trial must be a FrozenTrial or a mapping with 'params' and 'value', got {source!r}."
                )
