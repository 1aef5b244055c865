"""Many-objective optimization with NSGA-III, as in Optuna's examples: only the import differs.

Three objectives of a toy design problem (cost, weight, deflection of a beam); NSGA-III keeps the
parents spread over the whole Pareto front with reference points. Run: python nsga3_multi_objective.py
"""

import hpo as optuna


def objective(trial):
    width = trial.suggest_float("width", 0.1, 1.0)
    height = trial.suggest_float("height", 0.1, 1.0)
    material = trial.suggest_categorical("material", ["steel", "aluminium", "wood"])
    density, stiffness, price = {"steel": (7.8, 200.0, 1.0), "aluminium": (2.7, 70.0, 3.0), "wood": (0.6, 11.0, 0.5)}[
        material
    ]
    area = width * height
    cost = price * area
    weight = density * area
    deflection = 1.0 / (stiffness * width * height**3)
    trial.set_user_attr("area", area)
    return cost, weight, deflection


if __name__ == "__main__":
    sampler = optuna.samplers.NSGAIIISampler(population_size=20, seed=42)
    study = optuna.create_study(directions=["minimize", "minimize", "minimize"], sampler=sampler)
    study.optimize(objective, n_trials=200)

    print(f"Number of finished trials: {len(study.trials)}")
    print(f"Number of trials on the Pareto front: {len(study.best_trials)}")
    for trial in sorted(study.best_trials, key=lambda t: t.values[0])[:5]:
        print(f"  Trial#{trial.number}: values={[round(v, 4) for v in trial.values]}, params={trial.params}")
