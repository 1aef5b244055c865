"""``hpo.importance``: what each evaluator rates, in which order, and how it refuses bad input.

Studies are built from known functions of uniformly drawn parameters (``create_trial`` +
``add_trials``), so the important parameters are known; agreement with Optuna itself is in
``test_importance_vs_optuna.py``.
"""

from __future__ import annotations

import math
import subprocess
import sys
import warnings
from collections.abc import Callable
from typing import Any

import numpy as np
import pytest

import hpo
from hpo.distributions import CategoricalDistribution, FloatDistribution, IntDistribution
from hpo.importance import (
    BaseImportanceEvaluator,
    FanovaImportanceEvaluator,
    MeanDecreaseImpurityImportanceEvaluator,
    PedAnovaImportanceEvaluator,
    get_param_importances,
)
from hpo.storages import BaseStorage
from hpo.trial import FrozenTrial, TrialState, create_trial

FOREST_EVALUATORS: list[Callable[[], BaseImportanceEvaluator]] = [
    lambda: FanovaImportanceEvaluator(seed=0),
    lambda: MeanDecreaseImpurityImportanceEvaluator(seed=0),
]
ALL_EVALUATORS = [PedAnovaImportanceEvaluator, *FOREST_EVALUATORS]
SPACE = {
    "x": FloatDistribution(-1, 1),
    "lr": FloatDistribution(1e-5, 1e-1, log=True),
    "n": IntDistribution(1, 10),
    "opt": CategoricalDistribution(["adam", "sgd", "rmsprop"]),
}


def sample(rng: np.random.Generator, dist: Any) -> Any:
    if isinstance(dist, CategoricalDistribution):
        return dist.choices[int(rng.integers(len(dist.choices)))]
    if isinstance(dist, IntDistribution):
        return int(rng.integers(dist.low, dist.high + 1))
    if dist.log:
        return float(math.exp(rng.uniform(math.log(dist.low), math.log(dist.high))))
    return float(rng.uniform(dist.low, dist.high))


def make_study(
    objective: Callable[[dict[str, Any]], Any],
    n_trials: int = 200,
    space: dict[str, Any] = SPACE,
    directions: list[str] | None = None,
    storage: str | BaseStorage | None = None,
    seed: int = 0,
) -> hpo.Study:
    """A study of ``n_trials`` COMPLETE trials drawn uniformly from ``space``, valued by ``objective``."""
    rng = np.random.default_rng(seed)
    study = hpo.create_study(directions=directions or ["minimize"], storage=storage)
    trials = []
    for _ in range(n_trials):
        params = {name: sample(rng, dist) for name, dist in space.items()}
        value = objective(params)
        values = list(value) if isinstance(value, tuple) else [value]
        trials.append(create_trial(params=params, distributions=space, values=values))
    study.add_trials(trials)
    return study


def graded(p: dict[str, Any]) -> float:
    """lr (log) >> opt (categorical) >> n (int) >> x (nearly none)."""
    optimizer = {"adam": 0.0, "sgd": 6.0, "rmsprop": 3.0}[p["opt"]]
    return 4 * (math.log10(p["lr"]) + 3) ** 2 + optimizer + 0.4 * p["n"] + 0.01 * p["x"]


@pytest.fixture(scope="module")
def graded_study() -> hpo.Study:
    return make_study(graded, n_trials=300)


@pytest.fixture(autouse=True)
def no_ped_anova_chatter() -> Any:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)
        yield


# --- what comes back ------------------------------------------------------------------------------
@pytest.mark.parametrize("make_evaluator", ALL_EVALUATORS)
def test_most_important_first_and_normalized(graded_study: hpo.Study, make_evaluator: Any) -> None:
    importances = get_param_importances(graded_study, evaluator=make_evaluator())
    assert list(importances) == ["lr", "opt", "n", "x"]
    assert all(type(v) is float and v >= 0 for v in importances.values())
    assert math.isclose(sum(importances.values()), 1.0)


def test_the_default_evaluator_is_ped_anova(graded_study: hpo.Study) -> None:
    assert get_param_importances(graded_study) == get_param_importances(
        graded_study, evaluator=PedAnovaImportanceEvaluator()
    )


