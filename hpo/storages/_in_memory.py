"""A thread-safe storage that keeps everything in the memory of one process."""

from __future__ import annotations

import copy
import datetime
import threading
import uuid
from collections.abc import Container, Sequence
from typing import Any

from hpo.distributions import BaseDistribution, check_distribution_compatibility
from hpo.exceptions import DuplicatedStudyError, StudyNotFoundError, TrialNotFoundError
from hpo.records import FrozenStudy, StudyDirection, TrialState
from hpo.storages._base import BaseStorage
from hpo.trial import FrozenTrial

DEFAULT_STUDY_NAME_PREFIX = "no-name-"


class _StudyInfo:
    def __init__(self, name: str, directions: list[StudyDirection]) -> None:
        self.name = name
        self.directions = directions
        self.user_attrs: dict[str, Any] = {}
        self.system_attrs: dict[str, Any] = {}
        self.trials: list[FrozenTrial] = []
        self.param_distribution: dict[str, BaseDistribution] = {}
        self.best_number: int | None = None  # kept up to date, so best_trial costs O(1)
        self.numbers_by_state: dict[TrialState, set[int]] = {state: set() for state in TrialState}

    def record(self, trial: FrozenTrial, previous: TrialState | None = None) -> None:
        """Index a new trial, or one whose state changed from ``previous``."""
        if previous is not None:
            self.numbers_by_state[previous].discard(trial.number)
        self.numbers_by_state[trial.state].add(trial.number)
        self._consider_for_best(trial)

    def _consider_for_best(self, trial: FrozenTrial) -> None:
        if len(self.directions) != 1 or trial.state != TrialState.COMPLETE or not trial.values:
            return
        if self.best_number is None:
            self.best_number = trial.number
            return
        best = self.trials[self.best_number].values[0]  # type: ignore[index]
        value = trial.values[0]
        if value < best if self.directions[0] != StudyDirection.MAXIMIZE else value > best:
            self.best_number = trial.number


