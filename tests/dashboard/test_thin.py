"""The history's thinning (no browser): what a plot area's pixels can show, the best-value line exact."""

from __future__ import annotations

import random

import numpy as np
import pytest

import hpo
from hpo.dashboard._thin import CELL_PX, thin
from hpo.distributions import FloatDistribution

N = 5_000


@pytest.fixture(scope="module")
def study() -> hpo.Study:
    study = hpo.create_study()
    rng = random.Random(0)
    study.add_trials([hpo.trial.create_trial(params={"x": x}, distributions={"x": FloatDistribution(-5, 5)},
                                             value=(x - 1) ** 2 + rng.random())
                      for x in (rng.uniform(-5, 5) for _ in range(N))])
    return study


def test_markers_keep_one_per_cell_and_every_best_trial(study: hpo.Study) -> None:
    figure = hpo.visualization.plot_optimization_history(study)
    width, height = 200, 120
    shown, points = thin(figure, width, height)
    markers, best = figure.data[0], figure.data[1]
    assert points == 2 * N and shown == len(markers.x) + len(best.x)
    assert len(markers.x) <= (width // CELL_PX) * (height // CELL_PX) + len(best.x)
    assert len(markers.x) < N // 2
    # Every trial that set a new best is still a marker, with its value.
    values = {t.number: t.value for t in study.trials}
    kept = dict(zip(np.asarray(markers.x).tolist(), np.asarray(markers.y).tolist(), strict=True))
    running = np.inf
    for number in range(N):
        if values[number] < running:
            running = values[number]
            assert kept.get(number) == running, number
    # Each kept marker is a real trial's point.
    assert all(values[x] == y for x, y in kept.items())


def test_the_best_value_line_is_exact(study: hpo.Study) -> None:
    figure = hpo.visualization.plot_optimization_history(study)
    thin(figure, 400, 240)
    best = figure.data[1]
    x, y = np.asarray(best.x, dtype=float), np.asarray(best.y, dtype=float)
    assert len(x) < 200
    # Linear interpolation of the kept vertices gives the best value so far at every trial.
    expected = np.minimum.accumulate([t.value for t in study.trials])
    assert np.array_equal(np.interp(np.arange(N), x, y), expected)


def test_zoomed_in_every_point_in_view_is_kept(study: hpo.Study) -> None:
    figure = hpo.visualization.plot_optimization_history(study)
    thin(figure, 400, 240, x_range=(1000.0, 1300.0), y_range=(-1.0, 50.0))
    assert np.asarray(figure.data[0].x).tolist() == list(range(1000, 1301))
