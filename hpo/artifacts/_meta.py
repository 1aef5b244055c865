"""``ArtifactMeta`` and how it is kept: a system attr ``artifacts:<id>`` of the trial or study, holding
the meta as a JSON string, exactly as Optuna keeps it (so either library lists the other's artifacts)."""

from __future__ import annotations

import dataclasses
import json
from typing import Any

#: The prefix of the system attrs that hold artifact metas.
ARTIFACTS_ATTR_PREFIX = "artifacts:"
DEFAULT_MIME_TYPE = "application/octet-stream"


@dataclasses.dataclass
class ArtifactMeta:
    """What is known of an uploaded artifact: listed by :func:`~hpo.artifacts.get_all_artifact_meta`,
    its ``artifact_id`` read back with :func:`~hpo.artifacts.download_artifact`.

    ``mimetype`` and ``encoding`` (a ``Content-Encoding`` such as ``gzip``, or None) are the ones given
    to :func:`~hpo.artifacts.upload_artifact`, else guessed from the file name.
    """

    artifact_id: str
    filename: str
    mimetype: str
    encoding: str | None


def artifact_attr(meta: ArtifactMeta) -> tuple[str, str]:
    """The system attr (key, value) that records ``meta`` on a trial or study."""
    return ARTIFACTS_ATTR_PREFIX + meta.artifact_id, json.dumps(dataclasses.asdict(meta))


def artifact_metas(system_attrs: dict[str, Any]) -> list[ArtifactMeta]:
    """The artifact metas recorded in ``system_attrs``, in the attrs' order."""
    metas = []
    for key, value in system_attrs.items():
        if not key.startswith(ARTIFACTS_ATTR_PREFIX):
            continue
        content = json.loads(value)
        metas.append(ArtifactMeta(artifact_id=content["artifact_id"], filename=content["filename"],
                                  mimetype=content["mimetype"], encoding=content["encoding"]))
    return metas
