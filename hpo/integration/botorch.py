"""``BoTorchSampler``: Bayesian optimization with BoTorch Gaussian processes, as optuna-integration's sampler,
and its candidate functions (``logei_candidates_func``, ``qehvi_candidates_func``, ...).

A candidates function gets the COMPLETE trials' parameters ``train_x`` (``(n, d)``, log scales as logs,
choices one-hot), their objective values ``train_obj`` (``(n, m)``, to *maximize*: minimized objectives
are negated), the constraint values ``train_con`` (``(n, c)``, feasible when <= 0; ``None`` without
``constraints_func``), the ``bounds`` (``(2, d)``) and the running trials' parameters ``pending_x`` (or
``None``), and returns the next candidate, a tensor of shape ``(d,)`` or ``(1, d)``.
"""

from __future__ import annotations

import math
import warnings
from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING, Any

import numpy as np

from hpo.distributions import BaseDistribution, CategoricalDistribution, FloatDistribution, IntDistribution
from hpo.exceptions import ExperimentalWarning
from hpo.integration._imports import try_import
from hpo.logging import get_logger
from hpo.records import CONSTRAINTS_KEY, StudyDirection, TrialState
from hpo.samplers import BaseSampler, RandomSampler
from hpo.search_space import IntersectionSearchSpace
from hpo.trial import FrozenTrial

if TYPE_CHECKING:
    from hpo.study import Study

with try_import("botorch", "gpytorch", "torch") as _imports:
    import torch
    from botorch.acquisition.analytic import LogConstrainedExpectedImprovement, LogExpectedImprovement
    from botorch.acquisition.knowledge_gradient import qKnowledgeGradient
    from botorch.acquisition.logei import qLogExpectedImprovement
    from botorch.acquisition.monte_carlo import qExpectedImprovement, qNoisyExpectedImprovement
    from botorch.acquisition.multi_objective import monte_carlo
    from botorch.acquisition.multi_objective.analytic import ExpectedHypervolumeImprovement
    from botorch.acquisition.multi_objective.hypervolume_knowledge_gradient import qHypervolumeKnowledgeGradient
    from botorch.acquisition.multi_objective.logei import (
        qLogExpectedHypervolumeImprovement,
        qLogNoisyExpectedHypervolumeImprovement,
    )
    from botorch.acquisition.multi_objective.objective import (
        FeasibilityWeightedMCMultiOutputObjective,
        IdentityMCMultiOutputObjective,
    )
    from botorch.acquisition.objective import ConstrainedMCObjective, GenericMCObjective
    from botorch.fit import fit_gpytorch_mll
    from botorch.models import ModelListGP, SingleTaskGP
    from botorch.models.transforms.outcome import Standardize
    from botorch.optim import optimize_acqf
    from botorch.sampling import SobolQMCNormalSampler
    from botorch.sampling.list_sampler import ListSampler
    from botorch.utils.multi_objective.box_decompositions import NondominatedPartitioning
    from botorch.utils.multi_objective.scalarization import get_chebyshev_scalarization
    from botorch.utils.sampling import manual_seed, sample_simplex
    from botorch.utils.transforms import normalize, unnormalize
    from gpytorch.mlls import ExactMarginalLogLikelihood
    from gpytorch.mlls.sum_marginal_log_likelihood import SumMarginalLogLikelihood

__all__ = [
    "BoTorchSampler",
    "ehvi_candidates_func",
    "logei_candidates_func",
    "qehvi_candidates_func",
    "qei_candidates_func",
    "qhvkg_candidates_func",
    "qkg_candidates_func",
    "qlogei_candidates_func",
    "qlogei_parego_candidates_func",
    "qnehvi_candidates_func",
    "qnei_candidates_func",
    "qparego_candidates_func",
]

_logger = get_logger(__name__)

#: ``(train_x, train_obj, train_con, bounds, pending_x) -> candidates``; see the module docstring.
CandidatesFunc = Callable[[Any, Any, Any, Any, Any], Any]


