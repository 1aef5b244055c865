"""Optuna 5's constraint API: ``trial.set_constraint``, ``FrozenTrial.constraints`` and
``create_trial(constraints=...)``, read by samplers and ``best_trials`` alongside ``constraints_func``."""

from __future__ import annotations

import math
from pathlib import Path

import pytest

import hpo
from hpo.trial import FixedTrial, TrialState


def objective(trial: hpo.Trial) -> tuple[float, float]:
    x = trial.suggest_float("x", 0, 2)
    trial.set_constraint("x_at_most_1", x - 1)
    return x, 2 - x


def test_set_constraint_is_stored_and_judges_feasibility(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'c.db'}"
    study = hpo.create_study(directions=["minimize", "minimize"], storage=url, study_name="c",
                             sampler=hpo.samplers.NSGAIISampler(seed=0))
    study.optimize(objective, n_trials=30)
    trials = hpo.load_study(study_name="c", storage=url).trials
    assert all(t.constraints == {"x_at_most_1": t.params["x"] - 1} for t in trials)
    front = study.best_trials
    assert front and all(t.params["x"] <= 1 for t in front), "infeasible trials are never best"


def test_create_trial_constraints_and_the_old_list_read_together() -> None:
    trial = hpo.create_trial(params={"x": 0.5}, distributions={"x": hpo.distributions.FloatDistribution(0, 1)},
                             value=1.0, constraints={"a": 0.5}, system_attrs={"constraints": [-1.0, 2.0]})
    assert trial.constraints == {"0": -1.0, "1": 2.0, "a": 0.5}
    study = hpo.create_study()
    study.add_trial(trial)
    feasible = hpo.create_trial(params={"x": 0.2}, distributions={"x": hpo.distributions.FloatDistribution(0, 1)},
                                value=5.0, constraints={"a": -1.0})
    study.add_trial(feasible)
    assert study.best_trial.number == 1, "the better value is infeasible"


def test_refusals_and_a_second_value() -> None:
    trial = FixedTrial({"x": 1.0})
    with pytest.raises(ValueError, match="NaN"):
        trial.set_constraint("c", math.nan)
    with pytest.raises(TypeError, match="must be a float"):
        trial.set_constraint("c", "high")  # type: ignore[arg-type]
    trial.set_constraint("c", "0.5")  # type: ignore[arg-type]  # castable, as Optuna allows
    with pytest.warns(UserWarning, match="already set"):
        trial.set_constraint("c", 9.0)
    assert trial.constraints == {"c": 0.5}


def test_tpe_treats_set_constraints_as_constraints() -> None:
    """The unconstrained optimum (x = -5) is infeasible (x must be >= 0): TPE samples near the feasible one."""

    def run(constrained: bool) -> float:
        study = hpo.create_study(sampler=hpo.samplers.TPESampler(seed=1, n_startup_trials=10))

        def objective(trial: hpo.Trial) -> float:
            x = trial.suggest_float("x", -10, 10)
            if constrained:
                trial.set_constraint("x_not_negative", -x)
            return (x + 5) ** 2

        study.optimize(objective, n_trials=40)
        if constrained:
            assert study.best_trial.params["x"] >= 0
        late = study.trials[20:]
        return sum(t.params["x"] >= -1 for t in late) / len(late)

    assert run(constrained=True) >= 0.6 > 0.3 >= run(constrained=False)
