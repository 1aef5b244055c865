"""Exhaustive search over a user-given grid, every point once, in random order."""

from __future__ import annotations

import itertools
import math
import threading
from collections.abc import Iterable, Mapping, Sequence
from typing import TYPE_CHECKING, Any

import numpy as np

from hpo.distributions import BaseDistribution
from hpo.logging import get_logger
from hpo.records import FIXED_PARAMS_KEY
from hpo.samplers._base import BaseSampler
from hpo.trial import FrozenTrial, TrialState

if TYPE_CHECKING:
    from hpo.study import Study

GridValueType = None | bool | int | float | str

GRID_ID_KEY = "grid_id"
SEARCH_SPACE_KEY = "search_space"

_logger = get_logger(__name__)


class GridSampler(BaseSampler):
    """Evaluates every combination of ``search_space`` values once, in an order shuffled by ``seed``.

    A trial's grid point is chosen when it starts and kept in its ``grid_id`` system attr (an index
    into the combinations in sorted-name order, so every process agrees on what it means). A trial
    takes a point that no trial has finished or is running, if any is left; when every point has
    been started, :meth:`Study.optimize` is stopped. ``enqueue_trial`` with a full grid point counts
    as a visit of that point.

    Args:
        search_space: parameter name -> the values to try (None, bool, int, float or str).
        seed: fixes the order of the points (``None`` gives the same order as ``0``, as in Optuna,
            so that processes sharing a study agree on it).
    """

    def __init__(self, search_space: Mapping[str, Sequence[GridValueType]], seed: int | None = None) -> None:
        self._search_space = _normalize(search_space)
        self._param_names = list(self._search_space)
        self._grids = list(itertools.product(*self._search_space.values()))
        self._grid_ids = {grid: i for i, grid in enumerate(self._grids)}
        self._order = np.random.RandomState(seed or 0).permutation(len(self._grids))
        self._seed = seed
        self._rng = np.random.RandomState(seed)
        self._lock = threading.Lock()

    def __repr__(self) -> str:
        return f"GridSampler(search_space={self._search_space}, seed={self._seed})"

    def __getstate__(self) -> dict[str, Any]:  # a study with its sampler can be pickled, as in Optuna
        state = self.__dict__.copy()
        del state["_lock"]
        return state

    def __setstate__(self, state: dict[str, Any]) -> None:
        self.__dict__.update(state)
        self._lock = threading.Lock()

    def reseed_rng(self) -> None:
        self._rng = np.random.RandomState()

    def before_trial(self, study: Study, trial: FrozenTrial) -> None:
        if GRID_ID_KEY in trial.system_attrs:  # a retried trial keeps its point
            return
        with self._lock:  # threads of one process never pick the same free point
            finished, running = self._visited(study)
            if FIXED_PARAMS_KEY in trial.system_attrs:
                grid_id = self._grid_id_of(trial.system_attrs[FIXED_PARAMS_KEY])
            else:
                grid_id = self._choose(finished, running, trial.number)
            if grid_id is not None:
                self._assign(study, trial, grid_id)
                running.add(grid_id)
        self._stop_if_all_started(study, finished | running)  # now, so that no thread asks for one more trial

    def after_trial(
        self, study: Study, trial: FrozenTrial, state: TrialState, values: Sequence[float] | None
    ) -> None:
        self._stop_if_all_started(study, set.union(*self._visited(study)))  # other processes may have taken some

    def infer_relative_search_space(self, study: Study, trial: FrozenTrial) -> dict[str, BaseDistribution]:
        return {}

    def sample_relative(
        self, study: Study, trial: FrozenTrial, search_space: dict[str, BaseDistribution]
    ) -> dict[str, Any]:
        return {}

    def sample_independent(
        self, study: Study, trial: FrozenTrial, param_name: str, param_distribution: BaseDistribution
    ) -> Any:
        if param_name not in self._search_space:
            raise ValueError(
                f"Parameter {param_name!r} is not in the GridSampler's search space {self._param_names}. "
                f"Add it to the grid, e.g. GridSampler({{..., {param_name!r}: [...]}})."
            )
        if GRID_ID_KEY not in trial.system_attrs:
            raise ValueError(
                f"Trial {trial.number} has no grid point: it was enqueued with parameters that are not a "
                f"point of the grid. With GridSampler, enqueue_trial needs a value from the grid for every "
                f"one of {self._param_names}."
            )
        value = self._grids[trial.system_attrs[GRID_ID_KEY]][self._param_names.index(param_name)]
        try:
            contained = param_distribution._contains(param_distribution.to_internal_repr(value))
        except ValueError:
            contained = False
        if not contained:
            raise ValueError(
                f"The grid value {value!r} of parameter {param_name!r} is out of {param_distribution!r}. "
                "Change the grid or the suggest_* call so that every grid value lies in the distribution."
            )
        return value

    def is_exhausted(self, study: Study) -> bool:
        """True when every grid point has a finished trial."""
        return len(self._visited(study)[0]) == len(self._grids)

    def _stop_if_all_started(self, study: Study, started: set[int]) -> None:
        """Stop ``optimize`` once every point is finished or being evaluated (``stop`` works only there)."""
        if study.is_optimizing and len(started) == len(self._grids):
            study.stop()

    def _assign(self, study: Study, trial: FrozenTrial, grid_id: int) -> None:
        study.storage.set_trial_system_attr(trial.trial_id, SEARCH_SPACE_KEY, self._search_space)
        study.storage.set_trial_system_attr(trial.trial_id, GRID_ID_KEY, grid_id)

    def _grid_id_of(self, params: dict[str, Any]) -> int | None:
        """The grid point that enqueued ``params`` are, if they give a grid value to every parameter."""
        if not all(name in params for name in self._param_names):
            return None
        return self._grid_ids.get(tuple(params[name] for name in self._param_names))

    def _choose(self, finished: set[int], running: set[int], number: int) -> int:
        """A point nobody has started; else one not finished yet; else (exhausted) any point again."""
        everything = set(range(len(self._grids)))
        candidates = everything - finished - running or everything - finished
        if not candidates:
            _logger.warning("GridSampler is re-evaluating a grid point because every point has been evaluated.")
            candidates = everything
        if number < len(self._order) and int(self._order[number]) in candidates:
            return int(self._order[number])  # distinct trial numbers give distinct points, even across processes
        return int(self._rng.choice(sorted(candidates)))

    def _visited(self, study: Study) -> tuple[set[int], set[int]]:
        """The grid ids of this grid's finished trials and of its running trials."""
        finished: set[int] = set()
        running: set[int] = set()
        for t in study.storage.get_all_trials(study.study_id, deepcopy=False):
            if GRID_ID_KEY not in t.system_attrs or t.system_attrs.get(SEARCH_SPACE_KEY) != self._search_space:
                continue
            if t.state.is_finished():
                finished.add(t.system_attrs[GRID_ID_KEY])
            elif t.state == TrialState.RUNNING:
                running.add(t.system_attrs[GRID_ID_KEY])
        return finished, running


