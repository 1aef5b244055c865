"""The artifact stores' exception (``optuna.artifacts.exceptions``)."""

from __future__ import annotations

from hpo.exceptions import HpoError

__all__ = ["ArtifactNotFound"]


class ArtifactNotFound(HpoError):
    """An artifact store has no artifact with the requested id: raised by ``open_reader`` and
    ``remove`` of a store (a store may also remove a missing artifact silently, as S3 does)."""
