"""Exhaustive search over a finite define-by-run search space."""

from __future__ import annotations

import decimal
import math
from collections.abc import Iterable, Sequence
from typing import TYPE_CHECKING, Any

import numpy as np

from hpo.distributions import BaseDistribution, CategoricalDistribution, FloatDistribution, IntDistribution
from hpo.logging import get_logger
from hpo.samplers._base import BaseSampler
from hpo.trial import FrozenTrial, TrialState

if TYPE_CHECKING:
    from hpo.study import Study

_logger = get_logger(__name__)

_SEEN_STATES = (TrialState.COMPLETE, TrialState.PRUNED, TrialState.FAIL, TrialState.RUNNING)

# A step of a path: parameter name, its number of values, and the index of its value (-1: off the grid).
_Step = tuple[str, int, int]


class BruteForceSampler(BaseSampler):
    """Tries every combination of parameter values once, then stops ``optimize``.

    The search space is discovered while trials run, so conditional parameters work: values
    never tried are preferred, and among them each branch of the tree of parameters is chosen
    with a weight that grows with the number of untried combinations under it. Every parameter
    must have finitely many values: categorical, int, or float with a ``step``.

    Args:
        seed: Seed of the order in which combinations are tried (in-process).
        avoid_premature_stop: Count combinations that running trials are trying as untried until
            those trials finish. The study then stops only once everything is finished, at the cost
            of some duplicates when trials run in parallel.
    """

    def __init__(self, seed: int | None = None, avoid_premature_stop: bool = False) -> None:
        if seed is not None and (isinstance(seed, bool) or not isinstance(seed, int)):
            raise TypeError(f"seed must be an integer or None, got {seed!r}.")
        self._seed = seed
        self._rng = np.random.RandomState(seed)
        self._avoid_premature_stop = avoid_premature_stop
        self._finished_paths: dict[tuple[int, int, str], dict[int, _Path]] = {}

    def __repr__(self) -> str:
        return f"BruteForceSampler(seed={self._seed!r}, avoid_premature_stop={self._avoid_premature_stop})"

    def reseed_rng(self) -> None:
        self._rng = np.random.RandomState()

    def infer_relative_search_space(self, study: Study, trial: FrozenTrial) -> dict[str, BaseDistribution]:
        return {}

    def sample_relative(
        self, study: Study, trial: FrozenTrial, search_space: dict[str, BaseDistribution]
    ) -> dict[str, Any]:
        return {}

    def sample_independent(
        self, study: Study, trial: FrozenTrial, param_name: str, param_distribution: BaseDistribution
    ) -> Any:
        n_values = _n_candidates(param_name, param_distribution)
        root = _Node()
        root.expand(param_name, n_values)
        _add_paths(root, self._other_paths(study, trial.number), _Path(trial).steps)
        exclude_running = not self._avoid_premature_stop
        if root.is_open(exclude_running):
            index = root.pick_child(self._rng, exclude_running)
        else:
            index = int(self._rng.randint(n_values))
        return _candidate(param_distribution, index)

    def after_trial(
        self, study: Study, trial: FrozenTrial, state: TrialState, values: Sequence[float] | None
    ) -> None:
        own = _Path(trial, finished=True)
        paths = [*self._other_paths(study, trial.number), own]
        exclude_running = not self._avoid_premature_stop
        # Look for untried combinations near this trial first: under its longest prefix, then shorter ones.
        for length in range(len(own.steps) - 1, -1, -1):
            root = _Node()
            _add_paths(root, paths, own.steps[:length])
            if root.is_open(exclude_running):
                return
        _logger.info("BruteForceSampler has tried every combination of the search space.")
        if study.is_optimizing:
            study.stop()

    def _other_paths(self, study: Study, number: int) -> list[_Path]:
        """The paths of the study's trials but trial ``number``; finished trials' paths are computed once."""
        cache = self._finished_paths.setdefault((id(study.storage), study.study_id, study.study_name), {})
        paths = []
        for t in study.storage.get_all_trials(study.study_id, deepcopy=False, states=_SEEN_STATES):
            if t.number == number:
                continue
            path = cache.get(t.number)
            if path is None:
                path = _Path(t)
                if path.finished:  # a finished trial never changes
                    cache[t.number] = path
            paths.append(path)
        return paths


class _Path:
    """A trial's parameters in the order they were suggested, as (name, number of values, value index)."""

    __slots__ = ("steps", "_lookup", "finished")

    def __init__(self, trial: FrozenTrial, finished: bool | None = None) -> None:
        self.steps: tuple[_Step, ...] = tuple(
            (name, _n_candidates(name, dist), _index(name, dist, trial.params[name]))
            for name, dist in trial.distributions.items()
        )
        self._lookup = {name: (n, index) for name, n, index in self.steps}
        self.finished = trial.state.is_finished() if finished is None else finished

    def starts_with(self, prefix: Sequence[_Step]) -> bool:
        """Whether the trial has every parameter of ``prefix`` with the same value (in any order)."""
        return not prefix or all(self._lookup.get(name) == (n, index) for name, n, index in prefix)


