"""Constrained optimization as in Optuna 5: the objective records its constraints with trial.set_constraint
(and the older constraints_func still works); TPE and NSGA-II prefer feasible trials."""

import hpo as optuna


def objective(trial):
    x = trial.suggest_float("x", -15, 30)
    y = trial.suggest_float("y", -15, 30)
    # Constraints are satisfied when <= 0.
    trial.set_constraint("c0", (x - 5) ** 2 + y**2 - 25)
    trial.set_constraint("c1", -((x - 8) ** 2) - (y + 3) ** 2 + 7.7)
    v0 = 4 * x**2 + 4 * y**2
    v1 = (x - 5) ** 2 + (y - 5) ** 2
    return v0, v1


def constraints(trial):
    return trial.user_attrs["constraint"]


def objective_old_style(trial):
    x = trial.suggest_float("x", -15, 30)
    c = x - 10
    trial.set_user_attr("constraint", (c,))
    return x**2


if __name__ == "__main__":
    sampler = optuna.samplers.TPESampler(seed=1)
    study = optuna.create_study(directions=["minimize", "minimize"], sampler=sampler)
    study.optimize(objective, n_trials=40)
    feasible = [t for t in study.best_trials if all(c <= 0 for c in t.constraints.values())]
    print(f"Pareto front: {len(study.best_trials)} trials, {len(feasible)} feasible")
    assert len(feasible) == len(study.best_trials)

    study = optuna.create_study(sampler=optuna.samplers.NSGAIISampler(seed=0, constraints_func=constraints))
    study.optimize(objective_old_style, n_trials=30)
    print(f"constraints_func: best feasible x**2 = {study.best_value:.3f}")
