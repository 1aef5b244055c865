"""
Optuna example that records every trial in MLflow with MLflowCallback.

In this example, we optimize the validation accuracy of wine classification using scikit-learn's
SVC and log each trial as an MLflow run: its parameters, the accuracy as the metric "accuracy",
and Optuna's tags (trial number, state, direction, distributions, user attrs). The objective also
logs a metric of its own to the trial's run through ``track_in_mlflow``.

The example of Optuna's MLflowCallback documentation, with hpo's imports. Runs go to MLflow's
default tracking URI (``sqlite:///mlflow.db`` in the current folder with MLflow 3; set
MLFLOW_TRACKING_URI to use another).

You can run this example as follows:
    $ python mlflow_callback.py

"""

import warnings

import mlflow
import hpo as optuna
from hpo.integration.mlflow import MLflowCallback

import sklearn.datasets
import sklearn.model_selection
import sklearn.svm

warnings.filterwarnings("ignore", category=FutureWarning, message="MLflowCallback has been deprecated")
warnings.filterwarnings("ignore", category=optuna.exceptions.ExperimentalWarning)

mlflc = MLflowCallback(metric_name="accuracy")


@mlflc.track_in_mlflow()
def objective(trial):
    x, y = sklearn.datasets.load_wine(return_X_y=True)
    c = trial.suggest_float("svc_c", 1e-3, 1e3, log=True)
    gamma = trial.suggest_float("svc_gamma", 1e-5, 1e-1, log=True)
    trial.set_user_attr("model", "SVC")
    classifier = sklearn.svm.SVC(C=c, gamma=gamma)
    scores = sklearn.model_selection.cross_val_score(classifier, x, y, cv=3)
    mlflow.log_metric("accuracy_std", scores.std())
    return scores.mean()


if __name__ == "__main__":
    study = optuna.create_study(study_name="mlflow-example", direction="maximize")
    study.optimize(objective, n_trials=10, callbacks=[mlflc])

    print("Number of finished trials: {}".format(len(study.trials)))
    print("MLflow tracking URI: {}".format(mlflow.get_tracking_uri()))
    print("Best trial:")
    trial = study.best_trial

    print("  Value: {}".format(trial.value))

    print("  Params: ")
    for key, value in trial.params.items():
        print("    {}: {}".format(key, value))
