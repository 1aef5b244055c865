"""Artifacts in a file-system store: each trial keeps its predictions, the study keeps its data set.

Optuna's artifact API with one change, the import (``hpo.artifacts`` for ``optuna.artifacts``). The
files go to ``./artifacts`` and the study to ``sqlite:///artifacts-demo.db`` in the current directory.
For a study on Celery workers, point the store at a directory every worker and reader shares.
"""

import csv
import os
import random

import hpo as optuna
from hpo.artifacts import FileSystemArtifactStore, download_artifact, get_all_artifact_meta, upload_artifact

base_path = "./artifacts"
os.makedirs(base_path, exist_ok=True)
artifact_store = FileSystemArtifactStore(base_path=base_path)

rng = random.Random(0)
dataset = [(x, 2 * x - 3) for x in (rng.random() for _ in range(20))]  # y = a x + b with a=2, b=-3


def write_csv(path, rows, header):
    with open(path, "w", newline="") as f:
        writer = csv.writer(f)
        writer.writerow(header)
        writer.writerows(rows)


def objective(trial):
    a = trial.suggest_float("a", -5, 5)
    b = trial.suggest_float("b", -5, 5)
    predictions = [(x, y, a * x + b) for x, y in dataset]
    path = f"predictions-{trial.number}.csv"
    write_csv(path, predictions, ["x", "y", "prediction"])
    upload_artifact(artifact_store=artifact_store, file_path=path, study_or_trial=trial)
    os.remove(path)  # the store keeps it
    return sum((p - y) ** 2 for _, y, p in predictions) / len(predictions)


if __name__ == "__main__":
    optuna.logging.set_verbosity(optuna.logging.WARNING)
    study = optuna.create_study(study_name="artifacts-demo", storage="sqlite:///artifacts-demo.db",
                                load_if_exists=True, sampler=optuna.samplers.TPESampler(seed=0))
    write_csv("dataset.csv", dataset, ["x", "y"])
    upload_artifact(artifact_store=artifact_store, file_path="dataset.csv", study_or_trial=study)
    study.optimize(objective, n_trials=30)

    best = study.best_trial
    meta = get_all_artifact_meta(best, storage=study._storage)[0]
    target = f"best-{meta.filename}"
    if os.path.exists(target):
        os.remove(target)
    download_artifact(artifact_store=artifact_store, artifact_id=meta.artifact_id, file_path=target)
    with open(target) as f:
        n_rows = sum(1 for _ in f) - 1
    print(f"Best trial: {best.number}, MSE {best.value:.4f}, params {best.params}")
    print(f"Its artifact: {meta.filename} ({meta.mimetype}), {n_rows} rows, downloaded to {target}")
    print(f"Study artifacts: {[m.filename for m in get_all_artifact_meta(study)]}")
