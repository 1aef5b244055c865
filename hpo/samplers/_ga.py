"""``BaseGASampler``: generations and populations of trials, the bookkeeping of genetic samplers."""

from __future__ import annotations

import abc
import threading
from collections import Counter
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from hpo.records import TrialState
from hpo.samplers._base import BaseSampler
from hpo.trial import FrozenTrial

if TYPE_CHECKING:
    from hpo.study import Study


class BaseGASampler(BaseSampler, abc.ABC):
    """Base of genetic-algorithm samplers (Optuna's ``BaseGASampler`` contract).

    Each trial belongs to a generation, stored in its system attribute ``"<Class>:generation"``
    when :meth:`get_trial_generation` first sees it: the latest generation, or the next one once
    ``population_size`` trials of the latest are COMPLETE. The parents breeding generation ``g``
    are chosen once by :meth:`select_parent` and their trial ids stored in the study system
    attribute ``"<Class>:parent:<g>"``, so every process (and a restarted sampler) agrees on them.

    A subclass implements :meth:`select_parent` and the sampler interface; ``sample_relative``
    typically breeds a child of ``get_parent_population(study, get_trial_generation(study, trial))``.
    """

    _GENERATION_KEY = "BaseGASampler:generation"
    _PARENT_CACHE_KEY_PREFIX = "BaseGASampler:parent:"

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        cls._GENERATION_KEY = f"{cls.__name__}:generation"
        cls._PARENT_CACHE_KEY_PREFIX = f"{cls.__name__}:parent:"

    @classmethod
    def _get_generation_key(cls) -> str:
        return cls._GENERATION_KEY

    @classmethod
    def _get_parent_cache_key_prefix(cls) -> str:
        return cls._PARENT_CACHE_KEY_PREFIX

    def __init__(self, population_size: int | None) -> None:
        self._population_size = population_size
        self._generations: dict[tuple[int, int, str], _Generations] = {}
        self._generations_lock = threading.RLock()

    @property
    def population_size(self) -> int | None:
        return self._population_size

    @population_size.setter
    def population_size(self, value: int) -> None:
        self._population_size = value

    @abc.abstractmethod
    def select_parent(self, study: Study, generation: int) -> list[FrozenTrial]:
        """The parents of ``generation`` (>= 1), typically chosen from ``get_population(study,
        generation - 1) + get_parent_population(study, generation - 1)``. Called once per generation
        and study; the answer is stored (see :meth:`get_parent_population`)."""

    def get_trial_generation(self, study: Study, trial: FrozenTrial) -> int:
        """``trial``'s generation, decided (and stored in its system attributes) on first call."""
        key = self._get_generation_key()
        stored = trial.system_attrs.get(key)
        if stored is not None:
            return stored
        if self._population_size is None:
            raise ValueError(f"{type(self).__name__}.population_size must be set before trials are sampled.")
        with self._generations_lock:
            known = self._known(study)
            for t in study.get_trials(deepcopy=False, states=(TrialState.COMPLETE,)):
                if t.number not in known.counted:  # a COMPLETE trial never changes, so it is counted once
                    known.counted.add(t.number)
                    if key in t.system_attrs:
                        known.sizes[t.system_attrs[key]] += 1
            latest = max(known.sizes, default=0)
            generation = latest + 1 if known.sizes[latest] >= self._population_size else latest
            study.storage.set_trial_system_attr(trial.trial_id, key, generation)
        return generation

    def get_population(self, study: Study, generation: int) -> list[FrozenTrial]:
        """The COMPLETE trials of ``generation``."""
        key = self._get_generation_key()
        trials = study.get_trials(deepcopy=False, states=(TrialState.COMPLETE,))
        return [t for t in trials if t.system_attrs.get(key) == generation]

    def get_parent_population(self, study: Study, generation: int) -> list[FrozenTrial]:
        """The parents of ``generation`` sorted by trial number (``[]`` for generation 0): those stored
        in the study's system attributes, else :meth:`select_parent`'s choice, stored then."""
        if generation == 0:
            return []
        with self._generations_lock:
            known = self._known(study)
            if generation not in known.parents:
                key = f"{self._get_parent_cache_key_prefix()}{generation}"
                stored_ids = study.storage.get_study_system_attrs(study.study_id).get(key)
                if stored_ids is not None:
                    ids = set(stored_ids)
                    parents = [t for t in study.get_trials(deepcopy=False) if t.trial_id in ids]
                else:
                    parents = sorted(self.select_parent(study, generation), key=lambda t: t.number)
                    study.storage.set_study_system_attr(study.study_id, key, [t.trial_id for t in parents])
                known.parents[generation] = parents
            return known.parents[generation]

    def _known(self, study: Study) -> _Generations:
        return self._generations.setdefault((id(study.storage), study.study_id, study.study_name), _Generations())


@dataclass
class _Generations:
    """What a GA sampler knows of one study's generations; all of it derives from finished trials."""

    counted: set[int] = field(default_factory=set)  # numbers of the COMPLETE trials counted in `sizes`
    sizes: Counter[int] = field(default_factory=Counter)  # COMPLETE trials per generation
    parents: dict[int, list[FrozenTrial]] = field(default_factory=dict)  # parent population per generation
