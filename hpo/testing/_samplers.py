"""The sampler contract: what every :class:`~hpo.samplers.BaseSampler` must do, as a pytest suite."""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import Any, ClassVar

import pytest

import hpo
from hpo.distributions import BaseDistribution, CategoricalDistribution, FloatDistribution, IntDistribution
from hpo.samplers import BaseSampler
from hpo.trial import BaseTrial, Trial, TrialState

CHOICES = [None, True, False, 0, 1, 2.5, "x"]
#: The search space the suite samples: every kind of distribution.
SPACE: dict[str, BaseDistribution] = {
    "float": FloatDistribution(-3.0, 5.0),
    "float_log": FloatDistribution(1e-4, 10.0, log=True),
    "float_step": FloatDistribution(-1.0, 1.0, step=0.25),
    "int": IntDistribution(-5, 5),
    "int_log": IntDistribution(1, 1000, log=True),
    "int_step": IntDistribution(0, 20, step=4),
    "categorical": CategoricalDistribution(CHOICES),
}
#: Every parameter the conditional objective may suggest.
CONDITIONAL: dict[str, BaseDistribution] = {
    "kind": CategoricalDistribution(["linear", "tree", "none"]),
    "C": FloatDistribution(1e-3, 1e3, log=True),
    "degree": IntDistribution(1, 5),
    "depth": IntDistribution(1, 32, log=True),
    "rate": FloatDistribution(0.0, 1.0, step=0.1),
}


def suggest(trial: BaseTrial, name: str, dist: BaseDistribution) -> Any:
    """The public suggest_* call that creates ``dist``."""
    if isinstance(dist, FloatDistribution):
        return trial.suggest_float(name, dist.low, dist.high, log=dist.log, step=dist.step)
    if isinstance(dist, IntDistribution):
        return trial.suggest_int(name, dist.low, dist.high, log=dist.log, step=dist.step)
    assert isinstance(dist, CategoricalDistribution)
    return trial.suggest_categorical(name, list(dist.choices))


def objective_over(space: dict[str, BaseDistribution]) -> Callable[[Trial], float]:
    """An objective that suggests every parameter of ``space``."""

    def objective(trial: Trial) -> float:
        total = 0.0
        for name, dist in space.items():
            value = suggest(trial, name, dist)
            total += CHOICES.index(value) if name == "categorical" else abs(float(value) - 0.3)
        return total

    return objective


def conditional(trial: Trial) -> float:
    """An objective whose parameters depend on earlier ones (see :data:`CONDITIONAL`)."""
    kind = trial.suggest_categorical("kind", ["linear", "tree", "none"])
    if kind == "linear":
        c = trial.suggest_float("C", 1e-3, 1e3, log=True)
        if c > 1.0:
            return math.log(c) + trial.suggest_int("degree", 1, 5)
        return -math.log(c)
    if kind == "tree":
        return trial.suggest_int("depth", 1, 32, log=True) * trial.suggest_float("rate", 0.0, 1.0, step=0.1)
    return 5.0


def branch_of(params: dict[str, Any]) -> set[str]:
    """The parameters :func:`conditional` suggests on the branch ``params`` took."""
    kind = params["kind"]
    if kind == "linear":
        return {"kind", "C", "degree"} if params["C"] > 1.0 else {"kind", "C"}
    return {"kind", "depth", "rate"} if kind == "tree" else {"kind"}


def _on_grid(value: float, low: float, step: float) -> bool:
    k = (value - low) / step
    return abs(k - round(k)) < 1e-8


def assert_inside(name: str, value: Any, dist: BaseDistribution) -> None:
    """``value`` is one ``dist`` can produce, of the type its ``suggest_*`` call returns."""
    if isinstance(dist, CategoricalDistribution):
        assert any(type(value) is type(c) and value == c for c in dist.choices), (name, value)
        return
    assert isinstance(dist, (FloatDistribution, IntDistribution))
    expected_type = float if isinstance(dist, FloatDistribution) else int
    assert type(value) is expected_type, (name, value)
    assert math.isfinite(value) and dist.low <= value <= dist.high, (name, value, dist)
    assert dist.step is None or _on_grid(value, dist.low, dist.step), (name, value, dist)


def assert_trials_inside(study: hpo.Study, space: dict[str, BaseDistribution]) -> None:
    """Every parameter of every trial of ``study`` lies inside its distribution in ``space``."""
    for trial in study.trials:
        for name, value in trial.params.items():
            assert_inside(name, value, space[name])


