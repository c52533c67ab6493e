"""``tinygen.backend``: NumPy by default, CuPy on request, default dtype float32."""

from __future__ import annotations

import importlib.util
import os
import subprocess
import sys
import threading

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


def test_blas_threads_sets_a_process_wide_limit_and_restores_it():
    a = np.arange(12, dtype=np.float32).reshape(3, 4)
    with backend.blas_threads(1):
        inside = a @ a.T
    np.testing.assert_array_equal(inside, a @ a.T)
    fns = backend._numpy_openblas()
    if fns is None:  # another BLAS: the context manager does nothing, and says nothing
        return
    get = fns[1]
    before = get()
    seen = []
    with backend.blas_threads(1):
        assert get() == 1
        t = threading.Thread(target=lambda: seen.append(get()))  # another thread sees it too
        t.start()
        t.join()
        with backend.blas_threads(1):  # nested: the outer block restores
            assert get() == 1
        assert get() == 1
    assert seen == [1]
    assert get() == before


def test_blas_threads_used_from_several_threads_restores_the_count():
    fns = backend._numpy_openblas()
    if fns is None:
        return
    get = fns[1]
    before = get()
    barrier = threading.Barrier(3)

    def hold():
        with backend.blas_threads(1):
            barrier.wait()  # all three inside at once, then leave in any order
            assert get() == 1

    threads = [threading.Thread(target=hold) for _ in range(3)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert get() == before




def test_set_blas_spin_checks_its_range():
    with pytest.raises(ValueError, match="between 4 and 30"):
        backend.set_blas_spin(3)
    with pytest.raises(ValueError, match="between 4 and 30"):
        backend.set_blas_spin(31)


def test_set_blas_spin_restarts_the_pool_and_products_stay_right():
    rng = np.random.default_rng(0)
    a = rng.standard_normal((300, 200)).astype(np.float32)
    b = rng.standard_normal((200, 250)).astype(np.float32)
    expected = (a.astype(np.float64) @ b.astype(np.float64)).astype(np.float32)
    if not backend.set_blas_spin(12):  # another BLAS: nothing to set, and nothing set
        assert backend.blas_spin() is None or backend.blas_spin() != 12
        return
    try:
        assert backend.blas_spin() == 12
        assert os.environ["OPENBLAS_THREAD_TIMEOUT"] == "12"
        for _ in range(3):  # the workers are started again by the first parallel product
            np.testing.assert_allclose(a @ b, expected, rtol=1e-4, atol=1e-4)
    finally:
        backend.set_blas_spin(backend.BLAS_SPIN)
    assert backend.blas_spin() == backend.BLAS_SPIN


@pytest.mark.parametrize("user_value", [None, "20"])
def test_import_sets_the_spin_unless_the_user_did(user_value):
    env = {k: v for k, v in os.environ.items()
           if k not in ("OPENBLAS_THREAD_TIMEOUT", "GOTO_THREAD_TIMEOUT")}
    if user_value is not None:
        env["OPENBLAS_THREAD_TIMEOUT"] = user_value
    code = (
        "import numpy, tinygen.backend as b, os; "
        "print(b.blas_spin(), os.environ.get('OPENBLAS_THREAD_TIMEOUT'))"
    )
    out = subprocess.run(
        [sys.executable, "-c", code], env=env, capture_output=True, text=True, check=True
    ).stdout.split()
    if backend._openblas_lib() is None:  # not OpenBLAS: nothing is set
        assert out[1] == (user_value or "None")
        return
    want = user_value or str(backend.BLAS_SPIN)
    assert out == [want, want]


def test_the_blas_controls_reach_numpys_openblas_even_after_scipy():
    """SciPy's wheels load a second OpenBLAS; the thread and spin settings must act on the
    one NumPy's matmul calls, whichever was loaded first."""
    code = (
        "import scipy.linalg, tinygen.backend as b\n"
        "lib = b._openblas_lib()\n"
        "maps = open('/proc/self/maps').read()\n"
        "numpys = [l.split()[-1] for l in maps.splitlines()\n"
        "          if 'openblas' in l.lower() and b._is_numpys(l.split()[-1])]\n"
        "print(bool(numpys), lib is not None and b._is_numpys(lib._name))\n"
    )
    try:
        out = subprocess.run(
            [sys.executable, "-c", code], capture_output=True, text=True, check=True
        ).stdout.split()
    except subprocess.CalledProcessError as exc:  # no /proc/self/maps, no SciPy, …
        pytest.skip(f"cannot inspect the loaded libraries here: {exc.stderr[-200:]}")
    if out[0] == "False":
        pytest.skip("NumPy does not carry its own OpenBLAS here")
    assert out == ["True", "True"]


# ------------------------------------------------------ tasks on OpenBLAS's worker threads
def _on_blas_pool():
    return backend.run_on_blas_threads([lambda: 0, lambda: 1]) is not None


@pytest.mark.skipif(not _on_blas_pool(), reason="needs NumPy's pthreads OpenBLAS, 2+ threads")
def test_run_on_blas_threads_runs_every_task_once_in_order():
    import threading

    a = np.random.default_rng(0).standard_normal((64, 64)).astype(np.float32)
    calls = []

    def task(i):
        def run():
            calls.append(i)
            return i, threading.get_ident(), a @ a  # a product inside a task: one thread
        return run

    out = backend.run_on_blas_threads([task(0), task(1)])
    assert sorted(calls) == [0, 1] and [r[0] for r in out] == [0, 1]
    assert out[0][1] == threading.get_ident() != out[1][1]  # task 0 in the caller
    for r in out:
        np.testing.assert_allclose(r[2], a @ a, rtol=1e-5)


@pytest.mark.skipif(not _on_blas_pool(), reason="needs NumPy's pthreads OpenBLAS, 2+ threads")
def test_run_on_blas_threads_reraises_after_all_tasks_finished():
    done = []

    def bad():
        raise ZeroDivisionError("task 0 failed")

    with pytest.raises(ZeroDivisionError, match="task 0 failed"):
        backend.run_on_blas_threads([bad, lambda: done.append(1)])
    assert done == [1]
    assert _on_blas_pool()  # the pool is usable again


@pytest.mark.skipif(not _on_blas_pool(), reason="needs NumPy's pthreads OpenBLAS, 2+ threads")
def test_run_on_blas_threads_declines_when_it_cannot_and_runs_nothing():
    ran = []
    tasks = [lambda: ran.append(0), lambda: ran.append(1)]
    with backend.blas_threads(1):  # a BLAS limit in force (e.g. around conv chunks)
        assert backend.run_on_blas_threads(tasks) is None
    inner = backend.run_on_blas_threads([lambda: backend.run_on_blas_threads(tasks), list])
    assert inner[0] is None  # nested: declined, so _threads.run_groups falls back
    assert ran == []
    assert backend.run_on_blas_threads([tasks[0]]) is None  # one task: nothing to share


# ------------------------------------------- a row vector added to a matrix (BLAS ?ger)
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("shape", [(500, 784), (256, 256), (65536, 1), (3, 4), (0, 5), (7, 0)])
def test_add_row_vector_is_numpys_add_bit_for_bit(dtype, shape):
    rng = np.random.default_rng(sum(shape))
    a = (rng.standard_normal(shape) * 10.0 ** rng.integers(-3, 4, shape)).astype(dtype)
    b = rng.standard_normal(shape[1]).astype(dtype)
    if a.size:
        a.flat[0], b[0] = -0.0, -0.0  # signed zeros, an inf and a NaN come out as NumPy's
        a.flat[-1] = np.inf
        b[-1] = np.nan if shape[1] > 1 else b[-1]
    ref = a + b
    out = a
    backend.add_row_vector_(a, b)
    assert out is a
    np.testing.assert_array_equal(a, ref, strict=True)
    assert np.array_equal(np.signbit(a), np.signbit(ref))


def test_add_row_vector_takes_blas_where_numpys_openblas_has_it():
    if backend._openblas_lib() is None:
        pytest.skip("NumPy's OpenBLAS is not reachable here")
    fn = backend._ger(np.dtype(np.float32))
    if fn is None:
        pytest.skip("this OpenBLAS has no 64-bit-integer cblas_sger")
    # the BLAS path for a big matrix, repeated (the cached ones vector grows and is reused)
    rng = np.random.default_rng(1)
    for m in (300, 900, 300):
        a = rng.standard_normal((m, 256)).astype(np.float32)
        b = rng.standard_normal(256).astype(np.float32)
        ref = a + b
        backend.add_row_vector_(a, b)
        np.testing.assert_array_equal(a, ref)
    ones = backend._BLAS[("ger", "f")][1]
    assert ones.size >= 900 and not ones.flags.writeable and np.all(ones == 1)


@pytest.mark.parametrize(
    "make",
    [
        lambda a, b: (a[:, ::2], b[::2]),  # a view that is not C-contiguous
        lambda a, b: (a.T.copy().T, b),  # Fortran order
        lambda a, b: (a, b.astype(np.float64)),  # mixed dtypes: NumPy's promotion rules
        lambda a, b: (a, b[None, :]),  # b of shape (1, n)
        lambda a, b: (a, np.float32(2.5)),  # a scalar
    ],
)
def test_add_row_vector_falls_back_to_numpy_for_other_layouts(make):
    rng = np.random.default_rng(2)
    a, b = make(rng.standard_normal((400, 400)).astype(np.float32),
                rng.standard_normal(400).astype(np.float32))
    ref = a + b
    backend.add_row_vector_(a, b)
    np.testing.assert_array_equal(a, ref.astype(a.dtype))
