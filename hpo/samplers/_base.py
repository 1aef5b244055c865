"""The sampler interface: relative (joint) sampling before a trial, independent sampling per parameter.

Also what several samplers share: an inner sampler for the parameters they do not sample
themselves (:class:`IndependentFallbackSampler`), and constraint values (:func:`store_constraints`).
"""

from __future__ import annotations

import abc
import math
from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING, Any, ClassVar

from hpo.distributions import BaseDistribution
from hpo.logging import get_logger
from hpo.records import CONSTRAINTS_KEY, TrialState
from hpo.specs import record_init_args
from hpo.trial import FrozenTrial

if TYPE_CHECKING:
    from hpo.study import Study

_logger = get_logger(__name__)

#: ``trial -> constraint values``, each > 0 when its constraint is violated.
ConstraintsFunc = Callable[[FrozenTrial], Sequence[float]]


class BaseSampler(abc.ABC):
    """Decides the parameters of trials.

    At the start of a trial the study calls :meth:`infer_relative_search_space` and
    :meth:`sample_relative`; the values returned (external representation) answer the matching
    ``suggest_*`` calls. Any other parameter is drawn by :meth:`sample_independent` when the
    objective asks for it. :meth:`before_trial` and :meth:`after_trial` bracket every trial.
    The same sampler object serves in-process ``optimize()`` and the distributed coordinator.
    A sampler that learns from past trials reads them from ``hpo.pruners.filter_study(study, trial)``
    (under a Hyperband pruner: the trials of ``trial``'s bracket), as TPE and GP do.
    """

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        record_init_args(cls)  # lets the instance travel as a JSON spec

    @abc.abstractmethod
    def infer_relative_search_space(self, study: Study, trial: FrozenTrial) -> dict[str, BaseDistribution]:
        """The parameters to sample jointly for ``trial`` (often the intersection of past trials')."""

    @abc.abstractmethod
    def sample_relative(
        self, study: Study, trial: FrozenTrial, search_space: dict[str, BaseDistribution]
    ) -> dict[str, Any]:
        """Values (external representation) for the parameters of ``search_space``."""

    @abc.abstractmethod
    def sample_independent(
        self, study: Study, trial: FrozenTrial, param_name: str, param_distribution: BaseDistribution
    ) -> Any:
        """A value (external representation) for one parameter outside the relative search space."""

    def before_trial(self, study: Study, trial: FrozenTrial) -> None:
        """Called when a trial starts, before any sampling."""

    def after_trial(
        self, study: Study, trial: FrozenTrial, state: TrialState, values: Sequence[float] | None
    ) -> None:
        """Called when a trial ends, before its state is stored."""

    def reseed_rng(self) -> None:
        """Reseed the random generator, e.g. in a process forked from one that already used the sampler."""

    def __repr__(self) -> str:
        return f"{type(self).__name__}()"


class IndependentFallbackSampler(BaseSampler):
    """A sampler that hands the parameters it does not sample itself to ``self._independent_sampler``.

    The inner sampler hears every trial's ``before_trial`` and ``after_trial`` and is reseeded along
    (subclasses that override a hook call ``super()``). A subclass that warns when a parameter falls
    back sets ``_fallback_warning`` (formatted with ``param``, ``number`` and ``sampler``, the inner
    sampler's class name) and says in :meth:`_warns_fallback` when the warning is due.
    """

    _independent_sampler: BaseSampler
    _fallback_warning: ClassVar[str | None] = None

    def sample_independent(
        self, study: Study, trial: FrozenTrial, param_name: str, param_distribution: BaseDistribution
    ) -> Any:
        if self._fallback_warning is not None and self._warns_fallback(study):
            sampler = type(self._independent_sampler).__name__
            _logger.warning(self._fallback_warning.format(param=param_name, number=trial.number, sampler=sampler))
        return self._independent_sampler.sample_independent(study, trial, param_name, param_distribution)

    def _warns_fallback(self, study: Study) -> bool:
        """Whether a parameter that falls back to the inner sampler now gets ``_fallback_warning``."""
        return False

    def before_trial(self, study: Study, trial: FrozenTrial) -> None:
        self._independent_sampler.before_trial(study, trial)

    def after_trial(
        self, study: Study, trial: FrozenTrial, state: TrialState, values: Sequence[float] | None
    ) -> None:
        self._independent_sampler.after_trial(study, trial, state, values)

    def reseed_rng(self) -> None:
        self._independent_sampler.reseed_rng()


def store_constraints(
    constraints_func: ConstraintsFunc | None, study: Study, trial: FrozenTrial, state: TrialState
) -> None:
    """Store ``constraints_func(trial)`` in the ``constraints`` system attr of a COMPLETE or PRUNED trial."""
    if constraints_func is None or state not in (TrialState.COMPLETE, TrialState.PRUNED):
        return
    constraints = check_constraints(constraints_func(trial), trial)
    study.storage.set_trial_system_attr(trial.trial_id, CONSTRAINTS_KEY, constraints)


def check_constraints(returned: Any, trial: FrozenTrial) -> list[float]:
    """What ``constraints_func`` returned for ``trial``, as floats; a ``ValueError`` says what was wrong."""
    message = f"constraints_func must return a sequence of floats, got {returned!r} for trial {trial.number}."
    if isinstance(returned, (str, bytes)) or not hasattr(returned, "__iter__"):
        raise ValueError(message)
    try:
        constraints = [float(c) for c in returned]
    except (TypeError, ValueError) as e:
        raise ValueError(message) from e
    if any(math.isnan(c) for c in constraints):
        raise ValueError(f"constraints_func returned NaN for trial {trial.number}: {constraints}. Return numbers.")
    return constraints
