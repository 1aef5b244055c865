"""optuna-examples' visualization script, in small, runs with ``import hpo as optuna`` (``plot_study.py``)."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

SCRIPT = Path(__file__).with_name("plot_study.py")
FIGURES = [
    "history", "intermediate", "parallel", "parallel_params", "contour", "contour_params", "slice",
    "slice_params", "importances", "importances_duration", "edf", "rank", "timeline",
]


def test_plot_study_example_runs(tmp_path: Path) -> None:
    done = subprocess.run([sys.executable, str(SCRIPT), str(tmp_path)], capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr[-3000:]
    assert re.search(r"15 trials, best value 0\.\d+", done.stdout), done.stdout
    assert sorted(p.stem for p in tmp_path.glob("*.html")) == sorted(FIGURES)
    for name in FIGURES:
        html = (tmp_path / f"{name}.html").read_text()
        assert "Plotly.newPlot" in html and '"type":"' in html, f"{name}: a figure without traces"