@pytest.mark.parametrize("make_evaluator", ALL_EVALUATORS)
def test_normalize_false_gives_the_raw_importances(graded_study: hpo.Study, make_evaluator: Any) -> None:
    raw = get_param_importances(graded_study, evaluator=make_evaluator(), normalize=False)
    normalized = get_param_importances(graded_study, evaluator=make_evaluator())
    assert list(raw) == list(normalized)
    total = sum(raw.values())
    assert total > 0
    assert {k: v / total for k, v in raw.items()} == pytest.approx(normalized)


def test_fanova_splits_the_variance_of_an_additive_function() -> None:
    """f = x + 2y with x, y uniform: x explains 1/5 of the variance, y 4/5, z nothing."""
    space = {name: FloatDistribution(0, 1) for name in "xyz"}
    study = make_study(lambda p: p["x"] + 2 * p["y"], n_trials=400, space=space)
    raw = get_param_importances(study, evaluator=FanovaImportanceEvaluator(seed=0), normalize=False)
    assert raw["y"] == pytest.approx(0.8, abs=0.05)
    assert raw["x"] == pytest.approx(0.2, abs=0.05)
    assert raw["z"] < 0.01


def test_fanova_rates_a_categorical_parameter_by_all_its_choices() -> None:
    """Eight choices (eight one-hot columns, 2**8 cells per tree): the one that matters is found."""
    space = {"color": CategoricalDistribution([f"c{i}" for i in range(8)]), "x": FloatDistribution(0, 1)}
    study = make_study(lambda p: (0.0 if p["color"] == "c3" else 1.0) + 0.1 * p["x"], n_trials=300, space=space)
    raw = get_param_importances(study, evaluator=FanovaImportanceEvaluator(seed=0), normalize=False)
    assert list(raw) == ["color", "x"]
    assert raw["color"] > 0.9


@pytest.mark.parametrize("make_evaluator", ALL_EVALUATORS)
def test_a_maximized_study_rates_the_same_parameters(make_evaluator: Any) -> None:
    study = make_study(lambda p: -graded(p), n_trials=300, directions=["maximize"])
    assert list(get_param_importances(study, evaluator=make_evaluator()))[:2] == ["lr", "opt"]


@pytest.mark.parametrize("make_evaluator", ALL_EVALUATORS)
def test_on_every_storage(storage: BaseStorage, make_evaluator: Any) -> None:
    study = make_study(graded, n_trials=100, storage=storage)
    assert next(iter(get_param_importances(study, evaluator=make_evaluator()))) == "lr"


# --- params, target --------------------------------------------------------------------------------
@pytest.mark.parametrize("make_evaluator", ALL_EVALUATORS)
def test_params_rates_only_those(graded_study: hpo.Study, make_evaluator: Any) -> None:
    importances = get_param_importances(graded_study, evaluator=make_evaluator(), params=["x", "lr"])
    assert list(importances) == ["lr", "x"]
    assert get_param_importances(graded_study, evaluator=make_evaluator(), params=[]) == {}


@pytest.mark.parametrize("make_evaluator", ALL_EVALUATORS)
def test_target_picks_what_to_explain(make_evaluator: Any) -> None:
    study = make_study(lambda p: (p["x"] ** 2, math.log10(p["lr"])), directions=["minimize", "minimize"])
    assert next(iter(get_param_importances(study, evaluator=make_evaluator(), target=lambda t: t.values[0]))) == "x"
    assert next(iter(get_param_importances(study, evaluator=make_evaluator(), target=lambda t: t.values[1]))) == "lr"


@pytest.mark.parametrize("make_evaluator", FOREST_EVALUATORS)
def test_a_forest_needs_a_target_for_several_objectives(make_evaluator: Any) -> None:
    study = make_study(lambda p: (p["x"], p["n"]), n_trials=20, directions=["minimize", "maximize"])
    with pytest.raises(ValueError, match=r"target=lambda t: t\.values\[0\]"):
        get_param_importances(study, evaluator=make_evaluator())


