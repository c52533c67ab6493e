"""The one place that decides between NumPy and CuPy.

Every other module asks this one for the array module (the ``get_array_module``
pattern of Chainer and CuPy) and never imports ``cupy`` itself.

Selecting a backend
-------------------
* environment: ``TINYGEN_BACKEND=numpy`` (default) or ``TINYGEN_BACKEND=cupy``;
* at run time: ``tinygen.backend.use("cupy")``.

Default floating dtype is ``float32``; ``set_default_dtype("float64")`` switches it
(gradient checks do this locally through :func:`default_dtype`).
"""

from __future__ import annotations

import contextlib
import os
import threading
from types import ModuleType

import numpy as np

__all__ = [
    "use",
    "name",
    "xp",
    "get_array_module",
    "to_numpy",
    "asarray",
    "get_default_dtype",
    "set_default_dtype",
    "default_dtype",
    "blas_threads",
    "set_blas_spin",
    "blas_spin",
    "BLAS_SPIN",
    "BackendError",
]

_BACKENDS = ("numpy", "cupy")


class BackendError(RuntimeError):
    """Raised when a backend is asked for and cannot be used."""


def _import_cupy() -> ModuleType:
    try:
        import cupy  # noqa: PLC0415  (the only import of cupy in tinygen)
    except Exception as exc:  # ImportError, or CUDA errors raised at import
        raise BackendError(
            "TINYGEN_BACKEND=cupy was asked for but CuPy could not be imported "
            f"({type(exc).__name__}: {exc}). Install it with `pip install tinygen[gpu]` "
            "(a CuPy build matching your CUDA version) or unset TINYGEN_BACKEND to use NumPy."
        ) from exc
    return cupy


_state = {"name": "numpy", "xp": np, "dtype": np.dtype(np.float32)}


def use(backend: str) -> ModuleType:
    """Select the array backend, ``"numpy"`` or ``"cupy"``; returns the array module."""
    backend = str(backend).lower()
    if backend not in _BACKENDS:
        raise BackendError(f"unknown backend {backend!r}; choose one of {_BACKENDS}")
    module = np if backend == "numpy" else _import_cupy()
    _state["name"], _state["xp"] = backend, module
    return module


def name() -> str:
    """Name of the active backend (``"numpy"`` or ``"cupy"``)."""
    return _state["name"]


def xp() -> ModuleType:
    """The active array module (``numpy`` or ``cupy``)."""
    return _state["xp"]


def _unwrap(x):
    """The array inside a tinygen Tensor (duck-typed: this module imports no other part of
    tinygen); anything else as is. A CuPy array's own ``.data`` is its memory pointer, so
    only tinygen objects are unwrapped."""
    if type(x).__module__.startswith("tinygen"):
        return getattr(x, "data", x)
    return x


def get_array_module(*arrays) -> ModuleType:
    """Array module of the given arrays: ``cupy`` if any is a CuPy array, else ``numpy``.

    With no arguments, the active backend's module.
    """
    if not arrays:
        return _state["xp"]
    for a in arrays:
        a = _unwrap(a)
        if type(a).__module__.startswith("cupy"):
            return _import_cupy()
    return np


def to_numpy(x) -> np.ndarray:
    """Copy ``x`` (a NumPy or CuPy array, a Tensor, or a scalar) to a NumPy array."""
    x = _unwrap(x)
    if isinstance(x, np.ndarray):
        return x
    if hasattr(x, "get"):  # cupy.ndarray
        return x.get()
    return np.asarray(x)


def asarray(x, dtype=None):
    """Move ``x`` onto the active backend (float data takes the default dtype if none given)."""
    module = _state["xp"]
    arr = module.asarray(x)
    if dtype is None and arr.dtype.kind == "f":
        dtype = _state["dtype"]
    return arr if dtype is None or arr.dtype == dtype else arr.astype(dtype)


def get_default_dtype() -> np.dtype:
    """The default floating dtype (``float32`` unless changed)."""
    return _state["dtype"]


