"""Optuna's ask-and-tell example: the loop is the user's, define-and-run and define-by-run mixed,
pruning with report/should_prune, batches of trials."""

import hpo as optuna
from hpo.trial import TrialState


def loss(x, y, step):
    return (x - 2) ** 2 + (y + 1) ** 2 + 1.0 / (step + 1)


if __name__ == "__main__":
    study = optuna.create_study(direction="minimize", pruner=optuna.pruners.MedianPruner(n_startup_trials=3))
    distributions = {"x": optuna.distributions.FloatDistribution(-10, 10)}
    for _ in range(30):
        trial = study.ask(distributions)  # define-and-run
        y = trial.suggest_float("y", -10, 10)  # define-by-run
        for step in range(10):
            value = loss(trial.params["x"], y, step)
            trial.report(value, step)
            if trial.should_prune():
                study.tell(trial, state=TrialState.PRUNED)
                break
        else:
            study.tell(trial, value)

    # a batch: ask several, evaluate, tell each (by number too)
    trials = [study.ask(distributions) for _ in range(4)]
    for t in trials:
        study.tell(t.number, loss(t.params["x"], t.suggest_float("y", -10, 10), 9))

    pruned = study.get_trials(deepcopy=False, states=(TrialState.PRUNED,))
    print(f"{len(study.trials)} trials, {len(pruned)} pruned, best {study.best_value:.4f} at {study.best_params}")
