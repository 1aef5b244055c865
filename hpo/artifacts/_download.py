"""``download_artifact``: an artifact's bytes from the store to a new file."""

from __future__ import annotations

import os
import shutil

from hpo.artifacts._protocol import ArtifactStore


def download_artifact(*, artifact_store: ArtifactStore, file_path: str, artifact_id: str) -> None:
    """Write artifact ``artifact_id`` of ``artifact_store`` to ``file_path``, which must not exist yet
    (FileExistsError); :class:`~hpo.artifacts.exceptions.ArtifactNotFound` when the store has no such artifact."""
    if os.path.exists(file_path):
        raise FileExistsError(f"File already exists: {file_path}")
    with artifact_store.open_reader(artifact_id) as reader, open(file_path, "wb") as writer:
        shutil.copyfileobj(reader, writer)
