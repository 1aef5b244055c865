"""LightGBM with hpo: ``import hpo.integration.lightgbm as lgb`` (Optuna's ``optuna.integration.lightgbm``).

``lgb.train`` tunes before it trains (:class:`LightGBMTuner`, stepwise); :class:`LightGBMTunerCV` does
the same with ``lightgbm.cv``; :class:`LightGBMPruningCallback` prunes a trial that trains with
``lightgbm.train`` or ``lightgbm.cv``. The rest of LightGBM's API is here too when LightGBM is
installed (``lgb.Dataset``, ``lgb.early_stopping``, ``lgb.log_evaluation``, ``lgb.cv`` ...), so code
written for ``lightgbm`` runs with the tuner by changing its import.
"""

from __future__ import annotations

from hpo.integration._imports import try_import
from hpo.integration.lightgbm._pruning import LightGBMPruningCallback
from hpo.integration.lightgbm._train import train
from hpo.integration.lightgbm._tuner import LightGBMTuner, LightGBMTunerCV

with try_import("lightgbm") as _imports:
    import lightgbm as _lightgbm

__all__ = ["LightGBMPruningCallback", "LightGBMTuner", "LightGBMTunerCV", "train"]

if _imports.is_successful():
    from hpo.integration.lightgbm._sklearn import LGBMClassifier as LGBMClassifier
    from hpo.integration.lightgbm._sklearn import LGBMModel as LGBMModel
    from hpo.integration.lightgbm._sklearn import LGBMRegressor as LGBMRegressor

    _OURS = ("train", "LGBMModel", "LGBMClassifier", "LGBMRegressor")  # the tuner's versions, imported above
    globals().update({name: getattr(_lightgbm, name) for name in _lightgbm.__all__ if name not in _OURS})
    __all__ += [name for name in _lightgbm.__all__ if name not in __all__]
