"""Pruners: decide from intermediate values whether to stop a trial early."""

from hpo.pruners._base import BasePruner
from hpo.pruners._median import MedianPruner
from hpo.pruners._nop import NopPruner
from hpo.pruners._percentile import PercentilePruner

__all__ = ["BasePruner", "MedianPruner", "NopPruner", "PercentilePruner"]
