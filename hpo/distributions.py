"""Parameter distributions: what a ``suggest_*`` call may return.

Every distribution has an *internal* representation (a float, stored in the database and used by
samplers) and an *external* one (what the objective sees). For categorical parameters the internal
value is the index of the choice. Distributions round-trip through JSON with
:func:`distribution_to_json` and :func:`json_to_distribution`.
"""

from __future__ import annotations

import abc
import decimal
import json
import math
import warnings
from collections.abc import Sequence
from typing import Any

CategoricalChoiceType = None | bool | int | float | str
_CHOICE_TYPES = (type(None), bool, int, float, str)


class BaseDistribution(abc.ABC):
    """A set of values a parameter may take."""

    def to_external_repr(self, param_value_in_internal_repr: float) -> Any:
        return param_value_in_internal_repr

    @abc.abstractmethod
    def to_internal_repr(self, param_value_in_external_repr: Any) -> float:
        """Convert a value the objective sees into the float that is stored."""

    @abc.abstractmethod
    def single(self) -> bool:
        """True when the distribution has exactly one value."""

    @abc.abstractmethod
    def _contains(self, param_value_in_internal_repr: float) -> bool:
        """True when the internal value lies in the distribution."""

    def _asdict(self) -> dict[str, Any]:
        return dict(self.__dict__)

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, BaseDistribution) or type(self) is not type(other):
            return NotImplemented
        return self.__dict__ == other.__dict__

    def __hash__(self) -> int:
        return hash((type(self).__name__,) + tuple(sorted((k, _hashable(v)) for k, v in self.__dict__.items())))

    def __repr__(self) -> str:
        kwargs = ", ".join(f"{k}={v!r}" for k, v in sorted(self._asdict().items()))
        return f"{type(self).__name__}({kwargs})"


def _hashable(value: Any) -> Any:
    return tuple(value) if isinstance(value, list) else value


