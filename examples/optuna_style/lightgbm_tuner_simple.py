"""optuna-examples' lightgbm/lightgbm_tuner_simple.py with ``import hpo.integration.lightgbm as lgb``:
``lgb.train`` tunes LightGBM stepwise on the validation log loss of breast cancer, then returns the best
booster (at most 40 rounds per trial, so the tuner's 60-odd trials take seconds)."""

import numpy as np
import sklearn.datasets
from lightgbm import early_stopping, log_evaluation
from sklearn.metrics import accuracy_score
from sklearn.model_selection import train_test_split

import hpo as optuna
import hpo.integration.lightgbm as lgb

if __name__ == "__main__":
    optuna.logging.set_verbosity(optuna.logging.WARNING)
    data, target = sklearn.datasets.load_breast_cancer(return_X_y=True)
    train_x, val_x, train_y, val_y = train_test_split(data, target, test_size=0.25, random_state=0)
    dtrain = lgb.Dataset(train_x, label=train_y)
    dval = lgb.Dataset(val_x, label=val_y)

    params = {
        "objective": "binary",
        "metric": "binary_logloss",
        "verbosity": -1,
        "boosting_type": "gbdt",
        "num_threads": 1,
        "deterministic": True,
        "force_row_wise": True,
    }

    model = lgb.train(
        params,
        dtrain,
        num_boost_round=40,
        valid_sets=[dtrain, dval],
        callbacks=[early_stopping(10, verbose=False), log_evaluation(0)],
        show_progress_bar=False,
        optuna_seed=0,
    )

    prediction = np.rint(model.predict(val_x, num_iteration=model.best_iteration))
    accuracy = accuracy_score(val_y, prediction)

    best_params = model.params
    print("Best params:", best_params)
    print(f"  Accuracy = {accuracy}")
    print("  Params: ")
    for key, value in best_params.items():
        print(f"    {key}: {value}")
