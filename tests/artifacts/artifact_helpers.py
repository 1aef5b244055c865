"""Helpers of the artifact tests (a module of its own: ``conftest`` is not importable by name)."""

from __future__ import annotations

import os
from typing import Any

#: The bucket the GCS emulator of the tests starts with.
GCS_BUCKET = "artifacts"


def make_bucket(name: str) -> Any:
    """A new bucket on the server of ``AWS_ENDPOINT_URL``; returns the boto3 client."""
    import boto3

    client = boto3.client("s3", endpoint_url=os.environ["AWS_ENDPOINT_URL"])
    client.create_bucket(Bucket=name)
    return client


def make_gcs_bucket(name: str) -> Any:
    """A new bucket on the GCS emulator of ``STORAGE_EMULATOR_HOST``; returns the google-cloud-storage client."""
    from google.auth.credentials import AnonymousCredentials
    from google.cloud import storage

    client = storage.Client(project="test", credentials=AnonymousCredentials())
    client.create_bucket(name)
    return client
