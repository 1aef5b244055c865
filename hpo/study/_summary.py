"""``StudySummary``: a study as ``get_all_study_summaries`` lists it."""

from __future__ import annotations

import dataclasses
import datetime
from typing import Any

from hpo.records import StudyDirection, single_direction
from hpo.trial import FrozenTrial


@dataclasses.dataclass
class StudySummary:
    """A study with its trial count, start time and best trial."""

    study_name: str
    directions: list[StudyDirection]
    best_trial: FrozenTrial | None
    user_attrs: dict[str, Any]
    system_attrs: dict[str, Any]
    n_trials: int
    datetime_start: datetime.datetime | None
    study_id: int

    @property
    def direction(self) -> StudyDirection:
        return single_direction(self.directions)
