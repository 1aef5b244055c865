"""The coordinator's view of its studies: in memory, with every change written behind to SQL."""

from __future__ import annotations

import datetime
from collections.abc import Callable, Sequence
from typing import Any

from hpo.distributions import BaseDistribution
from hpo.storage import InMemoryStorage, get_storage
from hpo.study._frozen import FrozenStudy
from hpo.study._study_direction import StudyDirection
from hpo.trial import FrozenTrial, TrialState
from hpo.coordinator._writer import SqlWriter


class MirroredStorage(InMemoryStorage):
    """Reads answer from memory; writes go to memory at once and to ``backend`` in order, in batches.

    The coordinator is the only writer of the studies it hosts, so its memory is the truth and
    SQL trails it by one writer batch. Creating studies and trials is synchronous (SQL assigns
    the ids); everything else is written behind. ``flush()`` waits for SQL to catch up.
    """

    def __init__(self, storage_url: str) -> None:
        super().__init__()
        self.backend = get_storage(storage_url)
        self.writer = SqlWriter(storage_url)

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
        self.writer.close()
        self.backend.close()

    # --- synchronous creation -----------------------------------------------------------------
    def create_new_study(self, directions: Sequence[StudyDirection], study_name: str | None = None) -> int:
        study_id = self.backend.create_new_study(directions, study_name)
        return self.host(self.backend.get_study_name_from_id(study_id))

    def create_new_trial(self, study_id: int, template_trial: FrozenTrial | None = None) -> int:
        # Only this method creates trials of hosted studies, so SQL's numbers match memory's.
        trial_id = self.backend.create_new_trial(study_id, template_trial)
        with self._lock:
            number = len(self._study(study_id).trials)
            if template_trial is None:
                trial = FrozenTrial(
                    number=number, state=TrialState.RUNNING, value=None, datetime_start=datetime.datetime.now(),
                    datetime_complete=None, params={}, distributions={}, user_attrs={}, system_attrs={},
                    intermediate_values={}, trial_id=trial_id,
                )
            else:
                trial = FrozenTrial(
                    number=number, state=template_trial.state, value=None, values=template_trial.values,
                    datetime_start=template_trial.datetime_start, datetime_complete=template_trial.datetime_complete,
                    params=dict(template_trial.params), distributions=dict(template_trial.distributions),
                    user_attrs=dict(template_trial.user_attrs), system_attrs=dict(template_trial.system_attrs),
                    intermediate_values=dict(template_trial.intermediate_values), trial_id=trial_id,
                )
            self.adopt_trial(study_id, trial)
        return trial_id

    def delete_study(self, study_id: int) -> None:
        self.flush()
        self.backend.delete_study(study_id)
        super().delete_study(study_id)

    def after_stored(self, callback: Callable[[], None]) -> None:
        """Run ``callback`` (on the thread that hears back from the SQL writer) once every write made so far is in SQL."""
        self.writer.on_done(callback)

    # --- written behind -----------------------------------------------------------------------
    def set_study_user_attr(self, study_id: int, key: str, value: Any) -> None:
        super().set_study_user_attr(study_id, key, value)
        self.writer.call("set_study_user_attr", study_id, key, value)

    def set_study_system_attr(self, study_id: int, key: str, value: Any) -> None:
        super().set_study_system_attr(study_id, key, value)
        self.writer.call("set_study_system_attr", study_id, key, value)

    def set_trial_param(
        self, trial_id: int, param_name: str, param_value_internal: float, distribution: BaseDistribution
    ) -> None:
        super().set_trial_param(trial_id, param_name, param_value_internal, distribution)
        self.writer.call("set_trial_param", trial_id, param_name, param_value_internal, distribution)

    def set_trial_state_values(
        self, trial_id: int, state: TrialState, values: Sequence[float] | None = None
    ) -> bool:
        changed = super().set_trial_state_values(trial_id, state, values)
        if changed:
            self.writer.call("set_trial_state_values", trial_id, state, values)
        return changed

    def set_trial_intermediate_value(self, trial_id: int, step: int, intermediate_value: float) -> None:
        super().set_trial_intermediate_value(trial_id, step, intermediate_value)
        self.writer.call("set_trial_intermediate_value", trial_id, step, intermediate_value)

    def set_trial_user_attr(self, trial_id: int, key: str, value: Any) -> None:
        super().set_trial_user_attr(trial_id, key, value)
        self.writer.call("set_trial_user_attr", trial_id, key, value)

    def set_trial_system_attr(self, trial_id: int, key: str, value: Any) -> None:
        super().set_trial_system_attr(trial_id, key, value)
        self.writer.call("set_trial_system_attr", trial_id, key, value)
