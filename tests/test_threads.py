"""The worker-thread helpers shared by Adam, the convolution kernels and fused element-wise
ops."""

import os
import time

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from tinygen import _threads
from tinygen._threads import default_n_threads, thread_pool


def test_default_n_threads_is_the_affinity_capped():
    n_cpus = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count()
    assert default_n_threads() == max(1, min(4, n_cpus))
    assert default_n_threads(at_most=1) == 1


def test_thread_pool_is_shared_per_name_and_size():
    a = thread_pool(2, "tinygen-test")
    assert thread_pool(2, "tinygen-test") is a
    assert thread_pool(1, "tinygen-test") is not a
    assert thread_pool(2, "tinygen-other") is not a
    assert sorted(a.map(lambda i: i * i, range(5))) == [0, 1, 4, 9, 16]


@settings(max_examples=60, deadline=None)
@given(
    shape=st.lists(st.integers(0, 7), min_size=0, max_size=4).map(tuple),
    block=st.integers(1, 40),
)
def test_blocks_tile_every_element_exactly_once(shape, block):
    hits = np.zeros(shape, dtype=np.int64)
    for index in _threads.blocks(shape, block):
        hits[index] += 1
    assert (hits == 1).all()


def test_blocks_are_about_the_asked_size():
    idx = _threads.blocks((5, 100, 784), 65536)
    sizes = [np.zeros((5, 100, 784))[i].size for i in idx]
    assert sum(sizes) == 5 * 100 * 784
    assert max(sizes) <= 65536 and min(sizes) >= 65536 // 2
    assert len(_threads.blocks((3,), 65536)) == 1


@pytest.mark.parametrize("n_threads", [1, 2, 3])
def test_run_blockwise_result_does_not_depend_on_threads(n_threads, monkeypatch):
    monkeypatch.setattr(_threads, "THREAD_MIN_ELEMS", 1)  # threads even for a small array
    rng = np.random.default_rng(0)
    x = rng.standard_normal((4, 30, 50)).astype(np.float32)
    out = np.full_like(x, np.nan)

    def kernel(i):
        np.exp(x[i], out=out[i])
        out[i] *= 2.0

    monkeypatch.setattr(_threads, "BLOCK_ELEMS", 64)
    assert len(_threads.blocks(x.shape)) >= 3
    _threads.run_blockwise(kernel, x.shape, n_threads=n_threads)
    np.testing.assert_array_equal(out, np.exp(x) * np.float32(2.0))


def test_run_groups_returns_results_in_order_and_waits_for_all():
    assert _threads.run_groups([lambda: 1], "tinygen-test") == [1]
    assert _threads.run_groups([lambda i=i: i * i for i in range(4)], "tinygen-test") == [
        0,
        1,
        4,
        9,
    ]
    done = []

    def slow():
        time.sleep(0.05)
        done.append(True)

    def fail():
        raise RuntimeError("first task failed")

    with pytest.raises(RuntimeError, match="first task failed"):
        _threads.run_groups([fail, slow], "tinygen-test")
    assert done == [True]  # the worker's task had finished before the error came out


def test_memory_order_walks_channels_last_data_in_memory_order():
    nhwc = np.zeros((2, 5, 6, 3), np.float32)
    nchw_view = nhwc.transpose(0, 3, 1, 2)
    p = _threads.memory_order(nchw_view)
    assert p == (0, 2, 3, 1)
    assert nchw_view.transpose(p).flags.c_contiguous
    assert _threads.memory_order(np.zeros((4, 3))) == (0, 1)


def test_threaded_blocks_are_about_one_per_thread(monkeypatch):
    # each ufunc call of a thread ends by taking the GIL back: threads get few, long blocks
    # (about total / n elements, between BLOCK_ELEMS and THREAD_BLOCK_ELEMS)
    seen = []
    shape = (5, 100, 784)  # the IWAE-5 logits of the VAE benchmark
    _threads.run_blockwise(lambda i: seen.append(np.empty(shape)[i].size), shape, n_threads=2)
    assert sum(seen) == 5 * 100 * 784 and len(seen) == 2
    seen.clear()
    _threads.run_blockwise(lambda i: seen.append(np.empty(shape)[i].size), shape, n_threads=1)
    assert len(seen) == len(_threads.blocks(shape)) > 2  # one thread: cache-sized blocks
    seen.clear()
    big = (64, 100, 784)  # 5M elements: blocks capped at THREAD_BLOCK_ELEMS
    _threads.run_blockwise(lambda i: seen.append(np.empty(big)[i].size), big, n_threads=2)
    assert sum(seen) == 64 * 100 * 784
    assert max(seen) <= _threads.THREAD_BLOCK_ELEMS + 100 * 784  # whole (100, 784) slabs
