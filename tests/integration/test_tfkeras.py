"""TFKerasPruningCallback with real TensorFlow's tf.keras on tiny random data.

TensorFlow (1.9 GB installed) is not in the test extra: this file runs where TensorFlow is installed
and is skipped elsewhere, except the missing-package test, which always runs.
"""

from __future__ import annotations

import importlib.util
import sys

import numpy as np
import pytest

import hpo
from hpo.integration import TFKerasPruningCallback
from hpo.trial import TrialState

hpo.logging.set_verbosity(hpo.logging.ERROR)

RNG = np.random.default_rng(0)
X = RNG.normal(size=(64, 4)).astype("float32")
Y = (X[:, 0] > 0).astype("float32")


def _fit(callback: TFKerasPruningCallback, epochs: int = 3) -> dict[str, list[float]]:
    tf = pytest.importorskip("tensorflow")
    tf.keras.utils.set_random_seed(0)
    model = tf.keras.Sequential([tf.keras.Input((4,)), tf.keras.layers.Dense(8, activation="relu"),
                                 tf.keras.layers.Dense(1)])
    model.compile(optimizer="sgd", loss="mse")
    fitted = model.fit(X, Y, validation_split=0.25, epochs=epochs, batch_size=16, callbacks=[callback], verbose=0)
    return fitted.history


def test_reports_the_monitored_value_at_each_epoch() -> None:
    pytest.importorskip("tensorflow")
    histories = []
    study = hpo.create_study(pruner=hpo.pruners.NopPruner())
    study.optimize(lambda t: histories.append(_fit(TFKerasPruningCallback(t, "val_loss"))) or 0.0, n_trials=1)
    val_loss = histories[0]["val_loss"]
    assert study.trials[0].intermediate_values == {i: pytest.approx(v) for i, v in enumerate(val_loss)}


def test_prunes_when_the_pruner_says_so() -> None:
    pytest.importorskip("tensorflow")
    study = hpo.create_study(pruner=hpo.pruners.ThresholdPruner(upper=0.0))
    study.optimize(lambda t: _fit(TFKerasPruningCallback(t, "val_loss"))["val_loss"][-1], n_trials=1)
    assert study.trials[0].state == TrialState.PRUNED
    assert list(study.trials[0].intermediate_values) == [0]


def test_a_wrong_monitor_key_warns_and_reports_nothing() -> None:
    pytest.importorskip("tensorflow")
    trial = hpo.create_study().ask()
    with pytest.warns(UserWarning, match="'val_acc' is not in the evaluation logs"):
        _fit(TFKerasPruningCallback(trial, "val_acc"), epochs=1)
    assert trial.study.get_trials()[0].intermediate_values == {}


def test_without_tensorflow_the_error_names_the_package(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in [m for m in sys.modules if m == "tensorflow" or m.startswith("tensorflow.")] + ["tensorflow"]:
        monkeypatch.setitem(sys.modules, name, None)
    spec = importlib.util.find_spec("hpo.integration.tfkeras")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    with pytest.raises(ImportError, match="pip install tensorflow"):
        module.TFKerasPruningCallback(hpo.create_study().ask(), "val_loss")
