"""optuna-examples' lightgbm/lightgbm_tuner_cv.py with ``import hpo.integration.lightgbm as lgb``:
LightGBMTunerCV tunes LightGBM stepwise on the 3-fold cross-validated log loss of breast cancer (at most
20 rounds per fold, so it runs in seconds)."""

import sklearn.datasets
from lightgbm import early_stopping, log_evaluation
from sklearn.model_selection import KFold

import hpo as optuna
import hpo.integration.lightgbm as lgb

if __name__ == "__main__":
    optuna.logging.set_verbosity(optuna.logging.WARNING)
    data, target = sklearn.datasets.load_breast_cancer(return_X_y=True)
    dtrain = lgb.Dataset(data, label=target)

    params = {
        "objective": "binary",
        "metric": "binary_logloss",
        "verbosity": -1,
        "boosting_type": "gbdt",
        "num_threads": 1,
        "force_row_wise": True,
    }

    tuner = lgb.LightGBMTunerCV(
        params,
        dtrain,
        num_boost_round=20,
        folds=KFold(n_splits=3),
        callbacks=[early_stopping(10, verbose=False), log_evaluation(0)],
        show_progress_bar=False,
        return_cvbooster=True,
        optuna_seed=0,
    )

    tuner.run()

    print("Number of trials:", len(tuner.study.trials))
    print("Best score:", tuner.best_score)
    best_params = tuner.best_params
    print("Best params:", best_params)
    print("  Params: ")
    for key, value in best_params.items():
        print(f"    {key}: {value}")
    print("Boosters of the best trial:", len(tuner.get_best_booster().boosters))
