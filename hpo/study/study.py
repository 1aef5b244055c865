"""The study module at Optuna's path ``optuna.study.study``: the class and its lifecycle functions."""

from hpo.study._lifecycle import (
    copy_study,
    create_study,
    delete_study,
    get_all_study_names,
    get_all_study_summaries,
    load_study,
)
from hpo.study._study import Study

__all__ = [
    "Study",
    "copy_study",
    "create_study",
    "delete_study",
    "get_all_study_names",
    "get_all_study_summaries",
    "load_study",
]
