"""The storage contract every backend fulfils."""

from __future__ import annotations

import abc
import copy
from collections.abc import Container, Sequence
from typing import Any

from hpo.distributions import BaseDistribution
from hpo.exceptions import UpdateFinishedTrialError
from hpo.records import FrozenStudy, StudyDirection, TrialState
from hpo.trial import FrozenTrial


class BaseStorage(abc.ABC):
    """Where studies and trials live.

    Contract, as the suite :class:`hpo.testing.StorageContract` checks it (on every backend in ``tests/storage``):

    - **Thread safety.** Every method may be called from several threads of one process at once.
    - **Process safety** (persistent backends). Several processes may share one study. Trial numbers
      within a study are unique and consecutive from 0, whichever process created the trial, and no
      call fails because another process holds a lock ("database is locked" is retried internally).
    - **Finished trials are immutable.** Any change to a COMPLETE, PRUNED or FAIL trial raises
      :class:`~hpo.exceptions.UpdateFinishedTrialError` and leaves the stored trial unchanged.
    - **Popping waiting trials is atomic.** ``set_trial_state_values(id, RUNNING)`` on a WAITING
      trial returns True for exactly one caller; the others get False.
    - **Copies.** Returned trials and attribute dicts are the caller's to modify, except with
      ``get_all_trials(deepcopy=False)``, whose trials the caller must treat as read-only.
    - **Order.** ``get_all_trials`` returns trials sorted by number.
    - **Errors.** Unknown ids raise :class:`~hpo.exceptions.StudyNotFoundError` /
      :class:`~hpo.exceptions.TrialNotFoundError`; a duplicate study name raises
      :class:`~hpo.exceptions.DuplicatedStudyError`; a parameter whose distribution is incompatible
      with the one the study already uses for that name raises ``ValueError``.
    - Attribute values must be JSON-serializable.
    """

    # --- studies ------------------------------------------------------------------------------
    @abc.abstractmethod
    def create_new_study(self, directions: Sequence[StudyDirection], study_name: str | None = None) -> int:
        """Create a study and return its id; a name is generated when ``study_name`` is None."""

    @abc.abstractmethod
    def delete_study(self, study_id: int) -> None:
        """Delete a study with all its trials."""

    @abc.abstractmethod
    def set_study_user_attr(self, study_id: int, key: str, value: Any) -> None: ...

    @abc.abstractmethod
    def set_study_system_attr(self, study_id: int, key: str, value: Any) -> None: ...

    @abc.abstractmethod
    def get_study_id_from_name(self, study_name: str) -> int:
        """The id of the named study; the error lists the names that exist."""

    @abc.abstractmethod
    def get_study_name_from_id(self, study_id: int) -> str: ...

    @abc.abstractmethod
    def get_study_directions(self, study_id: int) -> list[StudyDirection]: ...

    @abc.abstractmethod
    def get_study_user_attrs(self, study_id: int) -> dict[str, Any]: ...

    @abc.abstractmethod
    def get_study_system_attrs(self, study_id: int) -> dict[str, Any]: ...

    @abc.abstractmethod
    def get_all_studies(self) -> list[FrozenStudy]: ...

    # --- trials -------------------------------------------------------------------------------
    @abc.abstractmethod
    def create_new_trial(self, study_id: int, template_trial: FrozenTrial | None = None) -> int:
        """Create a trial (RUNNING, or a copy of ``template_trial``) with the next number; return its id."""

    @abc.abstractmethod
    def set_trial_param(
        self, trial_id: int, param_name: str, param_value_internal: float, distribution: BaseDistribution
    ) -> None:
        """Store a parameter's internal value, checking the distribution against the study's."""

    @abc.abstractmethod
    def get_trial_id_from_study_id_trial_number(self, study_id: int, trial_number: int) -> int: ...

    @abc.abstractmethod
    def set_trial_state_values(
        self, trial_id: int, state: TrialState, values: Sequence[float] | None = None
    ) -> bool:
        """Move a trial to ``state`` with ``values``; False when asked for RUNNING on a non-WAITING trial."""

    @abc.abstractmethod
    def set_trial_intermediate_value(self, trial_id: int, step: int, intermediate_value: float) -> None: ...

    @abc.abstractmethod
    def set_trial_user_attr(self, trial_id: int, key: str, value: Any) -> None: ...

    @abc.abstractmethod
    def set_trial_system_attr(self, trial_id: int, key: str, value: Any) -> None: ...

    @abc.abstractmethod
    def get_trial(self, trial_id: int) -> FrozenTrial: ...

    @abc.abstractmethod
    def get_all_trials(
        self, study_id: int, deepcopy: bool = True, states: Container[TrialState] | None = None
    ) -> list[FrozenTrial]:
        """The study's trials sorted by number, optionally only those in ``states``."""

    # --- derived queries (backends may answer them faster) -------------------------------------
    def get_n_trials(self, study_id: int, state: TrialState | Sequence[TrialState] | None = None) -> int:
        states = (state,) if isinstance(state, TrialState) else state
        return len(self.get_all_trials(study_id, deepcopy=False, states=states))

    def get_best_trial(self, study_id: int) -> FrozenTrial:
        """The best COMPLETE trial of a single-objective study; ``ValueError`` when there is none."""
        directions = self.get_study_directions(study_id)
        if len(directions) > 1:
            raise RuntimeError("A multi-objective study has no single best trial; use `best_trials`.")
        trials = self.get_all_trials(study_id, deepcopy=False, states=(TrialState.COMPLETE,))
        if not trials:
            raise ValueError("No trial is completed yet, so there is no best trial.")
        key = (lambda t: t.values[0]) if directions[0] != StudyDirection.MAXIMIZE else (lambda t: -t.values[0])
        return copy.deepcopy(min(trials, key=key))

    def get_trial_number_from_id(self, trial_id: int) -> int:
        return self.get_trial(trial_id).number

    def get_trial_params(self, trial_id: int) -> dict[str, Any]:
        return self.get_trial(trial_id).params

    def get_trial_param(self, trial_id: int, param_name: str) -> float:
        trial = self.get_trial(trial_id)
        return trial.distributions[param_name].to_internal_repr(trial.params[param_name])

    def check_trial_is_updatable(self, trial_id: int, trial_state: TrialState) -> None:
        """Raise :class:`UpdateFinishedTrialError` when the trial is finished."""
        if trial_state.is_finished():
            number = self.get_trial_number_from_id(trial_id)
            raise UpdateFinishedTrialError(
                f"Trial#{number} has already finished ({trial_state.name}) and cannot be updated. "
                "Finished trials are immutable; create a new trial instead."
            )

    def close(self) -> None:
        """Release connections and other resources."""
