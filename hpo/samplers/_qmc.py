"""Quasi-Monte Carlo sampling: Sobol' or Halton low-discrepancy points, spread more evenly than random ones."""

from __future__ import annotations

import hashlib
import json
import threading
from typing import TYPE_CHECKING, Any

import numpy as np
from scipy.stats import qmc

from hpo.distributions import BaseDistribution, CategoricalDistribution
from hpo.logging import get_logger
from hpo.samplers._base import BaseSampler, IndependentFallbackSampler
from hpo.samplers._numerical_transform import NumericalTransform
from hpo.samplers._random import RandomSampler
from hpo.trial import FrozenTrial, TrialState

if TYPE_CHECKING:
    from hpo.study import Study

_logger = get_logger(__name__)

_QMC_TYPES = ("sobol", "halton")
_FINISHED = (TrialState.COMPLETE, TrialState.PRUNED)
# One lock for all instances: threads sharing a study must not take the same index, and SciPy's Sobol'
# engine initializes shared tables on first use.
_lock = threading.Lock()


class QMCSampler(IndependentFallbackSampler):
    """Gives trial ``k`` the ``k``-th point of a Sobol' or Halton sequence over the search space.

    The search space is the one of the study's first finished trial (or of the running trials
    when none has finished), and it must not change during the study; the very first trial and
    any other parameter are drawn by ``independent_sampler``. The index of the next point is a
    counter in the study's system attributes, so parallel workers get distinct points. Categorical
    parameters take one coordinate each, split into equal intervals.

    Args:
        qmc_type: ``"sobol"`` or ``"halton"``. Sobol' points are best balanced in powers of two.
        scramble: Randomize the sequence (Owen scrambling) with ``seed``.
        seed: Seed of the scrambling and of the default independent sampler. Workers sharing a
            study must use the same seed when ``scramble=True``.
        independent_sampler: Sampler for the first trial and parameters outside the search
            space; default :class:`~hpo.samplers.RandomSampler` seeded with ``seed``.
        warn_independent_sampling: Log a warning when a parameter is sampled independently.
        warn_asynchronous_seeding: Log a warning when ``scramble=True`` without a seed, since
            workers would then scramble differently.

    ``reseed_rng`` reseeds the independent sampler only: the scrambling stays, so that every worker
    draws from the same sequence.
    """

    _fallback_warning = (
        "Parameter {param!r} of trial {number} is sampled independently by {sampler} instead of QMCSampler, "
        "because it is not in the search space of the study's first trial (QMCSampler needs a fixed search "
        "space). Pass warn_independent_sampling=False to silence this warning if that is intended."
    )

    def __init__(
        self,
        *,
        qmc_type: str = "sobol",
        scramble: bool = False,
        seed: int | None = None,
        independent_sampler: BaseSampler | None = None,
        warn_independent_sampling: bool = True,
        warn_asynchronous_seeding: bool = True,
    ) -> None:
        if qmc_type not in _QMC_TYPES:
            raise ValueError(f"qmc_type must be 'sobol' or 'halton', got {qmc_type!r}.")
        if seed is not None and (isinstance(seed, bool) or not isinstance(seed, int)):
            raise TypeError(f"seed must be an integer or None, got {seed!r}.")
        if independent_sampler is not None and not isinstance(independent_sampler, BaseSampler):
            raise TypeError(
                f"independent_sampler must be a sampler (a BaseSampler) or None, got {independent_sampler!r}."
            )
        if seed is None and scramble and warn_asynchronous_seeding:
            _logger.warning(
                "QMCSampler(scramble=True) got no seed, so a random one is used. Workers sharing a study must "
                "scramble alike: pass the same seed to every QMCSampler."
            )
        self._qmc_type = qmc_type
        self._scramble = scramble
        self._seed = seed
        self._scramble_seed = seed if seed is not None else int(np.random.SeedSequence().generate_state(1)[0])
        self._independent_sampler = independent_sampler or RandomSampler(seed=seed)
        self._warn_independent_sampling = warn_independent_sampling

    def __repr__(self) -> str:
        return f"QMCSampler(qmc_type={self._qmc_type!r}, scramble={self._scramble}, seed={self._seed!r})"

    def infer_relative_search_space(self, study: Study, trial: FrozenTrial) -> dict[str, BaseDistribution]:
        finished = study.get_trials(deepcopy=False, states=_FINISHED)
        if finished:
            return dict(finished[0].distributions)
        space: dict[str, BaseDistribution] = {}
        for running in study.get_trials(deepcopy=False, states=(TrialState.RUNNING,)):
            space.update(running.distributions)
        return space

    def sample_relative(
        self, study: Study, trial: FrozenTrial, search_space: dict[str, BaseDistribution]
    ) -> dict[str, Any]:
        space = {name: dist for name, dist in sorted(search_space.items()) if not dist.single()}
        if not space:
            return {}
        point = self._point(self._next_sample_id(study, space), len(space))
        numerical = {n: d for n, d in space.items() if not isinstance(d, CategoricalDistribution)}
        params: dict[str, Any] = {}
        if numerical:
            coords = np.array([point[i] for i, name in enumerate(space) if name in numerical])
            params.update(NumericalTransform(numerical, unit_cube=True).untransform(coords))
        for i, (name, dist) in enumerate(space.items()):
            if isinstance(dist, CategoricalDistribution):
                params[name] = dist.choices[min(int(point[i] * len(dist.choices)), len(dist.choices) - 1)]
        return params

    def _warns_fallback(self, study: Study) -> bool:
        return self._warn_independent_sampling and bool(study.get_trials(deepcopy=False, states=_FINISHED))

    def _next_sample_id(self, study: Study, space: dict[str, BaseDistribution]) -> int:
        """Take the next index of the sequence for this search space (one counter per space and sequence)."""
        described: dict[str, Any] = {
            "qmc_type": self._qmc_type,
            "search_space": {name: repr(dist) for name, dist in space.items()},
            "scramble": self._scramble,
        }
        if self._scramble:
            described["seed"] = self._scramble_seed
        key = "qmc:" + hashlib.sha256(json.dumps(described, sort_keys=True).encode()).hexdigest()
        with _lock:
            sample_id = study.storage.get_study_system_attrs(study.study_id).get(key, -1) + 1
            study.storage.set_study_system_attr(study.study_id, key, sample_id)
        return sample_id

    def _point(self, sample_id: int, dim: int) -> np.ndarray:
        seed = self._scramble_seed if self._scramble else None
        engine: qmc.QMCEngine
        with _lock:
            if self._qmc_type == "sobol":
                engine = qmc.Sobol(dim, scramble=self._scramble, seed=seed)
            else:
                engine = qmc.Halton(dim, scramble=self._scramble, seed=seed)
        if sample_id > 0:
            engine.fast_forward(sample_id)
        return engine.random(1)[0]
