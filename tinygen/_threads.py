"""Worker threads for NumPy work split by hand (NumPy releases the GIL in ufuncs, copies and
matmul, so the pieces of one big array operation run truly in parallel).

Used by :class:`tinygen.optim.Adam` (blocks of the update), the convolution kernels
(chunks of the batch) and fused element-wise ops (:func:`run_elementwise`). The pieces run
on OpenBLAS's own worker threads where possible (:func:`run_groups`), else on a thread
pool of ours. CuPy needs none of this: its kernels are already parallel.
"""

from __future__ import annotations

import math
import os
from concurrent.futures import ThreadPoolExecutor
from functools import partial

import numpy as np

from . import backend

__all__ = [
    "default_n_threads",
    "thread_pool",
    "run_groups",
    "blocks",
    "run_blockwise",
    "memory_order",
    "run_elementwise",
    "BLOCK_ELEMS",
    "THREAD_MIN_ELEMS",
    "THREAD_BLOCK_ELEMS",
]

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


def run_groups(tasks, name):
    """Run the zero-argument callables ``tasks`` at once, ``tasks[0]`` in the calling thread
    and the others on OpenBLAS's worker threads (:func:`tinygen.backend.run_on_blas_threads`)
    or, where that cannot be done, on the pool :func:`thread_pool` (``len(tasks) − 1``,
    ``name``); returns their results in order, after every task has finished (also when one
    raised). While they run, BLAS calls use one thread each (process-wide,
    :func:`tinygen.backend.blas_threads`), so tasks that multiply matrices do not
    oversubscribe the cores."""
    if len(tasks) == 1:
        return [tasks[0]()]
    done = backend.run_on_blas_threads(tasks)
    if done is not None:
        return done
    pool = thread_pool(len(tasks) - 1, name)
    with backend.blas_threads(1):
        futures = [pool.submit(task) for task in tasks[1:]]
        try:
            first = tasks[0]()
        finally:
            rest = [f.result() for f in futures]
    return [first] + rest


#: element-wise kernels split their arrays into blocks of about this many elements (a few
#: such blocks of every array in play fit in a core's L2 cache together)
BLOCK_ELEMS = 65536

#: and share the blocks among threads when the arrays have at least this many elements
THREAD_MIN_ELEMS = 262144

#: blocks shared among n threads are larger: about total / n elements, at most this many
#: (see :func:`run_blockwise`)
THREAD_BLOCK_ELEMS = 262144


def blocks(shape, block_elems=None):
    """Index tuples that tile an array of ``shape`` into blocks of about ``block_elems``
    elements (None: :data:`BLOCK_ELEMS`), each block a run of whole trailing sub-arrays:
    axis ``a`` is the innermost axis whose sub-arrays together exceed ``block_elems``; it
    is split evenly, and every index of the axes before it gets its own blocks. In a
    C-contiguous array every block is one contiguous stretch of memory. Every element is
    in exactly one block."""
    shape = tuple(int(n) for n in shape)
    block_elems = BLOCK_ELEMS if block_elems is None else max(1, int(block_elems))
    inner, a = 1, len(shape) - 1
    while a >= 0 and shape[a] * inner <= block_elems:
        inner *= shape[a]
        a -= 1
    if a < 0:  # the whole array fits in one block
        return [(Ellipsis,)]
    n = shape[a]
    k = max(1, min(n, -(-n * inner // block_elems)))
    step = -(-n // k)
    splits = [slice(i, i + step) for i in range(0, n, step)]
    return [lead + (s,) for lead in np.ndindex(*shape[:a]) for s in splits]


def run_blockwise(kernel, shape, n_threads=None):
    """Call ``kernel(index)`` for every index of :func:`blocks` (``shape``), each block once.

    # NOTE: speed. An element-wise computation of several passes (a fused loss, its
    # gradient) runs block by block so that all its passes over one block hit the CPU
    # cache, and, for arrays of at least :data:`THREAD_MIN_ELEMS` elements, the blocks are
    # shared by ``n_threads`` threads (None: the CPUs available, at most 4). NumPy releases
    # the GIL inside ufuncs, so the threads run at once. Threaded blocks are bigger, about
    # total / n_threads elements (at most :data:`THREAD_BLOCK_ELEMS`): every ufunc call
    # ends with the thread taking the GIL back, and waiting for it when the other thread
    # holds it costs tens of µs on this 2-vCPU VM, so fewer, longer calls beat blocks that
    # fit the L2 cache. With the VAE's log p(x|z) on 5×100×784 logits in 2 blocks instead
    # of 10, the IWAE-5 step of ``benchmarks/bench_vae.py`` ran 1.03× and 1.07× as fast
    # (two in-process A/Bs of 24 rounds; quartiles 0.93-1.19, 0.98-1.21); the PixelCNN
    # step of ``bench_autograd.py`` (its ReLUs) was unchanged (1.005×). The
    # blocks are disjoint and each element sees the same operations, so the result does not
    # depend on the number of threads or the block size. NumPy arrays only; CuPy kernels
    # are already parallel.
    """
    n = default_n_threads() if n_threads is None else max(1, int(n_threads))
    total = math.prod(shape)
    if n > 1 and total >= THREAD_MIN_ELEMS:
        idx = blocks(shape, min(THREAD_BLOCK_ELEMS, max(BLOCK_ELEMS, -(-total // n))))
        n = min(n, len(idx))
    else:
        idx, n = blocks(shape), 1
    per = -(-len(idx) // n)

    def work(group):
        for i in group:
            kernel(i)

    groups = [idx[i : i + per] for i in range(0, len(idx), per)]
    run_groups([partial(work, group) for group in groups], "tinygen-blocks")


def memory_order(a):
    """The axis permutation ``p`` for which ``a.transpose(p)`` walks ``a``'s memory in order
    (its axes sorted by decreasing stride), so that :func:`blocks` of that view are
    contiguous runs of memory; an NCHW view of channels-last data gives (0, 2, 3, 1)."""
    return tuple(sorted(range(a.ndim), key=lambda k: -abs(a.strides[k])))


def run_elementwise(kernel, *arrays):
    """Call ``kernel(*views)`` on matching blocks of ``arrays`` (all of one shape; broadcast
    views are fine), in ``arrays[0]``'s memory order, through :func:`run_blockwise`. On
    CuPy arrays, one call on the whole arrays."""
    if not isinstance(arrays[0], np.ndarray):
        kernel(*arrays)
        return
    p = memory_order(arrays[0])
    views = [a.transpose(p) for a in arrays]
    run_blockwise(lambda i: kernel(*[v[i] for v in views]), views[0].shape)
