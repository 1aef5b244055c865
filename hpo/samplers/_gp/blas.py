"""Single-threaded BLAS for the GP's small matrices."""

from __future__ import annotations

import contextlib
from collections.abc import Iterator


@contextlib.contextmanager
def single_threaded_blas() -> Iterator[None]:
    """Run BLAS on one thread: the matrices are small, and extra threads only contend for the cores
    (several times slower on a busy machine). Needs ``threadpoolctl``; without it nothing changes."""
    try:
        from threadpoolctl import threadpool_limits
    except ImportError:
        yield
        return
    with threadpool_limits(limits=1, user_api="blas"):
        yield
