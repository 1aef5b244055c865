"""Distributions: validation, containment, single values, JSON round trips and compatibility."""

from __future__ import annotations

import json
import math

import pytest

from hpo.distributions import (
    BaseDistribution,
    CategoricalDistribution,
    FloatDistribution,
    IntDistribution,
    check_distribution_compatibility,
    distribution_to_json,
    json_to_distribution,
)

ALL_KINDS: list[BaseDistribution] = [
    FloatDistribution(-1.5, 2.5),
    FloatDistribution(1e-5, 1.0, log=True),
    FloatDistribution(0.0, 1.0, step=0.25),
    FloatDistribution(3.0, 3.0),
    IntDistribution(-3, 7),
    IntDistribution(1, 1024, log=True),
    IntDistribution(0, 10, step=2),
    CategoricalDistribution([None, True, False, 0, 1.5, "a"]),
    CategoricalDistribution(("only",)),
]


@pytest.mark.parametrize("dist", ALL_KINDS, ids=repr)
def test_json_round_trip(dist: BaseDistribution) -> None:
    text = distribution_to_json(dist)
    json.loads(text)  # plain JSON
    restored = json_to_distribution(text)
    assert restored == dist
    assert hash(restored) == hash(dist)
    assert type(restored) is type(dist)


# The JSON strings below are what Optuna 5's ``distribution_to_json`` writes for its deprecated
# distribution classes (run in /work/optuna-venv), as found in databases written by old Optuna.
@pytest.mark.parametrize(
    ("legacy", "expected"),
    [
        ('{"name": "UniformDistribution", "attributes": {"low": 1.0, "high": 2.0}}', FloatDistribution(1.0, 2.0)),
        (
            '{"name": "LogUniformDistribution", "attributes": {"low": 0.001, "high": 1.0}}',
            FloatDistribution(0.001, 1.0, log=True),
        ),
        (
            '{"name": "DiscreteUniformDistribution", "attributes": {"low": 0.0, "high": 1.0, "q": 0.25}}',
            FloatDistribution(0.0, 1.0, step=0.25),
        ),
        (
            '{"name": "IntUniformDistribution", "attributes": {"step": 2, "low": 0, "high": 10}}',
            IntDistribution(0, 10, step=2),
        ),
        (
            '{"name": "IntLogUniformDistribution", "attributes": {"step": 1, "low": 1, "high": 100}}',
            IntDistribution(1, 100, log=True),
        ),
    ],
)
def test_optuna_legacy_names(legacy: str, expected: BaseDistribution) -> None:
    assert json_to_distribution(legacy) == expected


@pytest.mark.parametrize(
    ("short", "expected"),
    [
        ('{"type": "float", "low": 0.1, "high": 1, "log": true}', FloatDistribution(0.1, 1.0, log=True)),
        ('{"type": "float", "low": 0, "high": 1, "step": 0.5}', FloatDistribution(0.0, 1.0, step=0.5)),
        ('{"type": "int", "low": 0, "high": 10}', IntDistribution(0, 10)),
        ('{"type": "int", "low": 0, "high": 10, "step": 5}', IntDistribution(0, 10, step=5)),
        ('{"type": "categorical", "choices": ["a", null]}', CategoricalDistribution(["a", None])),
    ],
)
def test_optuna_abbreviated_json(short: str, expected: BaseDistribution) -> None:
    assert json_to_distribution(short) == expected


@pytest.mark.parametrize(
    "bad",
    [
        "not json",
        "[]",
        '{"name": "NoSuchDistribution", "attributes": {}}',
        '{"name": "FloatDistribution", "attributes": {"low": 0, "high": 1, "colour": "red"}}',
        '{"type": "normal", "mean": 0}',
        '{"type": "float", "low": 0}',
    ],
)
def test_bad_json_is_a_value_error(bad: str) -> None:
    with pytest.raises(ValueError):
        json_to_distribution(bad)


def test_float_contains() -> None:
    dist = FloatDistribution(-1.0, 1.0)
    assert dist._contains(-1.0) and dist._contains(0.3) and dist._contains(1.0)
    assert not dist._contains(1.0000001) and not dist._contains(-1.5)