def _adjust_high(low: float, high: float, step: float, kind: str) -> float:
    """Shrink ``high`` to the last point of the grid ``low + k * step``, warning when it moves."""
    d_high, d_low, d_step = (decimal.Decimal(str(x)) for x in (high, low, step))
    d_r = d_high - d_low
    if d_r % d_step != decimal.Decimal("0"):
        adjusted = float((d_r // d_step) * d_step + d_low)
        warnings.warn(
            f"The range of {kind} distribution [{low}, {high}] is not divisible by step={step}; "
            f"high was adjusted to {int(adjusted) if kind == 'int' else adjusted}. "
            "Choose high = low + k * step to silence this warning.",
            UserWarning,
            stacklevel=4,
        )
        return adjusted
    return high


class FloatDistribution(BaseDistribution):
    """A float in ``[low, high]``, on a log scale if ``log``, or on the grid ``low + k * step``."""

    def __init__(self, low: float, high: float, log: bool = False, step: float | None = None) -> None:
        if log and step is not None:
            raise ValueError(
                "FloatDistribution cannot have both log=True and a step. Use either log=True (no step) "
                "or a step with log=False."
            )
        for name, value in (("low", low), ("high", high)):
            if not isinstance(value, (int, float)) or isinstance(value, bool) or not math.isfinite(value):
                raise ValueError(f"FloatDistribution {name} must be a finite number, got {value!r}.")
        if low > high:
            raise ValueError(
                f"FloatDistribution has low={low} > high={high}. Swap them so that low <= high."
            )
        if log and low <= 0.0:
            raise ValueError(
                f"FloatDistribution with log=True needs low > 0, got low={low}. "
                "Use a positive low bound or log=False."
            )
        if step is not None:
            if not isinstance(step, (int, float)) or not step > 0 or not math.isfinite(step):
                raise ValueError(f"FloatDistribution step must be a positive number, got step={step!r}.")
            high = _adjust_high(low, high, step, "float")
            step = float(step)
        self.low = float(low)
        self.high = float(high)
        self.log = bool(log)
        self.step = step

    def single(self) -> bool:
        if self.step is None:
            return self.low == self.high
        if self.low == self.high:
            return True
        high, low, step = (decimal.Decimal(str(x)) for x in (self.high, self.low, self.step))
        return (high - low) < step

    def _contains(self, param_value_in_internal_repr: float) -> bool:
        value = param_value_in_internal_repr
        if not (self.low <= value <= self.high):
            return False
        if self.step is None:
            return True
        k = (value - self.low) / self.step
        return abs(k - round(k)) < 1e-8

    def to_internal_repr(self, param_value_in_external_repr: float) -> float:
        try:
            internal = float(param_value_in_external_repr)
        except (ValueError, TypeError) as e:
            raise ValueError(
                f"'{param_value_in_external_repr!r}' is not a valid value of {self!r}: it must be a float."
            ) from e
        if math.isnan(internal):
            raise ValueError(f"NaN is not a valid value of {self!r}.")
        if self.log and internal <= 0.0:
            raise ValueError(f"{internal} is not a valid value of {self!r}: log scale needs a positive value.")
        return internal


class IntDistribution(BaseDistribution):
    """An integer in ``[low, high]``, on a log scale if ``log``, or on the grid ``low + k * step``."""

    def __init__(self, low: int, high: int, log: bool = False, step: int = 1) -> None:
        for name, value in (("low", low), ("high", high), ("step", step)):
            if isinstance(value, bool) or not isinstance(value, (int, float)) or int(value) != value:
                raise ValueError(f"IntDistribution {name} must be an integer, got {value!r}.")
        low, high, step = int(low), int(high), int(step)
        if log and step != 1:
            raise ValueError(
                f"IntDistribution cannot have log=True and step={step}. Use step=1 with log=True, "
                "or log=False with a step."
            )
        if low > high:
            raise ValueError(f"IntDistribution has low={low} > high={high}. Swap them so that low <= high.")
        if log and low < 1:
            raise ValueError(
                f"IntDistribution with log=True needs low >= 1, got low={low}. "
                "Use low >= 1 or log=False."
            )
        if step <= 0:
            raise ValueError(f"IntDistribution step must be a positive integer, got step={step}.")
        self.log = bool(log)
        self.step = step
        self.low = low
        self.high = int(_adjust_high(low, high, step, "int"))

    def to_external_repr(self, param_value_in_internal_repr: float) -> int:
        return int(param_value_in_internal_repr)

    def to_internal_repr(self, param_value_in_external_repr: int) -> float:
        try:
            internal = float(param_value_in_external_repr)
        except (ValueError, TypeError) as e:
            raise ValueError(
                f"'{param_value_in_external_repr!r}' is not a valid value of {self!r}: it must be an integer."
            ) from e
        if math.isnan(internal):
            raise ValueError(f"NaN is not a valid value of {self!r}.")
        if self.log and internal <= 0.0:
            raise ValueError(f"{internal} is not a valid value of {self!r}: log scale needs a positive value.")
        return internal

    def single(self) -> bool:
        if self.log:
            return self.low == self.high
        if self.low == self.high:
            return True
        return (self.high - self.low) < self.step

    def _contains(self, param_value_in_internal_repr: float) -> bool:
        value = param_value_in_internal_repr
        return self.low <= value <= self.high and (value - self.low) % self.step == 0


class CategoricalDistribution(BaseDistribution):
    """One of a fixed, non-empty sequence of ``None``, bool, int, float or str choices."""

    def __init__(self, choices: Sequence[CategoricalChoiceType]) -> None:
        if isinstance(choices, (str, bytes)) or not isinstance(choices, Sequence):
            raise ValueError(
                f"CategoricalDistribution choices must be a list or tuple, got {type(choices).__name__} "
                f"{choices!r}. Wrap the values in a list, e.g. suggest_categorical('x', ['a', 'b'])."
            )
        if len(choices) == 0:
            raise ValueError(
                "CategoricalDistribution needs at least one choice; got an empty sequence. Pass the values to "
                "choose from, e.g. suggest_categorical('x', ['a', 'b'])."
            )
        for choice in choices:
            if not isinstance(choice, _CHOICE_TYPES):
                raise ValueError(
                    f"Choice {choice!r} of type {type(choice).__name__} is not supported: choices must be "
                    "None, bool, int, float or str, so that they can be stored. Store a key (e.g. a string "
                    "name) and map it to the object inside the objective."
                )
        self.choices = tuple(choices)

    def to_external_repr(self, param_value_in_internal_repr: float) -> CategoricalChoiceType:
        return self.choices[int(param_value_in_internal_repr)]

    def to_internal_repr(self, param_value_in_external_repr: CategoricalChoiceType) -> float:
        for index, choice in enumerate(self.choices):
            if _same_choice(choice, param_value_in_external_repr):
                return float(index)
        raise ValueError(f"'{param_value_in_external_repr!r}' is not one of the choices {list(self.choices)}.")

    def single(self) -> bool:
        return len(self.choices) == 1

    def _contains(self, param_value_in_internal_repr: float) -> bool:
        index = param_value_in_internal_repr
        return 0 <= index < len(self.choices) and index == int(index)


def _same_choice(a: Any, b: Any) -> bool:
    if isinstance(a, float) and isinstance(b, float) and math.isnan(a) and math.isnan(b):
        return True
    if isinstance(a, bool) or isinstance(b, bool):
        return type(a) is type(b) and a == b
    numeric = (int, float)
    if isinstance(a, numeric) and isinstance(b, numeric):
        return a == b
    return type(a) is type(b) and a == b


_DISTRIBUTION_CLASSES: dict[str, type[BaseDistribution]] = {
    cls.__name__: cls for cls in (FloatDistribution, IntDistribution, CategoricalDistribution)
}


class _DeprecatedDistribution:
    """Mixed into Optuna's pre-3.0 distribution names: warns once made, and converts to today's class."""

    _replacement: str

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        original_init = cls.__init__

        def __init__(self: Any, *args: Any, **kw: Any) -> None:
            warnings.warn(
                f"{cls.__name__} is deprecated (as in Optuna 3.0); use {cls._replacement}.",
                FutureWarning,
                stacklevel=2,
            )
            original_init(self, *args, **kw)

        cls.__init__ = __init__  # type: ignore[method-assign]


class UniformDistribution(_DeprecatedDistribution, FloatDistribution):
    """Deprecated: ``FloatDistribution(low, high)``."""

    _replacement = "FloatDistribution(low, high)"

    def __init__(self, low: float, high: float) -> None:
        FloatDistribution.__init__(self, low, high)


class LogUniformDistribution(_DeprecatedDistribution, FloatDistribution):
    """Deprecated: ``FloatDistribution(low, high, log=True)``."""

    _replacement = "FloatDistribution(low, high, log=True)"

    def __init__(self, low: float, high: float) -> None:
        FloatDistribution.__init__(self, low, high, log=True)


class DiscreteUniformDistribution(_DeprecatedDistribution, FloatDistribution):
    """Deprecated: ``FloatDistribution(low, high, step=q)``."""

    _replacement = "FloatDistribution(low, high, step=q)"

    def __init__(self, low: float, high: float, q: float) -> None:
        FloatDistribution.__init__(self, low, high, step=q)

    @property
    def q(self) -> float:
        assert self.step is not None
        return self.step


class IntUniformDistribution(_DeprecatedDistribution, IntDistribution):
    """Deprecated: ``IntDistribution(low, high, step=step)``."""

    _replacement = "IntDistribution(low, high, step=step)"

    def __init__(self, low: int, high: int, step: int = 1) -> None:
        IntDistribution.__init__(self, low, high, step=step)


class IntLogUniformDistribution(_DeprecatedDistribution, IntDistribution):
    """Deprecated: ``IntDistribution(low, high, log=True)``."""

    _replacement = "IntDistribution(low, high, log=True)"

    def __init__(self, low: int, high: int, step: int = 1) -> None:
        IntDistribution.__init__(self, low, high, log=True, step=step)


def current_distribution(distribution: BaseDistribution) -> BaseDistribution:
    """``distribution`` as today's class (a deprecated name becomes the Float/IntDistribution it means)."""
    if isinstance(distribution, _DeprecatedDistribution):
        assert isinstance(distribution, (FloatDistribution, IntDistribution))
        base = FloatDistribution if isinstance(distribution, FloatDistribution) else IntDistribution
        return base(**vars(distribution))
    return distribution


def distribution_to_json(dist: BaseDistribution) -> str:
    """Serialize a distribution to a JSON string (a deprecated class as the class it means)."""
    dist = current_distribution(dist)
    return json.dumps({"name": type(dist).__name__, "attributes": dist._asdict()})


def json_to_distribution(json_str: str) -> BaseDistribution:
    """Parse the output of :func:`distribution_to_json`.

    Optuna's legacy names (``UniformDistribution``...) and its abbreviated form
    (``{"type": "float", "low": 0, "high": 1, "log": false}``) are accepted too.
    """
    try:
        loaded = json.loads(json_str)
        if "name" not in loaded and "type" in loaded:
            return _abbreviated_to_distribution(loaded)
        name, attrs = loaded["name"], dict(loaded["attributes"])
    except (ValueError, KeyError, TypeError) as e:
        raise ValueError(
            f"{json_str!r} is not a distribution in JSON ({e!r}); expected {{'name': ..., 'attributes': {{...}}}} "
            "or {'type': 'float' | 'int' | 'categorical', ...}."
        ) from e
    legacy = {
        "UniformDistribution": (FloatDistribution, {}),
        "LogUniformDistribution": (FloatDistribution, {"log": True}),
        "DiscreteUniformDistribution": (FloatDistribution, {}),
        "IntUniformDistribution": (IntDistribution, {}),
        "IntLogUniformDistribution": (IntDistribution, {"log": True}),
    }
    if name in legacy:
        cls, extra = legacy[name]
        attrs.update(extra)
        if name == "DiscreteUniformDistribution" and "q" in attrs:
            attrs["step"] = attrs.pop("q")
    elif name in _DISTRIBUTION_CLASSES:
        cls = _DISTRIBUTION_CLASSES[name]
    else:
        raise ValueError(f"Unknown distribution {name!r}; known: {sorted(_DISTRIBUTION_CLASSES)}.")
    try:
        return cls(**attrs)
    except TypeError as e:
        raise ValueError(f"{json_str!r} has attributes that {cls.__name__} does not take: {e}.") from e


def _abbreviated_to_distribution(loaded: dict[str, Any]) -> BaseDistribution:
    kind = loaded["type"]
    if kind == "categorical":
        return CategoricalDistribution(loaded["choices"])
    if kind == "float":
        return FloatDistribution(loaded["low"], loaded["high"], log=loaded.get("log", False), step=loaded.get("step"))
    if kind == "int":
        step = loaded.get("step")
        return IntDistribution(loaded["low"], loaded["high"], log=loaded.get("log", False), step=step or 1)
    raise ValueError(f"Unknown distribution type {kind!r}; use 'float', 'int' or 'categorical'.")


def check_distribution_compatibility(
    dist_old: BaseDistribution, dist_new: BaseDistribution, *, param_name: str | None = None
) -> None:
    """Raise ``ValueError`` when one parameter name would change kind, scale or choices in a study."""
    who = "a parameter" if param_name is None else f"parameter {param_name!r}"
    fix = "Use a different parameter name for the new distribution, or a new study."
    if type(dist_old) is not type(dist_new):
        raise ValueError(
            f"Cannot change the distribution kind of {who} from {type(dist_old).__name__} to "
            f"{type(dist_new).__name__} within one study ({dist_old!r} was used before). {fix}"
        )
    if isinstance(dist_old, (FloatDistribution, IntDistribution)):
        assert isinstance(dist_new, (FloatDistribution, IntDistribution))
        if dist_old.log != dist_new.log:
            raise ValueError(
                f"Cannot change {who} from log={dist_old.log} to log={dist_new.log} within one study "
                f"({dist_old!r} was used before). {fix}"
            )
    if isinstance(dist_old, CategoricalDistribution):
        assert isinstance(dist_new, CategoricalDistribution)
        if dist_old.choices != dist_new.choices:
            raise ValueError(
                f"Cannot change the choices of {who} from {list(dist_old.choices)} to {list(dist_new.choices)} "
                f"within one study. {fix}"
            )


__all__ = [
    "BaseDistribution",
    "CategoricalChoiceType",
    "CategoricalDistribution",
    "DiscreteUniformDistribution",
    "FloatDistribution",
    "IntDistribution",
    "IntLogUniformDistribution",
    "IntUniformDistribution",
    "LogUniformDistribution",
    "UniformDistribution",
    "check_distribution_compatibility",
    "current_distribution",
    "distribution_to_json",
    "json_to_distribution",
]
