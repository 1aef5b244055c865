"""The evaluator contract, and what the evaluators share: which trials and parameters they read."""

from __future__ import annotations

import abc
from collections.abc import Callable, Iterable
from typing import TYPE_CHECKING

import numpy as np

from hpo.distributions import BaseDistribution
from hpo.search_space import intersection_search_space
from hpo.trial import FrozenTrial, TrialState

if TYPE_CHECKING:
    from hpo.study import Study

TargetFunc = Callable[[FrozenTrial], float]


class BaseImportanceEvaluator(abc.ABC):
    """Rates how much each parameter of a study matters to its objective (or to ``target``).

    Contract of :meth:`evaluate`, which :func:`hpo.importance.get_param_importances` calls:

    - it reads the study's COMPLETE trials and returns ``{param name: importance}``, every importance
      a non-negative ``float``, not normalized, most important first;
    - ``params=None`` rates the evaluator's default set of parameters; a list rates exactly those
      (``[]`` gives ``{}``); anything but a list or tuple of names is a ``TypeError``, a name no
      completed trial has a ``ValueError``;
    - ``target`` maps a trial to the value to explain; without it, the objective value of a
      single-objective study (a multi-objective study needs ``target`` unless the evaluator says
      otherwise, and gets a ``ValueError`` naming the fix); trials whose value is not finite are skipped;
    - fewer than two usable trials give every rated parameter the importance 0.0.
    """

    @abc.abstractmethod
    def evaluate(
        self,
        study: Study,
        params: list[str] | None = None,
        *,
        target: TargetFunc | None = None,
    ) -> dict[str, float]:
        """Importances of ``params`` (see the class docstring), most important first."""


def check_params(params: object) -> None:
    """``TypeError`` unless ``params`` is None or a list (or tuple) of names."""
    if params is None:
        return
    if not isinstance(params, (list, tuple)):
        raise TypeError(f"Parameters must be specified as a list of names, e.g. params=['x']. Actual: {params!r}.")
    if any(not isinstance(p, str) for p in params):
        raise TypeError(f"Parameters must be specified by their names, as strings. Actual parameters: {params!r}.")


def completed_trials(study: Study) -> list[FrozenTrial]:
    return study.get_trials(deepcopy=False, states=(TrialState.COMPLETE,))


def require_target(study: Study, target: TargetFunc | None) -> None:
    """``ValueError`` for a multi-objective study without ``target``."""
    if target is None and len(study.directions) > 1:
        raise ValueError(
            "The study has several objectives: pass target=, e.g. target=lambda t: t.values[0] for the "
            "first objective (or use PedAnovaImportanceEvaluator, which rates reaching the Pareto front)."
        )


def common_distributions(trials: list[FrozenTrial], params: list[str] | None) -> dict[str, BaseDistribution]:
    """The parameters to rate by a model over all of them at once, sorted by name.

    Without ``params``: those every completed trial has, with the same distribution. With ``params``:
    those names, from the completed trials that have them all (their distributions must agree).
    """
    check_params(params)
    if params is None:
        return intersection_search_space(trials)
    if not params:
        return {}
    found: dict[str, BaseDistribution] | None = None
    for trial in trials:
        dists = trial.distributions
        if not all(name in dists for name in params):
            continue
        if found is None:
            found = {name: dists[name] for name in params}
        elif any(dists[name] != dist for name, dist in found.items()):
            changed = sorted(name for name, dist in found.items() if dists[name] != dist)
            raise ValueError(
                f"Parameters {changed} have different distributions across trials (a dynamic search space); "
                "this evaluator needs one distribution per parameter: rate other parameters, or use "
                "PedAnovaImportanceEvaluator, which rates each distribution separately."
            )
    if found is None:
        raise ValueError(
            f"No completed trial has all of the specified parameters {list(params)}: name parameters that "
            "appear together in at least one completed trial."
        )
    return dict(sorted(found.items()))


def target_values(trials: Iterable[FrozenTrial], target: TargetFunc | None) -> np.ndarray:
    """The value to explain per trial: ``target(trial)``, or the objective value."""
    return np.array([target(t) if target is not None else objective_value(t) for t in trials], dtype=float)


def objective_value(trial: FrozenTrial) -> float:
    """The objective value of a COMPLETE trial of a single-objective study."""
    values = trial.values
    assert values is not None, "a COMPLETE trial has its values"
    return values[0]


def usable_trials(
    trials: list[FrozenTrial], params: Iterable[str], target: TargetFunc | None
) -> tuple[list[FrozenTrial], np.ndarray]:
    """The trials that have every one of ``params`` and a finite value to explain, with those values."""
    names = list(params)
    having = [t for t in trials if all(name in t.params for name in names)]
    values = target_values(having, target)
    keep = np.isfinite(values)
    return [t for t, k in zip(having, keep.tolist()) if k], values[keep]


def sort_by_importance(importances: dict[str, float]) -> dict[str, float]:
    """Most important first; equal importances in the reverse of their order in ``importances``."""
    return dict(reversed(sorted(importances.items(), key=lambda item: item[1])))
