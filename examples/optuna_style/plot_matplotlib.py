"""Optuna's plots drawn with matplotlib, written the way Optuna's examples write them: only the import changes.

A small pruned study (a noisy quadratic, a log-scaled learning rate, an integer and a categorical
parameter) and a two-objective one, then every ``optuna.visualization.matplotlib.plot_*`` function,
each figure saved as a PNG with ``plt.savefig``::

    python examples/optuna_style/plot_matplotlib.py [OUTPUT_FOLDER]   # default: ./figures

Needs matplotlib (``pip install matplotlib`` or ``pip install 'hpo[matplotlib]'``).
"""

import math
import sys
from pathlib import Path

import matplotlib

matplotlib.use("Agg")  # files only, no window
import matplotlib.pyplot as plt  # noqa: E402

import hpo as optuna  # noqa: E402

SEED = 7


def objective(trial):
    x = trial.suggest_float("x", -5, 5)
    lr = trial.suggest_float("lr", 1e-4, 1e-1, log=True)
    layers = trial.suggest_int("layers", 1, 4)
    activation = trial.suggest_categorical("activation", ["relu", "tanh", "sigmoid"])
    penalty = {"relu": 0.0, "tanh": 0.5, "sigmoid": 1.0}[activation]
    loss = 0.0
    for step in range(10):
        loss = (x - 1) ** 2 + abs(math.log10(lr) + 2.5) + 0.3 * layers + penalty + 5.0 / (step + 1)
        trial.report(loss, step)
        if trial.should_prune():
            raise optuna.TrialPruned()
    return loss


def two_objectives(trial):
    a = trial.suggest_float("a", 0, 1)
    b = trial.suggest_float("b", 0, 1)
    return a, (1 - math.sqrt(a)) + b


def save(out, name):
    plt.savefig(out / f"{name}.png", bbox_inches="tight", dpi=72)
    plt.close("all")


if __name__ == "__main__":
    out = Path(sys.argv[1] if len(sys.argv) > 1 else "figures")
    out.mkdir(parents=True, exist_ok=True)
    optuna.logging.set_verbosity(optuna.logging.WARNING)

    study = optuna.create_study(
        sampler=optuna.samplers.TPESampler(seed=SEED), pruner=optuna.pruners.MedianPruner(n_startup_trials=5)
    )
    study.optimize(objective, n_trials=30)
    multi = optuna.create_study(directions=["minimize", "minimize"], sampler=optuna.samplers.RandomSampler(seed=SEED))
    multi.optimize(two_objectives, n_trials=30)

    if not optuna.visualization.matplotlib.is_available():
        sys.exit("matplotlib is not installed: pip install matplotlib")
    vis = optuna.visualization.matplotlib
    vis.plot_optimization_history(study)
    save(out, "optimization_history")
    vis.plot_intermediate_values(study)
    save(out, "intermediate_values")
    vis.plot_parallel_coordinate(study, params=["x", "lr", "activation"])
    save(out, "parallel_coordinate")
    vis.plot_contour(study, params=["x", "lr"])
    save(out, "contour")
    vis.plot_slice(study)
    save(out, "slice")
    vis.plot_param_importances(study)
    save(out, "param_importances")
    vis.plot_edf(study)
    save(out, "edf")
    vis.plot_rank(study, params=["x", "lr", "layers"])
    save(out, "rank")
    vis.plot_timeline(study)
    save(out, "timeline")
    vis.plot_pareto_front(multi, target_names=["a", "cost"])
    save(out, "pareto_front")
    vis.plot_hypervolume_history(multi, reference_point=[1.0, 2.0])
    save(out, "hypervolume_history")
    n_figures = len(list(out.glob("*.png")))
    print(f"{len(study.trials)} trials, best value {study.best_value:.4f}; {n_figures} figures in {out}")
