"""PED-ANOVA (Watanabe et al., IJCAI 2023) with conditional parameters (condPED-ANOVA, KDD 2026).

A parameter matters when the distribution of its values among the top ``target_quantile`` trials
differs from their distribution among the top ``region_quantile`` trials (all trials by default).
Both are kernel density estimates on a grid of at most 50 points (one point per choice of a
categorical parameter); the importance is the Pearson divergence between them. A conditional
parameter is rated per distribution it was sampled from (its regimes), each regime weighted by its
share of the top and region trials.
"""

from __future__ import annotations

import math
import warnings
from typing import TYPE_CHECKING, Any

import numpy as np

from hpo.distributions import BaseDistribution, CategoricalDistribution, FloatDistribution, IntDistribution
from hpo.importance._base import (
    BaseImportanceEvaluator,
    TargetFunc,
    check_params,
    completed_trials,
    sort_by_importance,
    target_values,
)
from hpo.multi_objective import best_by_rank
from hpo.records import StudyDirection
from hpo.trial import FrozenTrial

if TYPE_CHECKING:
    from hpo.study import Study

_N_STEPS = 50  # numerical parameters are counted on a grid of at most this many points
_PRIOR_WEIGHT = 1.0  # weight of the flat prior kernel in each density estimate
_MIN_TRIALS_IN_REGIME = 2  # regimes with fewer region trials are left out
_EPS = 1e-12  # added to the densities so that the divergence stays finite


class PedAnovaImportanceEvaluator(BaseImportanceEvaluator):
    """PED-ANOVA importance: which parameters it took to reach the top ``target_quantile`` of trials.

    The default evaluator of :func:`hpo.importance.get_param_importances`, as in Optuna 5. It needs no
    model fit (and no scikit-learn), rates conditional parameters too (``params=None`` rates every
    parameter of the completed trials), and for a multi-objective study without ``target`` rates
    reaching the Pareto front: the top trials are those of the best non-domination ranks, the last
    rank cut by greedy hypervolume contribution, as in multi-objective TPE. With ``target``, lower
    values are better (negate a value to maximize). Aim for at least 5 trials in the top quantile.

    Papers: `PED-ANOVA <https://arxiv.org/abs/2304.10255>`__ (IJCAI 2023),
    `Conditional PED-ANOVA <https://arxiv.org/abs/2601.20800>`__ (KDD 2026).

    Args:
        target_quantile: The top share of trials whose parameters are examined, e.g. 0.1 for the
            top 10%.
        region_quantile: The top share of trials they are compared with; 1.0 compares with all.
        evaluate_on_local: With ``False``, compare with a uniform distribution over the search
            space instead of the region's trials (``region_quantile`` then has no effect).
    """

    def __init__(
        self,
        *,
        target_quantile: float = 0.1,
        region_quantile: float = 1.0,
        evaluate_on_local: bool = True,
    ) -> None:
        if not 0.0 < target_quantile < region_quantile <= 1.0:
            raise ValueError(
                "PedAnovaImportanceEvaluator needs 0.0 < target_quantile < region_quantile <= 1.0, got "
                f"target_quantile={target_quantile!r}, region_quantile={region_quantile!r}."
            )
        if region_quantile != 1.0 and not evaluate_on_local:
            warnings.warn("If `evaluate_on_local` is False, `region_quantile` has no effect.", stacklevel=2)
        self._target_quantile = target_quantile
        self._region_quantile = region_quantile
        self._evaluate_on_local = evaluate_on_local

    def evaluate(
        self,
        study: Study,
        params: list[str] | None = None,
        *,
        target: TargetFunc | None = None,
    ) -> dict[str, float]:
        """Importances of ``params`` (default: every parameter of the completed trials, conditional
        ones included), for reaching low ``target`` values (default: the study's best objective
        values, or its Pareto front)."""
        check_params(params)
        completed = completed_trials(study)
        names = _resolve_params(completed, params)
        multi = len(study.directions) > 1
        if target is not None or not multi:
            trials, loss = _finite(completed, target)
            if target is None and study.directions[0] == StudyDirection.MAXIMIZE:
                loss = -loss
        else:
            values = np.array([t.values for t in completed], dtype=float).reshape(len(completed), len(study.directions))
            keep = np.all(np.isfinite(values), axis=1)
            trials = [t for t, k in zip(completed, keep.tolist()) if k]
            signs = np.array([-1.0 if d == StudyDirection.MAXIMIZE else 1.0 for d in study.directions])
            loss = values[keep] * signs
        if len(trials) <= 1:
            warnings.warn(
                "The number of trials is too small to compute importances. Parameter importances will be equal.",
                UserWarning,
                stacklevel=2,
            )
            return dict.fromkeys(names, 0.0)
        if target is not None:
            warnings.warn(
                f"{type(self).__name__} computes the importances of params to achieve low `target` values. "
                "If this is not what you want, please modify target, e.g., by multiplying the output by -1.",
                UserWarning,
                stacklevel=2,
            )
        in_target = _top(loss, self._target_quantile)
        in_region = _top(loss, self._region_quantile)
        n_target, n_region = int(in_target.sum()), int(in_region.sum())
        if n_target == n_region:
            warnings.warn(
                "Target and region quantiles select the same set of trials. Parameter importances will be equal.",
                UserWarning,
                stacklevel=2,
            )
        region = [t for t, keep in zip(trials, in_region.tolist()) if keep]
        is_target = in_target[in_region]
        importances = dict.fromkeys(names, 0.0)
        for name in names:
            for dist, members in _regimes(name, region):
                target_members = members[is_target[members]]
                if dist is None or dist.single() or not len(target_members):
                    continue
                alpha = len(target_members) / n_target
                beta = len(members) / n_region
                sampled = [region[i].params[name] for i in members]
                top = _density_on_grid(dist, [sampled[j] for j in np.flatnonzero(is_target[members])])
                if self._evaluate_on_local:
                    local = _density_on_grid(dist, sampled)
                else:
                    local = np.full(len(top), 1.0 / len(top))
                importances[name] += alpha**2 / beta * float(local @ ((top / local - 1.0) ** 2))
        scale = (n_target / n_region) ** 2
        return sort_by_importance({name: value * scale for name, value in importances.items()})