@pytest.mark.parametrize("n_objectives", [2, 3])
def test_ped_anova_rates_reaching_the_pareto_front(n_objectives: int) -> None:
    """Without target: the top trials are the best ranks (2 and 3 objectives: exact and lazy greedy cut).

    lr and n each trade against x; opt plays no part."""
    def objective(p: dict[str, Any]) -> tuple[float, ...]:
        values = (p["x"], math.log10(p["lr"]) * (1 - p["x"]), p["n"] * (1 + p["x"]))
        return values[:n_objectives]

    study = make_study(objective, n_trials=300, directions=["minimize"] * n_objectives)
    importances = get_param_importances(study)
    assert list(importances)[-1] == "opt"
    assert importances["opt"] < 0.05


def test_trials_with_infinite_values_are_skipped() -> None:
    study = make_study(graded, n_trials=100)
    study.add_trials(
        create_trial(params={"x": 0.5, "lr": 1e-3, "n": 1, "opt": "adam"}, distributions=SPACE, value=math.inf)
        for _ in range(30)
    )
    clean = make_study(graded, n_trials=100)
    for make_evaluator in ALL_EVALUATORS:
        assert get_param_importances(study, evaluator=make_evaluator()) == get_param_importances(
            clean, evaluator=make_evaluator()
        )


def test_trials_that_did_not_complete_are_ignored() -> None:
    study = make_study(graded, n_trials=100)
    clean = make_study(graded, n_trials=100)
    study.add_trials(
        create_trial(state=state, params={"x": 0.5, "lr": 1e-3, "n": 1, "opt": "adam"}, distributions=SPACE)
        for state in (TrialState.FAIL, TrialState.PRUNED, TrialState.RUNNING)
    )
    for make_evaluator in ALL_EVALUATORS:
        assert get_param_importances(study, evaluator=make_evaluator()) == get_param_importances(
            clean, evaluator=make_evaluator()
        )


# --- conditional and constant parameters -----------------------------------------------------------
def conditional_study(n_trials: int = 200) -> hpo.Study:
    """``model`` chooses which of ``svm_c`` and ``depth`` exists; ``x`` is in every trial."""
    rng = np.random.default_rng(1)
    study = hpo.create_study()
    for _ in range(n_trials):
        model = ["svm", "forest"][int(rng.integers(2))]
        x = float(rng.uniform(0, 1))
        params: dict[str, Any] = {"model": model, "x": x}
        dists: dict[str, Any] = {"model": CategoricalDistribution(["svm", "forest"]), "x": FloatDistribution(0, 1)}
        if model == "svm":
            params["svm_c"] = float(10 ** rng.uniform(-3, 3))
            dists["svm_c"] = FloatDistribution(1e-3, 1e3, log=True)
            value = 1 + abs(math.log10(params["svm_c"]))
        else:
            params["depth"] = int(rng.integers(2, 33))
            dists["depth"] = IntDistribution(2, 32)
            value = 0.2 * abs(params["depth"] - 10)
        study.add_trial(create_trial(params=params, distributions=dists, value=value + 0.1 * x))
    return study


def test_ped_anova_rates_conditional_parameters() -> None:
    importances = get_param_importances(conditional_study())
    assert set(importances) == {"model", "x", "svm_c", "depth"}


@pytest.mark.parametrize("make_evaluator", FOREST_EVALUATORS)
def test_forests_rate_the_parameters_every_trial_has(make_evaluator: Any) -> None:
    study = conditional_study()
    assert set(get_param_importances(study, evaluator=make_evaluator())) == {"model", "x"}
    # a conditional parameter named explicitly is rated on the trials that have it
    assert set(get_param_importances(study, evaluator=make_evaluator(), params=["svm_c", "x"])) == {"svm_c", "x"}
    with pytest.raises(ValueError, match="No completed trial has all of the specified parameters"):
        get_param_importances(study, evaluator=make_evaluator(), params=["svm_c", "depth"])