def _normalize(search_space: Mapping[str, Sequence[GridValueType]]) -> dict[str, list[GridValueType]]:
    """The grid as a name-sorted dict of lists of plain Python values; a clear error for anything else."""
    if not isinstance(search_space, Mapping) or not search_space:
        raise ValueError(
            f"GridSampler needs a non-empty dict of parameter name -> list of values, got {search_space!r}. "
            "Example: GridSampler({'x': [-1.0, 0.0, 1.0], 'kernel': ['rbf', 'linear']})."
        )
    for name in search_space:
        if not isinstance(name, str):
            raise ValueError(f"GridSampler parameter names must be strings, got {name!r}.")
    normalized: dict[str, list[GridValueType]] = {}
    for name, values in sorted(search_space.items()):
        if isinstance(values, (str, bytes, Mapping)) or not isinstance(values, Iterable):
            raise ValueError(
                f"The grid of {name!r} must be a list of values, e.g. {{{name!r}: [1, 2, 3]}}; got {values!r}."
            )
        plain = [v.item() if isinstance(v, np.generic) else v for v in values]  # numpy scalars -> Python
        if not plain:
            raise ValueError(f"The grid of {name!r} is empty; give at least one value, e.g. {{{name!r}: [1, 2, 3]}}.")
        for value in plain:
            if value is not None and not isinstance(value, (bool, int, float, str)):
                raise ValueError(
                    f"The grid of {name!r} holds {value!r} of type {type(value).__name__}: grid values must be "
                    "None, bool, int, float or str (JSON-storable). Use a key and map it inside the objective."
                )
            if isinstance(value, float) and not math.isfinite(value):
                raise ValueError(f"The grid of {name!r} holds {value!r}: grid values must be finite numbers.")
        normalized[name] = plain
    return normalized
