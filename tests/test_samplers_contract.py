"""The sampler contract (``hpo.testing.SamplerContract``) on every sampler exported by ``hpo.samplers``.

Samplers are discovered from ``hpo.samplers.__all__``, so a new sampler is tested as soon as it is
exported: each gets a class ``Test<Name>``. One that needs constructor arguments gets them from
``SPECIAL``; its tests fail until it does, so that no sampler escapes the contract.
"""

from __future__ import annotations

import dataclasses
import functools
import inspect
from collections.abc import Callable
from typing import Any

import numpy as np
import pytest

import hpo
import hpo.samplers
from hpo.distributions import BaseDistribution, CategoricalDistribution, FloatDistribution, IntDistribution
from hpo.samplers import BaseSampler, RandomSampler
from hpo.study import Study
from hpo.testing import SamplerContract
from hpo.trial import FrozenTrial

hpo.logging.set_verbosity(hpo.logging.ERROR)


@dataclasses.dataclass
class Entry:
    """How to build a sampler for the contract tests, and how to exercise it."""

    make: Callable[[int | None], BaseSampler]  # seed -> sampler
    seeded: bool = True  # the seed makes runs reproducible
    n_trials: int = 30
    finite_only: bool = False  # searches finite spaces only (no continuous float)
    slow: bool = False  # only the value-range test runs by default; the others are marked slow


def _exported(name: str) -> Any:
    return getattr(hpo.samplers, name)


SKIPPED = {"GridSampler": "needs the grid of each objective; tested in test_grid_sampler.py"}
SPECIAL: dict[str, Entry] = {
    "PartialFixedSampler": Entry(lambda seed: _exported("PartialFixedSampler")({}, RandomSampler(seed=seed))),
    "BruteForceSampler": Entry(lambda seed: _exported("BruteForceSampler")(seed=seed), finite_only=True),
    "GPSampler": Entry(lambda seed: _exported("GPSampler")(seed=seed, n_startup_trials=2), n_trials=4, slow=True),
}
#: The one test a slow sampler runs by default.
QUICK_TEST = "test_values_stay_inside_their_distributions"


def entry(name: str) -> Entry:
    if name in SPECIAL:
        return SPECIAL[name]
    cls = _exported(name)
    if "seed" in inspect.signature(cls).parameters:
        return Entry(lambda seed: cls(seed=seed))
    return Entry(lambda seed: cls(), seeded=False)


def _marked_slow(test: Callable[..., None]) -> Callable[..., None]:
    """A copy of the contract's ``test`` marked slow (marking ``test`` itself would mark it everywhere)."""

    @functools.wraps(test)
    def copy(self: SamplerContract) -> None:
        test(self)

    return pytest.mark.slow(copy)


def _contract_class(name: str) -> type[SamplerContract]:
    """``Test<name>``: the contract on ``hpo.samplers.<name>``."""
    namespace: dict[str, Any] = {"__module__": __name__}
    if name in SKIPPED:
        namespace["pytestmark"] = pytest.mark.skip(reason=SKIPPED[name])
    else:
        spec = entry(name)
        namespace.update(
            make_sampler=lambda self, seed: spec.make(seed),
            seeded=spec.seeded,
            n_trials=spec.n_trials,
            finite_only=spec.finite_only,
        )
        if spec.slow:
            for test in dir(SamplerContract):
                if test.startswith("test_") and test != QUICK_TEST:
                    namespace[test] = _marked_slow(getattr(SamplerContract, test))
    return type(f"Test{name}", (SamplerContract,), namespace)


def _samplers() -> list[str]:
    """The names of the concrete samplers ``hpo.samplers`` exports."""
    return [
        name
        for name in hpo.samplers.__all__
        if isinstance(cls := getattr(hpo.samplers, name), type)
        and issubclass(cls, BaseSampler)
        and not inspect.isabstract(cls)
    ]


globals().update({f"Test{name}": _contract_class(name) for name in _samplers()})


# --- a sampler written by a user ------------------------------------------------------------------


class UniformSearch(BaseSampler):
    """Random search in a dozen lines, as a user would write it on the public API alone."""

    def __init__(self, seed: int | None = None) -> None:
        self._rng = np.random.default_rng(seed)

    def infer_relative_search_space(self, study: Study, trial: FrozenTrial) -> dict[str, BaseDistribution]:
        return {}

    def sample_relative(
        self, study: Study, trial: FrozenTrial, search_space: dict[str, BaseDistribution]
    ) -> dict[str, Any]:
        return {}

    def sample_independent(
        self, study: Study, trial: FrozenTrial, param_name: str, param_distribution: BaseDistribution
    ) -> Any:
        if isinstance(param_distribution, CategoricalDistribution):
            return param_distribution.choices[self._rng.integers(len(param_distribution.choices))]
        assert isinstance(param_distribution, (FloatDistribution, IntDistribution))
        low, high, step = param_distribution.low, param_distribution.high, param_distribution.step
        if step is not None:
            value = low + step * int(self._rng.integers((high - low) // step + 1))
            return int(value) if isinstance(param_distribution, IntDistribution) else float(value)
        if param_distribution.log:
            return float(np.exp(self._rng.uniform(np.log(low), np.log(high))))
        return float(self._rng.uniform(low, high))


class TestUserDefinedSampler(SamplerContract):
    def make_sampler(self, seed: int | None) -> BaseSampler:
        return UniformSearch(seed=seed)
