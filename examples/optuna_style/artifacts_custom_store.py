"""Your own artifact store, with ask-and-tell: artifacts as rows of a SQLite table.

Any object with ``open_reader``, ``write`` and ``remove`` is an artifact store (Optuna's protocol);
``open_reader`` and ``remove`` raise ``ArtifactNotFound`` for an id the store does not have.
"""

import io
import json
import os
import sqlite3

import hpo as optuna
from hpo.artifacts import download_artifact, get_all_artifact_meta, upload_artifact
from hpo.artifacts.exceptions import ArtifactNotFound


class SQLiteArtifactStore:
    def __init__(self, path):
        self._db = sqlite3.connect(path)
        self._db.execute("CREATE TABLE IF NOT EXISTS artifacts (artifact_id TEXT PRIMARY KEY, body BLOB)")

    def open_reader(self, artifact_id):
        row = self._db.execute("SELECT body FROM artifacts WHERE artifact_id = ?", (artifact_id,)).fetchone()
        if row is None:
            raise ArtifactNotFound(f"No artifact {artifact_id}.")
        return io.BytesIO(row[0])

    def write(self, artifact_id, content_body):
        with self._db:
            self._db.execute("INSERT OR REPLACE INTO artifacts VALUES (?, ?)", (artifact_id, content_body.read()))

    def remove(self, artifact_id):
        with self._db:
            if self._db.execute("DELETE FROM artifacts WHERE artifact_id = ?", (artifact_id,)).rowcount == 0:
                raise ArtifactNotFound(f"No artifact {artifact_id}.")


if __name__ == "__main__":
    optuna.logging.set_verbosity(optuna.logging.WARNING)
    artifact_store = SQLiteArtifactStore("artifact-blobs.db")
    study = optuna.create_study(direction="maximize", sampler=optuna.samplers.RandomSampler(seed=2))
    for _ in range(8):
        trial = study.ask()
        width = trial.suggest_int("width", 1, 64)
        log_path = f"log-{trial.number}.json"
        with open(log_path, "w") as f:
            json.dump({"width": width, "curve": [width * step / 10 for step in range(10)]}, f)
        # The trial as stored (a FrozenTrial) takes artifacts too, given the storage, while it runs.
        frozen = study._storage.get_trial(trial._trial_id)
        upload_artifact(artifact_store=artifact_store, file_path=log_path, study_or_trial=frozen,
                        storage=study._storage)
        os.remove(log_path)
        study.tell(trial, width / 64)

    for t in study.trials[:3]:
        metas = get_all_artifact_meta(t, storage=study._storage)
        print(f"Trial {t.number}: {[(m.filename, m.mimetype) for m in metas]}")
    meta = get_all_artifact_meta(study.best_trial, storage=study._storage)[0]
    target = "best-log.json"
    if os.path.exists(target):
        os.remove(target)
    download_artifact(artifact_store=artifact_store, artifact_id=meta.artifact_id, file_path=target)
    with open(target) as f:
        print(f"Best trial {study.best_trial.number}: width {json.load(f)['width']}")
    artifact_store.remove(meta.artifact_id)
    try:
        artifact_store.remove(meta.artifact_id)
    except ArtifactNotFound as e:
        print(f"Removed: {e}")
