"""Artifacts in S3, with retries: ``Backoff(Boto3ArtifactStore(bucket))``.

boto3 reads its settings from the environment (``AWS_*``, ``~/.aws``); ``AWS_ENDPOINT_URL`` points it at
another S3-compatible server. To try it without AWS, with moto's S3 server (``pip install 'moto[server]'``)::

    moto_server -p 5000 &
    AWS_ENDPOINT_URL=http://127.0.0.1:5000 AWS_ACCESS_KEY_ID=x AWS_SECRET_ACCESS_KEY=x \\
        AWS_DEFAULT_REGION=us-east-1 python artifacts_s3_backoff.py

The bucket is ``$ARTIFACT_BUCKET`` (``hpo-artifacts-demo``), created when missing.
"""

import gzip
import json
import os

import boto3

import hpo as optuna
from hpo.artifacts import Backoff, Boto3ArtifactStore, download_artifact, get_all_artifact_meta, upload_artifact

bucket = os.environ.get("ARTIFACT_BUCKET", "hpo-artifacts-demo")
client = boto3.client("s3")
if bucket not in [b["Name"] for b in client.list_buckets().get("Buckets", [])]:
    client.create_bucket(Bucket=bucket)
# Each failed call is tried again after 0.1, 0.2, 0.4, ... s (at most 30 s), 10 calls in all.
artifact_store = Backoff(Boto3ArtifactStore(bucket, client))


def objective(trial):
    degree = trial.suggest_int("degree", 1, 5)
    scale = trial.suggest_float("scale", 1e-3, 1.0, log=True)
    model = {"degree": degree, "scale": scale, "weights": [scale / (i + 1) for i in range(degree + 1)]}
    path = f"model-{trial.number}.json.gz"
    with gzip.open(path, "wt") as f:
        json.dump(model, f)
    upload_artifact(artifact_store=artifact_store, file_path=path, study_or_trial=trial)
    os.remove(path)
    return (degree - 3) ** 2 + (scale - 0.1) ** 2


if __name__ == "__main__":
    optuna.logging.set_verbosity(optuna.logging.WARNING)
    study = optuna.create_study(sampler=optuna.samplers.RandomSampler(seed=1))
    study.optimize(objective, n_trials=10)

    best = study.best_trial
    meta = get_all_artifact_meta(best, storage=study._storage)[0]
    print(f"Best trial: {best.number}, value {best.value:.4f}, params {best.params}")
    print(f"Its artifact: {meta.filename} ({meta.mimetype}, {meta.encoding}) in s3://{bucket}/{meta.artifact_id}")
    target = "best-model.json.gz"
    if os.path.exists(target):
        os.remove(target)
    download_artifact(artifact_store=artifact_store, artifact_id=meta.artifact_id, file_path=target)
    with gzip.open(target, "rt") as f:
        print(f"Downloaded model: degree {json.load(f)['degree']}")