class _Node:
    """A node of the tree of parameter paths seen in trials.

    ``children is None``: nothing is known below; ``running`` if a running trial stops here.
    ``children == {}``: a finished trial stops here. Otherwise ``param`` is the next parameter and
    ``children`` maps the index of each of its values to a node, or to None where none was tried.
    """

    __slots__ = ("param", "children", "running")

    def __init__(self) -> None:
        self.param: str | None = None
        self.children: dict[int, _Node | None] | None = None
        self.running = False

    def expand(self, param: str, n_values: int) -> bool:
        """Make ``param`` the next parameter; False when another parameter or range is already there."""
        if self.children:
            return self.param == param and len(self.children) == n_values
        self.param = param
        self.children = dict.fromkeys(range(n_values))
        return True

    def add(self, steps: Sequence[_Step]) -> _Node | None:
        """The node where ``steps`` end, created as needed; None when they contradict the tree."""
        node = self
        for name, n_values, index in steps:
            if not node.expand(name, n_values):
                return None
            assert node.children is not None
            if index not in node.children:
                return None
            child = node.children[index]
            if child is None:
                child = node.children[index] = _Node()
            node = child
        return node

    def is_open(self, exclude_running: bool) -> bool:
        """Whether an untried combination lies below."""
        if self.children is None:
            return not (exclude_running and self.running)
        return any(c is None or c.is_open(exclude_running) for c in self.children.values())

    def n_open(self, exclude_running: bool) -> int:
        """Untried leaves below (as far as known)."""
        if self.children is None:
            return 0 if exclude_running and self.running else 1
        return sum(1 if c is None else c.n_open(exclude_running) for c in self.children.values())

    def pick_child(self, rng: np.random.RandomState, exclude_running: bool) -> int:
        """An index with untried combinations below: half by their count, half uniformly, idle ones first."""
        assert self.children
        keys = list(self.children)
        nodes = [self.children[k] for k in keys]
        counts = np.array([1.0 if n is None else n.n_open(exclude_running) for n in nodes])
        open_ = (counts > 0).astype(float)
        weights = 0.5 * counts / counts.sum() + 0.5 * open_ / open_.sum()
        idle = np.array([n is None or not (n.children is None and n.running) for n in nodes])
        if np.any(idle & (weights > 0)):
            weights = np.where(idle, weights, 0.0)
        return keys[int(rng.choice(len(keys), p=weights / weights.sum()))]


def _add_paths(root: _Node, paths: Iterable[_Path], prefix: Sequence[_Step]) -> None:
    """Add to ``root`` the rest, after ``prefix``, of the paths that have ``prefix``."""
    names = {name for name, _, _ in prefix}
    for path in paths:
        if not path.starts_with(prefix):
            continue
        node = root.add([step for step in path.steps if step[0] not in names])
        if node is None or node.children:
            continue  # contradicts the tree, or stops inside it (the trial is still suggesting)
        if path.finished:
            node.children = {}
        else:
            node.running = True



def _n_candidates(name: str, dist: BaseDistribution) -> int:
    if isinstance(dist, CategoricalDistribution):
        return len(dist.choices)
    if isinstance(dist, IntDistribution):
        return (dist.high - dist.low) // dist.step + 1
    assert isinstance(dist, FloatDistribution)
    if dist.step is None:
        raise ValueError(
            f"BruteForceSampler needs finitely many values, but parameter {name!r} is a continuous float "
            f"({dist!r}). Give it a step, e.g. suggest_float({name!r}, {dist.low}, {dist.high}, step=...)."
        )
    return int(round((dist.high - dist.low) / dist.step)) + 1


def _index(name: str, dist: BaseDistribution, value: Any) -> int:
    """The index of ``value`` among the candidates of ``dist``; -1 when it is off the grid."""
    internal = dist.to_internal_repr(value)
    if isinstance(dist, CategoricalDistribution):
        return int(internal)
    assert isinstance(dist, (FloatDistribution, IntDistribution))
    step = dist.step if dist.step is not None else math.nan
    k = (internal - dist.low) / step
    index = int(round(k)) if math.isfinite(k) else -1
    return index if abs(k - index) < 1e-8 and 0 <= index < _n_candidates(name, dist) else -1


def _candidate(dist: BaseDistribution, index: int) -> Any:
    """The ``index``-th value of ``dist`` in the external representation."""
    if isinstance(dist, CategoricalDistribution):
        return dist.choices[index]
    if isinstance(dist, IntDistribution):
        return dist.low + index * dist.step
    assert isinstance(dist, FloatDistribution) and dist.step is not None
    return float(decimal.Decimal(str(dist.low)) + index * decimal.Decimal(str(dist.step)))