# --- the shared steps of the candidate functions ------------------------------------------------
def _experimental(name: str, version: str) -> None:
    warnings.warn(
        f"{name} is experimental (supported from v{version}). The interface can change in the future.",
        ExperimentalWarning,
        stacklevel=3,
    )


def _get_constraint_funcs(n_constraints: int) -> list[Callable[[Any], Any]]:
    """Per constraint, the function picking its output (the last ``n_constraints`` columns) from samples."""

    def pick(i: int) -> Callable[[Any], Any]:
        return lambda z: z[..., -n_constraints + i]

    return [pick(i) for i in range(n_constraints)]


def _fit_gp(train_x: Any, train_y: Any) -> Any:
    model = SingleTaskGP(train_x, train_y, outcome_transform=Standardize(m=train_y.size(-1)))
    fit_gpytorch_mll(ExactMarginalLogLikelihood(model.likelihood, model))
    return model


def _optimize(acqf: Any, bounds: Any, num_restarts: int, raw_samples: int, options: dict[str, Any],
              sequential: bool = True) -> Any:
    """Maximize ``acqf`` over the unit cube; the best point in the original ``bounds``."""
    unit = torch.zeros_like(bounds)
    unit[1] = 1
    candidates, _ = optimize_acqf(acq_function=acqf, bounds=unit, q=1, num_restarts=num_restarts,
                                  raw_samples=raw_samples, options=options, sequential=sequential)
    return unnormalize(candidates.detach(), bounds=bounds)


def _normalized(train_x: Any, pending_x: Any, bounds: Any) -> tuple[Any, Any]:
    return normalize(train_x, bounds=bounds), normalize(pending_x, bounds=bounds) if pending_x is not None else None


def _qmc_sampler(n: int) -> Any:
    return SobolQMCNormalSampler(torch.Size((n,)))


def _single_objective(train_obj: Any, name: str) -> None:
    if train_obj.size(-1) != 1:
        raise ValueError(f"Objective may only contain single values with {name}.")


def _best_feasible(train_obj: Any, train_con: Any, name: str) -> Any:
    """The best objective among the feasible trials (0 when none is feasible)."""
    feasible = train_obj[(train_con <= 0).all(dim=-1)]
    if feasible.numel() == 0:
        _logger.warning(f"No objective values are feasible. Using 0 as the best objective in {name}.")
        return torch.zeros(())
    return feasible.max()


def _ei_setup(train_obj: Any, train_con: Any, name: str) -> tuple[Any, Any, dict[str, Any]]:
    """``(train_y, best_f, acquisition kwargs)`` for the EI variants: constraints as extra outputs."""
    if train_con is None:
        return train_obj, train_obj.max(), {}
    # Named Z and X: BoTorch calls an objective as objective(samples, X=X).
    kwargs = {"objective": GenericMCObjective(lambda Z, X: Z[..., 0]),
              "constraints": _get_constraint_funcs(train_con.size(1))}
    return torch.cat([train_obj, train_con], dim=-1), _best_feasible(train_obj, train_con, name), kwargs


def _box_alpha(n_objectives: int) -> float:
    """Approximate box decomposition for many objectives, as Ax does."""
    return 10 ** (-8 + n_objectives) if n_objectives > 4 else 0.0


