"""``Study.set_metric_names``/``metric_names`` as Optuna's; Optuna's own ``TrialPruned`` counts as a prune."""

from __future__ import annotations

import subprocess
import sys
import textwrap

import pytest
from optuna_venv import optuna_python

import hpo
from hpo.trial import TrialState


def test_metric_names_name_the_dataframe_columns() -> None:
    study = hpo.create_study(directions=["minimize", "maximize"])
    assert study.metric_names is None
    study.set_metric_names(["x**2", "x+1"])
    study.optimize(lambda t: (t.suggest_float("x", 0, 10) ** 2, t.params["x"] + 1), n_trials=3)
    assert study.metric_names == ["x**2", "x+1"]
    df = study.trials_dataframe(multi_index=True)
    assert list(df.get("values").keys()) == ["x**2", "x+1"]  # Optuna's docstring example
    assert {"values_x**2", "values_x+1"} <= set(study.trials_dataframe().columns)
    with pytest.raises(ValueError, match="one name per objective"):
        study.set_metric_names(["only one"])


def test_a_single_metric_name_names_the_value_column(tmp_path) -> None:
    study = hpo.create_study(storage=f"sqlite:///{tmp_path / 'm.db'}", study_name="m")
    study.set_metric_names(["loss"])
    study.optimize(lambda t: t.suggest_float("x", 0, 1), n_trials=2)
    reloaded = hpo.load_study(study_name="m", storage=f"sqlite:///{tmp_path / 'm.db'}")
    assert reloaded.metric_names == ["loss"] and "value_loss" in reloaded.trials_dataframe().columns


def test_optunas_trial_pruned_prunes_an_hpo_trial() -> None:
    """Code written against optuna-integration raises ``optuna.TrialPruned``: with Optuna installed
    next to hpo, the trial is PRUNED and optimize() goes on (it used to end FAIL and stop)."""
    site = subprocess.run(
        [str(optuna_python("5.0.0")), "-c", "import optuna, os; print(os.path.dirname(os.path.dirname(optuna.__file__)))"],
        capture_output=True, text=True, check=True,
    ).stdout.strip()
    script = f"import sys; sys.path.append({site!r})  # after hpo's own packages\n" + textwrap.dedent("""
        import optuna
        import hpo

        def objective(trial):
            x = trial.suggest_float("x", 0, 1)
            if x > 0.5:
                raise optuna.TrialPruned()
            return x

        study = hpo.create_study(sampler=hpo.samplers.RandomSampler(seed=0))
        study.optimize(objective, n_trials=20)
        print(sorted({t.state.name for t in study.trials}))
    """)
    done = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr[-2000:]
    assert done.stdout.strip() == str(sorted({TrialState.COMPLETE.name, TrialState.PRUNED.name}))
