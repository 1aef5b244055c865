"""A user-defined sampler: simulated annealing, as in Optuna's tutorial "User-Defined Sampler".

The code is the tutorial's, unchanged except for the import: ``import hpo as optuna``.

Run it as a script::

    python examples/custom_sampler.py

or through the command line, with the sampler given as FILE:CLASS::

    hpo run examples/custom_sampler.py:objective --n-trials 100 \
        --sampler examples/custom_sampler.py:SimulatedAnnealingSampler
"""

import numpy as np

import hpo as optuna


class SimulatedAnnealingSampler(optuna.samplers.BaseSampler):
    def __init__(self, temperature=100, seed=None):
        self._rng = np.random.RandomState(seed)
        self._independent_sampler = optuna.samplers.RandomSampler(seed=seed)
        self._temperature = temperature  # Current temperature.
        self._current_trial = None  # Current state.

    def sample_relative(self, study, trial, search_space):
        if search_space == {}:
            # The relative search space is empty (it means this is the first trial of a study).
            return {}

        # The rest of this method is an implementation of Simulated Annealing (SA) algorithm.
        prev_trial = study.trials[-2]

        # Update the current state of SA if the transition is accepted.
        if self._current_trial is None or prev_trial.value <= self._current_trial.value:
            probability = 1.0
        else:
            probability = np.exp((self._current_trial.value - prev_trial.value) / self._temperature)
        self._temperature *= 0.9  # Decrease temperature.

        if self._rng.uniform(0, 1) < probability:
            self._current_trial = prev_trial

        # Sample parameters from the neighborhood of the current point.
        # The sampled parameters will be used during the next execution of
        # the objective function passed to the study.
        params = {}
        for param_name, param_distribution in search_space.items():
            if (
                not isinstance(param_distribution, optuna.distributions.FloatDistribution)
                or (param_distribution.step is not None and param_distribution.step != 1)
                or param_distribution.log
            ):
                msg = "Only suppots continuous distributions without `step` and `log` parameters."
                raise NotImplementedError(msg)

            current_value = self._current_trial.params[param_name]
            width = (param_distribution.high - param_distribution.low) * 0.1
            neighbor_low = max(current_value - width, param_distribution.low)
            neighbor_high = min(current_value + width, param_distribution.high)
            params[param_name] = self._rng.uniform(neighbor_low, neighbor_high)

        return params

    # The rest are unrelated to SA algorithm: boilerplate
    def infer_relative_search_space(self, study, trial):
        return optuna.search_space.intersection_search_space(study.get_trials(deepcopy=False))

    def sample_independent(self, study, trial, param_name, param_distribution):
        return self._independent_sampler.sample_independent(study, trial, param_name, param_distribution)


def objective(trial):
    x = trial.suggest_float("x", -10, 10)
    y = trial.suggest_float("y", -5, 5)
    return x**2 + y


if __name__ == "__main__":
    sampler = SimulatedAnnealingSampler(seed=1)  # seeded so that the run can be reproduced
    study = optuna.create_study(sampler=sampler)
    study.optimize(objective, n_trials=100)

    best_trial = study.best_trial
    print("Best value: ", best_trial.value)
    print("Parameters that achieve the best value: ", best_trial.params)