# --- the candidate functions ---------------------------------------------------------------------
def logei_candidates_func(train_x: Any, train_obj: Any, train_con: Any, bounds: Any, pending_x: Any) -> Any:
    """Log Expected Improvement (analytic; constrained with ``train_con``): the default for one objective."""
    _experimental("logei_candidates_func", "3.3.0")
    _single_objective(train_obj, "logEI")
    n_constraints = train_con.size(1) if train_con is not None else 0
    if n_constraints > 0:
        train_y = torch.cat([train_obj, train_con], dim=-1)
        feasible = train_obj[(train_con <= 0).all(dim=-1)]
        if feasible.numel() == 0:
            _logger.warning("No objective values are feasible. Using 0 as the best objective in logEI.")
            best_f = train_obj.min()
        else:
            best_f = feasible.max()
    else:
        train_y, best_f = train_obj, train_obj.max()
    model = _fit_gp(normalize(train_x, bounds=bounds), train_y)
    acqf: Any
    if n_constraints > 0:
        acqf = LogConstrainedExpectedImprovement(
            model=model, best_f=best_f, objective_index=0,
            constraints={i: (None, 0.0) for i in range(1, n_constraints + 1)},
        )
    else:
        acqf = LogExpectedImprovement(model=model, best_f=best_f)
    return _optimize(acqf, bounds, 10, 512, {"batch_limit": 5, "maxiter": 200})


def qei_candidates_func(train_x: Any, train_obj: Any, train_con: Any, bounds: Any, pending_x: Any) -> Any:
    """Quasi MC-based batch Expected Improvement: the default for one objective with running trials."""
    _experimental("qei_candidates_func", "2.4.0")
    _single_objective(train_obj, "qEI")
    train_y, best_f, kwargs = _ei_setup(train_obj, train_con, "qEI")
    train_x, pending_x = _normalized(train_x, pending_x, bounds)
    acqf = qExpectedImprovement(model=_fit_gp(train_x, train_y), best_f=best_f, sampler=_qmc_sampler(256),
                                X_pending=pending_x, **kwargs)
    return _optimize(acqf, bounds, 10, 512, {"batch_limit": 5, "maxiter": 200})


def qlogei_candidates_func(train_x: Any, train_obj: Any, train_con: Any, bounds: Any, pending_x: Any) -> Any:
    """Quasi MC-based batch log Expected Improvement."""
    _experimental("qlogei_candidates_func", "4.9.0")
    _single_objective(train_obj, "qLogEI")
    train_y, best_f, kwargs = _ei_setup(train_obj, train_con, "qLogEI")
    train_x, pending_x = _normalized(train_x, pending_x, bounds)
    acqf = qLogExpectedImprovement(model=_fit_gp(train_x, train_y), best_f=best_f, sampler=_qmc_sampler(256),
                                   X_pending=pending_x, **kwargs)
    return _optimize(acqf, bounds, 10, 512, {"batch_limit": 5, "maxiter": 200})


def qnei_candidates_func(train_x: Any, train_obj: Any, train_con: Any, bounds: Any, pending_x: Any) -> Any:
    """Quasi MC-based batch Noisy Expected Improvement."""
    _experimental("qnei_candidates_func", "3.3.0")
    _single_objective(train_obj, "qNEI")
    train_y, _, kwargs = _ei_setup(train_obj, train_con, "qNEI") if train_con is not None else (train_obj, None, {})
    train_x, pending_x = _normalized(train_x, pending_x, bounds)
    acqf = qNoisyExpectedImprovement(model=_fit_gp(train_x, train_y), X_baseline=train_x, sampler=_qmc_sampler(256),
                                     X_pending=pending_x, **kwargs)
    return _optimize(acqf, bounds, 10, 512, {"batch_limit": 5, "maxiter": 200})