def set_default_dtype(dtype) -> None:
    """Set the default floating dtype (``"float32"`` or ``"float64"``)."""
    dtype = np.dtype(dtype)
    if dtype.kind != "f":
        raise BackendError(f"default dtype must be a floating dtype, got {dtype}")
    _state["dtype"] = dtype


@contextlib.contextmanager
def default_dtype(dtype):
    """Context manager: temporarily use ``dtype`` as the default floating dtype."""
    old = _state["dtype"]
    set_default_dtype(dtype)
    try:
        yield
    finally:
        _state["dtype"] = old


# ------------------------------------------------------------------ BLAS threads
_BLAS: dict = {}


def _is_numpys(path):
    """Whether a loaded library's path is inside NumPy's package or its ``numpy.libs``."""
    np_pkg = os.path.dirname(np.__file__)
    parent = os.path.basename(os.path.dirname(path))
    return path.startswith(np_pkg + os.sep) or parent.startswith("numpy")


def _openblas_lib():
    """ctypes handle of the OpenBLAS that NumPy's matmul calls, or None (another BLAS,
    another OS)."""
    if "lib" in _BLAS:
        return _BLAS["lib"]
    lib = None
    try:
        import ctypes  # noqa: PLC0415

        with open("/proc/self/maps") as f:
            paths = {line.split()[-1] for line in f if "openblas" in line.lower()}
        # NumPy's own copy first (its wheels keep it in ``numpy.libs``): SciPy's wheels
        # bring a second OpenBLAS, with its own thread pool, in ``scipy.libs``
        for path in sorted(paths, key=lambda q: (not _is_numpys(q), q)):
            lib = ctypes.CDLL(path)
            break
    except (OSError, ImportError):  # no /proc, no ctypes
        lib = None
    _BLAS["lib"] = lib
    return lib


def _numpy_openblas():
    """ctypes handles ``(set, get)`` of the global thread count of the OpenBLAS that NumPy's
    matmul calls, or None (another BLAS, another OS)."""
    if "fns" in _BLAS:
        return _BLAS["fns"]
    import ctypes  # noqa: PLC0415

    fns, lib = None, _openblas_lib()
    if lib is not None:
        found = []
        for names in (
            ("scipy_openblas_set_num_threads64_", "openblas_set_num_threads64_",
             "openblas_set_num_threads"),
            ("scipy_openblas_get_num_threads64_", "openblas_get_num_threads64_",
             "openblas_get_num_threads"),
        ):
            fn = next((getattr(lib, n) for n in names if hasattr(lib, n)), None)
            found.append(fn)
        set_, get = found
        if set_ is not None and get is not None:
            set_.argtypes, set_.restype = [ctypes.c_int], None
            get.argtypes, get.restype = [], ctypes.c_int
            fns = (set_, get)
    _BLAS["fns"] = fns
    return fns


#: log₂ of the CPU cycles an idle OpenBLAS worker thread spins before it sleeps, as set by
#: tinygen at import (OpenBLAS's own default is 28, about 0.1 s); see :func:`set_blas_spin`.
BLAS_SPIN = 20