class InMemoryStorage(BaseStorage):
    """Studies in a dict, guarded by one lock. Lost when the process exits."""

    def __init__(self) -> None:
        self._studies: dict[int, _StudyInfo] = {}
        self._trial_id_to_study_id_and_number: dict[int, tuple[int, int]] = {}
        self._study_name_to_id: dict[str, int] = {}
        self._max_study_id = -1
        self._max_trial_id = -1
        # Trials whose object (and so its intermediate_values dict) no caller can hold: a report adds its
        # step in place, O(1), instead of copying every step so far. Handing a trial out by reference
        # (get_all_trials(deepcopy=False)) takes it off; the next report copies once and puts it back.
        self._steps_private: set[int] = set()
        self._lock = threading.RLock()

    def __getstate__(self) -> dict[Any, Any]:
        state = self.__dict__.copy()
        del state["_lock"]
        return state

    def __setstate__(self, state: dict[Any, Any]) -> None:
        self.__dict__.update(state)
        self._lock = threading.RLock()

    # --- studies ------------------------------------------------------------------------------
    def create_new_study(self, directions: Sequence[StudyDirection], study_name: str | None = None) -> int:
        with self._lock:
            study_id = self._max_study_id + 1
            self._max_study_id += 1
            name = study_name if study_name is not None else DEFAULT_STUDY_NAME_PREFIX + str(uuid.uuid4())
            if name in self._study_name_to_id:
                raise DuplicatedStudyError(
                    f"A study named {name!r} already exists. Pass load_if_exists=True to resume it, "
                    "or choose another name."
                )
            self._studies[study_id] = _StudyInfo(name, list(directions))
            self._study_name_to_id[name] = study_id
            return study_id

    def delete_study(self, study_id: int) -> None:
        with self._lock:
            study = self._study(study_id)
            for trial in study.trials:
                del self._trial_id_to_study_id_and_number[trial.trial_id]
                self._steps_private.discard(trial.trial_id)
            del self._study_name_to_id[study.name]
            del self._studies[study_id]

    def set_study_user_attr(self, study_id: int, key: str, value: Any) -> None:
        with self._lock:
            self._study(study_id).user_attrs[key] = value

    def set_study_system_attr(self, study_id: int, key: str, value: Any) -> None:
        with self._lock:
            self._study(study_id).system_attrs[key] = value

    def get_study_id_from_name(self, study_name: str) -> int:
        with self._lock:
            if study_name not in self._study_name_to_id:
                raise StudyNotFoundError(_unknown_study_message(study_name, list(self._study_name_to_id)))
            return self._study_name_to_id[study_name]

    def get_study_name_from_id(self, study_id: int) -> str:
        with self._lock:
            return self._study(study_id).name

    def get_study_directions(self, study_id: int) -> list[StudyDirection]:
        with self._lock:
            return list(self._study(study_id).directions)

    def get_study_user_attrs(self, study_id: int) -> dict[str, Any]:
        with self._lock:
            return copy.deepcopy(self._study(study_id).user_attrs)

    def get_study_system_attrs(self, study_id: int) -> dict[str, Any]:
        with self._lock:
            return copy.deepcopy(self._study(study_id).system_attrs)

    def get_all_studies(self) -> list[FrozenStudy]:
        with self._lock:
            return [
                FrozenStudy(
                    study_name=s.name,
                    directions=list(s.directions),
                    user_attrs=copy.deepcopy(s.user_attrs),
                    system_attrs=copy.deepcopy(s.system_attrs),
                    study_id=study_id,
                )
                for study_id, s in self._studies.items()
            ]

    # --- trials -------------------------------------------------------------------------------
    def create_new_trial(self, study_id: int, template_trial: FrozenTrial | None = None) -> int:
        with self._lock:
            study = self._study(study_id)
            trial_id = self._max_trial_id + 1
            self._max_trial_id += 1
            number = len(study.trials)
            if template_trial is None:
                trial = FrozenTrial.new_running(number, trial_id)
            else:
                self._check_and_record_distributions(study, template_trial.distributions)
                trial = template_trial.renumbered(number, trial_id)
            study.trials.append(trial)
            self._trial_id_to_study_id_and_number[trial_id] = (study_id, number)
            study.record(trial)
            return trial_id

    def set_trial_param(
        self, trial_id: int, param_name: str, param_value_internal: float, distribution: BaseDistribution
    ) -> None:
        with self._lock:
            trial, study = self._updatable_trial(trial_id)
            self._check_and_record_distributions(study, {param_name: distribution})
            trial = copy.copy(trial)
            trial.params = {**trial.params, param_name: distribution.to_external_repr(param_value_internal)}
            trial.distributions = {**trial.distributions, param_name: distribution}
            self._replace(trial_id, trial)

    def get_trial_id_from_study_id_trial_number(self, study_id: int, trial_number: int) -> int:
        with self._lock:
            trials = self._study(study_id).trials
            if not 0 <= trial_number < len(trials):
                raise TrialNotFoundError(
                    f"Study {study_id} has no trial number {trial_number}; it has {len(trials)} trials."
                )
            return trials[trial_number].trial_id

    def set_trial_state_values(
        self, trial_id: int, state: TrialState, values: Sequence[float] | None = None
    ) -> bool:
        with self._lock:
            trial, study = self._updatable_trial(trial_id)
            previous = trial.state
            if state == TrialState.RUNNING and previous != TrialState.WAITING:
                return False
            trial = copy.copy(trial)
            trial.state = state
            if values is not None:
                trial.values = values
            if state == TrialState.RUNNING:
                trial.datetime_start = datetime.datetime.now()
            if state.is_finished():
                trial.datetime_complete = datetime.datetime.now()
                self._steps_private.discard(trial_id)
            self._replace(trial_id, trial)
            study.record(trial, previous)
            return True

    def set_trial_intermediate_value(self, trial_id: int, step: int, intermediate_value: float) -> None:
        with self._lock:
            trial, _ = self._updatable_trial(trial_id)
            if trial_id in self._steps_private:
                trial.intermediate_values[step] = intermediate_value
                return
            trial = copy.copy(trial)
            trial.intermediate_values = {**trial.intermediate_values, step: intermediate_value}
            self._replace(trial_id, trial)
            self._steps_private.add(trial_id)

    def set_trial_user_attr(self, trial_id: int, key: str, value: Any) -> None:
        with self._lock:
            trial, _ = self._updatable_trial(trial_id)
            trial = copy.copy(trial)
            trial.user_attrs = {**trial.user_attrs, key: value}
            self._replace(trial_id, trial)

    def set_trial_system_attr(self, trial_id: int, key: str, value: Any) -> None:
        with self._lock:
            trial, _ = self._updatable_trial(trial_id)
            trial = copy.copy(trial)
            trial.system_attrs = {**trial.system_attrs, key: value}
            self._replace(trial_id, trial)

    def get_best_trial(self, study_id: int) -> FrozenTrial:
        with self._lock:
            study = self._study(study_id)
            if len(study.directions) > 1:
                raise RuntimeError("A multi-objective study has no single best trial; use `best_trials`.")
            if study.best_number is None:
                raise ValueError("No trial is completed yet, so there is no best trial.")
            return copy.deepcopy(study.trials[study.best_number])

    def get_trial(self, trial_id: int) -> FrozenTrial:
        with self._lock:
            return copy.deepcopy(self._trial(trial_id))

    def get_trial_number_from_id(self, trial_id: int) -> int:
        with self._lock:
            return self._locate(trial_id)[1]

    def get_all_trials(
        self, study_id: int, deepcopy: bool = True, states: Container[TrialState] | None = None
    ) -> list[FrozenTrial]:
        with self._lock:
            study = self._study(study_id)
            if not deepcopy:  # the caller holds these objects now: later reports must not change them
                for state in (TrialState.RUNNING, TrialState.WAITING):
                    if states is None or state in states:
                        held = study.numbers_by_state[state]
                        self._steps_private.difference_update(study.trials[n].trial_id for n in held)
            if states is None:
                trials = list(study.trials)
            else:  # from the state index: asking for the few WAITING or RUNNING trials costs no scan
                numbers = [n for state in TrialState if state in states for n in study.numbers_by_state[state]]
                trials = [study.trials[n] for n in sorted(numbers)]
            return copy.deepcopy(trials) if deepcopy else trials

    def get_n_trials(self, study_id: int, state: TrialState | Sequence[TrialState] | None = None) -> int:
        with self._lock:
            study = self._study(study_id)
            if state is None:
                return len(study.trials)
            states = (state,) if isinstance(state, TrialState) else state
            return sum(len(study.numbers_by_state[s]) for s in set(states))

    # --- adopting data from another storage (the coordinator's in-memory view of SQL) -------------
    def adopt_study(self, study: FrozenStudy) -> None:
        """Hold ``study`` under its own id (no trials yet), e.g. to mirror a SQL study in memory."""
        with self._lock:
            info = _StudyInfo(study.study_name, list(study.directions))
            info.user_attrs = copy.deepcopy(study.user_attrs)
            info.system_attrs = copy.deepcopy(study.system_attrs)
            self._studies[study.study_id] = info
            self._study_name_to_id[study.study_name] = study.study_id

    def adopt_trial(self, study_id: int, trial: FrozenTrial) -> None:
        """Append ``trial`` with its own id; its number must be the next one of the study."""
        with self._lock:
            study = self._study(study_id)
            if trial.number != len(study.trials):
                raise ValueError(f"Trial number {trial.number} is not the next one ({len(study.trials)}).")
            self._check_and_record_distributions(study, trial.distributions)
            study.trials.append(trial)
            self._trial_id_to_study_id_and_number[trial.trial_id] = (study_id, trial.number)
            study.record(trial)

    # --- helpers ------------------------------------------------------------------------------
    def _study(self, study_id: int) -> _StudyInfo:
        if study_id not in self._studies:
            raise StudyNotFoundError(f"No study with id {study_id}.")
        return self._studies[study_id]

    def _locate(self, trial_id: int) -> tuple[int, int]:
        if trial_id not in self._trial_id_to_study_id_and_number:
            raise TrialNotFoundError(f"No trial with id {trial_id}.")
        return self._trial_id_to_study_id_and_number[trial_id]

    def _trial(self, trial_id: int) -> FrozenTrial:
        study_id, number = self._locate(trial_id)
        return self._studies[study_id].trials[number]

    def _updatable_trial(self, trial_id: int) -> tuple[FrozenTrial, _StudyInfo]:
        trial = self._trial(trial_id)
        self.check_trial_is_updatable(trial_id, trial.state)
        return trial, self._studies[self._locate(trial_id)[0]]

    def _replace(self, trial_id: int, trial: FrozenTrial) -> None:
        # Trials handed out with deepcopy=False are never mutated: updates swap in a new object (a report
        # adds its step in place only to a trial in _steps_private, which nobody outside holds).
        study_id, number = self._locate(trial_id)
        self._studies[study_id].trials[number] = trial

    @staticmethod
    def _check_and_record_distributions(study: _StudyInfo, distributions: dict[str, BaseDistribution]) -> None:
        """Check every distribution against the study's first, so that a rejected trial records none."""
        for name, dist in distributions.items():
            if name in study.param_distribution:
                check_distribution_compatibility(study.param_distribution[name], dist, param_name=name)
        for name, dist in distributions.items():
            study.param_distribution.setdefault(name, dist)


def _unknown_study_message(name: str, existing: list[str]) -> str:
    listed = ", ".join(repr(n) for n in sorted(existing)[:20]) or "none"
    more = f" (and {len(existing) - 20} more)" if len(existing) > 20 else ""
    return (
        f"No study named {name!r}. Existing studies: {listed}{more}. Check the name and the storage URL, "
        "or create it with create_study()."
    )