def qehvi_candidates_func(train_x: Any, train_obj: Any, train_con: Any, bounds: Any, pending_x: Any) -> Any:
    """Quasi MC-based batch (log) Expected Hypervolume Improvement: the default for 2 or 3 objectives."""
    _experimental("qehvi_candidates_func", "2.4.0")
    n_objectives = train_obj.size(-1)
    if train_con is not None:
        train_y = torch.cat([train_obj, train_con], dim=-1)
        train_obj_feasible = train_obj[(train_con <= 0).all(dim=-1)]
        kwargs: dict[str, Any] = {
            "objective": IdentityMCMultiOutputObjective(outcomes=list(range(n_objectives))),
            "constraints": _get_constraint_funcs(train_con.size(1)),
        }
    else:
        train_y, train_obj_feasible, kwargs = train_obj, train_obj, {}
    train_x, pending_x = _normalized(train_x, pending_x, bounds)
    model = _fit_gp(train_x, train_y)
    ref_point = train_obj.min(dim=0).values - 1e-8
    partitioning = NondominatedPartitioning(ref_point=ref_point, Y=train_obj_feasible, alpha=_box_alpha(n_objectives))
    # qLogEHVI fails when the approximate decomposition pruned every cell; qEHVI then gives zero improvement.
    method = (qLogExpectedHypervolumeImprovement if partitioning.get_hypercell_bounds().shape[-2] > 0
              else monte_carlo.qExpectedHypervolumeImprovement)
    acqf = method(model=model, ref_point=ref_point.tolist(), partitioning=partitioning, sampler=_qmc_sampler(256),
                  X_pending=pending_x, **kwargs)
    return _optimize(acqf, bounds, 20, 1024, {"batch_limit": 5, "maxiter": 200, "nonnegative": True})


def ehvi_candidates_func(train_x: Any, train_obj: Any, train_con: Any, bounds: Any, pending_x: Any) -> Any:
    """Analytic Expected Hypervolume Improvement: the default for 4+ objectives without constraints."""
    _experimental("ehvi_candidates_func", "3.5.0")
    if train_con is not None:
        raise ValueError("Constraints are not supported with ehvi_candidates_func.")
    n_objectives = train_obj.size(-1)
    model = _fit_gp(normalize(train_x, bounds=bounds), train_obj)
    ref_point = train_obj.min(dim=0).values - 1e-8
    partitioning = NondominatedPartitioning(ref_point=ref_point, Y=train_obj, alpha=_box_alpha(n_objectives))
    acqf = ExpectedHypervolumeImprovement(model=model, ref_point=ref_point.tolist(), partitioning=partitioning)
    return _optimize(acqf, bounds, 20, 1024, {"batch_limit": 5, "maxiter": 200})


def qnehvi_candidates_func(train_x: Any, train_obj: Any, train_con: Any, bounds: Any, pending_x: Any) -> Any:
    """Quasi MC-based batch (log) Noisy Expected Hypervolume Improvement."""
    _experimental("qnehvi_candidates_func", "3.1.0")
    n_objectives = train_obj.size(-1)
    if train_con is not None:
        train_y = torch.cat([train_obj, train_con], dim=-1)
        kwargs: dict[str, Any] = {
            "objective": IdentityMCMultiOutputObjective(outcomes=list(range(n_objectives))),
            "constraints": _get_constraint_funcs(train_con.size(1)),
        }
    else:
        train_y, kwargs = train_obj, {}
    train_x, pending_x = _normalized(train_x, pending_x, bounds)
    model = _fit_gp(train_x, train_y)
    ref_point = train_obj.min(dim=0).values - 1e-8
    acqf = qLogNoisyExpectedHypervolumeImprovement(
        model=model, ref_point=ref_point.tolist(), X_baseline=train_x, alpha=_box_alpha(n_objectives),
        prune_baseline=True, sampler=_qmc_sampler(256), X_pending=pending_x, **kwargs,
    )
    return _optimize(acqf, bounds, 20, 1024, {"batch_limit": 5, "maxiter": 200, "nonnegative": True})


def _parego(train_x: Any, train_obj: Any, train_con: Any, bounds: Any, pending_x: Any, acqf_class: Any) -> Any:
    """qParEGO: (log) EI of a random Chebyshev scalarization of the objectives."""
    n_objectives = train_obj.size(-1)
    scalarization = get_chebyshev_scalarization(weights=sample_simplex(n_objectives).squeeze(), Y=train_obj)
    if train_con is not None:
        train_y = torch.cat([train_obj, train_con], dim=-1)
        objective = GenericMCObjective(lambda Z, X: scalarization(Z[..., :n_objectives], X))
        kwargs: dict[str, Any] = {"constraints": _get_constraint_funcs(train_con.size(1))}
    else:
        train_y, objective, kwargs = train_obj, GenericMCObjective(scalarization), {}
    train_x, pending_x = _normalized(train_x, pending_x, bounds)
    acqf = acqf_class(model=_fit_gp(train_x, train_y), best_f=objective(train_y).max(), sampler=_qmc_sampler(256),
                      objective=objective, X_pending=pending_x, **kwargs)
    return _optimize(acqf, bounds, 20, 1024, {"batch_limit": 5, "maxiter": 200})


