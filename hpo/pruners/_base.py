"""The pruner interface."""

from __future__ import annotations

import abc
from typing import TYPE_CHECKING, Any

from hpo.specs import record_init_args
from hpo.trial import FrozenTrial

if TYPE_CHECKING:
    from hpo.study import Study


class BasePruner(abc.ABC):
    """Decides, from a running trial's intermediate values, whether to stop it early."""

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        record_init_args(cls)  # lets the instance travel as a JSON spec

    @abc.abstractmethod
    def prune(self, study: Study, trial: FrozenTrial) -> bool:
        """True to prune ``trial`` now. Called by ``Trial.should_prune`` after ``report``."""

    def __repr__(self) -> str:
        return f"{type(self).__name__}()"
