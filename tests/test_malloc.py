"""``tinygen._malloc``: glibc keeps the memory a step frees, unless the user said otherwise."""

from __future__ import annotations

import os
import platform
import subprocess
import sys

import pytest

from tinygen._malloc import keep_freed_memory, user_set_malloc

glibc = pytest.mark.skipif(
    platform.system() != "Linux" or platform.libc_ver()[0] != "glibc", reason="glibc only"
)

# allocate, fill and free an 8 MiB array 6 times; print the minor page faults of the last 5
_PROBE = """
import resource, numpy as np, tinygen
def faults():
    return resource.getrusage(resource.RUSAGE_SELF).ru_minflt
a = np.ones(1 << 21, np.float32); del a
f0 = faults()
for _ in range(5):
    a = np.ones(1 << 21, np.float32); del a
print((faults() - f0) // 5)
"""


def _faults_per_array(env):
    env = {k: v for k, v in {**os.environ, **env}.items() if v is not None}
    out = subprocess.run(
        [sys.executable, "-c", _PROBE], env=env, capture_output=True, text=True, check=True
    )
    return int(out.stdout.split()[-1])


def test_user_settings_are_recognised():
    assert not user_set_malloc({})
    assert not user_set_malloc({"MALLOC_TRIM_THRESHOLD_": ""})
    assert user_set_malloc({"MALLOC_TRIM_THRESHOLD_": "0"})
    assert user_set_malloc({"MALLOC_MMAP_THRESHOLD_": "131072"})
    assert user_set_malloc({"GLIBC_TUNABLES": "glibc.malloc.trim_threshold=0"})
    assert not user_set_malloc({"GLIBC_TUNABLES": "glibc.pthread.rseq=0"})


@glibc
def test_freed_memory_is_reused_without_page_faults():
    # 8 MiB is 2048 pages of 4 KiB: with tinygen imported, the array reuses the heap memory
    # the previous one freed; with the user's own (small) mmap threshold, tinygen keeps out
    # of the way and every array is mapped afresh
    # (transparent huge pages, when always on, map fresh memory in 2 MiB faults instead)
    clean = {k: None for k in ("MALLOC_TRIM_THRESHOLD_", "MALLOC_MMAP_THRESHOLD_",
                               "MALLOC_TOP_PAD_", "GLIBC_TUNABLES")}
    kept = _faults_per_array(clean)
    assert kept < 50
    try:
        with open("/sys/kernel/mm/transparent_hugepage/enabled") as f:
            huge = "[always]" in f.read()
    except OSError:
        huge = False
    if not huge:
        assert _faults_per_array({**clean, "MALLOC_MMAP_THRESHOLD_": "131072"}) > 200 + kept


@glibc
def test_keep_freed_memory_applies_on_glibc():
    from tinygen import _malloc

    assert keep_freed_memory() is True
    assert _malloc.applied == (_malloc.TRIM_THRESHOLD, _malloc.MMAP_THRESHOLD)