def qparego_candidates_func(train_x: Any, train_obj: Any, train_con: Any, bounds: Any, pending_x: Any) -> Any:
    """Quasi MC-based extended ParEGO (qEI of a random scalarization): the default for 4+ objectives with
    constraints or running trials."""
    _experimental("qparego_candidates_func", "2.4.0")
    return _parego(train_x, train_obj, train_con, bounds, pending_x, qExpectedImprovement)


def qlogei_parego_candidates_func(train_x: Any, train_obj: Any, train_con: Any, bounds: Any, pending_x: Any) -> Any:
    """qParEGO with qLogEI."""
    _experimental("qlogei_parego_candidates_func", "4.9.0")
    return _parego(train_x, train_obj, train_con, bounds, pending_x, qLogExpectedImprovement)


def qkg_candidates_func(train_x: Any, train_obj: Any, train_con: Any, bounds: Any, pending_x: Any) -> Any:
    """Quasi MC-based batch Knowledge Gradient (one objective)."""
    _experimental("qkg_candidates_func", "4.0.0")
    _single_objective(train_obj, "qKG")
    if train_con is not None:
        train_y = torch.cat([train_obj, train_con], dim=-1)
        objective = ConstrainedMCObjective(objective=lambda Z, X: Z[..., 0],
                                           constraints=_get_constraint_funcs(train_con.size(1)))
    else:
        train_y, objective = train_obj, None
    train_x, pending_x = _normalized(train_x, pending_x, bounds)
    acqf = qKnowledgeGradient(model=_fit_gp(train_x, train_y), num_fantasies=256, objective=objective,
                              X_pending=pending_x)
    return _optimize(acqf, bounds, 10, 512, {"batch_limit": 8, "maxiter": 200})


def qhvkg_candidates_func(train_x: Any, train_obj: Any, train_con: Any, bounds: Any, pending_x: Any) -> Any:
    """Quasi MC-based batch Hypervolume Knowledge Gradient (several objectives), a GP per output."""
    _experimental("qhvkg_candidates_func", "4.0.0")
    train_y = torch.cat([train_obj, train_con], dim=-1) if train_con is not None else train_obj
    train_x, pending_x = _normalized(train_x, pending_x, bounds)
    model = ModelListGP(*[SingleTaskGP(train_x, train_y[..., [i]], outcome_transform=Standardize(m=1))
                          for i in range(train_y.shape[-1])])
    fit_gpytorch_mll(SumMarginalLogLikelihood(model.likelihood, model))
    n_constraints = train_con.size(1) if train_con is not None else 0
    objective = FeasibilityWeightedMCMultiOutputObjective(
        model, X_baseline=train_x, constraint_idcs=[-n_constraints + i for i in range(n_constraints)]
    )
    acqf = qHypervolumeKnowledgeGradient(
        model=model, ref_point=train_obj.min(dim=0).values - 1e-8, num_fantasies=16, X_pending=pending_x,
        objective=objective, sampler=ListSampler(*[_qmc_sampler(16) for _ in range(model.num_outputs)]),
        inner_sampler=_qmc_sampler(32),
    )
    return _optimize(acqf, bounds, 1, 1024, {"batch_limit": 4, "maxiter": 200, "nonnegative": True},
                     sequential=False)


def _default_candidates_func(n_objectives: int, has_constraint: bool, consider_running_trials: bool) -> CandidatesFunc:
    if n_objectives > 3 and not has_constraint and not consider_running_trials:
        return ehvi_candidates_func
    if n_objectives > 3:
        return qparego_candidates_func
    if n_objectives > 1:
        return qehvi_candidates_func
    if consider_running_trials:
        return qei_candidates_func
    return logei_candidates_func


