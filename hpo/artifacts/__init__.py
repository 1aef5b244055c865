"""Artifacts: files a trial or study produces (models, plots, logs), kept in an artifact store, their
metas in the trial's or study's system attrs (Optuna's ``optuna.artifacts``, the same attrs).

From a Celery worker, ``upload_artifact(..., study_or_trial=trial)`` works unchanged: the store must
be one the workers and the readers share (a shared path, S3, GCS); the meta reaches the storage
through the coordinator.
"""

from hpo.artifacts import exceptions
from hpo.artifacts._backoff import Backoff
from hpo.artifacts._boto3 import Boto3ArtifactStore
from hpo.artifacts._download import download_artifact
from hpo.artifacts._filesystem import FileSystemArtifactStore
from hpo.artifacts._gcs import GCSArtifactStore
from hpo.artifacts._meta import ARTIFACTS_ATTR_PREFIX, ArtifactMeta, artifact_attr
from hpo.artifacts._protocol import ArtifactStore
from hpo.artifacts._upload import RecordsArtifacts, get_all_artifact_meta, upload_artifact

__all__ = [
    "ARTIFACTS_ATTR_PREFIX",
    "ArtifactMeta",
    "ArtifactStore",
    "Backoff",
    "Boto3ArtifactStore",
    "FileSystemArtifactStore",
    "GCSArtifactStore",
    "RecordsArtifacts",
    "artifact_attr",
    "download_artifact",
    "exceptions",
    "get_all_artifact_meta",
    "upload_artifact",
]
