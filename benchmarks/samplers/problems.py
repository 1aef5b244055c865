"""Benchmark problems, shared by the hpo and the Optuna side: plain numpy, no hpo or optuna import.

An objective takes a trial-like object and calls its ``suggest_*`` methods, which hpo and Optuna
share, so one definition serves both libraries.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np

Trial = Any  # an hpo.Trial or an optuna.Trial: both have the same suggest_* methods


@dataclass(frozen=True)
class Problem:
    """A single-objective problem with a known optimum: regret = value - optimum."""

    name: str
    objective: Callable[[Trial], float]
    optimum: float


@dataclass(frozen=True)
class MultiObjectiveProblem:
    """A minimization problem with several objectives, scored by the hypervolume of its feasible trials."""

    name: str
    objective: Callable[[Trial], Sequence[float]]
    n_objectives: int
    reference_point: tuple[float, ...]
    constrained: bool = field(default=False)


# --- continuous test functions (x is a numpy vector) -----------------------------------------------
def _floats(trial: Trial, dim: int, low: float, high: float) -> np.ndarray:
    return np.array([trial.suggest_float(f"x{i}", low, high) for i in range(dim)])


def branin(x: np.ndarray) -> float:
    a, b, c, r, s, t = 1.0, 5.1 / (4 * math.pi**2), 5 / math.pi, 6.0, 10.0, 1 / (8 * math.pi)
    return float(a * (x[1] - b * x[0] ** 2 + c * x[0] - r) ** 2 + s * (1 - t) * math.cos(x[0]) + s)


_HARTMANN_A = np.array(
    [[10, 3, 17, 3.5, 1.7, 8], [0.05, 10, 17, 0.1, 8, 14], [3, 3.5, 1.7, 10, 17, 8], [17, 8, 0.05, 10, 0.1, 14]]
)
_HARTMANN_P = 1e-4 * np.array(
    [
        [1312, 1696, 5569, 124, 8283, 5886],
        [2329, 4135, 8307, 3736, 1004, 9991],
        [2348, 1451, 3522, 2883, 3047, 6650],
        [4047, 8828, 8732, 5743, 1091, 381],
    ]
)
_HARTMANN_ALPHA = np.array([1.0, 1.2, 3.0, 3.2])


def hartmann6(x: np.ndarray) -> float:
    return float(-np.sum(_HARTMANN_ALPHA * np.exp(-np.sum(_HARTMANN_A * (x - _HARTMANN_P) ** 2, axis=1))))


def rosenbrock(x: np.ndarray) -> float:
    return float(np.sum(100 * (x[1:] - x[:-1] ** 2) ** 2 + (1 - x[:-1]) ** 2))


def ackley(x: np.ndarray) -> float:
    d = len(x)
    return float(
        -20 * math.exp(-0.2 * math.sqrt(np.sum(x**2) / d)) - math.exp(np.sum(np.cos(2 * math.pi * x)) / d) + 20 + math.e
    )


def styblinski_tang(x: np.ndarray) -> float:
    return float(0.5 * np.sum(x**4 - 16 * x**2 + 5 * x))


def levy(x: np.ndarray) -> float:
    w = 1 + (x - 1) / 4
    head = math.sin(math.pi * w[0]) ** 2
    middle = np.sum((w[:-1] - 1) ** 2 * (1 + 10 * np.sin(math.pi * w[:-1] + 1) ** 2))
    tail = (w[-1] - 1) ** 2 * (1 + math.sin(2 * math.pi * w[-1]) ** 2)
    return float(head + middle + tail)


def _continuous(name: str, func: Callable[[np.ndarray], float], dim: int, low: float, high: float, optimum: float) -> Problem:
    return Problem(name, lambda trial: func(_floats(trial, dim, low, high)), optimum)


# --- mixed and conditional search spaces ------------------------------------------------------------
def mixed(trial: Trial) -> float:
    """Float, log-float, integer and categorical parameters; optimum 0."""
    x = trial.suggest_float("x", -5.0, 5.0)
    lr = trial.suggest_float("lr", 1e-5, 1.0, log=True)
    n = trial.suggest_int("n", 0, 20)
    act = trial.suggest_categorical("activation", ["relu", "tanh", "sigmoid", "gelu"])
    return (x - 1.3) ** 2 + (math.log10(lr) + 3) ** 2 + (n - 7) ** 2 / 10 + {"relu": 1.0, "tanh": 0.5, "sigmoid": 2.0, "gelu": 0.0}[act]


def conditional(trial: Trial) -> float:
    """A model choice with its own hyperparameters; the optimum 0 lies in the "nn" branch."""
    model = trial.suggest_categorical("model", ["linear", "tree", "nn"])
    if model == "linear":
        alpha = trial.suggest_float("alpha", 1e-4, 10.0, log=True)
        return 1.0 + (math.log10(alpha) + 1) ** 2
    if model == "tree":
        depth = trial.suggest_int("depth", 1, 16)
        min_split = trial.suggest_float("min_split", 0.0, 1.0)
        return 0.5 + (depth - 6) ** 2 / 20 + (min_split - 0.3) ** 2
    layers = trial.suggest_int("layers", 1, 5)
    units = trial.suggest_int("units", 8, 512, log=True)
    lr = trial.suggest_float("nn_lr", 1e-5, 1e-1, log=True)
    dropout = trial.suggest_float("dropout", 0.0, 0.5, step=0.05)
    return (layers - 3) ** 2 / 4 + (math.log2(units) - 7) ** 2 / 10 + (math.log10(lr) + 2.5) ** 2 + (dropout - 0.1) ** 2


SINGLE_OBJECTIVE: dict[str, Problem] = {
    p.name: p
    for p in [
        Problem("branin2", lambda t: branin(np.array([t.suggest_float("x0", -5, 10), t.suggest_float("x1", 0, 15)])), 0.397887357729738),
        _continuous("hartmann6", hartmann6, 6, 0.0, 1.0, -3.32236801141551),
        _continuous("rosenbrock5", rosenbrock, 5, -5.0, 10.0, 0.0),
        _continuous("rosenbrock10", rosenbrock, 10, -5.0, 10.0, 0.0),
        _continuous("ackley5", ackley, 5, -32.768, 32.768, 0.0),
        _continuous("ackley10", ackley, 10, -32.768, 32.768, 0.0),
        _continuous("styblinski_tang5", styblinski_tang, 5, -5.0, 5.0, -39.16616570377142 * 5),
        _continuous("styblinski_tang10", styblinski_tang, 10, -5.0, 5.0, -39.16616570377142 * 10),
        _continuous("levy5", levy, 5, -10.0, 10.0, 0.0),
        _continuous("levy10", levy, 10, -10.0, 10.0, 0.0),
        Problem("mixed", mixed, 0.0),
        Problem("conditional", conditional, 0.0),
    ]
}


# --- multi-objective ----------------------------------------------------------------------------------
def _zdt(trial: Trial, concave: bool, dim: int = 10) -> tuple[float, float]:
    x = _floats(trial, dim, 0.0, 1.0)
    g = 1 + 9 * float(np.mean(x[1:]))
    ratio = x[0] / g
    return float(x[0]), g * (1 - (ratio**2 if concave else math.sqrt(ratio)))


def binh_korn(trial: Trial) -> tuple[float, float]:
    """Binh and Korn's problem with its two constraints, stored as the ``constraints`` user attribute."""
    x = trial.suggest_float("x", 0.0, 5.0)
    y = trial.suggest_float("y", 0.0, 3.0)
    trial.set_user_attr("constraints", [(x - 5) ** 2 + y**2 - 25, 7.7 - (x - 8) ** 2 - (y + 3) ** 2])
    return 4 * x**2 + 4 * y**2, (x - 5) ** 2 + (y - 5) ** 2