def test_float_step_contains_only_grid_points() -> None:
    dist = FloatDistribution(0.0, 1.0, step=0.1)
    for k in range(11):
        assert dist._contains(dist.to_internal_repr(k * 0.1)), k
    assert not dist._contains(0.05)
    assert not dist._contains(1.1)


def test_int_contains() -> None:
    dist = IntDistribution(0, 10, step=2)
    assert [v for v in range(-2, 13) if dist._contains(float(v))] == [0, 2, 4, 6, 8, 10]
    log_dist = IntDistribution(1, 100, log=True)
    assert log_dist._contains(1.0) and log_dist._contains(100.0) and not log_dist._contains(0.0)


def test_categorical_contains_indices() -> None:
    dist = CategoricalDistribution(["a", "b", "c"])
    assert [dist._contains(i) for i in (-1.0, 0.0, 1.0, 2.0, 3.0, 0.5)] == [False, True, True, True, False, False]


def test_categorical_repr_round_trip_keeps_types() -> None:
    dist = CategoricalDistribution([None, True, 1, 1.5, "1"])
    for choice in dist.choices:
        internal = dist.to_internal_repr(choice)
        external = dist.to_external_repr(internal)
        assert external == choice and type(external) is type(choice)
    assert dist.to_internal_repr(True) == 1.0  # True is not confused with the int 1
    assert dist.to_internal_repr(1) == 2.0
    with pytest.raises(ValueError, match="not one of the choices"):
        dist.to_internal_repr("x")


def test_int_external_repr_is_int() -> None:
    dist = IntDistribution(0, 5)
    assert dist.to_external_repr(3.0) == 3 and isinstance(dist.to_external_repr(3.0), int)


@pytest.mark.parametrize(
    ("dist", "single"),
    [
        (FloatDistribution(1.0, 1.0), True),
        (FloatDistribution(1.0, 2.0), False),
        (FloatDistribution(1.0, 1.5, step=0.5), False),
        (FloatDistribution(2.0, 2.0, log=True), True),
        (IntDistribution(3, 3), True),
        (IntDistribution(3, 4), False),
        (IntDistribution(5, 5, log=True), True),
        (CategoricalDistribution(["x"]), True),
        (CategoricalDistribution(["x", "y"]), False),
    ],
    ids=repr,
)
def test_single(dist: BaseDistribution, single: bool) -> None:
    assert dist.single() is single


def test_single_when_step_exceeds_range() -> None:
    with pytest.warns(UserWarning, match="not divisible"):
        assert FloatDistribution(1.0, 1.4, step=0.5).single()
    with pytest.warns(UserWarning, match="adjusted to 3[.]"):
        assert IntDistribution(3, 4, step=2).single()


def test_step_that_does_not_divide_range_adjusts_high_with_warning() -> None:
    with pytest.warns(UserWarning, match="not divisible"):
        dist = FloatDistribution(0.0, 1.0, step=0.3)
    assert dist.high == pytest.approx(0.9)
    with pytest.warns(UserWarning, match="high was adjusted to 9[.] "):
        int_dist = IntDistribution(0, 10, step=3)
    assert int_dist.high == 9


def test_step_that_divides_range_does_not_warn(recwarn: pytest.WarningsRecorder) -> None:
    FloatDistribution(0.0, 1.0, step=0.1)
    FloatDistribution(-0.3, 0.6, step=0.3)
    IntDistribution(0, 10, step=5)
    assert not [w for w in recwarn if issubclass(w.category, UserWarning)]


