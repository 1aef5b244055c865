"""Pruners: decide from intermediate values whether to stop a trial early.

Each built-in pruner decides as Optuna 5's of the same name and records, on a trial it prunes,
why (:data:`PRUNE_REASON_KEY`). A sampler reads past trials through :func:`filter_study`, so that
under a :class:`HyperbandPruner` it sees only the trials of the bracket it samples for.
"""

from hpo.pruners._base import PRUNE_REASON_KEY, BasePruner, ExplainedPruner, PruneReason, filter_study, view_key
from hpo.pruners._hyperband import HyperbandPruner
from hpo.pruners._median import MedianPruner
from hpo.pruners._nop import NopPruner
from hpo.pruners._patient import PatientPruner
from hpo.pruners._percentile import PercentilePruner
from hpo.pruners._successive_halving import SuccessiveHalvingPruner
from hpo.pruners._threshold import ThresholdPruner
from hpo.pruners._wilcoxon import WilcoxonPruner

__all__ = [
    "PRUNE_REASON_KEY",
    "BasePruner",
    "ExplainedPruner",
    "HyperbandPruner",
    "MedianPruner",
    "NopPruner",
    "PatientPruner",
    "PercentilePruner",
    "PruneReason",
    "SuccessiveHalvingPruner",
    "ThresholdPruner",
    "WilcoxonPruner",
    "filter_study",
    "view_key",
]
