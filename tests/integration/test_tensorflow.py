"""TensorFlowPruningHook with a real ``tf.estimator`` train-and-evaluate loop.

Estimator exists only up to TensorFlow 2.15, whose wheels pin ``numpy<2``: this file runs in an
environment with ``tensorflow-cpu==2.15.1 tensorflow-estimator==2.15.0 numpy<2`` and is skipped
elsewhere, except the missing-package test, which always runs.
"""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path
from typing import Any

import numpy as np
import pytest

import hpo
from hpo.integration import TensorFlowPruningHook
from hpo.trial import TrialState

hpo.logging.set_verbosity(hpo.logging.ERROR)


def _train_and_evaluate(trial: hpo.BaseTrial, model_dir: Path, metric: str = "accuracy") -> None:
    tf = pytest.importorskip("tensorflow")
    pytest.importorskip("tensorflow_estimator")

    def input_fn() -> Any:
        rng = np.random.default_rng(0)
        x = rng.normal(size=(32, 4)).astype("float32")
        y = (x[:, 0] > 0).astype("int32")
        return tf.data.Dataset.from_tensor_slices(({"x": x}, y)).repeat().batch(8)

    estimator = tf.estimator.DNNClassifier(
        hidden_units=[4], feature_columns=[tf.feature_column.numeric_column("x", shape=[4])], n_classes=2,
        model_dir=str(model_dir), config=tf.estimator.RunConfig(save_summary_steps=10, save_checkpoints_steps=10),
    )
    hook = TensorFlowPruningHook(trial=trial, estimator=estimator, metric=metric, run_every_steps=5)
    tf.estimator.train_and_evaluate(
        estimator,
        tf.estimator.TrainSpec(input_fn=input_fn, max_steps=40, hooks=[hook]),
        tf.estimator.EvalSpec(input_fn=input_fn, steps=1, start_delay_secs=0, throttle_secs=0),
    )


def test_reports_each_new_evaluation_at_its_global_step(tmp_path: Path) -> None:
    study = hpo.create_study(direction="maximize", pruner=hpo.pruners.NopPruner())
    study.optimize(lambda t: _train_and_evaluate(t, tmp_path) or 1.0, n_trials=1)
    values = study.trials[0].intermediate_values
    assert len(values) >= 2 and all(step % 10 == 0 and 0 <= v <= 1 for step, v in values.items())


def test_prunes_when_the_pruner_says_so(tmp_path: Path) -> None:
    study = hpo.create_study(direction="maximize", pruner=hpo.pruners.ThresholdPruner(lower=2.0))
    study.optimize(lambda t: _train_and_evaluate(t, tmp_path) or 1.0, n_trials=1)
    assert study.trials[0].state == TrialState.PRUNED
    assert len(study.trials[0].intermediate_values) == 1


def test_a_wrong_metric_is_a_key_error_naming_the_metrics(tmp_path: Path) -> None:
    with pytest.raises(KeyError, match="no metric 'acc'.*accuracy"):
        _train_and_evaluate(hpo.create_study().ask(), tmp_path, metric="acc")


def test_without_tensorflow_the_error_names_the_packages(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in [m for m in sys.modules if m.split(".")[0] in ("tensorflow", "tensorflow_estimator")] + ["tensorflow"]:
        monkeypatch.setitem(sys.modules, name, None)
    spec = importlib.util.find_spec("hpo.integration.tensorflow")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    with pytest.warns(FutureWarning, match="TensorFlowPruningHook has been deprecated in v4.1.0"):
        with pytest.raises(ImportError, match="pip install tensorflow==2.15.1 tensorflow-estimator==2.15.0"):
            module.TensorFlowPruningHook(hpo.create_study().ask(), None, "accuracy", 5)
