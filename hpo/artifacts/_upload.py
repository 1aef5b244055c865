"""``upload_artifact`` and ``get_all_artifact_meta``: an artifact's bytes go to the store, its meta to
the trial's or study's system attrs.

On a Celery worker the objective's trial has no storage (workers never touch the database): the meta
is kept by the trial and travels to the coordinator with the trial's next message, which stores it
like Optuna's ``storage.set_trial_system_attr`` would. The store must then be one every worker and
the reader can reach: a shared file system path, S3, GCS.
"""

from __future__ import annotations

import functools
import mimetypes
import os
import uuid
import warnings
from collections.abc import Callable
from typing import Any, Protocol, TypeVar, runtime_checkable

from hpo.artifacts._meta import DEFAULT_MIME_TYPE, ArtifactMeta, artifact_attr, artifact_metas
from hpo.artifacts._protocol import ArtifactStore
from hpo.storages import BaseStorage
from hpo.study import Study
from hpo.trial import FrozenTrial, Trial

_F = TypeVar("_F", bound=Callable[..., Any])

#: Optuna 4's positional order of ``upload_artifact``; Optuna 5 still takes it, with a FutureWarning.
_OLD_POSITIONAL = ("study_or_trial", "file_path", "artifact_store")


@runtime_checkable
class RecordsArtifacts(Protocol):
    """A trial without a storage of its own that keeps its artifact metas and sends them on (a worker's trial)."""

    def record_artifact(self, meta: ArtifactMeta) -> None:
        """Keep ``meta`` as the system attr :func:`~hpo.artifacts.artifact_attr` makes, to be stored with the trial."""

    @property
    def artifact_metas(self) -> list[ArtifactMeta]:
        """The metas recorded on this trial so far."""


def _old_positional(func: _F) -> _F:
    """Accept Optuna 4's positional arguments (study_or_trial, file_path, artifact_store) with a FutureWarning."""

    @functools.wraps(func)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        if args:
            if len(args) > len(_OLD_POSITIONAL):
                raise TypeError(f"{func.__name__}() takes at most {len(_OLD_POSITIONAL)} positional arguments "
                                f"but {len(args)} were given; pass them by keyword.")
            inferred = dict(zip(_OLD_POSITIONAL, args))
            duplicated = sorted(set(inferred) & set(kwargs))
            if duplicated:
                raise TypeError(f"{func.__name__}() got multiple values for arguments {duplicated}.")
            warnings.warn(
                f"Positional arguments {list(_OLD_POSITIONAL)} of {func.__name__}() are deprecated (as in "
                f"Optuna 4.0) and will be removed; pass them by keyword: {func.__name__}(artifact_store=..., "
                "file_path=..., study_or_trial=...).",
                FutureWarning,
                stacklevel=2,
            )
            kwargs.update(inferred)
        return func(**kwargs)

    return wrapper  # type: ignore[return-value]


@_old_positional
def upload_artifact(
    *,
    artifact_store: ArtifactStore,
    file_path: str,
    study_or_trial: Trial | FrozenTrial | Study | RecordsArtifacts,
    storage: BaseStorage | None = None,
    mimetype: str | None = None,
    encoding: str | None = None,
) -> str:
    """Write the file at ``file_path`` to ``artifact_store`` and record its :class:`ArtifactMeta` on
    ``study_or_trial``; return the new artifact id (a UUID4 string).

    ``study_or_trial`` is a :class:`~hpo.study.Study`, a :class:`~hpo.trial.Trial` (the objective's
    trial, in-process or on a worker) or a :class:`~hpo.trial.FrozenTrial`; ``storage`` is needed only
    for a FrozenTrial (the others know theirs). ``mimetype`` and ``encoding`` are guessed from the file
    name when not given (``application/octet-stream`` and None when nothing fits).
    """
    _check_target(study_or_trial, storage)
    filename = os.path.basename(file_path)
    guessed_mimetype, guessed_encoding = mimetypes.guess_type(filename)
    meta = ArtifactMeta(
        artifact_id=str(uuid.uuid4()),
        filename=filename,
        mimetype=mimetype or guessed_mimetype or DEFAULT_MIME_TYPE,
        encoding=encoding or guessed_encoding,
    )
    with open(file_path, "rb") as content:  # a file that cannot be read leaves no meta
        if isinstance(study_or_trial, RecordsArtifacts):  # its meta is sent later: only once the bytes are stored
            artifact_store.write(meta.artifact_id, content)
            study_or_trial.record_artifact(meta)
            return meta.artifact_id
        # As Optuna: the meta first, so a trial that cannot take it (finished, say) gets no bytes stored.
        key, value = artifact_attr(meta)
        if isinstance(study_or_trial, Study):
            (storage or study_or_trial.storage).set_study_system_attr(study_or_trial.study_id, key, value)
        elif isinstance(study_or_trial, Trial) and (storage is None or storage is study_or_trial.study.storage):
            study_or_trial.set_system_attr(key, value)  # the trial's own copy of its attrs stays current
        else:
            assert storage is not None  # _check_target
            storage.set_trial_system_attr(study_or_trial.trial_id, key, value)
        artifact_store.write(meta.artifact_id, content)
    return meta.artifact_id


def get_all_artifact_meta(
    study_or_trial: Trial | FrozenTrial | Study | RecordsArtifacts, *, storage: BaseStorage | None = None
) -> list[ArtifactMeta]:
    """The metas of the artifacts uploaded to ``study_or_trial`` (a study's own artifacts, not its
    trials'), read from the storage; ``storage`` is needed only for a FrozenTrial. On a worker, a
    trial's list holds the artifacts its running attempt uploaded."""
    _check_target(study_or_trial, storage)
    if isinstance(study_or_trial, Study):
        return artifact_metas((storage or study_or_trial.storage).get_study_system_attrs(study_or_trial.study_id))
    if isinstance(study_or_trial, (Trial, FrozenTrial)):
        if storage is None:
            assert isinstance(study_or_trial, Trial)  # _check_target
            storage = study_or_trial.study.storage
        return artifact_metas(storage.get_trial(study_or_trial.trial_id).system_attrs)
    return study_or_trial.artifact_metas


def _check_target(study_or_trial: object, storage: BaseStorage | None) -> None:
    """Raise the error that tells what to pass, for a target and storage that do not go together."""
    if isinstance(study_or_trial, FrozenTrial):
        if storage is None:
            raise ValueError(
                "storage is required for FrozenTrial: pass the storage holding the trial, e.g. "
                "storage=study.storage (a Trial or a Study knows its own)."
            )
    elif isinstance(study_or_trial, RecordsArtifacts):
        if storage is not None:
            raise ValueError(
                "This trial runs on a worker, which never writes to a storage: its artifact metas travel to the "
                "coordinator with the trial. Leave storage out."
            )
    elif not isinstance(study_or_trial, (Study, Trial)):
        raise TypeError(
            f"study_or_trial must be a Study, a Trial or a FrozenTrial, got {type(study_or_trial).__name__}."
        )
    if storage is not None and not isinstance(storage, BaseStorage):
        raise TypeError(
            f"storage must be a BaseStorage (e.g. hpo.storages.get_storage(url)), got {type(storage).__name__}."
        )
