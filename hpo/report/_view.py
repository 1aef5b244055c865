"""The study read once, and the samples of its trials that a large study's plots and table show."""

from __future__ import annotations

import copy
import math
from collections.abc import Container, Sequence
from dataclasses import dataclass

from hpo.multi_objective import pareto_front_trials
from hpo.records import StudyDirection, TrialState
from hpo.study import Study
from hpo.trial import FrozenTrial

#: Curve points (steps) the intermediate values plot draws at most.
MAX_CURVE_POINTS = 25_000


class TrialView(Study):
    """A study whose trials are a fixed list read earlier (all of them, or a sample): the plots and the
    importance evaluators read it without going back to the storage. Read-only."""

    def __init__(self, study: Study, trials: Sequence[FrozenTrial]) -> None:
        super().__init__(study.study_name, study.storage, sampler=study.sampler, pruner=study.pruner)
        self._fixed = list(trials)

    def get_trials(
        self, deepcopy: bool = True, states: Container[TrialState] | None = None
    ) -> list[FrozenTrial]:
        """The fixed trials (in number order), those in ``states`` only when given."""
        trials = self._fixed if states is None else [t for t in self._fixed if t.state in states]
        return copy.deepcopy(trials) if deepcopy else list(trials)


@dataclass(frozen=True)
class Sample:
    """Which trials a large study's plots draw, and the sentence saying so."""

    trials: list[FrozenTrial]  # every-k-th, the improvements and the best, in number order
    stride: list[FrozenTrial]  # every-k-th trial only (an unbiased picture of the distribution)
    note: str | None  # None when every trial is drawn


def losses(trial: FrozenTrial, directions: Sequence[StudyDirection]) -> tuple[float, ...]:
    """The trial's values, negated where maximized (lower is better for each)."""
    assert trial.values is not None
    return tuple(-v if d == StudyDirection.MAXIMIZE else v for v, d in zip(trial.values, directions))


def _usable(trials: Sequence[FrozenTrial]) -> list[FrozenTrial]:
    """The feasible COMPLETE trials with finite values."""
    return [t for t in trials if t.state == TrialState.COMPLETE and t.values is not None
            and all(math.isfinite(v) for v in t.values) and all(c <= 0.0 for c in t.constraints.values())]


def best_trials(trials: Sequence[FrozenTrial], directions: Sequence[StudyDirection]) -> list[FrozenTrial]:
    """The best feasible COMPLETE trial with finite values, or with several objectives the Pareto front of
    those, by the first objective; empty when there is none."""
    usable = _usable(trials)
    if len(directions) == 1:
        return [min(usable, key=lambda t: _first_loss(t, directions))] if usable else []
    return sorted(pareto_front_trials(usable, directions), key=lambda t: _first_loss(t, directions))


def _first_loss(trial: FrozenTrial, directions: Sequence[StudyDirection]) -> tuple[float, int]:
    """The order of :func:`ranked`: by the first objective (lower is better), then by number."""
    return losses(trial, directions)[0], trial.number


def ranked(trials: Sequence[FrozenTrial], directions: Sequence[StudyDirection]) -> list[FrozenTrial]:
    """The feasible COMPLETE trials with finite values, best first: by the objective, or with several,
    the Pareto front first, then by the first objective."""
    by_first = sorted(_usable(trials), key=lambda t: _first_loss(t, directions))
    if len(directions) == 1:
        return by_first
    front = best_trials(trials, directions)
    on_front = {t.number for t in front}
    return front + [t for t in by_first if t.number not in on_front]


def _every_kth(trials: Sequence[FrozenTrial], count: int) -> list[FrozenTrial]:
    if len(trials) <= count:
        return list(trials)
    step = len(trials) / count
    return [trials[int(i * step)] for i in range(count)]


def improvements(trials: Sequence[FrozenTrial], directions: Sequence[StudyDirection]) -> list[FrozenTrial]:
    """The feasible COMPLETE trials (finite values) that bettered every earlier one; none with several objectives."""
    if len(directions) != 1:
        return []
    found, best = [], math.inf
    for trial in _usable(trials):
        loss = losses(trial, directions)[0]
        if loss < best:
            best = loss
            found.append(trial)
    return found


def sample(
    trials: list[FrozenTrial], directions: Sequence[StudyDirection], max_trials: int, subject: str = "The plots draw"
) -> Sample:
    """All trials when there are at most ``max_trials``; else about that many: the best tenth, every
    trial that improved on the earlier ones (at most a quarter, evenly spaced) and every k-th trial."""
    if len(trials) <= max_trials:
        return Sample(trials, trials, None)
    best = ranked(trials, directions)[: max_trials // 10]
    better = _every_kth(improvements(trials, directions), max_trials // 4)
    kept = {t.number: t for t in best + better}
    stride = _every_kth(trials, max_trials - len(kept))
    kept.update((t.number, t) for t in stride)
    chosen = sorted(kept.values(), key=lambda t: t.number)
    what = "the best trials, every trial that improved the best value, and" if len(directions) == 1 \
        else "the best trials (Pareto front first), and"
    note = (f"{subject} {len(chosen):,} of the study's {len(trials):,} trials: {what} one trial in every "
            f"{len(trials) / len(stride):.1f} (the distribution plot: those only).")
    return Sample(chosen, stride, note)


def table_trials(
    trials: list[FrozenTrial], directions: Sequence[StudyDirection], max_trials: int
) -> tuple[list[FrozenTrial], str | None]:
    """All trials when there are at most ``max_trials``; else the best half of that and the most recent
    trials up to ``max_trials``, in number order, with the sentence saying so."""
    if len(trials) <= max_trials:
        return trials, None
    best = ranked(trials, directions)[: max_trials // 2]
    kept = {t.number: t for t in best}
    for trial in reversed(trials):
        if len(kept) >= max_trials:
            break
        kept.setdefault(trial.number, trial)
    n_recent = len(kept) - len(best)
    order = "by value" if len(directions) == 1 else "Pareto front first, then by the first objective"
    note = (f"The table holds {len(kept):,} of the study's {len(trials):,} trials: the best {len(best):,} "
            f"({order}) and the {n_recent:,} most recent others.")
    return sorted(kept.values(), key=lambda t: t.number), note


def curves(trials: Sequence[FrozenTrial], max_points: int = MAX_CURVE_POINTS) -> tuple[list[FrozenTrial], str | None]:
    """The trials with intermediate values whose curves the plot draws: all of them, or every k-th so
    that at most ``max_points`` points are drawn."""
    reported = [t for t in trials if t.intermediate_values
                and t.state in (TrialState.COMPLETE, TrialState.PRUNED, TrialState.RUNNING)]
    total = sum(len(t.intermediate_values) for t in reported)
    if total <= max_points:
        return reported, None
    kept = _every_kth(reported, max(1, len(reported) * max_points // total))
    return kept, f"Curves of {len(kept):,} of the {len(reported):,} trials that reported values (every k-th)."
