"""The worker-thread helpers shared by Adam and the convolution kernels."""

import os

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
