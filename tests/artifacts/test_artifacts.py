"""hpo.artifacts in-process: Optuna 5's API and its records, on every storage backend."""

from __future__ import annotations

import io
import json
import os
import subprocess
import threading
import time
from pathlib import Path
from typing import BinaryIO

import pytest
from optuna_venv import optuna_python

import hpo
from hpo.artifacts import (
    ArtifactMeta,
    Backoff,
    FileSystemArtifactStore,
    download_artifact,
    get_all_artifact_meta,
    upload_artifact,
)
from hpo.artifacts.exceptions import ArtifactNotFound
from hpo.exceptions import OptunaError, UpdateFinishedTrialError
from hpo.storages import BaseStorage

FILES = {"a.txt": b"text", "model.tar.gz": b"\x1f\x8b tarball", "c.json": b"{}", "d.unknownext": b"?",
         "e.png": b"\x89PNG", "f.csv.bz2": b"BZh"}


@pytest.fixture()
def files(tmp_path: Path) -> dict[str, Path]:
    made = {}
    for name, content in FILES.items():
        made[name] = tmp_path / name
        made[name].write_bytes(content)
    return made


@pytest.fixture()
def store(tmp_path: Path) -> FileSystemArtifactStore:
    (tmp_path / "store").mkdir()
    return FileSystemArtifactStore(tmp_path / "store")


def test_trial_study_and_frozen_trial_on_every_storage(
    storage: BaseStorage, files: dict[str, Path], store: FileSystemArtifactStore, tmp_path: Path
) -> None:
    study = hpo.create_study(storage=storage)
    uploaded: dict[str, str] = {}

    def objective(trial: hpo.Trial) -> float:
        for name, path in files.items():
            uploaded[upload_artifact(artifact_store=store, file_path=str(path), study_or_trial=trial)] = name
        assert {m.artifact_id for m in get_all_artifact_meta(trial)} == set(uploaded)
        return 0.0

    study.optimize(objective, n_trials=1)
    study_artifact = upload_artifact(artifact_store=store, file_path=str(files["a.txt"]), study_or_trial=study,
                                     mimetype="text/x-note", encoding="br")
    frozen = study.trials[0]
    # A FrozenTrial takes artifacts while it runs (ask/tell), as in Optuna: a finished one refuses them.
    with pytest.raises(UpdateFinishedTrialError):
        upload_artifact(artifact_store=store, file_path=str(files["c.json"]), study_or_trial=frozen,
                        storage=study.storage)
    assert len(list((tmp_path / "store").iterdir())) == len(FILES) + 1  # no bytes stored for it
    running = study.storage.get_trial(study.ask().trial_id)
    later = upload_artifact(artifact_store=store, file_path=str(files["c.json"]), study_or_trial=running,
                            storage=study.storage)
    assert get_all_artifact_meta(running, storage=study.storage) == [ArtifactMeta(later, "c.json",
                                                                                  "application/json", None)]

    metas = get_all_artifact_meta(frozen, storage=study.storage)
    assert {m.artifact_id for m in metas} == set(uploaded)
    by_name = {m.filename: m for m in metas}
    assert {name: (m.mimetype, m.encoding) for name, m in by_name.items()} == {
        "a.txt": ("text/plain", None), "model.tar.gz": ("application/x-tar", "gzip"),
        "c.json": ("application/json", None), "d.unknownext": ("application/octet-stream", None),
        "e.png": ("image/png", None), "f.csv.bz2": ("text/csv", "bzip2"),
    }
    assert get_all_artifact_meta(study) == [ArtifactMeta(study_artifact, "a.txt", "text/x-note", "br")]
    # Optuna's record: a JSON string under "artifacts:<id>", in the trial's system attrs as stored.
    stored = study.storage.get_trial(running.trial_id).system_attrs[f"artifacts:{later}"]
    assert json.loads(stored) == {"artifact_id": later, "filename": "c.json", "mimetype": "application/json",
                                  "encoding": None}
    for meta in [*metas, *get_all_artifact_meta(running, storage=study.storage)]:
        target = tmp_path / f"down-{meta.artifact_id}"
        download_artifact(artifact_store=store, file_path=str(target), artifact_id=meta.artifact_id)
        assert target.read_bytes() == FILES[meta.filename]


