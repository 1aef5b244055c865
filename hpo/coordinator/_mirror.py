"""The coordinator's view of its studies: in memory, with every change written behind to SQL."""

from __future__ import annotations

import collections
import threading
from collections.abc import Sequence
from typing import Any

from hpo.coordinator._sampler_process import SAMPLER_WRITES, SamplerProcess, Write
from hpo.coordinator._writer import SqlWriter
from hpo.distributions import BaseDistribution, check_distribution_compatibility
from hpo.storages import InMemoryStorage, get_storage
from hpo.study import FrozenStudy, StudyDirection
from hpo.trial import FrozenTrial, TrialState

#: How many sampler processes wait, started, for the next studies.
_SPARES = 2


class MirroredStorage(InMemoryStorage):
    """Reads answer from memory; writes go to memory at once and to ``backend`` in order, in batches.

    The coordinator is the only writer of the studies it hosts, so its memory is the truth and
    SQL trails it by one writer batch. Creating studies and trials is synchronous (SQL assigns
    the ids); everything else is written behind. ``flush()`` waits for SQL to catch up. A study
    whose sampler runs in a process of its own (:meth:`start_sampler`) gets the same writes.
    """

    def __init__(self, storage_url: str) -> None:
        super().__init__()
        self.backend = get_storage(storage_url)
        self.writer = SqlWriter(storage_url)
        self._samplers: dict[int, SamplerProcess] = {}
        self._creation_locks: dict[int, threading.Lock] = {}
        # Sampler processes started ahead (each imports for about a second), so that studies
        # submitted back to back each find one ready.
        self._spares = collections.deque(SamplerProcess() for _ in range(_SPARES))

    def host(self, study_name: str) -> int:
        """Load a study and all its trials from SQL into memory; return its id."""
        study_id = self.backend.get_study_id_from_name(study_name)
        if study_id in self._studies:
            return study_id
        self.adopt_study(
            FrozenStudy(
                study_name=study_name,
                directions=self.backend.get_study_directions(study_id),
                user_attrs=self.backend.get_study_user_attrs(study_id),
                system_attrs=self.backend.get_study_system_attrs(study_id),
                study_id=study_id,
            )
        )
        for trial in self.backend.get_all_trials(study_id, deepcopy=True):
            self.adopt_trial(study_id, trial)
        return study_id

    def flush(self, timeout: float | None = None) -> bool:
        return self.writer.flush(timeout)

    def close(self) -> None:
        for process in [*self._samplers.values(), *self._spares]:
            self.stop_sampler(process)
        self.writer.close()
        self.backend.close()

    # --- synchronous creation -----------------------------------------------------------------
    def create_new_study(self, directions: Sequence[StudyDirection], study_name: str | None = None) -> int:
        study_id = self.backend.create_new_study(directions, study_name)
        return self.host(self.backend.get_study_name_from_id(study_id))

    def create_new_trial(self, study_id: int, template_trial: FrozenTrial | None = None) -> int:
        # Only this method creates trials of hosted studies, one at a time per study, so SQL's
        # numbers match memory's.
        with self._creation_lock(study_id):
            if template_trial is not None:
                self._check_template(study_id, template_trial)  # SQL's params trail memory's: memory decides
            trial_id = self.backend.create_new_trial(study_id, template_trial)
            self._adopt_created(study_id, trial_id, template_trial)
        return trial_id

    def _creation_lock(self, study_id: int) -> threading.Lock:
        with self._lock:
            return self._creation_locks.setdefault(study_id, threading.Lock())

    def _check_template(self, study_id: int, template: FrozenTrial) -> None:
        with self._lock:
            known = self._study(study_id).param_distribution
            for name, distribution in template.distributions.items():
                if name in known:
                    check_distribution_compatibility(known[name], distribution, param_name=name)

    def _adopt_created(self, study_id: int, trial_id: int, template_trial: FrozenTrial | None) -> None:
        with self._lock:
            number = len(self._study(study_id).trials)
            if template_trial is None:
                trial = FrozenTrial.new_running(number, trial_id)
            else:
                trial = template_trial.renumbered(number, trial_id)
            self.adopt_trial(study_id, trial)
            sampler = self._samplers.get(study_id)
            if sampler is not None:
                sampler.feed("adopt_trial", (study_id, trial))  # stored trials are never mutated: no copy

    def delete_study(self, study_id: int) -> None:
        self.flush()
        self.backend.delete_study(study_id)
        super().delete_study(study_id)

    # --- the studies' samplers ----------------------------------------------------------------
    def build_sampler(self, spec: dict[str, Any] | None, n_objectives: int,
                      spec_modules: tuple[str, ...] = (), pruner_spec: dict[str, Any] | None = None) -> SamplerProcess:
        """A sampler process that built the sampler of ``spec`` (None: the default), and the study's
        pruner of ``pruner_spec`` that the sampler reads trials through, from hpo's modules and
        ``spec_modules`` only; raises what building it raised, e.g. :class:`~hpo.exceptions.SpecError`,
        and then keeps no process."""
        with self._lock:
            process = self._spares.popleft()
            self._spares.append(SamplerProcess())  # imports while this one builds
        try:
            process.build(spec, n_objectives, spec_modules, pruner_spec)
        except BaseException:
            process.close()
            raise
        return process

    def start_sampler(self, study_id: int, process: SamplerProcess) -> SamplerProcess:
        """Run the sampler ``process`` built for the study, on a replica of the study that every
        later write to it reaches; the process is the study's sampler here."""
        with self._lock:
            frozen = FrozenStudy(
                study_name=self.get_study_name_from_id(study_id), directions=self.get_study_directions(study_id),
                user_attrs=self.get_study_user_attrs(study_id), system_attrs=self.get_study_system_attrs(study_id),
                study_id=study_id,
            )
            trials = self.get_all_trials(study_id, deepcopy=False)
            self._samplers[study_id] = process
        process.host(frozen, trials, self.apply_sampler_writes)  # out of the lock: a big study takes a while
        return process

    def stop_sampler(self, process: SamplerProcess) -> None:
        with self._lock:
            for study_id, running in list(self._samplers.items()):
                if running is process:
                    del self._samplers[study_id]
        process.close()

    def apply_sampler_writes(self, writes: list[Write]) -> None:
        """Apply what a sampler process wrote to its replica (system attributes and the like)."""
        for method, args in writes:
            if method not in SAMPLER_WRITES:
                raise ValueError(f"A sampler process sent back a write this storage does not take from it: {method!r}.")
            getattr(self, method)(*args)

    # --- written behind -----------------------------------------------------------------------
    def _written(self, study_id: int, method: str, *args: Any) -> None:
        """Queue a write for SQL and for the study's sampler process (the caller holds the lock, so
        both see the writes in the order memory took them)."""
        self.writer.call(method, *args)
        sampler = self._samplers.get(study_id)
        if sampler is not None:
            sampler.feed(method, args)

    def _trial_written(self, trial_id: int, method: str, *args: Any) -> None:
        self._written(self._locate(trial_id)[0], method, trial_id, *args)

    def set_study_user_attr(self, study_id: int, key: str, value: Any) -> None:
        with self._lock:
            super().set_study_user_attr(study_id, key, value)
            self._written(study_id, "set_study_user_attr", study_id, key, value)

    def set_study_system_attr(self, study_id: int, key: str, value: Any) -> None:
        with self._lock:
            super().set_study_system_attr(study_id, key, value)
            self._written(study_id, "set_study_system_attr", study_id, key, value)

    def set_trial_param(
        self, trial_id: int, param_name: str, param_value_internal: float, distribution: BaseDistribution
    ) -> None:
        with self._lock:
            super().set_trial_param(trial_id, param_name, param_value_internal, distribution)
            self._trial_written(trial_id, "set_trial_param", param_name, param_value_internal, distribution)

    def set_trial_state_values(
        self, trial_id: int, state: TrialState, values: Sequence[float] | None = None
    ) -> bool:
        with self._lock:
            changed = super().set_trial_state_values(trial_id, state, values)
            if changed:
                self._trial_written(trial_id, "set_trial_state_values", state, values)
        return changed

    def set_trial_intermediate_value(self, trial_id: int, step: int, intermediate_value: float) -> None:
        with self._lock:
            super().set_trial_intermediate_value(trial_id, step, intermediate_value)
            self._trial_written(trial_id, "set_trial_intermediate_value", step, intermediate_value)

    def set_trial_user_attr(self, trial_id: int, key: str, value: Any) -> None:
        with self._lock:
            super().set_trial_user_attr(trial_id, key, value)
            self._trial_written(trial_id, "set_trial_user_attr", key, value)

    def set_trial_system_attr(self, trial_id: int, key: str, value: Any) -> None:
        with self._lock:
            super().set_trial_system_attr(trial_id, key, value)
            self._trial_written(trial_id, "set_trial_system_attr", key, value)
