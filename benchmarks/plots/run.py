"""Time every plot of ``hpo.visualization`` at 10,000 and 100,000 trials, and Optuna 5's at 10,000.

    python benchmarks/plots/run.py [--sizes 10000 100000] [--optuna-sizes 10000] [--timeout 300]

The same seeded trials (4 params: a float, a log float, an int, a categorical; 90% COMPLETE, the
rest PRUNED or FAIL; up to 10 intermediate values each; a second objective for the Pareto front
and hypervolume plots) are added to in-memory studies on each side, each side in a subprocess of
its own interpreter (Optuna's from ``OPTUNA_PYTHON``, default ``.venv-optuna/bin/python``). Each
figure is timed once, from the call to the returned ``go.Figure``, in CPU seconds of the process
(fair on a machine shared with other work) and wall seconds; a plot still running after
``--timeout`` seconds is stopped and shown as such.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
from pathlib import Path

import numpy as np

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent.parent


def trials(n: int, seed: int = 0) -> dict[str, list]:
    rng = np.random.default_rng(seed)
    x = np.round(rng.uniform(-5, 5, n), 6)
    lr = 10 ** rng.uniform(-5, -1, n)
    nn = rng.integers(1, 9, n)
    c = rng.integers(0, 3, n)
    value = x**2 + nn - np.log10(lr) + c + rng.normal(0, 0.1, n)
    return {
        "x": x.tolist(),
        "lr": lr.tolist(),
        "n": nn.tolist(),
        "c": c.tolist(),
        "state": rng.choice(3, n, p=[0.9, 0.08, 0.02]).tolist(),
        "value": value.tolist(),
        "second": (-np.abs(x - 1) - 0.5 * c + rng.normal(0, 0.1, n)).tolist(),
        "steps": rng.integers(0, 11, n).tolist(),
        "duration": rng.uniform(0.5, 30, n).tolist(),
    }


def side(python: str, lib: str, n: int, timeout: int) -> dict[str, object]:
    with tempfile.NamedTemporaryFile("w", suffix=".json") as f:
        json.dump(trials(n), f)
        f.flush()
        out = subprocess.run(
            [python, str(HERE / "_side.py"), lib, f.name, str(timeout)],
            capture_output=True, text=True, check=True, cwd=ROOT,
        )
    return json.loads(out.stdout.strip().splitlines()[-1])


def cell(value: object) -> str:
    """``CPU (wall)`` seconds, or why there is no time."""
    if isinstance(value, list):
        wall, cpu = value
        return f"{cpu:.2f} ({wall:.2f})"
    return str(value)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--sizes", type=int, nargs="*", default=[10_000, 100_000])
    parser.add_argument("--optuna-sizes", type=int, nargs="*", default=[10_000])
    parser.add_argument("--timeout", type=int, default=300)
    args = parser.parse_args()
    optuna_python = os.environ.get("OPTUNA_PYTHON", str(ROOT / ".venv-optuna" / "bin" / "python"))
    columns = {}
    for n in args.sizes:
        columns[f"hpo {n:,}"] = side(sys.executable, "hpo", n, args.timeout)
    for n in args.optuna_sizes:
        columns[f"Optuna {n:,}"] = side(optuna_python, "optuna", n, args.timeout)
    print("| figure: CPU (wall) seconds | " + " | ".join(columns) + " |")
    print("|---" * (len(columns) + 1) + "|")
    for plot in next(iter(columns.values())):
        print(f"| {plot} | " + " | ".join(cell(c.get(plot)) for c in columns.values()) + " |")


if __name__ == "__main__":
    main()
