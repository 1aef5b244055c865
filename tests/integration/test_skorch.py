"""SkorchPruningCallback with a real skorch net on tiny random data."""

from __future__ import annotations

import importlib.util
import sys

import pytest

import hpo
from hpo.integration import SkorchPruningCallback
from hpo.trial import TrialState

torch = pytest.importorskip("torch")
skorch = pytest.importorskip("skorch")
hpo.logging.set_verbosity(hpo.logging.ERROR)

X = torch.randn(64, 4, generator=torch.Generator().manual_seed(0))
Y = (X[:, 0] > 0).long()


def _net(callback: SkorchPruningCallback, epochs: int = 4) -> skorch.NeuralNetClassifier:
    torch.manual_seed(0)
    module = torch.nn.Sequential(torch.nn.Linear(4, 8), torch.nn.ReLU(), torch.nn.Linear(8, 2))
    return skorch.NeuralNetClassifier(
        module, criterion=torch.nn.CrossEntropyLoss, max_epochs=epochs, lr=0.1, batch_size=32,
        callbacks=[callback], verbose=0,
    )


def test_reports_the_monitored_history_value_at_each_epoch() -> None:
    nets = []

    def objective(trial: hpo.Trial) -> float:
        net = _net(SkorchPruningCallback(trial, "valid_loss"))
        net.fit(X, Y)
        nets.append(net)
        return float(net.history[-1, "valid_loss"])

    study = hpo.create_study(pruner=hpo.pruners.NopPruner())
    study.optimize(objective, n_trials=1)
    history = nets[0].history
    assert study.trials[0].intermediate_values == {i: pytest.approx(history[i, "valid_loss"]) for i in range(4)}


def test_prunes_when_the_pruner_says_so() -> None:
    study = hpo.create_study(pruner=hpo.pruners.ThresholdPruner(upper=0.0))
    study.optimize(lambda t: _net(SkorchPruningCallback(t, "valid_loss")).fit(X, Y).history[-1, "valid_loss"],
                   n_trials=1)
    trial = study.trials[0]
    assert trial.state == TrialState.PRUNED
    assert list(trial.intermediate_values) == [0]


def test_a_wrong_monitor_key_fails_the_fit() -> None:
    trial = hpo.create_study().ask()
    with pytest.raises(KeyError, match="no_such_metric"):
        _net(SkorchPruningCallback(trial, "no_such_metric"), epochs=1).fit(X, Y)


def test_without_skorch_the_error_names_the_package(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(sys.modules, "skorch", None)
    monkeypatch.setitem(sys.modules, "skorch.callbacks", None)
    spec = importlib.util.find_spec("hpo.integration.skorch")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    with pytest.raises(ImportError, match="pip install skorch"):
        module.SkorchPruningCallback(hpo.create_study().ask(), "valid_loss")
