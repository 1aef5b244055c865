"""NSGA-III elite selection: whole fronts by rank, the last one by niches around reference points."""

from __future__ import annotations

import itertools
from typing import TYPE_CHECKING, Any

import numpy as np

from hpo.samplers.nsgaii._selection import _loss, non_domination_ranks
from hpo.trial import FrozenTrial

if TYPE_CHECKING:
    from hpo.study import Study

# Non-finite objective values are clipped this many value ranges beyond the finite ones.
_INF_MARGIN = 3.0
# Off-axis weight of the achievement scalarizing function that finds each axis' extreme point.
_ASF_EPSILON = 1e-6


class NSGAIIIElitePopulationSelectionStrategy:
    """Keeps the best ``population_size`` trials: whole fronts by rank, then niche by niche.

    The last front that fits only partly is filled by reference-point niching (Deb and Jain, 2014):
    the objectives of the kept trials and that front are normalized (ideal point at 0, the
    hyperplane through the extreme points at 1), each trial is associated with the reference line
    closest to it, and trials are taken one at a time from the front for the reference point with
    the fewest kept trials so far (the closest trial for an empty niche, a random one otherwise).
    Reference points are ``reference_points`` or, by default, the Das-Dennis points of the unit
    simplex with ``dividing_parameter`` divisions per objective. Constraints rank as in NSGA-II.
    """

    def __init__(
        self,
        *,
        population_size: int,
        reference_points: Any = None,
        dividing_parameter: int = 3,
        rng: np.random.RandomState,
    ) -> None:
        if isinstance(population_size, bool) or not isinstance(population_size, int) or population_size < 2:
            raise ValueError(f"population_size must be an integer >= 2, got {population_size!r}.")
        if isinstance(dividing_parameter, bool) or not isinstance(dividing_parameter, int) or dividing_parameter < 1:
            raise ValueError(f"dividing_parameter must be an integer >= 1, got {dividing_parameter!r}.")
        self._population_size = population_size
        self._reference_points = None if reference_points is None else check_reference_points(reference_points)
        self._dividing_parameter = dividing_parameter
        self._rng = rng

    def __call__(self, study: Study, population: list[FrozenTrial]) -> list[FrozenTrial]:
        ranks = non_domination_ranks(population, study.directions)
        elite: list[FrozenTrial] = []
        for rank in range(int(ranks.max(initial=-1)) + 1):
            front = [t for t, r in zip(population, ranks) if r == rank]
            if len(elite) + len(front) <= self._population_size:
                elite.extend(front)
                continue
            points = self.reference_points(len(study.directions))
            normalized = normalize(clip_infinite(_loss(elite + front, study.directions)))
            closest, distance = associate(normalized, points)
            chosen = niche(self._population_size - len(elite), len(elite), closest, distance, len(points), self._rng)
            elite.extend(front[i] for i in chosen)
            break
        return elite

    def reference_points(self, n_objectives: int) -> np.ndarray:
        """The reference points for a study with ``n_objectives`` objectives (one row each)."""
        if self._reference_points is None:
            return das_dennis_points(n_objectives, self._dividing_parameter)
        if self._reference_points.shape[1] != n_objectives:
            raise ValueError(
                f"reference_points have {self._reference_points.shape[1]} coordinates each, but the study has "
                f"{n_objectives} objectives; give one coordinate per objective."
            )
        return self._reference_points


def check_reference_points(reference_points: Any) -> np.ndarray:
    """``reference_points`` as a float array of shape ``(n_points, n_objectives)``; ``ValueError`` if it is not."""
    try:
        points = np.array(reference_points, dtype=float)
    except (TypeError, ValueError) as e:
        raise ValueError(f"reference_points must be a 2-D array of numbers, got {reference_points!r:.200}.") from e
    if points.ndim != 2 or points.shape[0] == 0 or points.shape[1] == 0:
        raise ValueError(
            f"reference_points must be a 2-D array with one row per point and one column per objective, "
            f"got shape {points.shape}."
        )
    if not np.all(np.isfinite(points)) or np.any(np.linalg.norm(points, axis=1) == 0):
        raise ValueError("reference_points must be finite and none may be the origin (it defines no direction).")
    return points


