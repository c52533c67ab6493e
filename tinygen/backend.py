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

from . import _malloc

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
    "run_on_blas_threads",
    "add_row_vector_",
    "BLAS_SPIN",
    "GER_MIN_ELEMS",
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


#: log₂ of the time-stamp-counter ticks an idle OpenBLAS worker thread spins before it
#: sleeps, as set by tinygen at import (OpenBLAS's own default is 28, about 0.13 s at
#: 2 GHz); see :func:`set_blas_spin`.
BLAS_SPIN = 24


def set_blas_spin(log2_cycles: int) -> bool:
    """Let NumPy's OpenBLAS worker threads spin only 2^``log2_cycles`` TSC ticks (4 to 30)
    after a parallel product before they sleep. Returns whether it could be applied.

    # NOTE: speed. After every multi-threaded product OpenBLAS's idle workers busy-wait for
    # the next one, by default for 2²⁸ time-stamp-counter ticks (2 GHz here: 0.13 s), then
    # sleep. A sleeping worker must be woken for the next product, and on a busy virtual
    # machine that wake-up is slow; a spinning one holds a core. tinygen's own parallel
    # tasks (the Adam update, the convolution chunks, the element-wise blocks) run on these
    # same workers (:func:`run_on_blas_threads`), so a spinning worker takes them at once
    # instead of competing with them (when it had its own threads, a spin above 2¹⁶ ticks
    # made the MLP VAE's threaded Adam slower: 6.1 ms against 4.0 right after a product).
    # tinygen spins 2²⁴ ticks (about 8 ms): long enough that the workers stay awake through
    # a training step of a small model, while OpenBLAS's default holds a core for 0.13 s
    # after the last product. In-process A/Bs (per-round time ratios, 10-20 rounds each)
    # of 2²⁴ against 2²⁰: the ELBO step of ``benchmarks/bench_vae.py`` 1.007-1.026× (and
    # 1.52× in an hour when the host was contended, with tinygen's own threads), IWAE-5
    # 1.025×, the MLP VAE of ``bench_autograd.py`` 0.981-1.016×, its PixelCNN 1.009×; and
    # 2²⁰ against 2¹⁶: 1.035-1.21×, 1.05-1.07×, 1.055-1.059×, 1.04×. The setting is
    # OpenBLAS's ``OPENBLAS_THREAD_TIMEOUT``, which it reads when its thread pool starts;
    # this sets the variable, has OpenBLAS re-read its environment
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


#: matrices with fewer elements than this get their row vector added by NumPy (see
#: :func:`add_row_vector_`): below it the call and the BLAS threads cost more than they
#: save (100×200: 7 µs by NumPy, 14 µs by ?ger; 100×784: 28-31 against 21 µs)
GER_MIN_ELEMS = 65536


def _ger(dtype):
    """(``cblas_?ger`` of NumPy's 64-bit-integer OpenBLAS as a ctypes function, a read-only
    vector of ones to use as its x) for float32 or float64 ``dtype``, or None (another
    BLAS, a 32-bit-integer build, another OS); the vector grows as longer ones are needed
    (:func:`add_row_vector_`)."""
    key = ("ger", dtype.char)
    if key in _BLAS:
        return _BLAS[key]
    found, lib = None, _openblas_lib()
    if lib is not None and dtype.char in "fd":
        import ctypes  # noqa: PLC0415

        c = "s" if dtype.char == "f" else "d"
        # only the symbols of ILP64 builds (NumPy's wheels): their integers are 64-bit
        fn = next(
            (getattr(lib, n) for n in (f"scipy_cblas_{c}ger64_", f"cblas_{c}ger64_")
             if hasattr(lib, n)),
            None,
        )
        if fn is not None:
            scalar = ctypes.c_float if c == "s" else ctypes.c_double
            i64, ptr = ctypes.c_int64, ctypes.c_void_p
            fn.argtypes = [ctypes.c_int, i64, i64, scalar, ptr, i64, ptr, i64, ptr, i64]
            fn.restype = None
            found = (fn, np.ones(0, dtype=dtype))
    _BLAS[key] = found
    return found


def add_row_vector_(a, b) -> None:
    """``a += b`` in place for a matrix ``a`` of shape (m, n) and a vector ``b`` of shape
    (n,): b is added to every row (a fully connected layer's bias, y = x Wᵀ + b).

    # NOTE: speed. NumPy adds a broadcast row one row at a time (one inner-loop call per
    # row) on one thread: 115 µs for a (500, 784) float32 matrix here, against 73 µs for
    # adding a whole array of that shape. For big float32/float64 NumPy matrices this is
    # instead the BLAS rank-one update A ← A + 1 bᵀ (``cblas_?ger`` of NumPy's own
    # OpenBLAS, on its thread pool): 31 µs. Each entry is computed as a + 1·1·b, which is
    # a + b exactly rounded once, so the result is bit-for-bit NumPy's. In the VAE
    # benchmark's IWAE-5 step the decoder's output layer went from 1745 to 1599 µs and
    # its 500×200 layers from 408 to 381 µs (medians of 300 interleaved steps). Below
    # :data:`GER_MIN_ELEMS` elements, with another BLAS, on CuPy, or for arrays that are not
    # C-contiguous, it is NumPy's ``a += b``.
    """
    ger = (
        _ger(a.dtype)
        if (isinstance(a, np.ndarray) and a.ndim == 2 and a.size >= GER_MIN_ELEMS
            and a.flags.c_contiguous and a.flags.writeable and isinstance(b, np.ndarray)
            and b.shape == (a.shape[1],) and b.dtype == a.dtype and b.flags.c_contiguous)
        else None
    )
    if ger is None:
        a += b
        return
    fn, ones = ger
    m, n = a.shape
    if ones.size < m:
        ones = np.ones(m, dtype=a.dtype)
        ones.flags.writeable = False
        _BLAS[("ger", a.dtype.char)] = (fn, ones)
    row_major = 101  # CblasRowMajor
    fn(row_major, m, n, 1.0, ones.ctypes.data, 1, b.ctypes.data, 1, a.ctypes.data, n)


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


_POOL_GATE = threading.Lock()  # one group at a time on OpenBLAS's threads
_POOL_JOB: dict = {}


def _blas_pool_task(arg):
    """Entry point OpenBLAS calls on each of its threads: run task ``arg`` of the current job,
    keeping its result or the exception it raised (nothing may escape into C)."""
    i = arg or 0
    tasks, results, errors = _POOL_JOB["job"]
    try:
        results[i] = tasks[i]()
    except BaseException as exc:  # noqa: BLE001 - re-raised by run_on_blas_threads
        errors[i] = exc


def _blas_pool_entry():
    """(gotoblas_pthread, the C callback pointer), or None without a pthreads OpenBLAS."""
    if "pool" in _BLAS:
        return _BLAS["pool"]
    entry = None
    lib = _openblas_lib()
    run = getattr(lib, "gotoblas_pthread", None) if lib is not None else None
    if run is not None and _numpy_openblas() is not None:
        import ctypes  # noqa: PLC0415

        run.argtypes = [ctypes.c_int, ctypes.c_void_p, ctypes.c_void_p, ctypes.c_int]
        run.restype = ctypes.c_int
        callback = ctypes.CFUNCTYPE(None, ctypes.c_void_p)(_blas_pool_task)
        entry = (run, ctypes.cast(callback, ctypes.c_void_p), callback)  # keep it alive
    _BLAS["pool"] = entry
    return entry


def run_on_blas_threads(tasks):
    """Run the zero-argument callables ``tasks`` at once on NumPy's OpenBLAS thread pool,
    ``tasks[0]`` in the calling thread; their results in order, or None when that cannot be
    done (no pthreads OpenBLAS, a pool smaller than ``len(tasks)``, a BLAS thread limit in
    force, or another group already running there), in which case nothing has run.

    # NOTE: speed. tinygen's own threads (the Adam update, the element-wise blocks) and
    # OpenBLAS's workers would otherwise be two pools sharing the same cores. A worker of
    # either pool that has gone to sleep is slow to wake on a busy VM, and a worker that
    # spins holds a core the other pool needs (see :func:`set_blas_spin`). Running the
    # tasks on OpenBLAS's own workers (``gotoblas_pthread``, its pthread-compatible entry)
    # makes them one pool: a worker still spinning after the last product takes the next
    # task at once. While the tasks run, BLAS is limited to one thread (:func:`blas_threads`),
    # so a product inside a task runs in its own thread and never waits for the busy pool.
    # Each task's exceptions are caught on its thread and the first is re-raised here.
    """
    entry = _blas_pool_entry()
    if entry is None or len(tasks) < 2:
        return None
    run, callback, _ = entry
    _, get = _numpy_openblas()
    if not _POOL_GATE.acquire(blocking=False):
        return None  # a group is running there (another thread, or a task of it): fall back
    try:
        with _BLAS_LOCK:
            if _BLAS_DEPTH["depth"] or get() < len(tasks):
                return None
        results, errors = [None] * len(tasks), [None] * len(tasks)
        _POOL_JOB["job"] = (tasks, results, errors)
        with blas_threads(1):
            run(len(tasks), callback, None, 1)
        _POOL_JOB.pop("job", None)
    finally:
        _POOL_GATE.release()
    for exc in errors:
        if exc is not None:
            raise exc
    return results


_env = os.environ.get("TINYGEN_BACKEND", "numpy").strip().lower() or "numpy"
use(_env)
# a user's own OPENBLAS_THREAD_TIMEOUT / GOTO_THREAD_TIMEOUT wins over tinygen's default
if not (os.environ.get("OPENBLAS_THREAD_TIMEOUT") or os.environ.get("GOTO_THREAD_TIMEOUT")):
    set_blas_spin(BLAS_SPIN)
# and glibc keeps the memory each training step frees for the next (tinygen._malloc), unless
# the user set glibc's malloc variables
if not _malloc.user_set_malloc(os.environ):
    _malloc.keep_freed_memory()
