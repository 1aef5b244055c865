"""What the plots share: argument checks, target values, feasibility, parameter kinds and hover texts.

Every plot reads its trials once (``study.get_trials(deepcopy=False)``) and works on arrays built
from that list; nothing here goes back to the storage.
"""

from __future__ import annotations

import importlib.util
import json
import math
import warnings
from collections.abc import Callable, Collection, Sequence
from typing import Any

import numpy as np

from hpo.distributions import BaseDistribution, CategoricalDistribution, FloatDistribution, IntDistribution
from hpo.logging import get_logger
from hpo.records import StudyDirection
from hpo.study import Study
from hpo.trial import FrozenTrial

TargetType = Callable[[FrozenTrial], float]
DEFAULT_TARGET_NAME = "Objective Value"
#: The color of infeasible trials in every plot.
INFEASIBLE_COLOR = "#cccccc"

logger = get_logger("hpo.visualization")


def is_available() -> bool:
    """True when plotly, which draws every figure of :mod:`hpo.visualization`, can be imported."""
    return importlib.util.find_spec("plotly") is not None


def blues() -> list[str]:
    """plotly's sequential Blues scale, the color scale of Optuna's plots."""
    import plotly.colors

    return list(plotly.colors.sequential.Blues)


def as_studies(study: Study | Sequence[Study]) -> list[Study]:
    return [study] if isinstance(study, Study) else list(study)


def check_plot_args(studies: Sequence[Study], target: TargetType | None, target_name: str) -> None:
    """A multi-objective study needs a ``target``; a ``target`` should come with its ``target_name``."""
    if target is None and any(len(s.directions) > 1 for s in studies):
        raise ValueError(
            "If the `study` is being used for multi-objective optimization, please specify the `target`."
        )
    if target is not None and target_name == DEFAULT_TARGET_NAME:
        warnings.warn(
            "`target` is specified, but `target_name` is the default value, 'Objective Value'.",
            UserWarning,
            stacklevel=3,
        )


def target_values(trials: Sequence[FrozenTrial], target: TargetType | None) -> np.ndarray:
    """Each trial's target (its single objective value when ``target`` is None) as floats."""
    if target is None:
        return np.fromiter((t.values[0] for t in trials), dtype=float, count=len(trials))  # type: ignore[index]
    return np.fromiter((float(target(t)) for t in trials), dtype=float, count=len(trials))


def drop_nonfinite(trials: list[FrozenTrial], values: np.ndarray) -> tuple[list[FrozenTrial], np.ndarray]:
    """The trials whose value is finite, with their values; the others are logged as omitted."""
    finite = np.isfinite(values)
    if finite.all():
        return trials, values
    for i in np.flatnonzero(~finite).tolist():
        logger.warning(
            f"Trial {trials[i].number} is omitted in visualization because its objective value is inf or nan."
        )
    return [t for t, keep in zip(trials, finite.tolist()) if keep], values[finite]


def constraints(trial: FrozenTrial) -> Sequence[float]:
    """The trial's constraint values (empty when none were stored)."""
    return tuple(trial.constraints.values())


def feasible_mask(trials: Sequence[FrozenTrial]) -> np.ndarray:
    """True where every constraint value of the trial is <= 0 (trials without constraints included)."""
    feasible = np.ones(len(trials), dtype=bool)
    for i, trial in enumerate(trials):
        if not all(c <= 0.0 for c in trial.constraints.values()):
            feasible[i] = False
    return feasible


def reverse_scale(study: Study, target: TargetType | None) -> bool:
    """Color scales run dark for low values when minimizing or when a custom target is shown."""
    return target is not None or study.directions[0] == StudyDirection.MINIMIZE


def first_distributions(trials: Sequence[FrozenTrial]) -> dict[str, BaseDistribution]:
    """Each parameter's distribution in the first trial that has it (the plots' notion of its kind)."""
    found: dict[str, BaseDistribution] = {}
    for trial in trials:
        for name, distribution in trial.distributions.items():
            if name not in found:
                found[name] = distribution
    return found


def select_params(all_params: Collection[str], params: Sequence[str] | None) -> list[str]:
    """The requested parameters, sorted; every one must exist in the plotted trials."""
    if params is None:
        return sorted(all_params)
    for name in params:
        if name not in all_params:
            raise ValueError(f"Parameter {name} does not exist in your study.")
    return sorted(set(params))


def is_log(distribution: BaseDistribution) -> bool:
    return isinstance(distribution, (FloatDistribution, IntDistribution)) and distribution.log


def is_numerical(distribution: BaseDistribution) -> bool:
    """Int and float parameters, and categorical ones whose choices are all numbers (not bools)."""
    if isinstance(distribution, CategoricalDistribution):
        return all(isinstance(c, (int, float)) and not isinstance(c, bool) for c in distribution.choices)
    return True


def _json_scalar(value: Any) -> str:
    """``json.dumps(value)`` for a param or objective value, without the encoder's overhead for numbers."""
    kind = type(value)
    if kind is float and math.isfinite(value):
        return repr(value)
    if kind is int:
        return repr(value)
    return json.dumps(value)


def _json_compatible(value: Any) -> Any:
    try:
        json.dumps(value)
        return value
    except TypeError:
        return str(value)


def hovertexts(trials: Sequence[FrozenTrial]) -> np.ndarray:
    """Per trial, its number, values, params and user attrs as indented JSON, lines joined by ``<br>``.

    The text of ``json.dumps(..., indent=2)``, built field by field: the indenting encoder is
    several times slower, which matters at 100,000 trials.
    """
    keys: dict[str, str] = {}  # param name -> its line's start
    texts = np.empty(len(trials), dtype=object)
    for i, trial in enumerate(trials):
        if trial.user_attrs:
            user_attrs = {k: _json_compatible(v) for k, v in trial.user_attrs.items()}
            body = {"number": trial.number, "values": trial.values, "params": trial.params, "user_attrs": user_attrs}
            texts[i] = json.dumps(body, indent=2).replace("\n", "<br>")
            continue
        values = trial.values
        if values is None:
            values_text = "null"
        elif not values:
            values_text = "[]"
        else:
            values_text = "[<br>    " + ",<br>    ".join(map(_json_scalar, values)) + "<br>  ]"
        params = trial.params
        if params:
            lines = []
            for name, value in params.items():
                start = keys.get(name)
                if start is None:
                    start = keys[name] = f"<br>    {json.dumps(name)}: "
                lines.append(start + _json_scalar(value))
            params_text = "{" + ",".join(lines) + "<br>  }"
        else:
            params_text = "{}"
        texts[i] = f'{{<br>  "number": {trial.number},<br>  "values": {values_text},<br>  "params": {params_text}<br>}}'
    return texts


def format_3g(values: np.ndarray) -> np.ndarray:
    """``f"{v:.3g}"`` for each value, formatting each distinct value once."""
    unique, inverse = np.unique(values, return_inverse=True)
    texts = np.array([f"{v:.3g}" for v in unique.tolist()], dtype=object)
    return texts[inverse.reshape(-1)]
