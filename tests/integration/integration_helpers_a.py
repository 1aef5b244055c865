"""Shared by the XGBoost, CatBoost, Lightning and MLflow integration tests."""

from __future__ import annotations

import subprocess
import sys

import hpo
from hpo.pruners import BasePruner
from hpo.study import Study
from hpo.trial import FrozenTrial


class DeterministicPruner(BasePruner):
    """Prunes at every report, or never (Optuna's test pruner of the same name)."""

    def __init__(self, is_pruning: bool) -> None:
        self.is_pruning = is_pruning

    def prune(self, study: Study, trial: FrozenTrial) -> bool:
        return self.is_pruning


def study_with(is_pruning: bool, **kwargs: object) -> hpo.Study:
    return hpo.create_study(pruner=DeterministicPruner(is_pruning), **kwargs)


def error_without(blocked: list[str], make: str) -> str:
    """Run ``make`` (an expression using ``trial``) in a fresh interpreter where ``blocked`` cannot be
    imported; return the ImportError's message (fails if nothing or something else is raised)."""
    code = (
        "import sys\n"
        f"for name in {blocked!r}:\n"
        "    sys.modules[name] = None\n"
        "import hpo, hpo.integration\n"
        "trial = hpo.create_study().ask()\n"
        "try:\n"
        f"    {make}\n"
        "except ImportError as e:\n"
        "    print('IMPORT-ERROR:', e)\n"
        "else:\n"
        "    print('NO ERROR')\n"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr[-3000:]
    line = done.stdout.strip().splitlines()[-1]
    assert line.startswith("IMPORT-ERROR: "), done.stdout + done.stderr[-3000:]
    return line.removeprefix("IMPORT-ERROR: ")
