"""The one place that decides between NumPy and CuPy.

Every other module asks this one for the array module (the ``get_array_module``
pattern of Chainer and CuPy) and never imports ``cupy`` itself.

Selecting a backend
-------------------
* environment: ``TINYGEN_BACKEND=numpy`` (default) or ``TINYGEN_BACKEND=cupy``;
* at run time: ``tinygen.backend.use("cupy")``.

Default floating dtype is ``float32``; ``set_default_dtype("float64")`` switches it
(gradient checks do this locally through :func:`default_dtype`).

This module reads ``TINYGEN_BACKEND`` and changes nothing outside tinygen: no environment
variable, thread count or allocator setting. For tuning the CPU see the README
("Performance tuning").
"""

from __future__ import annotations

import contextlib
import os
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


_env = os.environ.get("TINYGEN_BACKEND", "numpy").strip().lower() or "numpy"
use(_env)