def test_ped_anova_rates_each_distribution_of_a_dynamic_parameter() -> None:
    """lr comes from two ranges (two regimes); a forest cannot rate it, PED-ANOVA can."""
    rng = np.random.default_rng(2)
    study = hpo.create_study()
    for _ in range(200):
        size = ["small", "large"][int(rng.integers(2))]
        dist = FloatDistribution(1e-4, 1e-1, log=True) if size == "small" else FloatDistribution(1e-5, 1e-2, log=True)
        lr = float(math.exp(rng.uniform(math.log(dist.low), math.log(dist.high))))
        y = float(rng.uniform(-1, 1))
        dists = {"size": CategoricalDistribution(["small", "large"]), "lr": dist, "y": FloatDistribution(-1, 1)}
        study.add_trial(
            create_trial(params={"size": size, "lr": lr, "y": y}, distributions=dists, value=(math.log10(lr) + 3) ** 2)
        )
    assert next(iter(get_param_importances(study))) == "lr"
    assert set(get_param_importances(study, evaluator=FanovaImportanceEvaluator(seed=0))) == {"size", "y"}
    with pytest.raises(ValueError, match=r"different distributions across trials.*PedAnovaImportanceEvaluator"):
        get_param_importances(study, evaluator=FanovaImportanceEvaluator(seed=0), params=["lr"])


@pytest.mark.parametrize("make_evaluator", ALL_EVALUATORS)
def test_a_parameter_with_one_value_rates_zero(make_evaluator: Any) -> None:
    space = {**SPACE, "fixed": FloatDistribution(1.0, 1.0), "only": CategoricalDistribution(["one"])}
    study = make_study(graded, space=space)
    raw = get_param_importances(study, evaluator=make_evaluator(), normalize=False)
    assert raw["fixed"] == 0.0
    assert raw["only"] == 0.0
    assert next(iter(raw)) == "lr"


# --- few trials, no variance ------------------------------------------------------------------------
@pytest.mark.parametrize("make_evaluator", ALL_EVALUATORS)
def test_an_empty_study_rates_nothing(make_evaluator: Any) -> None:
    assert get_param_importances(hpo.create_study(), evaluator=make_evaluator()) == {}
    two = hpo.create_study(directions=["minimize", "maximize"])
    assert get_param_importances(two, evaluator=make_evaluator(), target=lambda t: t.values[0]) == {}


def test_ped_anova_on_an_empty_multi_objective_study() -> None:
    assert get_param_importances(hpo.create_study(directions=["minimize", "maximize"])) == {}


@pytest.mark.parametrize("make_evaluator", ALL_EVALUATORS)
def test_one_trial_gives_equal_importances(make_evaluator: Any) -> None:
    study = make_study(graded, n_trials=1)
    assert get_param_importances(study, evaluator=make_evaluator()) == dict.fromkeys(sorted(SPACE), 0.25)
    assert set(get_param_importances(study, evaluator=make_evaluator(), normalize=False).values()) == {0.0}


def test_ped_anova_says_when_it_has_too_few_trials() -> None:
    with pytest.warns(UserWarning, match="too small to compute importances"):
        get_param_importances(make_study(graded, n_trials=1))


def test_a_constant_objective() -> None:
    study = make_study(lambda p: 1.0, n_trials=50)
    assert set(get_param_importances(study).values()) == {0.25}
    assert set(get_param_importances(study, evaluator=MeanDecreaseImpurityImportanceEvaluator()).values()) == {0.25}
    with pytest.raises(RuntimeError, match="no variance to explain.*objective values are all equal"):
        get_param_importances(study, evaluator=FanovaImportanceEvaluator())


# --- seeds -----------------------------------------------------------------------------------------
@pytest.mark.parametrize("cls", [FanovaImportanceEvaluator, MeanDecreaseImpurityImportanceEvaluator])
def test_a_seed_makes_the_forest_evaluators_deterministic(graded_study: hpo.Study, cls: Any) -> None:
    first = get_param_importances(graded_study, evaluator=cls(seed=3, n_trees=16))
    assert get_param_importances(graded_study, evaluator=cls(seed=3, n_trees=16)) == first
    assert get_param_importances(graded_study, evaluator=cls(seed=4, n_trees=16)) != first


def test_ped_anova_is_deterministic(graded_study: hpo.Study) -> None:
    assert get_param_importances(graded_study) == get_param_importances(graded_study)


def test_ped_anova_settings_change_the_question(graded_study: hpo.Study) -> None:
    default = get_param_importances(graded_study, normalize=False)
    wider = get_param_importances(
        graded_study, evaluator=PedAnovaImportanceEvaluator(target_quantile=0.3), normalize=False
    )
    global_ = get_param_importances(
        graded_study, evaluator=PedAnovaImportanceEvaluator(evaluate_on_local=False), normalize=False
    )
    assert wider != default and global_ != default
    assert next(iter(wider)) == next(iter(global_)) == "lr"


