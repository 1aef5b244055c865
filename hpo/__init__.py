"""hpo: Optuna's define-by-run API, distributed over Celery workers with a coordinator and a SQL store.

Moving from Optuna means changing the import: ``import hpo as optuna``.
"""

from hpo import (
    artifacts,
    distributions,
    exceptions,
    importance,
    integration,
    logging,
    pruners,
    samplers,
    search_space,
    storage,
    storages,
    study,
    trial,
    version,
    visualization,
)
from hpo.distributed.client import StudyHandle, get_study_handle, submit_study
from hpo.distributed.objectives import objective
from hpo.exceptions import TrialPruned
from hpo.study import (
    Study,
    copy_study,
    create_study,
    delete_study,
    get_all_study_names,
    get_all_study_summaries,
    load_study,
)
from hpo.trial import FixedTrial, Trial, TrialState, create_trial
from hpo.version import __version__

__all__ = [
    "FixedTrial",
    "Study",
    "StudyHandle",
    "Trial",
    "TrialPruned",
    "TrialState",
    "__version__",
    "artifacts",
    "copy_study",
    "create_study",
    "create_trial",
    "delete_study",
    "distributions",
    "exceptions",
    "get_all_study_names",
    "get_all_study_summaries",
    "get_study_handle",
    "importance",
    "integration",
    "load_study",
    "logging",
    "objective",
    "pruners",
    "samplers",
    "search_space",
    "storage",
    "storages",
    "study",
    "submit_study",
    "trial",
    "version",
    "visualization",
]
