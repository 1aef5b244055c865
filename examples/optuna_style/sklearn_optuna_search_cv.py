"""optuna-examples' sklearn/sklearn_optuna_search_cv_simple.py with ``import hpo as optuna``: OptunaSearchCV
tunes an SVC on iris with 5-fold cross-validation (30 trials, so it runs in seconds)."""

from sklearn.datasets import load_iris
from sklearn.svm import SVC

import hpo as optuna

if __name__ == "__main__":
    clf = SVC(gamma="auto")

    param_distributions = {
        "C": optuna.distributions.FloatDistribution(1e-10, 1e10, log=True),
        "degree": optuna.distributions.IntDistribution(1, 5),
    }

    optuna_search = optuna.integration.OptunaSearchCV(
        clf, param_distributions, n_trials=30, timeout=600, verbose=2, random_state=0
    )

    X, y = load_iris(return_X_y=True)
    optuna_search.fit(X, y)

    print("Best trial:")
    trial = optuna_search.study_.best_trial

    print("  Value: ", trial.value)
    print("  Params: ")
    for key, value in trial.params.items():
        print(f"    {key}: {value}")
    print("Trials:", optuna_search.n_trials_, "Refit accuracy:", optuna_search.score(X, y))