def user_attr_constraints(trial: Any) -> list[float]:
    """The ``constraints_func`` of the constrained problems (reads what the objective stored)."""
    return list(trial.user_attrs["constraints"])


MULTI_OBJECTIVE: dict[str, MultiObjectiveProblem] = {
    p.name: p
    for p in [
        MultiObjectiveProblem("zdt1", lambda t: _zdt(t, concave=False), 2, (11.0, 11.0)),
        MultiObjectiveProblem("zdt2", lambda t: _zdt(t, concave=True), 2, (11.0, 11.0)),
        MultiObjectiveProblem("binh_korn", binh_korn, 2, (140.0, 50.0), constrained=True),
    ]
}


def hypervolume_2d(points: np.ndarray, reference: Sequence[float]) -> float:
    """Hypervolume of minimization points in two objectives, bounded by ``reference``."""
    ref = np.asarray(reference, dtype=float)
    points = np.asarray(points, dtype=float).reshape(-1, 2)
    points = points[np.all(points < ref, axis=1)]
    if len(points) == 0:
        return 0.0
    points = points[np.argsort(points[:, 0], kind="stable")]
    x, y = points[:, 0], np.minimum.accumulate(points[:, 1])
    return float(np.sum((np.append(x[1:], ref[0]) - x) * (ref[1] - y)))