def set_blas_spin(log2_cycles: int) -> bool:
    """Let NumPy's OpenBLAS worker threads spin only 2^``log2_cycles`` CPU cycles (4 to 30)
    after a parallel product before they sleep. Returns whether it could be applied.

    # NOTE: speed. After every multi-threaded product OpenBLAS's idle workers busy-wait for
    # the next one, by default for 2²⁸ cycles (about 0.1 s): they hold every core but the
    # caller's. tinygen's own threads (the Adam update, the convolution chunks), started a
    # few microseconds after the last product of a backward pass, then find no free core:
    # on 2 CPUs the Adam update of the 1.4M-parameter MLP VAE took 6.1 ms right after a
    # product and 4.0 ms with a 2¹⁶-cycle spin (``benchmarks/bench_autograd.py`` issue
    # note). Too short a spin costs too: a worker that has gone to sleep must be woken
    # for the next product, and on a busy virtual machine that wake-up is slow. tinygen
    # spins 2²⁰ cycles (the spin is counted in time-stamp-counter ticks, 2 GHz here:
    # about 0.5 ms), enough to bridge the element-wise ops and losses between the
    # products of a forward and backward pass, and short of an optimizer step. Against
    # 2¹⁶ (in-process A/Bs, per-round time ratios, 10-24 rounds each), 2²⁰ made the
    # steps of ``benchmarks/bench_vae.py`` 1.035-1.21× (ELBO) and 1.05-1.07× (IWAE-5) as
    # fast, the MLP VAE of ``bench_autograd.py`` 1.055-1.059× and its PixelCNN 1.04×;
    # 2²² made the PixelCNN 7% slower. The setting is OpenBLAS's
    # ``OPENBLAS_THREAD_TIMEOUT``, which it reads when its
    # thread pool starts; this sets the variable, has OpenBLAS re-read its environment
    # (``openblas_read_env``) and stops the pool (``blas_thread_shutdown_``, as OpenBLAS
    # does itself at ``fork``); the next parallel product restarts it with the new value.
    # Call it while no other thread is inside a BLAS call. Nothing happens with another
    # BLAS, an OpenMP build of OpenBLAS, or CuPy.
    """
    n = int(log2_cycles)
    if not 4 <= n <= 30:
        raise ValueError(f"log2_cycles must be between 4 and 30, got {log2_cycles}")
    lib = _openblas_lib()
    read_env = getattr(lib, "openblas_read_env", None) if lib is not None else None
    shutdown = getattr(lib, "blas_thread_shutdown_", None) if lib is not None else None
    if read_env is None or shutdown is None:
        return False
    os.environ["OPENBLAS_THREAD_TIMEOUT"] = str(n)
    read_env()
    shutdown()
    return True


def blas_spin():
    """The spin setting (log₂ cycles) NumPy's OpenBLAS will use, or None if unknown."""
    import ctypes  # noqa: PLC0415

    lib = _openblas_lib()
    get = getattr(lib, "openblas_thread_timeout", None) if lib is not None else None
    if get is None:
        return None
    get.argtypes, get.restype = [], ctypes.c_int
    return int(get()) or None


_BLAS_LOCK = threading.Lock()
_BLAS_DEPTH = {"depth": 0, "saved": None}


@contextlib.contextmanager
def blas_threads(n: int):
    """Context manager: NumPy's BLAS calls use at most ``n`` threads while it is open.

    The limit is *process-wide* (OpenBLAS has one thread count for the whole process; its
    ``openblas_set_num_threads_local`` sets that same global count in the usual pthreads
    build). So it is entered once, by the thread that starts a group of worker threads,
    around their whole run, and never by the workers themselves: nested and concurrent
    uses share one count of open blocks, the first one sets the limit and the last one to
    close restores the previous value.

    # NOTE: speed. For code that runs its own threads, each calling BLAS (the convolution's
    # chunk threads, :mod:`tinygen.autograd.ops.conv_kernels`): without a limit
    # every one of them would ask OpenBLAS for all the cores, and the cores would be
    # oversubscribed. With another BLAS (MKL, Accelerate) or on CuPy it does nothing.
    """
    fns = _numpy_openblas()
    if fns is None:
        yield
        return
    set_, get = fns
    with _BLAS_LOCK:
        if _BLAS_DEPTH["depth"] == 0:
            _BLAS_DEPTH["saved"] = get()
            set_(max(1, int(n)))
        _BLAS_DEPTH["depth"] += 1
    try:
        yield
    finally:
        with _BLAS_LOCK:
            _BLAS_DEPTH["depth"] -= 1
            if _BLAS_DEPTH["depth"] == 0:
                set_(_BLAS_DEPTH["saved"])


_env = os.environ.get("TINYGEN_BACKEND", "numpy").strip().lower() or "numpy"
use(_env)
# a user's own OPENBLAS_THREAD_TIMEOUT / GOTO_THREAD_TIMEOUT wins over tinygen's default
if not (os.environ.get("OPENBLAS_THREAD_TIMEOUT") or os.environ.get("GOTO_THREAD_TIMEOUT")):
    set_blas_spin(BLAS_SPIN)
