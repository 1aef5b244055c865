"""The pruner interface, the reason a pruned trial records, and the study a sampler should see."""

from __future__ import annotations

import abc
import math
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from hpo.records import TrialState
from hpo.specs import record_init_args
from hpo.trial import FrozenTrial

if TYPE_CHECKING:
    from hpo.study import Study

#: System attr of a trial that hpo's pruners pruned: why, as a JSON object. It always holds
#: ``"pruner"`` (the pruner's class name without ``Pruner``) and ``"step"`` (the trial's last step);
#: the other keys depend on the pruner (see each pruner's ``reason``). Non-finite numbers are stored
#: as the strings ``"nan"``, ``"inf"`` and ``"-inf"``.
PRUNE_REASON_KEY = "hpo:prune_reason"

#: Why a pruner prunes a trial: JSON-safe values (see :data:`PRUNE_REASON_KEY`).
PruneReason = dict[str, Any]


class BasePruner(abc.ABC):
    """Decides, from a running trial's intermediate values, whether to stop it early."""

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        record_init_args(cls)  # lets the instance travel as a JSON spec

    @abc.abstractmethod
    def prune(self, study: Study, trial: FrozenTrial) -> bool:
        """True to prune ``trial`` now. Called by ``Trial.should_prune`` after ``report``."""

    def filter_study(self, study: Study, trial: FrozenTrial) -> Study:
        """The study that a sampler sampling for ``trial`` sees: ``study`` itself, or a view of it.

        :class:`~hpo.pruners.HyperbandPruner` returns the trials of ``trial``'s bracket only. The
        view may depend only on the study's name and what its storage holds, the trial's number
        and the pruner's constructor arguments, so that a process holding a replica of the study
        and a pruner built from this one's spec computes the same view.
        """
        return study

    def __repr__(self) -> str:
        return f"{type(self).__name__}()"


class ExplainedPruner(BasePruner):
    """A pruner whose every decision to prune comes with its reason, stored on the trial.

    Subclasses implement :meth:`reason`; :meth:`prune` stores the reason under
    :data:`PRUNE_REASON_KEY` when the trial is a running trial of the study's storage.
    """

    @abc.abstractmethod
    def reason(self, study: Study, trial: FrozenTrial) -> PruneReason | None:
        """Why to prune ``trial`` now (a dict with ``"pruner"`` and ``"step"``), or None to let it run."""

    def prune(self, study: Study, trial: FrozenTrial) -> bool:
        reason = self.reason(study, trial)
        if reason is None:
            return False
        if trial.trial_id >= 0 and trial.state == TrialState.RUNNING:
            study.storage.set_trial_system_attr(trial.trial_id, PRUNE_REASON_KEY, json_safe(reason))
        return True


def filter_study(study: Study, trial: FrozenTrial) -> Study:
    """The study a sampler sampling for ``trial`` should read its trials from: the study pruner's
    :meth:`~BasePruner.filter_study`. Samplers call it first thing in each sampling method."""
    return study.pruner.filter_study(study, trial)


def view_key(study: Study) -> int | None:
    """Which of a study's trial subsets ``study`` shows: None for all of them, else the Hyperband
    bracket. A sampler that caches per study keys its caches by this too."""
    from hpo.pruners._bracket_study import BracketStudy  # imported late: it subclasses Study

    return study.bracket if isinstance(study, BracketStudy) else None


def json_safe(value: Any) -> Any:
    """``value`` with numpy scalars as Python numbers and non-finite floats as strings."""
    if isinstance(value, Mapping):
        return {str(k): json_safe(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [json_safe(v) for v in value]
    if hasattr(value, "item") and not isinstance(value, (bool, int, float, str)):
        value = value.item()  # numpy scalars
    if isinstance(value, float) and not math.isfinite(value):
        return str(value)  # "nan", "inf", "-inf"
    return value


def is_int(value: object, minimum: int) -> bool:
    """True for an ``int`` (not a bool) >= ``minimum``."""
    return isinstance(value, int) and not isinstance(value, bool) and value >= minimum