# --- the sampler ---------------------------------------------------------------------------------
class BoTorchSampler(BaseSampler):
    """Samples the parameters shared by all COMPLETE trials with a BoTorch candidates function.

    Parameters are mapped to a continuous space (log scales as logs, stepped and int parameters with
    half a step beyond each end, choices one-hot) and the candidate mapped back. The first
    ``n_startup_trials`` trials (counting running ones) and parameters outside the intersection search
    space come from ``independent_sampler``. Single- and multi-objective; one study per sampler.
    Experimental, as in Optuna (so are the candidate functions).

    Args:
        candidates_func: ``(train_x, train_obj, train_con, bounds, pending_x) -> candidate`` (see the
            module docstring); by default chosen by the number of objectives, constraints and
            ``consider_running_trials``: :func:`logei_candidates_func` (one objective),
            :func:`qei_candidates_func` (one, with running trials), :func:`qehvi_candidates_func` (2-3),
            :func:`ehvi_candidates_func` (4+), :func:`qparego_candidates_func` (4+, with constraints or
            running trials).
        constraints_func: ``trial -> constraint values`` (each > 0 when violated), stored with each
            COMPLETE or PRUNED trial and passed to ``candidates_func`` as ``train_con``.
        n_startup_trials: Trials sampled by ``independent_sampler`` first.
        consider_running_trials: Pass the running trials' parameters as ``pending_x``.
        independent_sampler: Default :class:`~hpo.samplers.RandomSampler` seeded with ``seed``.
        seed: Seed of the default candidate functions (``botorch.utils.sampling.manual_seed``), advanced
            by one per candidate.
        device: The ``torch.device`` of the tensors (default CPU).
    """

    def __init__(
        self,
        *,
        candidates_func: CandidatesFunc | None = None,
        constraints_func: Callable[[FrozenTrial], Sequence[float]] | None = None,
        n_startup_trials: int = 10,
        consider_running_trials: bool = False,
        independent_sampler: BaseSampler | None = None,
        seed: int | None = None,
        device: Any = None,
    ) -> None:
        _experimental("BoTorchSampler", "2.4.0")
        _imports.check()
        self._candidates_func = candidates_func
        self._constraints_func = constraints_func
        self._consider_running_trials = consider_running_trials
        self._independent_sampler = independent_sampler or RandomSampler(seed=seed)
        self._n_startup_trials = n_startup_trials
        self._seed = seed
        self._study_id: int | None = None
        self._search_space = IntersectionSearchSpace()
        self._device = device or torch.device("cpu")

    def infer_relative_search_space(self, study: Study, trial: FrozenTrial) -> dict[str, BaseDistribution]:
        if self._study_id is None:
            self._study_id = study.study_id
        if self._study_id != study.study_id:
            raise RuntimeError("BoTorchSampler cannot handle multiple studies: make a sampler per study.")
        # The candidate functions cannot handle single-valued distributions; the trial fills those in.
        return {name: dist for name, dist in self._search_space.calculate(study).items() if not dist.single()}

    def sample_relative(
        self, study: Study, trial: FrozenTrial, search_space: dict[str, BaseDistribution]
    ) -> dict[str, Any]:
        if not search_space:
            return {}
        completed = study.get_trials(deepcopy=False, states=(TrialState.COMPLETE,))
        running = [t for t in study.get_trials(deepcopy=False, states=(TrialState.RUNNING,))
                   if t.number != trial.number]
        if len(completed) + len(running) < self._n_startup_trials:
            return {}
        space = _ContinuousSpace(search_space)
        directions = study.directions
        params = np.array([space.transform(t.params) for t in completed], dtype=np.float64).reshape(
            len(completed), space.n_columns)
        signs = np.array([-1.0 if d == StudyDirection.MINIMIZE else 1.0 for d in directions])  # BoTorch maximizes
        values = np.array([np.asarray(t.values, dtype=np.float64) * signs for t in completed]).reshape(
            len(completed), len(directions))
        con = self._constraints(completed)
        pending = [space.transform(t.params) for t in running if all(p in t.params for p in search_space)]
        if self._candidates_func is None:  # chosen once, at the first trial BoTorch samples (as Optuna)
            self._candidates_func = _default_candidates_func(
                len(directions), con is not None, self._consider_running_trials)
        candidates_func = self._candidates_func

        def tensor(array: np.ndarray) -> Any:
            return torch.from_numpy(array).to(self._device)

        pending_x = (tensor(np.array(pending, dtype=np.float64).reshape(len(pending), space.n_columns))
                     if self._consider_running_trials else None)
        bounds = tensor(space.bounds.T.copy())
        with manual_seed(self._seed):  # makes the default candidate functions reproducible
            candidates = candidates_func(tensor(params), tensor(values), tensor(con) if con is not None else None,
                                         bounds, pending_x)
            if self._seed is not None:
                self._seed += 1
        return space.untransform(_check_candidates(candidates, space.n_columns))

    def _constraints(self, completed: list[FrozenTrial]) -> np.ndarray | None:
        """The stored constraint values per COMPLETE trial (NaN where missing), or None."""
        if self._constraints_func is None:
            return None
        con: np.ndarray | None = None
        for row, t in enumerate(completed):
            stored = t.system_attrs.get(CONSTRAINTS_KEY)
            if stored is None:
                continue
            if con is None:
                con = np.full((len(completed), len(stored)), np.nan)
            elif len(stored) != con.shape[1]:
                raise RuntimeError(f"Expected {con.shape[1]} constraints but received {len(stored)}.")
            con[row] = stored
        if con is None:
            warnings.warn("`constraints_func` was given but no call to it correctly computed constraints. "
                          "Constraints passed to `candidates_func` will be `None`.", stacklevel=3)
        elif np.isnan(con).any():
            warnings.warn("`constraints_func` was given but some calls to it did not correctly compute "
                          "constraints. Constraints passed to `candidates_func` will contain NaN.", stacklevel=3)
        return con

    def sample_independent(
        self, study: Study, trial: FrozenTrial, param_name: str, param_distribution: BaseDistribution
    ) -> Any:
        return self._independent_sampler.sample_independent(study, trial, param_name, param_distribution)

    def reseed_rng(self) -> None:
        self._independent_sampler.reseed_rng()
        if self._seed is not None:
            self._seed = int(np.random.RandomState().randint(np.iinfo(np.int32).max))

    def before_trial(self, study: Study, trial: FrozenTrial) -> None:
        self._independent_sampler.before_trial(study, trial)

    def after_trial(
        self, study: Study, trial: FrozenTrial, state: TrialState, values: Sequence[float] | None
    ) -> None:
        if self._constraints_func is not None and state in (TrialState.COMPLETE, TrialState.PRUNED):
            _store_constraints(self._constraints_func, study, trial)
        self._independent_sampler.after_trial(study, trial, state, values)


