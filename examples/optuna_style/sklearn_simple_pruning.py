"""Optuna's simple pruning example (optuna-examples' simple_pruning.py): an SGD classifier trained step by
step, its validation accuracy reported, unpromising trials pruned by the median rule."""

import sklearn.datasets
import sklearn.linear_model
import sklearn.model_selection

import hpo as optuna


def objective(trial):
    iris = sklearn.datasets.load_iris()
    classes = list(set(iris.target))
    train_x, valid_x, train_y, valid_y = sklearn.model_selection.train_test_split(
        iris.data, iris.target, test_size=0.25, random_state=0
    )
    alpha = trial.suggest_float("alpha", 1e-5, 1e-1, log=True)
    clf = sklearn.linear_model.SGDClassifier(alpha=alpha, random_state=0)
    for step in range(20):
        clf.partial_fit(train_x, train_y, classes=classes)
        intermediate_value = 1.0 - clf.score(valid_x, valid_y)
        trial.report(intermediate_value, step)
        if trial.should_prune():
            raise optuna.TrialPruned()
    return 1.0 - clf.score(valid_x, valid_y)


if __name__ == "__main__":
    study = optuna.create_study(pruner=optuna.pruners.MedianPruner(), sampler=optuna.samplers.TPESampler(seed=0))
    study.optimize(objective, n_trials=30)
    pruned = study.get_trials(deepcopy=False, states=[optuna.trial.TrialState.PRUNED])
    complete = study.get_trials(deepcopy=False, states=[optuna.trial.TrialState.COMPLETE])
    print("Study statistics: ")
    print("  Number of finished trials: ", len(study.trials))
    print("  Number of pruned trials: ", len(pruned))
    print("  Number of complete trials: ", len(complete))
    print("Best trial:", study.best_trial.value, study.best_trial.params)
