"""PyTorchIgnitePruningHandler with real Ignite engines (trainer + evaluator) on tiny random data."""

from __future__ import annotations

import importlib.util
import sys

import pytest

import hpo
from hpo.integration import PyTorchIgnitePruningHandler
from hpo.trial import TrialState

torch = pytest.importorskip("torch")
engine = pytest.importorskip("ignite.engine")
metrics = pytest.importorskip("ignite.metrics")
hpo.logging.set_verbosity(hpo.logging.ERROR)

X = torch.randn(64, 4, generator=torch.Generator().manual_seed(0))
Y = (X[:, 0] > 0).long()
LOADER = torch.utils.data.DataLoader(torch.utils.data.TensorDataset(X, Y), batch_size=16)


def _train(trial: hpo.BaseTrial, metric: str = "accuracy", epochs: int = 3) -> list[float]:
    """Train for ``epochs``, evaluating after each; the accuracies the evaluator computed."""
    torch.manual_seed(0)
    model = torch.nn.Sequential(torch.nn.Linear(4, 8), torch.nn.ReLU(), torch.nn.Linear(8, 2))
    optimizer = torch.optim.SGD(model.parameters(), lr=0.1)
    trainer = engine.create_supervised_trainer(model, optimizer, torch.nn.CrossEntropyLoss())
    evaluator = engine.create_supervised_evaluator(model, metrics={"accuracy": metrics.Accuracy()})
    seen: list[float] = []
    evaluator.add_event_handler(engine.Events.COMPLETED, lambda e: seen.append(e.state.metrics["accuracy"]))
    evaluator.add_event_handler(engine.Events.COMPLETED, PyTorchIgnitePruningHandler(trial, metric, trainer))
    trainer.add_event_handler(engine.Events.EPOCH_COMPLETED, lambda _: evaluator.run(LOADER))
    trainer.run(LOADER, max_epochs=epochs)
    return seen


def test_reports_the_metric_at_the_trainers_epoch() -> None:
    seen: list[float] = []
    study = hpo.create_study(pruner=hpo.pruners.NopPruner())
    study.optimize(lambda t: seen.extend(_train(t)) or seen[-1], n_trials=1)
    assert study.trials[0].intermediate_values == {1: seen[0], 2: seen[1], 3: seen[2]}


def test_prunes_when_the_pruner_says_so() -> None:
    study = hpo.create_study(direction="maximize", pruner=hpo.pruners.ThresholdPruner(lower=2.0))
    study.optimize(lambda t: _train(t)[-1], n_trials=1)
    assert study.trials[0].state == TrialState.PRUNED
    assert list(study.trials[0].intermediate_values) == [1]


def test_a_wrong_metric_name_is_a_key_error_naming_the_metrics() -> None:
    with pytest.raises(KeyError, match="'acc'.*accuracy"):
        _train(hpo.create_study().ask(), metric="acc", epochs=1)


def test_without_ignite_the_error_names_the_package(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(sys.modules, "ignite", None)
    monkeypatch.setitem(sys.modules, "ignite.engine", None)
    spec = importlib.util.find_spec("hpo.integration.pytorch_ignite")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    with pytest.raises(ImportError, match="pip install pytorch-ignite"):
        module.PyTorchIgnitePruningHandler(hpo.create_study().ask(), "accuracy", None)
