"""Prune a trial that a Wilcoxon signed-rank test finds worse than the best trial, step by step."""

from __future__ import annotations

import warnings
from typing import TYPE_CHECKING

import numpy as np

from hpo.pruners._base import ExplainedPruner, PruneReason, is_int
from hpo.records import StudyDirection
from hpo.trial import FrozenTrial

if TYPE_CHECKING:
    from hpo.study import Study


class WilcoxonPruner(ExplainedPruner):
    """Optuna's Wilcoxon pruner, for objectives that average a loss over problem instances.

    Steps are instance ids: the trial's value at each step is paired with the best trial's value
    at the same step (steps the best trial lacks are left out), and the trial is pruned when the
    one-sided Wilcoxon signed-rank test (``scipy.stats.wilcoxon``, ``zero_method="zsplit"``) gives
    ``p < p_threshold``, unless the best trial's average is no better than the trial's. No
    pruning with fewer than ``max(2, n_startup_steps)`` pairs, or with infinite or NaN values
    (a warning says so).

    Args:
        p_threshold: the p-value below which a trial is pruned (0 to 1; larger prunes more).
        n_startup_steps: pairs needed before any pruning (at least 2 are needed anyway).

    A pruned trial records ``p_value``, ``p_threshold``, ``best_trial`` (its number) and
    ``paired_steps``.
    """

    def __init__(self, *, p_threshold: float = 0.1, n_startup_steps: int = 2) -> None:
        if not is_int(n_startup_steps, 0):
            raise ValueError(f"n_startup_steps must be an integer >= 0, got {n_startup_steps!r}.")
        if not 0.0 <= p_threshold <= 1.0:
            raise ValueError(f"p_threshold must be between 0 and 1, got {p_threshold!r}.")
        self._p_threshold = p_threshold
        self._n_startup_steps = n_startup_steps

    def __repr__(self) -> str:
        return f"WilcoxonPruner(p_threshold={self._p_threshold}, n_startup_steps={self._n_startup_steps})"

    def reason(self, study: Study, trial: FrozenTrial) -> PruneReason | None:
        if not trial.intermediate_values:
            return None
        steps, values = np.array(list(trial.intermediate_values.items())).T
        if not np.all(np.isfinite(values)):
            _warn(f"The intermediate values of trial {trial.number} contain infinity or NaN: it is not pruned.")
            return None
        try:
            best = study.best_trial
        except ValueError:
            return None
        if not best.intermediate_values:
            _warn(
                f"The best trial (trial {best.number}) has no intermediate values, so WilcoxonPruner cannot "
                "prune. A trial added with Study.add_trial needs intermediate_values."
            )
            return None
        best_steps, best_values = np.array(list(best.intermediate_values.items())).T
        if not np.all(np.isfinite(best_values)):
            _warn(f"The intermediate values of the best trial (trial {best.number}) contain infinity or NaN.")
            return None
        _, mine, theirs = np.intersect1d(steps, best_steps, return_indices=True)
        if len(mine) < len(values):
            _warn(f"Trial {trial.number} reported steps the best trial (trial {best.number}) lacks: they are ignored.")
        diff = values[mine] - best_values[theirs]
        if len(diff) < max(2, self._n_startup_steps):
            return None
        # the same arithmetic as Optuna's, so that borderline decisions agree
        if study.direction == StudyDirection.MAXIMIZE:
            alternative = "less"
            average_is_best = sum(best_values) / len(best_values) <= sum(values) / len(values)
        else:
            alternative = "greater"
            average_is_best = sum(best_values) / len(best_values) >= sum(values) / len(values)
        p_value = signed_rank_p_value(diff, alternative)
        if not p_value < self._p_threshold or average_is_best:
            return None
        return {
            "pruner": "Wilcoxon",
            "step": trial.last_step,
            "p_value": p_value,
            "p_threshold": self._p_threshold,
            "best_trial": best.number,
            "paired_steps": len(diff),
        }


def signed_rank_p_value(diff: np.ndarray, alternative: str) -> float:
    """``scipy.stats.wilcoxon(diff, alternative=alternative, zero_method="zsplit").pvalue``, the same number.

    For 13 pairs or fewer with ties or zeros, SciPy runs an exact permutation test through
    ``permutation_test``, which takes 0.2 to 2 s (and holds up every study's reports on the
    coordinator meanwhile). The same exact test is computed here over all 2**n sign flips at once, in
    about a millisecond; SciPy's own tolerance for equal statistics is kept. Other cases are SciPy's.
    """
    from scipy import stats  # imported late: slow to import

    n = len(diff)
    abs_diff = np.abs(diff)
    if n > 13 or (np.all(diff != 0) and len(np.unique(abs_diff)) == n):
        return float(stats.wilcoxon(diff, alternative=alternative, zero_method="zsplit").pvalue)
    ranks = stats.rankdata(abs_diff)
    zero_half = ranks[diff == 0].sum() / 2
    observed = ranks[diff > 0].sum() + zero_half
    flips = 1 - 2 * ((np.arange(2**n)[:, None] >> np.arange(n)) & 1)  # every sign pattern, the identity first
    null = ((flips * diff) > 0) @ ranks + zero_half
    gamma = abs(np.finfo(np.float64).eps * 100 * observed)
    if alternative == "greater":
        return float(np.count_nonzero(null >= observed - gamma) / 2**n)
    return float(np.count_nonzero(null <= observed + gamma) / 2**n)


def _warn(message: str) -> None:
    warnings.warn(message, UserWarning, stacklevel=5)  # the objective's should_prune()
