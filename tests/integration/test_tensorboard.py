"""TensorBoardCallback: the event files it writes, read back with TensorBoard's own event reader."""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path

import pytest

import hpo
from hpo.integration import TensorBoardCallback
from hpo.trial import TrialState

pytest.importorskip("tensorboard")
from tensorboard.backend.event_processing.event_accumulator import EventAccumulator  # noqa: E402
from tensorboard.plugins.hparams import plugin_data_pb2  # noqa: E402
from tensorboard.util import tensor_util  # noqa: E402

hpo.logging.set_verbosity(hpo.logging.ERROR)


def _read(run_dir: Path) -> tuple[dict[str, object], dict[str, list[tuple[int, float]]]]:
    """The run's HParams (name -> value) and its scalars (tag -> [(step, value)])."""
    acc = EventAccumulator(str(run_dir), size_guidance={"tensors": 0})
    acc.Reload()
    hparams: dict[str, object] = {}
    scalars: dict[str, list[tuple[int, float]]] = {}
    for tag in acc.Tags()["tensors"]:
        if tag == "_hparams_/session_start_info":
            content = acc.SummaryMetadata(tag).plugin_data.content
            info = plugin_data_pb2.HParamsPluginData.FromString(content).session_start_info
            for name, value in info.hparams.items():
                hparams[name] = getattr(value, value.WhichOneof("kind"))
            assert info.group_name == run_dir.name
        else:
            assert acc.SummaryMetadata(tag).plugin_data.plugin_name == "scalars"
            scalars[tag] = [(e.step, float(tensor_util.make_ndarray(e.tensor_proto))) for e in acc.Tensors(tag)]
    return hparams, scalars


def _objective(trial: hpo.Trial) -> float:
    x = trial.suggest_float("x", -1, 1)
    n = trial.suggest_int("n", 1, 4)
    act = trial.suggest_categorical("act", ["relu", "tanh"])
    flag = trial.suggest_categorical("flag", [True, False])
    if trial.number == 2:
        raise hpo.TrialPruned()
    return x**2 + n + (act == "relu") + flag


def test_each_complete_trial_gets_a_run_with_its_hparams_and_value(tmp_path: Path) -> None:
    study = hpo.create_study(sampler=hpo.samplers.RandomSampler(seed=0))
    study.optimize(_objective, n_trials=4, callbacks=[TensorBoardCallback(str(tmp_path), "score")])
    assert sorted(p.name for p in tmp_path.iterdir()) == ["trial-0", "trial-1", "trial-3"]
    for trial in study.trials:
        if trial.state != TrialState.COMPLETE:
            continue
        hparams, scalars = _read(tmp_path / f"trial-{trial.number}")
        assert hparams == {
            "x": pytest.approx(trial.params["x"]), "n": trial.params["n"], "act": trial.params["act"],
            "flag": trial.params["flag"],
        }
        assert scalars == {"score": [(trial.number, pytest.approx(trial.value))]}


def test_mixed_choices_become_strings(tmp_path: Path) -> None:
    study = hpo.create_study()
    study.optimize(lambda t: float(t.suggest_categorical("c", [1, "a", None]) == 1), n_trials=1,
                   callbacks=[TensorBoardCallback(str(tmp_path), "v")])
    hparams, _ = _read(tmp_path / "trial-0")
    assert hparams == {"c": str(study.trials[0].params["c"])}


def test_without_tensorboard_the_error_names_the_package(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in [m for m in sys.modules if m == "tensorboard" or m.startswith("tensorboard.")]:
        monkeypatch.setitem(sys.modules, name, None)
    monkeypatch.setitem(sys.modules, "tensorboard", None)
    spec = importlib.util.find_spec("hpo.integration.tensorboard")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    with pytest.raises(ImportError, match="pip install tensorboard"):
        module.TensorBoardCallback("logs", "value")


def test_deprecated_as_in_optuna(tmp_path: Path) -> None:
    with pytest.warns(FutureWarning, match="TensorBoardCallback has been deprecated in v4.9.0"):
        TensorBoardCallback(str(tmp_path), "value")