def _store_constraints(
    constraints_func: Callable[[FrozenTrial], Sequence[float]], study: Study, trial: FrozenTrial
) -> None:
    """Store ``constraints_func(trial)`` as a tuple in the trial's ``constraints`` system attr, as Optuna
    does: None when the function raises (the error propagates), a ValueError for NaN."""
    constraints = None
    try:
        returned = constraints_func(trial)
        if np.any(np.isnan(np.asarray(returned, dtype=float))):
            raise ValueError(f"Constraint values cannot be NaN (trial {trial.number}: {returned!r}).")
        if not isinstance(returned, (tuple, list)):
            warnings.warn(f"Constraints should be a sequence of floats but got {type(returned).__name__}.",
                          stacklevel=4)
        constraints = tuple(returned)
    finally:
        study.storage.set_trial_system_attr(trial.trial_id, CONSTRAINTS_KEY, constraints)


def _check_candidates(candidates: Any, n_columns: int) -> np.ndarray:
    if not isinstance(candidates, torch.Tensor):
        raise TypeError("Candidates must be a torch.Tensor.")
    if candidates.dim() == 2:
        if candidates.size(0) != 1:
            raise ValueError(
                "Candidates batch optimization is not supported and the first dimension must have size 1 if "
                f"candidates is a two-dimensional tensor. Actual: {candidates.size()}."
            )
        candidates = candidates.squeeze(0)
    if candidates.dim() != 1:
        raise ValueError("Candidates must be one or two-dimensional.")
    if candidates.size(0) != n_columns:
        raise ValueError(
            f"Candidates size must match with the given bounds. Actual candidates: {candidates.size(0)}, "
            f"bounds: {n_columns}."
        )
    return candidates.detach().cpu().numpy()


