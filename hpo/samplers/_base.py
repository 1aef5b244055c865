"""The sampler interface: relative (joint) sampling before a trial, independent sampling per parameter."""

from __future__ import annotations

import abc
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

from hpo.distributions import BaseDistribution
from hpo.records import TrialState
from hpo.specs import record_init_args
from hpo.trial import FrozenTrial

if TYPE_CHECKING:
    from hpo.study import Study


class BaseSampler(abc.ABC):
    """Decides the parameters of trials.

    At the start of a trial the study calls :meth:`infer_relative_search_space` and
    :meth:`sample_relative`; the values returned (external representation) answer the matching
    ``suggest_*`` calls. Any other parameter is drawn by :meth:`sample_independent` when the
    objective asks for it. :meth:`before_trial` and :meth:`after_trial` bracket every trial.
    The same sampler object serves in-process ``optimize()`` and the distributed coordinator.
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