def _resolve_params(trials: list[FrozenTrial], params: list[str] | None) -> list[str]:
    present = sorted({name for t in trials for name in t.distributions})
    if params is None:
        return present
    missing = sorted(set(params) - set(present))
    if missing:
        raise ValueError(
            f"No completed trial has the parameters {missing}: name parameters that appear in at least one "
            f"completed trial (they have {present})."
        )
    return list(params)


def _finite(trials: list[FrozenTrial], target: TargetFunc | None) -> tuple[list[FrozenTrial], np.ndarray]:
    values = target_values(trials, target)
    keep = np.isfinite(values)
    return [t for t, k in zip(trials, keep.tolist()) if k], values[keep]


def _top(loss: np.ndarray, quantile: float) -> np.ndarray:
    """Mask of the top ``quantile`` of the trials, ``loss`` minimized (one column per objective)."""
    n = len(loss)
    if quantile == 1.0:
        return np.ones(n, dtype=bool)
    if loss.ndim == 1:  # ties with the cutoff are all in
        cutoff = np.partition(loss, math.ceil(quantile * n) - 1)[math.ceil(quantile * n) - 1]
        return loss <= cutoff
    chosen = np.zeros(n, dtype=bool)
    chosen[best_by_rank(loss, math.ceil(quantile * n))] = True
    return chosen


def _regimes(name: str, trials: list[FrozenTrial]) -> list[tuple[BaseDistribution | None, np.ndarray]]:
    """The trials grouped by the distribution ``name`` was sampled from (None: absent), big enough groups only."""
    keys: list[BaseDistribution | None] = []
    members: list[list[int]] = []
    last = -1
    for i, trial in enumerate(trials):
        dist = trial.distributions.get(name)
        if last < 0 or keys[last] is not dist and keys[last] != dist:
            last = next((k for k, key in enumerate(keys) if key is dist or key == dist), -1)
            if last < 0:
                keys.append(dist)
                members.append([])
                last = len(keys) - 1
        members[last].append(i)
    if any(len(m) < _MIN_TRIALS_IN_REGIME for m in members):
        warnings.warn(
            f"Some regimes for parameter `{name}` have less than {_MIN_TRIALS_IN_REGIME} trials. "
            "The importance of the parameter may be inaccurate.",
            UserWarning,
            stacklevel=3,
        )
    return [(key, np.array(m)) for key, m in zip(keys, members) if len(m) >= _MIN_TRIALS_IN_REGIME]


