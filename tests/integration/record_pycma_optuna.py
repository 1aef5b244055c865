"""Record optuna-integration's PyCmaSampler trials for test_pycma.py (run in Optuna's environment).

    PYTHONPATH=<dir with cma 4.5.0> .venv-optuna/bin/python tests/integration/record_pycma_optuna.py \
        <optuna-integration's optuna_integration/cma/cma.py> > tests/integration/pycma_optuna_trials.json

The objective and the study (first trial enqueued, then 39 trials by the sampler) are the ones
test_pycma.py runs with hpo; seeds 1 and 2 (cma treats 0 as "from the clock").
"""

import importlib.util
import json
import sys
import warnings

import optuna

N_TRIALS = 40
FIRST = {"x": 0.5, "y": 2, "c": "a", "lr": 0.1, "s": 0.5, "n": 30}


def objective(t):  # the same as test_pycma.py's _mixed
    x = t.suggest_float("x", -5, 5)
    y = t.suggest_int("y", -5, 5)
    c = t.suggest_categorical("c", ["a", "b", "c"])
    lr = t.suggest_float("lr", 1e-3, 1.0, log=True)
    s = t.suggest_float("s", 0.0, 1.0, step=0.25)
    n = t.suggest_int("n", 1, 64, log=True)
    return x**2 + y**2 + (c != "b") + abs(lr - 0.01) + s + abs(n - 8) / 8


if __name__ == "__main__":
    warnings.simplefilter("ignore")
    optuna.logging.set_verbosity(optuna.logging.ERROR)
    spec = importlib.util.spec_from_file_location("optuna_integration_cma", sys.argv[1])
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    recorded = {}
    for seed in (1, 2):
        study = optuna.create_study(sampler=module.PyCmaSampler(seed=seed))
        study.enqueue_trial(FIRST)
        study.optimize(objective, n_trials=N_TRIALS)
        recorded[str(seed)] = [t.params for t in study.trials]
    json.dump(recorded, sys.stdout, indent=0)
