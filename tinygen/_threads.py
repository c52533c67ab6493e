"""Worker threads for NumPy work split by hand (NumPy releases the GIL in ufuncs, copies and
matmul, so the pieces of one big array operation run truly in parallel).

Used by :class:`tinygen.optim.Adam` (blocks of the update) and the convolution kernels
(chunks of the batch). CuPy needs none of this: its kernels are already parallel.
"""

from __future__ import annotations

import os
from concurrent.futures import ThreadPoolExecutor

__all__ = ["default_n_threads", "thread_pool"]

_POOLS: dict = {}


def default_n_threads(at_most=4) -> int:
    """The CPUs this process may run on (its affinity mask), between 1 and ``at_most``."""
    try:
        n = len(os.sched_getaffinity(0))
    except (AttributeError, OSError):
        n = os.cpu_count() or 1
    return max(1, min(at_most, n))


def thread_pool(n_workers: int, name: str) -> ThreadPoolExecutor:
    """A pool of ``n_workers`` threads named ``name``, shared by every caller with the same
    pair and made once per process (a forked child makes its own: the parent's threads do
    not exist there)."""
    key = (os.getpid(), name, n_workers)
    pool = _POOLS.get(key)
    if pool is None:
        pool = _POOLS[key] = ThreadPoolExecutor(n_workers, name)
    return pool
