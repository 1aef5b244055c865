"""LightGBM's scikit-learn estimators under this module: they train without tuning, and say so."""

from __future__ import annotations

import warnings
from typing import Any

import lightgbm as lgb

_WARNING = "LightGBMTuner doesn't support sklearn API. Use `train()` or `LightGBMTuner` for hyperparameter tuning."


class LGBMModel(lgb.LGBMModel):
    """``lightgbm.LGBMModel``, warning that it is not tuned."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        warnings.warn(_WARNING, stacklevel=2)
        super().__init__(*args, **kwargs)


class LGBMClassifier(lgb.LGBMClassifier):
    """``lightgbm.LGBMClassifier``, warning that it is not tuned."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        warnings.warn(_WARNING, stacklevel=2)
        super().__init__(*args, **kwargs)


class LGBMRegressor(lgb.LGBMRegressor):
    """``lightgbm.LGBMRegressor``, warning that it is not tuned."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        warnings.warn(_WARNING, stacklevel=2)
        super().__init__(*args, **kwargs)