def test_bad_targets_and_files_say_what_to_do(files: dict[str, Path], store: FileSystemArtifactStore,
                                              tmp_path: Path) -> None:
    study = hpo.create_study()
    study.optimize(lambda t: 0.0, n_trials=1)
    with pytest.raises(ValueError, match="storage is required for FrozenTrial"):
        upload_artifact(artifact_store=store, file_path=str(files["a.txt"]), study_or_trial=study.trials[0])
    with pytest.raises(ValueError, match="storage is required for FrozenTrial"):
        get_all_artifact_meta(study.trials[0])
    with pytest.raises(TypeError, match="study_or_trial must be a Study, a Trial or a FrozenTrial, got str"):
        upload_artifact(artifact_store=store, file_path=str(files["a.txt"]), study_or_trial="study")  # type: ignore[arg-type]
    with pytest.raises(TypeError, match="storage must be a BaseStorage"):
        get_all_artifact_meta(study.trials[0], storage="sqlite:///x.db")  # type: ignore[arg-type]
    with pytest.raises(FileNotFoundError):
        upload_artifact(artifact_store=store, file_path=str(tmp_path / "missing"), study_or_trial=study)
    assert get_all_artifact_meta(study) == []  # nothing recorded for a file that was never written

    artifact_id = upload_artifact(artifact_store=store, file_path=str(files["a.txt"]), study_or_trial=study)
    with pytest.raises(FileExistsError, match="File already exists"):
        download_artifact(artifact_store=store, file_path=str(files["e.png"]), artifact_id=artifact_id)
    with pytest.raises(ArtifactNotFound):
        download_artifact(artifact_store=store, file_path=str(tmp_path / "out"), artifact_id="no-such-id")
    assert not (tmp_path / "out").exists()
    assert issubclass(ArtifactNotFound, OptunaError)


def test_optuna_4_positional_arguments_still_work_with_a_future_warning(
    files: dict[str, Path], store: FileSystemArtifactStore
) -> None:
    study = hpo.create_study()
    with pytest.warns(FutureWarning, match="pass them by keyword"):
        artifact_id = upload_artifact(study, str(files["a.txt"]), store)  # type: ignore[misc]
    assert [m.artifact_id for m in get_all_artifact_meta(study)] == [artifact_id]
    with pytest.raises(TypeError, match="multiple values"):
        upload_artifact(study, str(files["a.txt"]), study_or_trial=study, artifact_store=store)  # type: ignore[misc]
    with pytest.raises(TypeError, match="at most 3 positional"):
        upload_artifact(study, str(files["a.txt"]), store, None)  # type: ignore[misc]


def test_file_system_store(store: FileSystemArtifactStore, tmp_path: Path) -> None:
    store.write("x", io.BytesIO(b"hello"))
    with store.open_reader("x") as reader:
        assert reader.read() == b"hello"
    assert [p.name for p in (tmp_path / "store").iterdir()] == ["x"]  # no temporary file left
    store.remove("x")
    with pytest.raises(ArtifactNotFound):
        store.remove("x")
    with pytest.raises(ArtifactNotFound):
        store.open_reader("x")
    for bad in ("../escape", "/etc/passwd", "a/../../b"):
        with pytest.raises(ValueError, match="Invalid artifact_id"):
            store.write(bad, io.BytesIO(b""))
    with pytest.raises(FileNotFoundError, match="os.makedirs"):
        FileSystemArtifactStore(tmp_path / "nowhere").write("x", io.BytesIO(b""))


