"""Framework integrations with Optuna's names: pruning callbacks, tuners, scikit-learn search, trackers.

Each name lives in a module per framework (``hpo.integration.lightgbm``, ``hpo.integration.xgboost`` ...),
imported when the name is first used; the framework itself is imported by that module only if installed,
and using a class without it raises ImportError naming the package to install. Callbacks only call
``trial.report`` / ``trial.should_prune``, so they work unchanged on Celery workers.
"""

from __future__ import annotations

import importlib
from typing import Any

_MODULES: dict[str, str] = {
    "BoTorchSampler": "botorch",
    "CatBoostPruningCallback": "catboost",
    "DaskStorage": "dask",
    "FastAIPruningCallback": "fastaiv2",
    "FastAIV2PruningCallback": "fastaiv2",
    "KerasPruningCallback": "keras",
    "LightGBMPruningCallback": "lightgbm",
    "LightGBMTuner": "lightgbm",
    "LightGBMTunerCV": "lightgbm",
    "MLflowCallback": "mlflow",
    "OptunaSearchCV": "sklearn",
    "PyCmaSampler": "cma",
    "PyTorchIgnitePruningHandler": "pytorch_ignite",
    "PyTorchLightningPruningCallback": "pytorch_lightning",
    "ShapleyImportanceEvaluator": "shap",
    "SkorchPruningCallback": "skorch",
    "TFKerasPruningCallback": "tfkeras",
    "TensorBoardCallback": "tensorboard",
    "TensorFlowPruningHook": "tensorflow",
    "TorchDistributedTrial": "pytorch_distributed",
    "WeightsAndBiasesCallback": "wandb",
    "XGBoostPruningCallback": "xgboost",
}

__all__ = sorted(_MODULES)


def __getattr__(name: str) -> Any:
    if name in _MODULES.values():  # hpo.integration.lightgbm after `import hpo`, as Optuna's lazy module
        return importlib.import_module(f"hpo.integration.{name}")
    module = _MODULES.get(name)
    if module is None:
        raise AttributeError(f"module 'hpo.integration' has no attribute {name!r}")
    try:
        return getattr(importlib.import_module(f"hpo.integration.{module}"), name)
    except ModuleNotFoundError as e:
        if e.name == f"hpo.integration.{module}":
            raise AttributeError(f"hpo.integration.{name} is not built yet") from e
        raise


def __dir__() -> list[str]:
    return __all__
