"""``FileSystemArtifactStore``: artifacts as files in one directory (a shared path for workers on many machines)."""

from __future__ import annotations

import os
import shutil
import tempfile
from pathlib import Path
from typing import BinaryIO

from hpo.artifacts.exceptions import ArtifactNotFound


class FileSystemArtifactStore:
    """Keeps each artifact as the file ``base_path/<artifact_id>``.

    ``base_path`` must exist when artifacts are written. For a distributed study it must be the same
    directory on every worker and wherever artifacts are read (an NFS or other shared mount). A write
    goes to a temporary file first and is renamed into place, so a reader never sees half an artifact.
    """

    def __init__(self, base_path: str | Path) -> None:
        self._base_path = Path(base_path)

    def _get_filepath(self, artifact_id: str) -> Path:
        filepath = self._base_path / artifact_id
        base = os.path.abspath(self._base_path)
        if os.path.isabs(artifact_id) or os.path.commonpath([base, os.path.abspath(filepath)]) != base:
            raise ValueError(f"Invalid artifact_id: {artifact_id} (it must name a file inside {self._base_path}).")
        return filepath

    def open_reader(self, artifact_id: str) -> BinaryIO:
        filepath = self._get_filepath(artifact_id)
        try:
            return open(filepath, "rb")
        except FileNotFoundError as e:
            raise ArtifactNotFound(f"No artifact {artifact_id} in {self._base_path}.") from e

    def write(self, artifact_id: str, content_body: BinaryIO) -> None:
        filepath = self._get_filepath(artifact_id)
        if not self._base_path.is_dir():
            raise FileNotFoundError(
                f"The artifact store's directory {self._base_path} does not exist: create it first "
                "(os.makedirs(base_path, exist_ok=True))."
            )
        descriptor, temporary = tempfile.mkstemp(dir=filepath.parent, prefix=f".{filepath.name}.", suffix=".part")
        try:
            with os.fdopen(descriptor, "wb") as f:
                shutil.copyfileobj(content_body, f)
            os.replace(temporary, filepath)
        except BaseException:
            os.unlink(temporary)
            raise

    def remove(self, artifact_id: str) -> None:
        filepath = self._get_filepath(artifact_id)
        try:
            os.remove(filepath)
        except FileNotFoundError as e:
            raise ArtifactNotFound(f"No artifact {artifact_id} in {self._base_path}.") from e