class SamplerContract:
    """The contract every sampler keeps; subclass it as ``Test...`` and implement :meth:`make_sampler`.

    The class attributes describe the sampler; override them where it differs.
    """

    #: The seed passed to :meth:`make_sampler` makes runs reproducible.
    seeded: ClassVar[bool] = True
    #: Trials per optimization (fewer for a slow sampler; 30 or more also checks that it explores).
    n_trials: ClassVar[int] = 30
    #: The sampler searches finite spaces only (no continuous float), like ``BruteForceSampler``.
    finite_only: ClassVar[bool] = False

    def make_sampler(self, seed: int | None) -> BaseSampler:
        """A new sampler seeded with ``seed`` (None: unseeded)."""
        raise NotImplementedError(f"{type(self).__name__} must implement make_sampler(seed).")

    def make_study(self, seed: int | None = 0) -> hpo.Study:
        """A new in-memory study sampled by a new sampler."""
        return hpo.create_study(sampler=self.make_sampler(seed))

    def space(self) -> dict[str, BaseDistribution]:
        """:data:`SPACE`, less continuous floats for a ``finite_only`` sampler."""
        if self.finite_only:
            return {k: d for k, d in SPACE.items() if not (isinstance(d, FloatDistribution) and d.step is None)}
        return SPACE

    def test_values_stay_inside_their_distributions(self) -> None:
        space = self.space()
        study = self.make_study()
        study.optimize(objective_over(space), n_trials=self.n_trials)
        assert len(study.trials) >= min(self.n_trials, 4)
        assert all(t.state == TrialState.COMPLETE for t in study.trials)
        assert all(set(t.params) == set(space) for t in study.trials)
        assert_trials_inside(study, space)
        if not self.finite_only and self.n_trials >= 30:  # not stuck on one point
            assert len({t.params["float"] for t in study.trials}) > 5

    def test_conditional_search_space(self) -> None:
        study = self.make_study()
        if self.finite_only:
            pytest.skip("the conditional space has a continuous parameter")
        study.optimize(conditional, n_trials=self.n_trials)
        assert all(t.state == TrialState.COMPLETE for t in study.trials)
        assert all(set(t.params) == branch_of(t.params) for t in study.trials)
        assert_trials_inside(study, CONDITIONAL)

    def test_single_value_distributions(self) -> None:
        study = self.make_study()
        continuous = not self.finite_only  # BruteForceSampler refuses continuous floats, as Optuna's does

        def objective(trial: Trial) -> float:
            if continuous:
                fixed = (trial.suggest_float("f", 2.5, 2.5), trial.suggest_float("f_log", 3.0, 3.0, log=True))
                assert fixed == (2.5, 3.0)
            values = (
                trial.suggest_float("f_step", 1.0, 1.0, step=0.5),
                trial.suggest_int("i", -4, -4),
                trial.suggest_int("i_log", 7, 7, log=True),
                trial.suggest_categorical("c", ["only"]),
            )
            assert values == (1.0, -4, 7, "only")
            return float(trial.suggest_int("x", 0, 10))

        study.optimize(objective, n_trials=min(self.n_trials, 12))
        assert all(t.state == TrialState.COMPLETE for t in study.trials)
        assert all(0 <= t.params["x"] <= 10 for t in study.trials)

    def test_reproducible_with_a_seed(self) -> None:
        if not self.seeded:
            pytest.skip(f"{type(self).__name__}'s sampler takes no seed")
        space = self.space()
        n_trials = min(self.n_trials, 15)

        def run(seed: int) -> list[dict[str, Any]]:
            study = self.make_study(seed=seed)
            study.optimize(objective_over(space), n_trials=n_trials)
            return [t.params for t in study.trials]

        assert run(3) == run(3)

    def test_works_with_two_threads(self) -> None:
        space = self.space()
        study = self.make_study(seed=None)
        study.optimize(objective_over(space), n_trials=self.n_trials, n_jobs=2)
        assert all(t.state == TrialState.COMPLETE for t in study.trials)
        assert sorted(t.number for t in study.trials) == list(range(len(study.trials)))
        assert_trials_inside(study, space)

    def test_works_with_pruned_failed_and_running_trials_in_history(self) -> None:
        space = self.space()
        study = self.make_study()
        inner = objective_over(space)
        abandoned = study.ask()  # a RUNNING trial, e.g. of a worker still busy
        suggest(abandoned, "int", space["int"])

        def objective(trial: Trial) -> float:
            value = inner(trial)
            if trial.number % 4 == 1:
                trial.report(value, 0)
                raise hpo.TrialPruned()
            if trial.number % 4 == 2:
                raise ValueError("this trial fails")
            if trial.number % 4 == 3:
                return math.nan  # ends FAIL as well
            return value

        study.optimize(objective, n_trials=self.n_trials, catch=(ValueError,))
        states = [t.state for t in study.trials[1:]]
        assert TrialState.PRUNED in states and TrialState.FAIL in states
        assert all(t.state.is_finished() for t in study.trials[1:])
        assert_trials_inside(study, space)

    def test_enqueued_params_are_used(self) -> None:
        space = self.space()
        full: dict[str, Any] = {"float_step": 0.75, "int": -2, "int_log": 17, "int_step": 8, "categorical": None}
        if not self.finite_only:
            full.update({"float": 4.5, "float_log": 0.5})
        study = self.make_study()
        study.optimize(objective_over(space), n_trials=3)  # some history first
        study.enqueue_trial(full)
        study.enqueue_trial({"categorical": False, "int": 5})
        study.optimize(objective_over(space), n_trials=3)
        trials = study.trials
        assert trials[3].params == full
        assert trials[4].params["categorical"] is False and trials[4].params["int"] == 5
        assert_trials_inside(study, space)
