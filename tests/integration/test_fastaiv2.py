"""FastAIV2PruningCallback with a real fastai v2 Learner on tiny random tensors (no torchvision needed)."""

from __future__ import annotations

import importlib.util
import sys

import pytest

import hpo
from hpo.integration import FastAIPruningCallback, FastAIV2PruningCallback
from hpo.trial import TrialState

torch = pytest.importorskip("torch")
pytest.importorskip("fastai")
from fastai.data.core import DataLoaders  # noqa: E402
from fastai.data.load import DataLoader  # noqa: E402
from fastai.learner import Learner  # noqa: E402
from fastai.metrics import accuracy  # noqa: E402

hpo.logging.set_verbosity(hpo.logging.ERROR)

X = torch.randn(64, 4, generator=torch.Generator().manual_seed(0))
Y = (X[:, 0] > 0).long()
DATA = list(zip(X, Y))


def _fit(callback: FastAIV2PruningCallback, epochs: int = 3) -> Learner:
    torch.manual_seed(0)
    dls = DataLoaders(DataLoader(DATA[:48], bs=16, shuffle=True), DataLoader(DATA[48:], bs=16))
    model = torch.nn.Sequential(torch.nn.Linear(4, 8), torch.nn.ReLU(), torch.nn.Linear(8, 2))
    learn = Learner(dls, model, loss_func=torch.nn.CrossEntropyLoss(), metrics=[accuracy])
    with learn.no_bar(), learn.no_logging():
        learn.fit(epochs, 0.1, cbs=[callback])
    return learn


def test_reports_the_monitored_value_at_each_epoch() -> None:
    learners = []
    study = hpo.create_study(direction="maximize", pruner=hpo.pruners.NopPruner())
    study.optimize(lambda t: learners.append(_fit(FastAIV2PruningCallback(t, monitor="accuracy"))) or 0.0,
                   n_trials=1)
    recorded = [row[2] for row in learners[0].recorder.values]  # train_loss, valid_loss, accuracy
    assert study.trials[0].intermediate_values == {i: pytest.approx(v) for i, v in enumerate(recorded)}
    assert len(recorded) == 3


def test_prunes_after_cancelling_the_fit() -> None:
    learners = []
    study = hpo.create_study(pruner=hpo.pruners.ThresholdPruner(upper=0.0))
    study.optimize(lambda t: learners.append(_fit(FastAIPruningCallback(t))) or 0.0, n_trials=1)
    assert study.trials[0].state == TrialState.PRUNED
    assert list(study.trials[0].intermediate_values) == [0]  # valid_loss by default, one epoch only


def test_a_wrong_monitor_fails_the_fit() -> None:
    trial = hpo.create_study().ask()
    with pytest.raises(ValueError, match="no 'no_such_metric'.*'valid_loss', 'accuracy'"):
        _fit(FastAIV2PruningCallback(trial, monitor="no_such_metric"), epochs=1)


def test_without_fastai_the_error_names_the_package(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(sys.modules, "fastai", None)
    spec = importlib.util.find_spec("hpo.integration.fastaiv2")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    with pytest.raises(ImportError, match="pip install fastai"):
        module.FastAIV2PruningCallback(hpo.create_study().ask())
