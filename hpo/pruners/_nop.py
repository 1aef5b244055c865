"""A pruner that never prunes."""

from __future__ import annotations

from typing import TYPE_CHECKING

from hpo.pruners._base import BasePruner
from hpo.trial import FrozenTrial

if TYPE_CHECKING:
    from hpo.study import Study


class NopPruner(BasePruner):
    """Never prunes."""

    def prune(self, study: Study, trial: FrozenTrial) -> bool:
        return False
