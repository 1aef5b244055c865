"""Prune a trial whose best intermediate value is worse than the median of other trials' at that step."""

from __future__ import annotations

from hpo.pruners._percentile import PercentilePruner


class MedianPruner(PercentilePruner):
    """:class:`PercentilePruner` at the 50th percentile: Optuna's default pruner (``compare_running``:
    see there)."""

    def __init__(
        self,
        n_startup_trials: int = 5,
        n_warmup_steps: int = 0,
        interval_steps: int = 1,
        *,
        n_min_trials: int = 1,
        compare_running: bool = False,
    ) -> None:
        super().__init__(
            50.0, n_startup_trials, n_warmup_steps, interval_steps, n_min_trials=n_min_trials,
            compare_running=compare_running,
        )
