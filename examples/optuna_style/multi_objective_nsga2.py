"""Optuna's multi-objective example: NSGA-II over two objectives, the Pareto front and its plot."""

import os
import sys
import tempfile

import hpo as optuna


def objective(trial):
    x = trial.suggest_float("x", 0, 5)
    y = trial.suggest_float("y", 0, 3)
    v0 = 4 * x**2 + 4 * y**2
    v1 = (x - 5) ** 2 + (y - 5) ** 2
    return v0, v1


if __name__ == "__main__":
    out = sys.argv[1] if len(sys.argv) > 1 else tempfile.mkdtemp()
    study = optuna.create_study(directions=["minimize", "minimize"], sampler=optuna.samplers.NSGAIISampler(seed=0))
    study.set_metric_names(["v0", "v1"])
    study.optimize(objective, n_trials=60, timeout=300)
    print("Number of finished trials:", len(study.trials))
    print("Pareto front:")
    for t in sorted(study.best_trials, key=lambda t: t.values)[:5]:
        print(f"  Trial#{t.number}: values={t.values}, params={t.params}")
    if optuna.visualization.is_available():  # plotly installed
        fig = optuna.visualization.plot_pareto_front(study, target_names=["v0", "v1"])
        fig.write_html(os.path.join(out, "pareto.html"))
    print("Objective names:", study.metric_names)
