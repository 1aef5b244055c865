"""Optuna's deprecated names still work under hpo, warn as Optuna's do, and mean today's classes."""

from __future__ import annotations

from pathlib import Path

import pytest

import hpo
from hpo import distributions as d
from hpo.storages import JournalFileOpenLock, JournalFileStorage, JournalStorage, journal


@pytest.mark.parametrize(
    "old, new",
    [
        (lambda: d.UniformDistribution(0, 1), d.FloatDistribution(0, 1)),
        (lambda: d.LogUniformDistribution(1e-3, 1), d.FloatDistribution(1e-3, 1, log=True)),
        (lambda: d.DiscreteUniformDistribution(0, 1, 0.25), d.FloatDistribution(0, 1, step=0.25)),
        (lambda: d.IntUniformDistribution(0, 10, 2), d.IntDistribution(0, 10, step=2)),
        (lambda: d.IntLogUniformDistribution(1, 64), d.IntDistribution(1, 64, log=True)),
    ],
)
def test_deprecated_distributions_mean_todays(old, new) -> None:
    with pytest.warns(FutureWarning, match="deprecated"):
        made = old()
    assert isinstance(made, type(new)) and d.current_distribution(made) == new
    assert d.json_to_distribution(d.distribution_to_json(made)) == new
    study = hpo.create_study()
    trial = study.ask({"p": made})
    study.tell(trial, 1.0)
    assert study.trials[0].distributions == {"p": new}
    frozen = hpo.create_trial(params={"p": trial.params["p"]}, distributions={"p": made}, value=2.0)
    study.add_trial(frozen)
    assert study.trials[1].distributions == {"p": new}


def test_discrete_uniform_keeps_q() -> None:
    with pytest.warns(FutureWarning):
        assert d.DiscreteUniformDistribution(0, 1, 0.5).q == 0.5


def test_old_journal_names(tmp_path: Path) -> None:
    path = str(tmp_path / "journal.log")
    with pytest.warns(FutureWarning, match="JournalFileBackend"):
        backend = JournalFileStorage(path, lock_obj=JournalFileOpenLock(path))
    assert isinstance(backend, journal.JournalFileBackend)
    study = hpo.create_study(storage=JournalStorage(backend))
    study.optimize(lambda t: t.suggest_float("x", 0, 1), n_trials=3)
    assert len(study.trials) == 3


def test_optuna_error_catches_hpo_errors() -> None:
    with pytest.raises(hpo.exceptions.OptunaError):
        hpo.load_study(study_name="missing", storage=None)
    assert issubclass(hpo.exceptions.ExperimentalWarning, Warning)
    assert issubclass(hpo.exceptions.CLIUsageError, hpo.exceptions.OptunaError)
    assert hpo.version.__version__ == hpo.__version__
