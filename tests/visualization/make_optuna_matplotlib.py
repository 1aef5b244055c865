"""Record Optuna 5's matplotlib figures of the studies in ``data/optuna_figures.json``, as test data.

Run with the Python of Optuna's own environment (with matplotlib)::

    .venv-optuna/bin/pip install matplotlib==3.11.2
    .venv-optuna/bin/python tests/visualization/make_optuna_matplotlib.py

Each recorded plot call of ``optuna_figures.json``, and a few more (``EXTRA_CALLS``), is drawn again with
``optuna.visualization.matplotlib`` (the matplotlib style reset before each, as a fresh process
would have it) and stored with the call as ``axes_data.figure_data`` gives it, in
``data/optuna_matplotlib.json``.
``test_matplotlib.py`` draws the same calls with ``hpo.visualization.matplotlib`` and compares.
"""

from __future__ import annotations

import json
import warnings
from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import optuna  # noqa: E402
from axes_data import figure_data  # noqa: E402
from make_optuna_figures import TARGET_LISTS, TARGETS  # noqa: E402
from rebuild import rebuild  # noqa: E402

DATA = Path(__file__).parent / "data"

#: Calls only recorded here (on the same studies): what the matplotlib drawing does differently.
EXTRA_CALLS = {
    case: {"function": function, "study": study, "kwargs": kwargs}
    for case, function, study, kwargs in [
        ("rank_one_param", "plot_rank", "single", {"params": ["x"]}),
        ("contour_log_log", "plot_contour", "constrained", {"params": ["lr", "units"]}),
        ("slice_int_log_and_numeric_choices", "plot_slice", "single", {"params": ["units", "z"]}),
        ("parallel_multi_constrained", "plot_parallel_coordinate", "multi2c", {}),
        ("pareto_3d_front_only", "plot_pareto_front", "multi3", {"include_dominated_trials": False}),
    ]
}


def main() -> None:
    optuna.logging.set_verbosity(optuna.logging.ERROR)
    recorded = json.loads((DATA / "optuna_figures.json").read_text())
    studies = {name: rebuild(optuna, name, spec) for name, spec in recorded["studies"].items()}
    cases = {}
    calls = {case: {k: call[k] for k in ("function", "study", "kwargs")} for case, call in recorded["cases"].items()}
    for case, call in {**calls, **EXTRA_CALLS}.items():
        kwargs = dict(call["kwargs"])
        if "target" in kwargs:
            kwargs["target"] = TARGETS[kwargs["target"]]
        if "targets" in kwargs:
            kwargs["targets"] = TARGET_LISTS[kwargs["targets"]]
        study = call["study"]
        target = [studies[s] for s in study] if isinstance(study, list) else studies[study]
        plt.style.use("default")
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            result = getattr(optuna.visualization.matplotlib, call["function"])(target, **kwargs)
            cases[case] = {**call, "figure": figure_data(result)}
        plt.close("all")
    out = DATA / "optuna_matplotlib.json"
    out.write_text(json.dumps({"optuna_version": optuna.__version__, "matplotlib_version": matplotlib.__version__,
                               "cases": cases}) + "\n")
    print(f"wrote {len(cases)} figures to {out} ({out.stat().st_size // 1024} KiB)")


if __name__ == "__main__":
    main()
