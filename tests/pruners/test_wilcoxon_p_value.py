"""WilcoxonPruner's exact signed-rank p-value equals SciPy's wilcoxon(zero_method="zsplit") to the bit, where
SciPy's own permutation test (13 pairs or fewer, with ties or zeros) is slow, and elsewhere."""

from __future__ import annotations

import numpy as np
import pytest
from scipy import stats

from hpo.pruners._wilcoxon import signed_rank_p_value


def _samples() -> list[np.ndarray]:
    rng = np.random.default_rng(7)
    samples = []
    for i in range(80):
        n = int(rng.integers(2, 10))
        kind = i % 4
        if kind == 0:
            d = np.round(rng.normal(size=n), 1)  # ties
        elif kind == 1:
            d = rng.integers(-3, 4, size=n).astype(float)  # ties and zeros
        elif kind == 2:
            d = np.round(rng.normal(size=n), 3)
            d[: n // 3] = 0.0
        else:
            d = rng.choice([-0.5, 0.5, 0.25, -0.25, 0.0, 1e-9], size=n)
        samples.append(d)
    samples.append(np.array([0.1, 0.1, -0.1, 0.2, 0.2, 0.0, 0.3, 0.3, -0.3, 0.4, 0.5, 0.5, 0.6]))  # 13 pairs
    samples.append(np.zeros(5))
    samples.append(np.array([1.0, 2.0, 3.0, -4.0, 5.5, 6.0]))  # no ties: SciPy's exact distribution
    samples.append(np.round(np.random.default_rng(3).normal(size=30), 1))  # 30 pairs: SciPy's normal approximation
    return samples


@pytest.mark.parametrize("alternative", ["greater", "less"])
def test_equals_scipy(alternative: str) -> None:
    for d in _samples():
        expected = float(stats.wilcoxon(d, alternative=alternative, zero_method="zsplit").pvalue)
        assert signed_rank_p_value(d, alternative) == expected, (d.tolist(), alternative)

