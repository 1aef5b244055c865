"""MLflowCallback with real MLflow (a local file store in a temporary folder, read back with MLflow's
own client): runs, params, metrics and tags as optuna-integration writes them, multi-objective metric
names, experiments, nesting, track_in_mlflow, and a missing mlflow."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import mlflow
import pytest
from integration_helpers_a import error_without
from mlflow.tracking import MlflowClient
from mlflow.utils.mlflow_tags import MLFLOW_PARENT_RUN_ID

import hpo
from hpo.exceptions import ExperimentalWarning
from hpo.integration import MLflowCallback
from hpo.integration.mlflow import RUN_ID_ATTRIBUTE_KEY
from hpo.trial import TrialState

pytestmark = pytest.mark.filterwarnings("ignore:MLflowCallback has been deprecated:FutureWarning")


@pytest.fixture(autouse=True)
def uri(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[str]:
    """A file store in ``tmp_path`` (MLflow 3 wants MLFLOW_ALLOW_FILE_STORE for one), no telemetry."""
    monkeypatch.setenv("MLFLOW_ALLOW_FILE_STORE", "true")
    monkeypatch.setenv("MLFLOW_DISABLE_TELEMETRY", "true")
    tracking_uri = f"file:{tmp_path / 'mlruns'}"
    mlflow.set_tracking_uri(tracking_uri)
    yield tracking_uri
    while mlflow.active_run() is not None:
        mlflow.end_run()


def objective(trial: hpo.Trial) -> float:
    x = trial.suggest_float("x", -1.0, 1.0)
    y = trial.suggest_float("y", 20, 30, log=True)
    z = trial.suggest_categorical("z", (-1.0, 1.0))
    trial.set_user_attr("my_user_attr", "my_user_attr_value")
    return (x - 2) ** 2 + (y - 25) ** 2 + z


def two_objectives(trial: hpo.Trial) -> tuple[float, float]:
    x = trial.suggest_float("x", -1.0, 1.0)
    return x, -x


def _runs(uri: str, experiment: str) -> list[Any]:
    client = MlflowClient(uri)
    found = client.get_experiment_by_name(experiment)
    assert found is not None, [e.name for e in client.search_experiments()]
    return sorted(client.search_runs([found.experiment_id]), key=lambda run: run.info.run_name)


def test_each_trial_is_a_run_with_params_metrics_and_tags(uri: str) -> None:
    study = hpo.create_study(study_name="my_study")
    study.optimize(objective, n_trials=3, callbacks=[MLflowCallback(tracking_uri=uri)])
    runs = _runs(uri, "my_study")
    assert [run.info.run_name for run in runs] == ["0", "1", "2"]
    for run, trial in zip(runs, study.trials):
        assert run.data.params == {name: str(value) for name, value in trial.params.items()}
        assert run.data.metrics == {"value": trial.value}
        tags = run.data.tags
        assert tags["number"] == str(trial.number) and tags["state"] == "COMPLETE" and tags["direction"] == "MINIMIZE"
        assert tags["datetime_start"] == str(trial.datetime_start)
        assert tags["datetime_complete"] == str(trial.datetime_complete)
        assert tags["x_distribution"] == "FloatDistribution(high=1.0, log=False, low=-1.0, step=None)"
        assert tags["y_distribution"] == "FloatDistribution(high=30.0, log=True, low=20.0, step=None)"
        # Optuna writes "CategoricalDistribution(choices=(-1.0, 1.0))": hpo's repr shows a list.
        assert tags["z_distribution"] == str(trial.distributions["z"])
        assert tags["my_user_attr"] == "my_user_attr_value"
        assert tags["mlflow.runName"] == str(trial.number)


@pytest.mark.parametrize(
    ("metric_name", "expected"),
    [("value", ["value_0", "value_1"]), ("score", ["score_0", "score_1"]), (["first", "second"], ["first", "second"])],
)
def test_multi_objective_metric_names(uri: str, metric_name: Any, expected: list[str]) -> None:
    study = hpo.create_study(study_name="mo", directions=["minimize", "maximize"])
    study.enqueue_trial({"x": 0.25})
    study.optimize(two_objectives, n_trials=1, callbacks=[MLflowCallback(tracking_uri=uri, metric_name=metric_name)])
    (run,) = _runs(uri, "mo")
    assert run.data.metrics == dict(zip(expected, [0.25, -0.25]))
    assert run.data.tags["direction"] == "['MINIMIZE', 'MAXIMIZE']"


@pytest.mark.parametrize("names", [["only_one"], ["a", "b", "c"]])
def test_metric_names_that_do_not_match_the_objectives(uri: str, names: list[str]) -> None:
    study = hpo.create_study(directions=["minimize", "maximize"])
    with pytest.raises(ValueError, match="with 2 objective values, but .* names specified"):
        study.optimize(two_objectives, n_trials=1, callbacks=[MLflowCallback(tracking_uri=uri, metric_name=names)])


def test_metric_name_must_be_a_string_or_strings() -> None:
    with pytest.raises(TypeError, match="Expected metric_name to be string or sequence of strings"):
        MLflowCallback(metric_name=3)  # type: ignore[arg-type]


def test_pruned_and_failed_trials_have_no_metric(uri: str) -> None:
    def pruned(trial: hpo.Trial) -> float:
        trial.suggest_float("x", 0, 1)
        raise hpo.TrialPruned()

    study = hpo.create_study(study_name="pruned")
    study.optimize(pruned, n_trials=1, callbacks=[MLflowCallback(tracking_uri=uri)])
    (run,) = _runs(uri, "pruned")
    assert run.data.metrics == {} and run.data.tags["state"] == "PRUNED" and set(run.data.params) == {"x"}


@pytest.mark.parametrize(("study_attrs", "trial_attrs"), [(True, True), (False, False), (True, False)])
def test_user_attrs_as_tags(uri: str, study_attrs: bool, trial_attrs: bool) -> None:
    study = hpo.create_study(study_name="attrs")
    study.set_user_attr("my_study_attr", "a")
    study.set_user_attr("my_user_attr", "from the study")  # the study's win over the trial's
    callback = MLflowCallback(tracking_uri=uri, tag_study_user_attrs=study_attrs, tag_trial_user_attrs=trial_attrs)
    study.optimize(objective, n_trials=1, callbacks=[callback])
    tags = _runs(uri, "attrs")[0].data.tags
    assert tags.get("my_study_attr") == ("a" if study_attrs else None)
    expected = "from the study" if study_attrs else "my_user_attr_value" if trial_attrs else None
    assert tags.get("my_user_attr") == expected


def test_a_long_tag_is_cut_to_mlflows_limit(uri: str) -> None:
    def long_attr(trial: hpo.Trial) -> float:
        trial.set_user_attr("my_user_attr", str(list(range(5000))))
        return 1.0

    hpo.create_study(study_name="long").optimize(long_attr, n_trials=1, callbacks=[MLflowCallback(tracking_uri=uri)])
    value = _runs(uri, "long")[0].data.tags["my_user_attr"]
    limit = mlflow.utils.validation.MAX_TAG_VAL_LENGTH
    assert len(value) == limit and value.endswith("...") and value[:-3] == str(list(range(5000)))[: limit - 3]


def test_existing_experiment_and_run_name_through_mlflow_kwargs(uri: str) -> None:
    experiment_id = mlflow.create_experiment("foo")
    callback = MLflowCallback(tracking_uri=uri, create_experiment=False,
                              mlflow_kwargs={"experiment_id": experiment_id, "run_name": "fixed", "tags": {"t": "1"}})
    hpo.create_study(study_name="not-an-experiment").optimize(objective, n_trials=2, callbacks=[callback])
    runs = _runs(uri, "foo")
    assert [run.info.run_name for run in runs] == ["fixed", "fixed"] and all(r.data.tags["t"] == "1" for r in runs)
    assert MlflowClient(uri).get_experiment_by_name("not-an-experiment") is None


def test_nested_runs_under_an_active_parent(uri: str) -> None:
    mlflow.set_experiment("nest")
    callback = MLflowCallback(tracking_uri=uri, mlflow_kwargs={"nested": True})
    study = hpo.create_study(study_name="nest")
    with mlflow.start_run() as parent:
        study.optimize(objective, n_trials=2, callbacks=[callback])
    runs = _runs(uri, "nest")
    children = [run for run in runs if MLFLOW_PARENT_RUN_ID in run.data.tags]
    assert len(runs) == 3 and len(children) == 2
    assert all(run.data.tags[MLFLOW_PARENT_RUN_ID] == parent.info.run_id for run in children)
    assert all(set(run.data.params) == {"x", "y", "z"} and set(run.data.metrics) == {"value"} for run in children)


def test_an_active_run_without_nesting_is_an_error(uri: str) -> None:
    callback = MLflowCallback(tracking_uri=uri)
    mlflow.set_experiment("active")
    with mlflow.start_run(), pytest.raises(Exception, match=r"Run with UUID \w+ is already active"):
        hpo.create_study().optimize(objective, n_trials=1, callbacks=[callback])


@pytest.mark.parametrize("n_jobs", [1, 2])
def test_track_in_mlflow_logs_the_objectives_own_metrics_to_the_trials_run(uri: str, n_jobs: int) -> None:
    callback = MLflowCallback(tracking_uri=uri)

    def logging_objective(trial: hpo.Trial) -> float:
        """Objective function"""
        mlflow.log_metric("additional_metric", 3.14 + trial.number)
        return objective(trial)

    with pytest.warns(ExperimentalWarning, match="track_in_mlflow is experimental"):
        tracked = callback.track_in_mlflow()(logging_objective)
    assert tracked.__name__ == "logging_objective" and tracked.__doc__ == "Objective function"
    study = hpo.create_study(study_name="tracked")
    study.optimize(tracked, n_trials=4, n_jobs=n_jobs, callbacks=[callback])
    runs = _runs(uri, "tracked")
    assert len(runs) == 4
    for run in runs:
        trial = study.trials[int(run.info.run_name)]
        assert trial.system_attrs[RUN_ID_ATTRIBUTE_KEY] == run.info.run_id
        assert run.data.metrics == {"additional_metric": 3.14 + trial.number, "value": trial.value}
        assert run.data.tags["state"] == "COMPLETE"


def test_deprecated_as_in_optuna() -> None:
    with pytest.warns(FutureWarning, match="MLflowCallback has been deprecated in v4.9.0"):
        MLflowCallback()


def test_several_threads_log_every_trial(uri: str) -> None:
    study = hpo.create_study(study_name="threads")
    study.optimize(objective, n_trials=6, n_jobs=3, callbacks=[MLflowCallback(tracking_uri=uri)])
    runs = _runs(uri, "threads")
    assert sorted(run.info.run_name for run in runs) == [str(n) for n in range(6)]
    assert all(study.trials[int(r.info.run_name)].state == TrialState.COMPLETE for r in runs)


def test_without_mlflow_using_the_callback_names_the_package() -> None:
    message = error_without(["mlflow"], "hpo.integration.MLflowCallback()")
    assert "pip install mlflow" in message


def test_track_in_mlflow_refuses_a_trial_without_a_study() -> None:
    with pytest.warns(ExperimentalWarning):
        tracked = MLflowCallback().track_in_mlflow()(objective)
    with pytest.raises(TypeError, match="track_in_mlflow needs a trial of an in-process study"):
        tracked(hpo.trial.FixedTrial({"x": 0.0, "y": 25.0, "z": 1.0}))
