"""Studies: optimization tasks, their lifecycle and their callbacks."""

from hpo.records import FrozenStudy, StudyDirection
from hpo.study._callbacks import MaxTrialsCallback
from hpo.study._lifecycle import (
    copy_study,
    create_study,
    delete_study,
    get_all_study_names,
    get_all_study_summaries,
    load_study,
)
from hpo.study._study import Study
from hpo.study._summary import StudySummary

__all__ = [
    "FrozenStudy",
    "MaxTrialsCallback",
    "Study",
    "StudyDirection",
    "StudySummary",
    "copy_study",
    "create_study",
    "delete_study",
    "get_all_study_names",
    "get_all_study_summaries",
    "load_study",
]
