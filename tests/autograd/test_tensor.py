"""Tensor semantics: accumulation, reuse, no_grad, detach, retain_grad, dtypes, errors."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given

from tests.strategies import arrays as S
from tinygen import Tensor, enable_grad, is_grad_enabled, no_grad
from tinygen.autograd import OpError, as_tensor


def leaf(a, dtype=None):
    return Tensor(np.asarray(a, dtype=dtype), requires_grad=True)


def test_backward_accumulates_across_calls():
    x = leaf([1.0, 2.0, 3.0])
    (x * x).sum().backward()
    np.testing.assert_allclose(x.grad, [2.0, 4.0, 6.0])
    (x * 3.0).sum().backward()
    np.testing.assert_allclose(x.grad, [5.0, 7.0, 9.0])
    x.zero_grad()
    assert x.grad is None


@given(S.float_arrays(S.shapes(min_dims=1)))
def test_tensor_used_twice_gets_summed_gradient(a):
    x = leaf(a)
    y = x * 2.0
    (y * y + y + x).sum().backward()  # d/dx [4x² + 2x + x] = 8x + 3
    np.testing.assert_allclose(x.grad, 8 * a + 3, rtol=1e-12, atol=1e-12)


def test_diamond_graph_visits_each_node_once():
    x = leaf([0.5, -1.5])
    a = x.exp()
    b = a * a
    c = a + b  # a is reached through two paths
    c.sum().backward()
    e = np.exp([0.5, -1.5])
    np.testing.assert_allclose(x.grad, e + 2 * e * e)


def test_no_grad_records_nothing_and_restores():
    x = leaf([1.0, 2.0])
    assert is_grad_enabled()
    with no_grad():
        assert not is_grad_enabled()
        y = x * 2.0 + 1.0
        with enable_grad():
            z = x * 3.0
        assert not is_grad_enabled()
    assert is_grad_enabled()
    assert not y.requires_grad and y.is_leaf
    assert z.requires_grad and not z.is_leaf
    with pytest.raises(RuntimeError, match="requires_grad=True"):
        y.sum().backward()


def test_no_grad_restores_after_an_exception():
    with pytest.raises(KeyError), no_grad():
        raise KeyError("boom")
    assert is_grad_enabled()


def test_detach_cuts_the_graph():
    x = leaf([1.0, 2.0])
    y = x * 3.0
    d = y.detach()
    assert not d.requires_grad and d.is_leaf
    assert np.shares_memory(d.data, y.data)
    (x * d).sum().backward()  # d is a constant: dL/dx = d = 3x
    np.testing.assert_allclose(x.grad, [3.0, 6.0])


def test_retain_grad_keeps_intermediate_gradient():
    x = leaf([1.0, -2.0])
    y = (x * 2.0).retain_grad()
    z = y * y
    z.sum().backward()
    np.testing.assert_allclose(y.grad, 2 * np.array([2.0, -4.0]))
    np.testing.assert_allclose(x.grad, 8 * np.array([1.0, -2.0]))
    h = x * 2.0
    (h * h).sum().backward()
    assert h.grad is None  # not retained by default


def test_grads_are_separate_writable_arrays():
    x, y = leaf([1.0, 2.0]), leaf([3.0, 4.0])
    (x + y).sum().backward()  # Add hands the same upstream array to both inputs
    assert x.grad is not y.grad and not np.shares_memory(x.grad, y.grad)
    x.grad *= 10.0  # in-place updates (optimizers) must not leak into y.grad
    np.testing.assert_allclose(y.grad, [1.0, 1.0])
    w = leaf(np.ones((2, 3)))
    w.sum().backward()  # Sum's backward is a read-only broadcast view
    w.grad[0, 0] = 5.0
    assert w.grad.shape == (2, 3)


def test_backward_with_explicit_grad_and_shape_check():
    x = leaf([1.0, 2.0, 3.0])
    y = x * x
    y.backward(np.array([1.0, 0.0, -1.0]))
    np.testing.assert_allclose(x.grad, [2.0, 0.0, -6.0])
    with pytest.raises(ValueError, match=r"grad of shape \(2,\) for a tensor of shape \(3,\)"):
        (x * x).backward(np.ones(2))


def test_integer_tensor_cannot_require_grad():
    with pytest.raises(TypeError, match="only floating tensors"):
        Tensor(np.arange(3), requires_grad=True)


def test_comparisons_give_boolean_constants():
    x = leaf([1.0, 2.0, 3.0])
    for r in (x < 2.0, x <= 2.0, x > 2.0, x >= 2.0, x.eq(2.0), x > Tensor(np.ones(3))):
        assert r.dtype == bool and not r.requires_grad
    np.testing.assert_array_equal((x >= 2.0).data, [False, True, True])


def test_python_scalars_and_lists_take_default_dtype():
    assert Tensor(1.5).dtype == np.float32
    assert Tensor([1.0, 2.0]).dtype == np.float32
    assert Tensor(np.ones(2)).dtype == np.float64  # arrays keep their dtype
    assert as_tensor(np.ones(2), dtype=np.float32).dtype == np.float32


@pytest.mark.parametrize(
    "fn",
    [
        lambda x: x + 1.5,
        lambda x: 1.5 + x,
        lambda x: x - 2,
        lambda x: 2 - x,
        lambda x: x * np.float64(3.0),
        lambda x: np.float64(3.0) * x,
        lambda x: x / 3.0,
        lambda x: 3.0 / x,
        lambda x: x**2,
        lambda x: x**0.5,
        lambda x: x ** np.float64(2.0),
        lambda x: 2.0**x,
        lambda x: x * np.ones(3),  # a float64 array operand
        lambda x: np.ones(3) + x,
        lambda x: x @ np.ones((3, 2)),
        lambda x: x.mean(),
        lambda x: x.sum(axis=0, keepdims=True),
        lambda x: x.max(),
        lambda x: -x,
        lambda x: x[np.array([0, 0, 2])],
    ],
)
def test_float32_graphs_stay_float32(fn):
    x = Tensor(np.array([0.5, 1.0, 2.0], dtype=np.float32), requires_grad=True)
    y = fn(x)
    assert y.dtype == np.float32
    y.sum().backward()
    assert x.grad.dtype == np.float32


def test_astype_is_differentiable_and_casts_gradient_back():
    x = leaf([1.0, 2.0], dtype=np.float32)
    y = x.astype(np.float64)
    assert y.dtype == np.float64
    (y * np.array([3.0, -1.0])).sum().backward()
    assert x.grad.dtype == np.float32
    np.testing.assert_allclose(x.grad, [3.0, -1.0])


@given(S.shapes(min_dims=1, min_side=2), S.shapes(max_dims=2))
def test_shape_mismatch_names_op_and_both_shapes(a, lead):
    bad = lead + (a[-1] + 1,)  # the last axes differ and neither is 1
    x, y = leaf(np.ones(a)), leaf(np.ones(bad))
    for fn, name in (
        (lambda: x + y, "Add"),
        (lambda: y * x, "Mul"),
        (lambda: x - y, "Sub"),
        (lambda: y / x, "Div"),
        (lambda: x**y, "Pow"),
    ):
        with pytest.raises(OpError) as info:
            fn()
        msg = str(info.value)
        assert msg.startswith(name + ":")
        assert str(a) in msg and str(bad) in msg


def test_matmul_mismatch_message():
    with pytest.raises(OpError, match=r"MatMul.*\(2, 3\).*\(4, 2\)"):
        Tensor(np.ones((2, 3))) @ Tensor(np.ones((4, 2)))


def test_repr_and_accessors():
    x = Tensor(np.arange(6.0).reshape(2, 3), requires_grad=True)
    assert "requires_grad=True" in repr(x) and "float64" in repr(x)
    assert x.shape == (2, 3) and x.ndim == 2 and x.size == 6 and len(x) == 2
    assert x.numpy() is x.data and x.sum().item() == 15.0