def _density_on_grid(dist: BaseDistribution, values: list[Any]) -> np.ndarray:
    """Density (plus a tiny floor) on the grid of ``dist`` of a kernel estimate from ``values`` and a flat prior."""
    counts = _grid_counts(dist, values)
    observed = np.flatnonzero(counts)
    weights = counts[observed]
    mixture = np.append(weights, _PRIOR_WEIGHT).astype(float)
    mixture /= mixture.sum()
    n = len(counts)
    if isinstance(dist, CategoricalDistribution):
        kernels = np.full((len(observed) + 1, n), _PRIOR_WEIGHT / (len(observed) + 1))
        kernels[np.arange(len(observed)), observed] += 1.0
        kernels /= kernels.sum(axis=1, keepdims=True)
    else:
        kernels = _discrete_gauss_kernels(observed, weights, n)
    return mixture @ kernels + _EPS


def _grid_counts(dist: BaseDistribution, values: list[Any]) -> np.ndarray:
    """How many ``values`` fall on each grid point of ``dist``."""
    if isinstance(dist, CategoricalDistribution):
        index = [int(dist.to_internal_repr(v)) for v in values]
        return np.bincount(index, minlength=len(dist.choices))
    assert isinstance(dist, (FloatDistribution, IntDistribution))
    n_steps = _N_STEPS
    if isinstance(dist, IntDistribution) and dist.log:
        n_steps = min(int(np.ceil(np.log(dist.high - dist.low + 1) / np.log(2))) + 1, n_steps)
    elif dist.step is not None:
        n_steps = min(round((dist.high - dist.low) / dist.step) + 1, n_steps)
    x = np.array(values, dtype=float)
    low, high = float(dist.low), float(dist.high)
    if dist.log:
        x, low, high = np.log(x), math.log(low), math.log(high)
    step = (high - low) / (n_steps - 1)
    index = np.clip(np.ceil((x - low) / step - 0.5).astype(int), 0, n_steps - 1)  # ties go to the lower point
    return np.bincount(index, minlength=n_steps)


def _discrete_gauss_kernels(observed: np.ndarray, weights: np.ndarray, n: int) -> np.ndarray:
    """Kernels on the grid points ``0..n-1``: Gaussians at the observed points with Scott's bandwidth,
    then a wide one at the middle (the prior), each integrated over the points' unit cells and
    truncated to ``[-0.5, n - 0.5]``."""
    cumulative = np.cumsum(weights)
    total = cumulative[-1]
    x = observed.astype(float)
    mean = (x @ weights) / total
    sigma = np.sqrt(((x - mean) ** 2 @ weights) / max(1, total - 1))
    q1 = np.searchsorted(cumulative, total // 4, side="left")
    q3 = np.searchsorted(cumulative, total * 3 // 4, side="right")
    iqr = x[min(len(x) - 1, q3)] - x[q1]
    sigma = max(1.059 * min(iqr / 1.34, sigma) * total**-0.2, 0.5 / 1.64)
    mus = np.append(x, (n - 1) / 2.0)[:, np.newaxis]
    sigmas = np.append(np.full(len(x), sigma), float(n))[:, np.newaxis]
    grid = np.arange(n, dtype=float)
    mass = _gauss_mass((grid - 0.5 - mus) / sigmas, (grid + 0.5 - mus) / sigmas)
    return mass / _gauss_mass((-0.5 - mus) / sigmas, (n - 0.5 - mus) / sigmas)


def _gauss_mass(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """P(a < Z < b) for a standard normal Z, from the smaller tails (accurate far from the middle)."""
    above_a, above_b = _tail(a), _tail(b)
    below_a, below_b = _tail(-a), _tail(-b)
    return np.where(a >= 0, above_a - above_b, np.where(b <= 0, below_b - below_a, 1.0 - above_b - below_a))


_erfc = np.frompyfunc(math.erfc, 1, 1)


def _tail(z: np.ndarray) -> np.ndarray:
    """P(Z > z) for a standard normal Z."""
    return 0.5 * np.asarray(_erfc(z / math.sqrt(2.0)), dtype=float)
