"""``GCSArtifactStore``: artifacts as blobs of a Google Cloud Storage bucket, through google-cloud-storage."""

from __future__ import annotations

import io
import warnings
from typing import Any, BinaryIO

from hpo.artifacts.exceptions import ArtifactNotFound
from hpo.exceptions import ExperimentalWarning


class GCSArtifactStore:
    """Keeps each artifact as the blob ``<artifact_id>`` of bucket ``bucket_name``.

    ``client`` is a ``google.cloud.storage.Client`` (default: ``Client()``, with the credentials
    ``gcloud auth application-default login`` leaves, or ``STORAGE_EMULATOR_HOST`` for an emulator).
    Reads load the whole blob into memory. Experimental, as in Optuna. Needs
    ``pip install google-cloud-storage``.
    """

    def __init__(self, bucket_name: str, client: Any | None = None) -> None:
        warnings.warn(
            "GCSArtifactStore is experimental (supported from v3.4.0). The interface can change in the future.",
            ExperimentalWarning,
            stacklevel=2,
        )
        if client is None:
            try:
                import google.cloud.storage
            except ImportError as e:
                raise ImportError(
                    f"{e}: GCSArtifactStore needs google-cloud-storage. Install it with "
                    "`pip install google-cloud-storage`."
                ) from e
            client = google.cloud.storage.Client()
        self.bucket_name = bucket_name
        self.client = client
        self.bucket_obj = client.bucket(bucket_name)

    def open_reader(self, artifact_id: str) -> BinaryIO:
        blob = self.bucket_obj.get_blob(artifact_id)
        if blob is None:
            raise ArtifactNotFound(
                f"Artifact storage with bucket: {self.bucket_name}, artifact_id: {artifact_id} was not found"
            )
        return io.BytesIO(blob.download_as_bytes())

    def write(self, artifact_id: str, content_body: BinaryIO) -> None:
        self.bucket_obj.blob(artifact_id).upload_from_string(content_body.read())

    def remove(self, artifact_id: str) -> None:
        from google.api_core.exceptions import NotFound

        try:
            self.bucket_obj.delete_blob(artifact_id)
        except NotFound as e:  # ArtifactNotFound, so that Backoff does not retry it
            raise ArtifactNotFound(
                f"Artifact storage with bucket: {self.bucket_name}, artifact_id: {artifact_id} was not found"
            ) from e
