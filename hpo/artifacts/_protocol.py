"""``ArtifactStore``: what an artifact store provides; any object with these three methods is one."""

from __future__ import annotations

from typing import BinaryIO, Protocol


class ArtifactStore(Protocol):
    """Where artifacts' bytes live, by artifact id (Optuna's protocol, so users' own stores work).

    Its methods are called by :func:`~hpo.artifacts.upload_artifact` and
    :func:`~hpo.artifacts.download_artifact`, not by users.
    """

    def open_reader(self, artifact_id: str) -> BinaryIO:
        """A binary file-like object reading the artifact (a context manager, like ``open(..., "rb")``);
        :class:`~hpo.artifacts.exceptions.ArtifactNotFound` when there is none."""
        ...

    def write(self, artifact_id: str, content_body: BinaryIO) -> None:
        """Store ``content_body``'s bytes (read to its end) as the artifact."""
        ...

    def remove(self, artifact_id: str) -> None:
        """Delete the artifact; may raise :class:`~hpo.artifacts.exceptions.ArtifactNotFound` when there is none."""
        ...