@pytest.mark.parametrize(
    ("make", "match"),
    [
        (lambda: FloatDistribution(2.0, 1.0), "low=2.0 > high=1.0"),
        (lambda: FloatDistribution(0.0, 1.0, log=True), "low > 0"),
        (lambda: FloatDistribution(-1.0, 1.0, log=True), "low > 0"),
        (lambda: FloatDistribution(0.1, 1.0, log=True, step=0.1), "both log=True and a step"),
        (lambda: FloatDistribution(0.0, 1.0, step=0.0), "step must be a positive"),
        (lambda: FloatDistribution(0.0, 1.0, step=-0.1), "step must be a positive"),
        (lambda: FloatDistribution(0.0, math.inf), "finite"),
        (lambda: FloatDistribution(math.nan, 1.0), "finite"),
        (lambda: IntDistribution(5, 1), "low=5 > high=1"),
        (lambda: IntDistribution(0, 10, log=True), "low >= 1"),
        (lambda: IntDistribution(1, 10, log=True, step=2), "log=True and step=2"),
        (lambda: IntDistribution(0, 10, step=0), "positive integer"),
        (lambda: IntDistribution(0.5, 10), "must be an integer"),
        (lambda: CategoricalDistribution([]), "at least one choice"),
        (lambda: CategoricalDistribution("abc"), "list or tuple"),
        (lambda: CategoricalDistribution([[1, 2], [3]]), "not supported"),
        (lambda: CategoricalDistribution([{"a": 1}]), "not supported"),
        (lambda: CategoricalDistribution([object()]), "not supported"),
    ],
)
def test_invalid_distributions_raise_clear_errors(make: object, match: str) -> None:
    with pytest.raises(ValueError, match=match):
        make()  # type: ignore[operator]


@pytest.mark.parametrize(
    ("dist", "value"),
    [
        (FloatDistribution(0.0, 1.0), "abc"),
        (FloatDistribution(0.0, 1.0), None),
        (FloatDistribution(0.0, 1.0), math.nan),
        (FloatDistribution(0.1, 1.0, log=True), -1.0),
        (IntDistribution(0, 3), "three"),
    ],
    ids=repr,
)
def test_to_internal_repr_rejects_bad_values(dist: BaseDistribution, value: object) -> None:
    with pytest.raises(ValueError):
        dist.to_internal_repr(value)


def test_equality_and_hash() -> None:
    assert FloatDistribution(0, 1) == FloatDistribution(0.0, 1.0)
    assert FloatDistribution(0, 1) != FloatDistribution(0, 1, log=False, step=0.5)
    assert FloatDistribution(0, 1) != IntDistribution(0, 1)
    assert CategoricalDistribution(["a", "b"]) == CategoricalDistribution(("a", "b"))
    assert len({FloatDistribution(0, 1), FloatDistribution(0.0, 1.0), IntDistribution(0, 1)}) == 2


@pytest.mark.parametrize(
    ("old", "new"),
    [
        (FloatDistribution(0, 1), FloatDistribution(-5, 5)),
        (FloatDistribution(0, 1), FloatDistribution(0, 1, step=0.5)),
        (IntDistribution(0, 10), IntDistribution(0, 100, step=5)),
        (IntDistribution(1, 10, log=True), IntDistribution(1, 1000, log=True)),
        (CategoricalDistribution(["a", "b"]), CategoricalDistribution(("a", "b"))),
    ],
    ids=repr,
)
def test_compatible_distributions(old: BaseDistribution, new: BaseDistribution) -> None:
    check_distribution_compatibility(old, new)


@pytest.mark.parametrize(
    ("old", "new", "match"),
    [
        (FloatDistribution(0, 1), IntDistribution(0, 1), "kind"),
        (IntDistribution(0, 1), CategoricalDistribution([0, 1]), "kind"),
        (FloatDistribution(0.1, 1), FloatDistribution(0.1, 1, log=True), "log"),
        (IntDistribution(1, 9, log=True), IntDistribution(1, 9), "log"),
        (CategoricalDistribution(["a", "b"]), CategoricalDistribution(["a", "c"]), "choices"),
        (CategoricalDistribution(["a", "b"]), CategoricalDistribution(["b", "a"]), "choices"),
    ],
    ids=repr,
)
def test_incompatible_distributions(old: BaseDistribution, new: BaseDistribution, match: str) -> None:
    with pytest.raises(ValueError, match=match) as info:
        check_distribution_compatibility(old, new)
    assert "different parameter name" in str(info.value)  # the message says how to fix it