class _ContinuousSpace:
    """Parameters as a real vector: logs on log scales, half a step beyond the ends, choices one-hot."""

    def __init__(self, search_space: dict[str, BaseDistribution]) -> None:
        self.space = search_space
        rows: list[tuple[float, float]] = []
        self.columns: list[list[int]] = []
        for dist in search_space.values():
            start = len(rows)
            if isinstance(dist, CategoricalDistribution):
                rows.extend([(0.0, 1.0)] * len(dist.choices))
            elif isinstance(dist, FloatDistribution):
                half = 0.5 * dist.step if dist.step is not None else 0.0
                rows.append((_to_real(dist.low, dist) - half, _to_real(dist.high, dist) + half))
            elif isinstance(dist, IntDistribution):
                half = 0.5 * dist.step
                if dist.log:
                    rows.append((_to_real(dist.low - half, dist), _to_real(dist.high + half, dist)))
                else:
                    rows.append((dist.low - half, dist.high + half))
            else:
                raise NotImplementedError(f"BoTorchSampler does not support the distribution {dist!r}.")
            self.columns.append(list(range(start, len(rows))))
        self.bounds = np.array(rows, dtype=np.float64)
        self.n_columns = len(rows)

    def transform(self, params: dict[str, Any]) -> np.ndarray:
        x = np.zeros(self.n_columns)
        for (name, dist), cols in zip(self.space.items(), self.columns):
            if isinstance(dist, CategoricalDistribution):
                x[cols[0] + int(dist.to_internal_repr(params[name]))] = 1.0
            else:
                assert isinstance(dist, (FloatDistribution, IntDistribution))
                x[cols[0]] = _to_real(params[name], dist)
        return x

    def untransform(self, x: np.ndarray) -> dict[str, Any]:
        params: dict[str, Any] = {}
        for (name, dist), cols in zip(self.space.items(), self.columns):
            if isinstance(dist, CategoricalDistribution):
                params[name] = dist.to_external_repr(float(np.argmax(x[cols])))
            elif isinstance(dist, FloatDistribution):
                value = float(x[cols[0]])
                if dist.log:
                    params[name] = float(np.clip(math.exp(value), dist.low, np.nextafter(dist.high, dist.low)))
                elif dist.step is not None:
                    stepped = np.round((value - dist.low) / dist.step) * dist.step + dist.low
                    params[name] = float(np.clip(stepped, dist.low, dist.high))
                else:
                    params[name] = float(min(value, np.nextafter(dist.high, dist.low)))
            else:
                assert isinstance(dist, IntDistribution)
                value = float(x[cols[0]])
                if dist.log:
                    params[name] = min(max(int(round(math.exp(value))), dist.low), dist.high)
                else:
                    index = math.floor((value - dist.low) / dist.step + 0.5)
                    params[name] = min(max(index * dist.step + dist.low, dist.low), dist.high)
        return params


def _to_real(value: float, dist: FloatDistribution | IntDistribution) -> float:
    return math.log(value) if dist.log else float(value)
