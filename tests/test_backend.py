"""``tinygen.backend``: NumPy by default, CuPy on request, default dtype float32."""

from __future__ import annotations

import importlib.util
import os
import subprocess
import sys

import numpy as np
import pytest

from tinygen import Tensor, backend
from tinygen.backend import BackendError

HAVE_CUPY = importlib.util.find_spec("cupy") is not None


@pytest.fixture(autouse=True)
def _restore_backend():
    """Every test leaves NumPy and float32 active, whatever it did."""
    yield
    backend.use("numpy")
    backend.set_default_dtype("float32")


def test_default_is_numpy_float32():
    assert backend.name() == "numpy"
    assert backend.xp() is np
    assert backend.get_array_module() is np
    assert backend.get_default_dtype() == np.float32


def test_use_numpy_returns_the_module():
    assert backend.use("numpy") is np
    assert backend.use("NumPy") is np  # case-insensitive
    assert backend.name() == "numpy" and backend.xp() is np


def test_unknown_backend():
    with pytest.raises(BackendError, match="unknown backend 'jax'") as exc:
        backend.use("jax")
    assert "numpy" in str(exc.value) and "cupy" in str(exc.value)
    assert backend.name() == "numpy"  # unchanged


@pytest.mark.skipif(HAVE_CUPY, reason="CuPy is importable here")
def test_cupy_without_cupy_says_how_to_fix():
    with pytest.raises(BackendError) as exc:
        backend.use("cupy")
    msg = str(exc.value)
    assert "pip install" in msg and "gpu" in msg and "TINYGEN_BACKEND" in msg
    assert backend.name() == "numpy" and backend.xp() is np  # still usable


