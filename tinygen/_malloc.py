"""glibc's ``malloc``: keep the memory a training step frees, for the next step to reuse.

tinygen calls :func:`keep_freed_memory` when it is imported (from :mod:`tinygen.backend`),
unless the user has set glibc's own malloc variables (see :func:`user_set_malloc`).
"""

from __future__ import annotations

import ctypes
import platform

__all__ = ["keep_freed_memory", "user_set_malloc", "applied", "TRIM_THRESHOLD", "MMAP_THRESHOLD"]

#: free memory at the top of the heap that glibc keeps instead of returning it to the OS
TRIM_THRESHOLD = 256 << 20
#: blocks of up to this many bytes come from the heap (and are reused), larger ones from
#: fresh ``mmap`` pages (glibc's maximum for this setting on 64-bit systems: 32 MiB)
MMAP_THRESHOLD = 32 << 20

#: the (trim, mmap) thresholds :func:`keep_freed_memory` last set, or None
applied = None

_M_TRIM_THRESHOLD = -1  # mallopt parameters, from glibc's <malloc.h>
_M_MMAP_THRESHOLD = -3
_MALLOC_ENV = ("MALLOC_TRIM_THRESHOLD_", "MALLOC_MMAP_THRESHOLD_", "MALLOC_TOP_PAD_")


def user_set_malloc(environ) -> bool:
    """Whether ``environ`` holds glibc malloc settings of the user's, which tinygen keeps:
    ``MALLOC_TRIM_THRESHOLD_``, ``MALLOC_MMAP_THRESHOLD_``, ``MALLOC_TOP_PAD_`` or a
    ``glibc.malloc`` tunable in ``GLIBC_TUNABLES``."""
    return any(environ.get(k) for k in _MALLOC_ENV) or "glibc.malloc" in environ.get(
        "GLIBC_TUNABLES", ""
    )


def keep_freed_memory(trim_threshold=TRIM_THRESHOLD, mmap_threshold=MMAP_THRESHOLD) -> bool:
    """Have glibc's ``malloc`` keep up to ``trim_threshold`` bytes of freed memory in the
    process, and serve blocks of up to ``mmap_threshold`` bytes from it, instead of handing
    the memory back to the operating system. Returns whether it could be applied (glibc
    only: nothing happens on macOS, Windows or musl).

    # NOTE: speed. A training step allocates its activations and gradients (NumPy arrays
    # of up to a few MB) and frees them all when the graph goes away. With glibc's default,
    # dynamic thresholds, ``free`` hands the top of the heap back to the OS (it "trims"
    # more than twice the largest block freed so far), so the next step touches those pages
    # afresh and the kernel maps each one in a minor page fault. The IWAE-5 step of
    # ``benchmarks/bench_vae.py`` took 275-575 such faults per step here, and on this
    # project's virtual machine each costs a few µs: in an in-process A/B of 30 rounds,
    # keeping the memory (about 40-65 faults per step) made the step 1.04× as fast against
    # a 4 MiB trim threshold and 1.08× against 2 MiB. The cost is memory: the process keeps
    # what it freed (at most its own peak use) until it exits. PyTorch's CPU tuning guides
    # make the same trade by preloading jemalloc or tcmalloc with memory return disabled.
    # Setting either threshold turns glibc's dynamic adjustment off, so both are set. A
    # process-wide setting; call it again with other values, or set glibc's variables
    # (``MALLOC_TRIM_THRESHOLD_`` and the others of :func:`user_set_malloc`) before
    # importing tinygen to keep your own.

    References
    ----------
    ``mallopt(3)``, the Linux manual: M_TRIM_THRESHOLD, M_MMAP_THRESHOLD.
    """
    global applied
    if platform.system() != "Linux" or platform.libc_ver()[0] != "glibc":
        return False
    try:  # glibc's soname (ctypes.util.find_library would run ldconfig at every import)
        mallopt = ctypes.CDLL("libc.so.6").mallopt
    except (OSError, AttributeError):
        return False
    mallopt.argtypes, mallopt.restype = [ctypes.c_int, ctypes.c_int], ctypes.c_int
    ok = mallopt(_M_MMAP_THRESHOLD, int(mmap_threshold)) == 1
    ok = mallopt(_M_TRIM_THRESHOLD, int(trim_threshold)) == 1 and ok
    if ok:
        applied = (int(trim_threshold), int(mmap_threshold))
    return ok
