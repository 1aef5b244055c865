"""``Boto3ArtifactStore``: artifacts as objects of an S3 bucket (or any S3-compatible service), through boto3."""

from __future__ import annotations

import io
import shutil
from typing import Any, BinaryIO

from hpo.artifacts.exceptions import ArtifactNotFound


class Boto3ArtifactStore:
    """Keeps each artifact as the object ``<artifact_id>`` of bucket ``bucket_name``.

    ``client`` is a boto3 S3 client (default: ``boto3.client("s3")``, configured from the environment:
    ``AWS_*`` variables, ``~/.aws``, ``AWS_ENDPOINT_URL`` for another S3-compatible service). A write
    first copies the content to memory, because ``upload_fileobj`` may close the file it is given;
    ``avoid_buf_copy=True`` skips that copy. Needs ``pip install boto3``.
    """

    def __init__(self, bucket_name: str, client: Any | None = None, *, avoid_buf_copy: bool = False) -> None:
        if client is None:
            try:
                import boto3
            except ImportError as e:
                raise ImportError(
                    f"{e}: Boto3ArtifactStore needs boto3. Install it with `pip install boto3`."
                ) from e
            client = boto3.client("s3")
        self.bucket = bucket_name
        self.client = client
        self._avoid_buf_copy = avoid_buf_copy

    def open_reader(self, artifact_id: str) -> BinaryIO:
        from botocore.exceptions import ClientError

        try:
            obj = self.client.get_object(Bucket=self.bucket, Key=artifact_id)
        except ClientError as e:
            if _is_not_found_error(e):
                raise ArtifactNotFound(
                    f"Artifact storage with bucket: {self.bucket}, artifact_id: {artifact_id} was not found"
                ) from e
            raise
        body: BinaryIO = obj["Body"]
        return body

    def write(self, artifact_id: str, content_body: BinaryIO) -> None:
        source = content_body
        if not self._avoid_buf_copy:
            source = io.BytesIO()
            shutil.copyfileobj(content_body, source)
            source.seek(0)
        self.client.upload_fileobj(source, self.bucket, artifact_id)

    def remove(self, artifact_id: str) -> None:
        self.client.delete_object(Bucket=self.bucket, Key=artifact_id)


def _is_not_found_error(error: Any) -> bool:
    return bool(
        error.response.get("Error", {}).get("Code") == "NoSuchKey"
        or error.response.get("ResponseMetadata", {}).get("HTTPStatusCode") == 404
    )