# --- refusals ----------------------------------------------------------------------------------------
def test_bad_arguments_are_refused_with_the_fix(graded_study: hpo.Study) -> None:
    with pytest.raises(TypeError, match="BaseImportanceEvaluator subclass"):
        get_param_importances(graded_study, evaluator=object())  # type: ignore[arg-type]
    for make_evaluator in ALL_EVALUATORS:
        with pytest.raises(TypeError, match=r"as a list of names, e\.g\. params=\['x'\]"):
            get_param_importances(graded_study, evaluator=make_evaluator(), params="x")  # type: ignore[arg-type]
        with pytest.raises(TypeError, match="by their names, as strings"):
            get_param_importances(graded_study, evaluator=make_evaluator(), params=[1])  # type: ignore[list-item]
    with pytest.raises(ValueError, match=r"No completed trial has the parameters \['nope'\]"):
        get_param_importances(graded_study, params=["nope"])
    with pytest.raises(ValueError, match="0.0 < target_quantile < region_quantile <= 1.0"):
        PedAnovaImportanceEvaluator(target_quantile=0.5, region_quantile=0.5)
    with pytest.warns(UserWarning, match="region_quantile` has no effect"):
        PedAnovaImportanceEvaluator(region_quantile=0.5, evaluate_on_local=False)
    with pytest.raises(ValueError, match="n_trees must be a positive integer"):
        FanovaImportanceEvaluator(n_trees=0)
    with pytest.raises(ValueError, match="max_depth must be a positive integer"):
        MeanDecreaseImpurityImportanceEvaluator(max_depth=0)


def test_a_custom_evaluator_follows_the_contract(graded_study: hpo.Study) -> None:
    class ByName(BaseImportanceEvaluator):
        def evaluate(
            self, study: hpo.Study, params: list[str] | None = None, *, target: Any = None
        ) -> dict[str, float]:
            names = params if params is not None else sorted(study.trials[0].params)
            return {name: float(len(name)) for name in sorted(names, key=len, reverse=True)}

    importances = get_param_importances(graded_study, evaluator=ByName())
    assert list(importances) == ["opt", "lr", "n", "x"]
    assert importances == pytest.approx({"opt": 3 / 7, "lr": 2 / 7, "n": 1 / 7, "x": 1 / 7})


# --- as Optuna users call it -------------------------------------------------------------------------
def test_optunas_tutorial_call_works_with_import_hpo_as_optuna() -> None:
    """The example of Optuna's get_param_importances docstring, unchanged but for the import."""
    import hpo as optuna

    def objective(trial: optuna.Trial) -> float:
        x = trial.suggest_int("x", 0, 2)
        y = trial.suggest_float("y", -1.0, 1.0)
        z = trial.suggest_float("z", 0.0, 1.5)
        return x**2 + y**3 - z**4

    sampler = optuna.samplers.RandomSampler(seed=42)
    study = optuna.create_study(sampler=sampler)
    study.optimize(objective, n_trials=100)

    importances = optuna.importance.get_param_importances(study)
    assert set(importances) == {"x", "y", "z"}
    assert math.isclose(sum(importances.values()), 1.0)
    fanova = optuna.importance.get_param_importances(study, evaluator=optuna.importance.FanovaImportanceEvaluator())
    assert set(fanova) == {"x", "y", "z"}


def test_import_hpo_does_not_import_scikit_learn() -> None:
    code = "import sys, hpo, hpo.importance; assert 'sklearn' not in sys.modules, 'sklearn imported'"
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stderr


def test_evaluate_reads_frozen_trials(graded_study: hpo.Study) -> None:
    """target receives the study's FrozenTrials (with params, values, user attrs ...)."""
    seen: list[Any] = []

    def target(trial: FrozenTrial) -> float:
        seen.append(trial)
        return trial.params["x"]

    evaluator = MeanDecreaseImpurityImportanceEvaluator(seed=0, n_trees=4)
    get_param_importances(graded_study, evaluator=evaluator, target=target)
    assert seen and all(isinstance(t, FrozenTrial) for t in seen)
