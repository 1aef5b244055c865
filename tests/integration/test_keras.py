"""KerasPruningCallback with real Keras 3 on its torch backend, tiny random data."""

from __future__ import annotations

import importlib.util
import os
import sys

import numpy as np
import pytest

os.environ.setdefault("KERAS_BACKEND", "torch")  # before keras is imported: no TensorFlow here

import hpo  # noqa: E402
from hpo.integration import KerasPruningCallback  # noqa: E402
from hpo.trial import TrialState  # noqa: E402

pytest.importorskip("torch")
keras = pytest.importorskip("keras")
hpo.logging.set_verbosity(hpo.logging.ERROR)

RNG = np.random.default_rng(0)
X = RNG.normal(size=(64, 4)).astype("float32")
Y = (X[:, 0] > 0).astype("float32")


def _fit(callback: KerasPruningCallback, epochs: int = 4) -> dict[str, list[float]]:
    keras.utils.set_random_seed(0)
    model = keras.Sequential([keras.Input((4,)), keras.layers.Dense(8, activation="relu"), keras.layers.Dense(1)])
    model.compile(optimizer="sgd", loss="mse", metrics=["mae"])
    fitted = model.fit(X, Y, validation_split=0.25, epochs=epochs, batch_size=16, callbacks=[callback], verbose=0)
    return fitted.history


def test_reports_the_monitored_value_at_each_epoch() -> None:
    histories = []
    study = hpo.create_study(pruner=hpo.pruners.NopPruner())
    study.optimize(lambda t: histories.append(_fit(KerasPruningCallback(t, "val_loss"))) or 0.0, n_trials=1)
    val_loss = histories[0]["val_loss"]
    assert study.trials[0].intermediate_values == {i: pytest.approx(v) for i, v in enumerate(val_loss)}
    assert len(val_loss) == 4


def test_interval_reports_every_nth_epoch_only() -> None:
    study = hpo.create_study(pruner=hpo.pruners.NopPruner())
    study.optimize(lambda t: _fit(KerasPruningCallback(t, "val_mae", interval=2))["val_mae"][-1], n_trials=1)
    assert list(study.trials[0].intermediate_values) == [1, 3]


def test_prunes_when_the_pruner_says_so() -> None:
    study = hpo.create_study(pruner=hpo.pruners.ThresholdPruner(upper=0.0))
    study.optimize(lambda t: _fit(KerasPruningCallback(t, "val_loss"))["val_loss"][-1], n_trials=1)
    assert study.trials[0].state == TrialState.PRUNED
    assert list(study.trials[0].intermediate_values) == [0]


def test_a_wrong_monitor_key_warns_and_reports_nothing() -> None:
    trial = hpo.create_study().ask()
    with pytest.warns(UserWarning, match="'val_acc' is not in the evaluation logs"):
        _fit(KerasPruningCallback(trial, "val_acc"), epochs=1)
    assert trial.study.get_trials()[0].intermediate_values == {}


def test_without_keras_the_error_names_the_package(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(sys.modules, "keras", None)
    monkeypatch.setitem(sys.modules, "keras.callbacks", None)
    spec = importlib.util.find_spec("hpo.integration.keras")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    with pytest.raises(ImportError, match="pip install keras"):
        module.KerasPruningCallback(hpo.create_study().ask(), "val_loss")