@pytest.mark.skipif(HAVE_CUPY, reason="CuPy is importable here")
def test_env_var_cupy_without_cupy_fails_at_import():
    env = dict(os.environ, TINYGEN_BACKEND="cupy")
    out = subprocess.run(
        [sys.executable, "-c", "import tinygen"],
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert out.returncode != 0
    assert "BackendError" in out.stderr and "pip install" in out.stderr


def test_get_array_module_and_to_numpy():
    a = np.arange(3.0)
    t = Tensor([1.0, 2.0])
    assert backend.get_array_module(a) is np
    assert backend.get_array_module(a, t) is np
    assert backend.get_array_module(t) is np
    assert backend.to_numpy(a) is a  # no copy for a NumPy array
    np.testing.assert_array_equal(backend.to_numpy(t), [1.0, 2.0])
    assert isinstance(backend.to_numpy(t), np.ndarray)
    assert backend.to_numpy(2.5) == 2.5 and isinstance(backend.to_numpy(2.5), np.ndarray)
    np.testing.assert_array_equal(backend.to_numpy([1, 2]), [1, 2])


def test_asarray_uses_the_default_float_dtype():
    assert backend.asarray([1.0, 2.0]).dtype == np.float32
    assert backend.asarray(np.ones(2)).dtype == np.float32  # float64 comes down to float32
    assert backend.asarray([1, 2]).dtype.kind == "i"  # integers are left alone
    assert backend.asarray(np.ones(2), dtype=np.float64).dtype == np.float64
    with backend.default_dtype("float64"):
        assert backend.asarray([1.0]).dtype == np.float64


def test_default_dtype_switch_and_context_manager():
    backend.set_default_dtype("float64")
    assert backend.get_default_dtype() == np.float64
    backend.set_default_dtype(np.float32)
    assert backend.get_default_dtype() == np.float32
    with backend.default_dtype("float64"):
        assert backend.get_default_dtype() == np.float64
        assert Tensor(1.5).dtype == np.float64
    assert backend.get_default_dtype() == np.float32
    with pytest.raises(ZeroDivisionError), backend.default_dtype("float64"):
        1 / 0  # noqa: B018
    assert backend.get_default_dtype() == np.float32  # restored after an exception too
    with pytest.raises(BackendError, match="floating"):
        backend.set_default_dtype("int32")


def test_tensors_default_to_float32():
    assert Tensor(1.5).dtype == np.float32
    assert Tensor([1.0, 2.0]).dtype == np.float32
    x = Tensor([1.0, 2.0], requires_grad=True)
    y = (x * 3.0 + 1.0).sum()  # Python scalars do not promote to float64
    assert y.dtype == np.float32
    y.backward()
    assert x.grad.dtype == np.float32


def test_only_backend_imports_cupy():
    import tinygen

    root = os.path.dirname(tinygen.__file__)
    offenders = []
    for folder, _, files in os.walk(root):
        for f in files:
            if f.endswith(".py") and not (folder == root and f == "backend.py"):
                src = open(os.path.join(folder, f), encoding="utf-8").read()
                if "import cupy" in src or "from cupy" in src:
                    offenders.append(os.path.join(folder, f))
    assert offenders == []


@pytest.mark.gpu
def test_tiny_graph_on_cupy():
    cp = backend.use("cupy")
    try:
        x = Tensor(cp.asarray([0.5, -1.0, 2.0], dtype=cp.float32), requires_grad=True)
        W = Tensor(cp.asarray([[1.0, 2.0, 3.0]], dtype=cp.float32), requires_grad=True)
        y = (x * W).sigmoid().log().sum()
        y.backward()
        assert backend.get_array_module(x.grad) is cp
        xg = backend.to_numpy(x.grad)
        xn, Wn = np.array([0.5, -1.0, 2.0]), np.array([[1.0, 2.0, 3.0]])
        expected = (Wn * (1 - 1 / (1 + np.exp(-xn * Wn)))).ravel()
        np.testing.assert_allclose(xg, expected, rtol=1e-5)
        assert x.grad.dtype == cp.float32
    finally:
        backend.use("numpy")


def test_to_numpy_unwraps_only_tinygen_objects():
    """An object with its own ``.data`` attribute (as a CuPy array has: its memory pointer)
    must not be unwrapped; a Tensor (or Parameter) must."""
    from tinygen import Tensor, backend, nn

    class HasData:
        data = "memory pointer"

        def __array__(self, dtype=None, copy=None):
            return np.arange(3.0)

    np.testing.assert_array_equal(backend.to_numpy(HasData()), np.arange(3.0))
    p = nn.Parameter(np.ones(2, np.float32))
    np.testing.assert_array_equal(backend.to_numpy(p), np.ones(2))
    assert backend.get_array_module(Tensor([1.0]), p) is np


_IMPORT_PROBE = """
import json, os, sys
import numpy
from threadpoolctl import threadpool_info
def snapshot():
    return {"env": dict(os.environ),
            "blas": sorted((i["internal_api"], i["num_threads"]) for i in threadpool_info())}
before = snapshot()
import tinygen, tinygen.models, tinygen.nn, tinygen.optim, tinygen.functional
from tinygen.models import RBM, VAE
after = snapshot()
print(json.dumps({"before": before, "after": after,
                  "ctypes_loaded_by_tinygen": any(m.startswith("tinygen") and "ctypes" in
                      vars(sys.modules[m]) for m in list(sys.modules))}))
"""


def test_import_changes_nothing_outside_tinygen():
    """``import tinygen`` leaves the process as it found it: the same environment variables
    and the same BLAS thread pools with the same thread counts (threadpoolctl reads them)."""
    pytest.importorskip("threadpoolctl")
    import json

    out = subprocess.run(
        [sys.executable, "-c", _IMPORT_PROBE], capture_output=True, text=True, check=True,
        env={k: v for k, v in os.environ.items() if k != "TINYGEN_BACKEND"},
    )
    probe = json.loads(out.stdout)
    assert probe["after"]["env"] == probe["before"]["env"]
    before_blas = [b for b in probe["before"]["blas"]]
    # tinygen may load SciPy (a second BLAS); the pools NumPy had keep their thread counts
    assert all(b in probe["after"]["blas"] for b in before_blas)
    assert not probe["ctypes_loaded_by_tinygen"]


def test_no_ctypes_and_no_thread_pools_in_tinygen():
    """The readable-core rule: parallelism comes from BLAS or CuPy, never from code of ours."""
    root = os.path.dirname(os.path.dirname(os.path.abspath(backend.__file__)))
    banned = ("import ctypes", "from ctypes", "ThreadPoolExecutor", "import threading",
              "mallopt", "os.environ[")
    found = []
    for folder, _, files in os.walk(os.path.join(root, "tinygen")):
        for f in files:
            if f.endswith(".py"):
                path = os.path.join(folder, f)
                with open(path, encoding="utf-8") as fh:
                    text = fh.read()
                found += [(os.path.relpath(path, root), b) for b in banned if b in text]
    assert not found, found