def test_a_reader_never_sees_half_an_artifact(store: FileSystemArtifactStore) -> None:
    """A slow write is renamed into place at its end: until then the artifact does not exist."""

    class Slow(io.RawIOBase):
        def __init__(self) -> None:
            self.chunks = [b"a" * 1000] * 5

        def readable(self) -> bool:
            return True

        def readinto(self, buffer: memoryview) -> int:  # type: ignore[override]
            if not self.chunks:
                return 0
            time.sleep(0.05)
            chunk = self.chunks.pop()
            buffer[: len(chunk)] = chunk
            return len(chunk)

    writer = threading.Thread(target=store.write, args=("slow", io.BufferedReader(Slow(), 1000)))
    writer.start()
    seen = set()
    while writer.is_alive():
        try:
            with store.open_reader("slow") as reader:
                seen.add(len(reader.read()))
        except ArtifactNotFound:
            seen.add(None)
    writer.join()
    with store.open_reader("slow") as reader:
        assert len(reader.read()) == 5000
    assert seen <= {None, 5000}


class FlakyStore:
    """A user's own store (the ArtifactStore protocol) that fails its first ``failures`` calls of each kind."""

    def __init__(self, base: FileSystemArtifactStore, failures: int) -> None:
        self.base = base
        self.failures = {"open_reader": failures, "write": failures, "remove": failures}
        self.calls: list[str] = []

    def _call(self, kind: str) -> None:
        self.calls.append(kind)
        if self.failures[kind] > 0:
            self.failures[kind] -= 1
            raise ConnectionError(f"{kind} failed")

    def open_reader(self, artifact_id: str) -> BinaryIO:
        self._call("open_reader")
        return self.base.open_reader(artifact_id)

    def write(self, artifact_id: str, content_body: BinaryIO) -> None:
        self.calls.append("write")
        data = content_body.read()  # consumed before failing: Backoff must rewind it
        if self.failures["write"] > 0:
            self.failures["write"] -= 1
            raise ConnectionError("write failed")
        self.base.write(artifact_id, io.BytesIO(data))

    def remove(self, artifact_id: str) -> None:
        self._call("remove")
        self.base.remove(artifact_id)