def das_dennis_points(n_objectives: int, divisions: int) -> np.ndarray:
    """Every point of the unit simplex whose coordinates are multiples of ``1 / divisions``."""
    combinations = list(itertools.combinations_with_replacement(range(n_objectives), divisions))
    points = np.zeros((len(combinations), n_objectives))
    for row, combination in enumerate(combinations):
        np.add.at(points[row], list(combination), 1.0)
    return points / divisions


def clip_infinite(loss: np.ndarray) -> np.ndarray:
    """``loss`` with each objective's infinite values clipped a few value ranges beyond its finite ones."""
    clipped = np.zeros_like(loss)
    for j in range(loss.shape[1]):
        finite = loss[np.isfinite(loss[:, j]), j]
        if finite.size:
            low, high = finite.min(), finite.max()
            margin = _INF_MARGIN * (high - low) if high > low else 1.0
            clipped[:, j] = np.clip(loss[:, j], low - margin, high + margin)
    return clipped


def normalize(loss: np.ndarray) -> np.ndarray:
    """Translate the ideal point to the origin and scale each objective by the intercept of the
    hyperplane through the extreme points (the largest value of the objective where that plane is
    degenerate)."""
    shifted = loss - loss.min(axis=0)
    n_objectives = shifted.shape[1]
    weights = np.full((n_objectives, n_objectives), _ASF_EPSILON)
    np.fill_diagonal(weights, 1.0)
    asf = np.max(shifted[None, :, :] / weights[:, None, :], axis=2)  # (axis, individual)
    extremes = shifted[np.argmin(asf, axis=1)]
    intercepts = None
    if np.linalg.matrix_rank(extremes) == n_objectives:
        inverse = np.linalg.solve(extremes, np.ones(n_objectives))
        if np.all(inverse > 0):
            intercepts = 1.0 / inverse
    if intercepts is None or not np.all(np.isfinite(intercepts)):
        intercepts = shifted.max(axis=0)
    return shifted / np.where(intercepts > 0, intercepts, 1.0)


def associate(normalized: np.ndarray, points: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """For each row of ``normalized``: the index of the closest reference line (through the origin
    and a reference point) and the perpendicular distance to it."""
    directions = points / np.linalg.norm(points, axis=1, keepdims=True)
    projections = normalized @ directions.T  # (individual, point)
    squared = np.sum(normalized**2, axis=1, keepdims=True) - projections**2
    distances = np.sqrt(np.maximum(squared, 0.0))
    closest = np.argmin(distances, axis=1)
    return closest, distances[np.arange(len(normalized)), closest]


def niche(
    n_chosen: int,
    n_kept: int,
    closest: np.ndarray,
    distance: np.ndarray,
    n_points: int,
    rng: np.random.RandomState,
) -> list[int]:
    """``n_chosen`` indices into the front (rows ``n_kept:`` of ``closest``/``distance``), each from the
    least crowded reference point that still has front members (ties broken at random)."""
    counts = np.bincount(closest[:n_kept], minlength=n_points)
    members: dict[int, list[int]] = {}
    for i, point in enumerate(closest[n_kept:].tolist()):
        members.setdefault(point, []).append(i)
    chosen: list[int] = []
    while len(chosen) < n_chosen:
        open_points = np.array(sorted(members))
        fewest = open_points[counts[open_points] == counts[open_points].min()]
        point = int(fewest[rng.randint(len(fewest))])
        candidates = members[point]
        if counts[point] == 0:
            pick = min(range(len(candidates)), key=lambda k: distance[n_kept + candidates[k]])
        else:
            pick = rng.randint(len(candidates))
        chosen.append(candidates.pop(pick))
        counts[point] += 1
        if not candidates:
            del members[point]
    return chosen