def test_backoff_retries_with_optunas_delays(files: dict[str, Path], store: FileSystemArtifactStore,
                                             tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    sleeps: list[float] = []
    monkeypatch.setattr(time, "sleep", sleeps.append)
    flaky = FlakyStore(store, failures=3)
    backoff = Backoff(flaky, max_retries=5, multiplier=3, min_delay=0.5, max_delay=4)
    study = hpo.create_study()
    artifact_id = upload_artifact(artifact_store=backoff, file_path=str(files["model.tar.gz"]), study_or_trial=study)
    assert flaky.calls == ["write"] * 4 and sleeps == [0.5, 1.5, 4]
    download_artifact(artifact_store=backoff, file_path=str(tmp_path / "back"), artifact_id=artifact_id)
    assert (tmp_path / "back").read_bytes() == FILES["model.tar.gz"]  # the retried write was rewound
    backoff.remove(artifact_id)
    assert flaky.calls.count("remove") == 4  # a successful remove is not repeated
    with pytest.raises(ArtifactNotFound):  # not retried
        backoff.remove(artifact_id)
    assert flaky.calls.count("remove") == 5

    sleeps.clear()
    with pytest.raises(ConnectionError, match="open_reader failed"):  # the last failure is raised
        Backoff(FlakyStore(store, failures=10), max_retries=3).open_reader(artifact_id)
    assert sleeps == [0.1, 0.2]
    assert Backoff(FlakyStore(store, 0)).open_reader  # defaults accepted
    assert [Backoff(store)._get_sleep_secs(n) for n in range(10)] == pytest.approx(
        [0.1, 0.2, 0.4, 0.8, 1.6, 3.2, 6.4, 12.8, 25.6, 30])


@pytest.mark.parametrize("kwargs, match", [
    ({"max_retries": 0}, "max_retries must be > 0"),
    ({"multiplier": 0}, "multiplier must be > 0"),
    ({"min_delay": 0}, "min_delay must be > 0"),
    ({"min_delay": 2, "max_delay": 1}, "max_delay must be greater than min_delay"),
])
def test_backoff_refuses_bad_settings(store: FileSystemArtifactStore, kwargs: dict, match: str) -> None:
    with pytest.raises(ValueError, match=match):
        Backoff(store, **kwargs)


OPTUNA_SCRIPT = """
import json, os, sys, warnings
warnings.simplefilter("ignore")
import optuna
from optuna.artifacts import FileSystemArtifactStore, upload_artifact
optuna.logging.set_verbosity(optuna.logging.WARNING)
folder = sys.argv[1]
store = FileSystemArtifactStore(os.path.join(folder, "store"))
study = optuna.create_study(study_name="made-by-optuna", storage="sqlite:///" + os.path.join(folder, "optuna.db"))
names = sys.argv[2:]
study.optimize(lambda trial: [upload_artifact(artifact_store=store, file_path=os.path.join(folder, n),
                                              study_or_trial=trial) for n in names] and 0.0, n_trials=1)
upload_artifact(artifact_store=store, file_path=os.path.join(folder, names[0]), study_or_trial=study)
study_attrs = study._storage.get_study_system_attrs(study._study_id)
print(json.dumps({"trial": study.trials[0].system_attrs, "study": study_attrs}))
"""


def test_optunas_records_read_by_hpo_and_hpos_the_same(files: dict[str, Path], tmp_path: Path) -> None:
    """Optuna 5 uploads; its database imported into hpo lists the same metas and downloads the same bytes;
    hpo's own records for the same files are equal to Optuna's but for the ids."""
    (tmp_path / "store").mkdir()
    python = optuna_python("5.0.0")
    done = subprocess.run([str(python), "-c", OPTUNA_SCRIPT, str(tmp_path), *FILES], capture_output=True,
                          text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    optunas = json.loads(done.stdout)
    hpo.storages.import_optuna_database(f"sqlite:///{tmp_path / 'optuna.db'}", f"sqlite:///{tmp_path / 'hpo.db'}")
    study = hpo.load_study(study_name="made-by-optuna", storage=f"sqlite:///{tmp_path / 'hpo.db'}")
    store = FileSystemArtifactStore(tmp_path / "store")
    metas = get_all_artifact_meta(study.trials[0], storage=study.storage)
    assert sorted(f"artifacts:{m.artifact_id}" for m in metas) == sorted(
        k for k in optunas["trial"] if k.startswith("artifacts:"))
    assert [f"artifacts:{m.artifact_id}" for m in get_all_artifact_meta(study)] == [
        k for k in optunas["study"] if k.startswith("artifacts:")]
    for meta in metas:
        target = tmp_path / f"down-{meta.artifact_id}"
        download_artifact(artifact_store=store, file_path=str(target), artifact_id=meta.artifact_id)
        assert target.read_bytes() == FILES[meta.filename]

    ours = hpo.create_study()
    ours.optimize(lambda trial: [upload_artifact(artifact_store=store, file_path=str(files[n]), study_or_trial=trial)
                                 for n in FILES] and 0.0, n_trials=1)

    def without_ids(attrs: dict[str, str]) -> list[str]:
        return sorted(value.replace(key[len("artifacts:"):], "ID") for key, value in attrs.items()
                      if key.startswith("artifacts:"))

    assert without_ids(ours.trials[0].system_attrs) == without_ids(optunas["trial"])


def test_hpo_namespace_and_optuna_names() -> None:
    import hpo.artifacts

    optunas = {"ArtifactMeta", "Backoff", "Boto3ArtifactStore", "FileSystemArtifactStore", "GCSArtifactStore",
               "download_artifact", "get_all_artifact_meta", "upload_artifact"}
    assert optunas <= set(hpo.artifacts.__all__)
    assert hpo.artifacts.exceptions.ArtifactNotFound is ArtifactNotFound
    assert os.path.basename(hpo.artifacts.__file__) == "__init__.py"
