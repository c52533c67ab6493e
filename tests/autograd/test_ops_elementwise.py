"""Element-wise primitives (tinygen/autograd/ops/elementwise.py): gradients, values, dtypes."""

from __future__ import annotations

import numpy as np
import pytest
import scipy.special as sp
from hypothesis import given
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

from tests.strategies import arrays as S
from tinygen import Tensor
from tinygen.autograd import ops
from tinygen.testing import check_grads

# (name, op applied to Tensors, NumPy reference, strategy for the first input, for the second)
NONZERO = dict(avoid=(0.0,), margin=0.5)
BINARY = [
    ("Add", lambda x, y: x + y, np.add, {}, {}),
    ("Sub", lambda x, y: x - y, np.subtract, {}, {}),
    ("Mul", lambda x, y: x * y, np.multiply, {}, {}),
    ("Div", lambda x, y: x / y, np.divide, {}, NONZERO),
    ("Pow", lambda x, y: x**y, np.power, dict(min_value=0.2, max_value=3.0), {}),
    ("Maximum", lambda x, y: ops.Maximum.apply(x, y), np.maximum, {}, {}),
]


@pytest.mark.parametrize("name, fn, ref, kx, ky", BINARY, ids=[b[0] for b in BINARY])
@given(data=st.data())
def test_binary_ops_broadcast_in_both_orders(name, fn, ref, kx, ky, data):
    sa, sb = data.draw(S.broadcastable_shapes(), label="shapes")
    for s1, s2 in ((sa, sb), (sb, sa)):  # the smaller operand on the left, then on the right
        x = data.draw(S.float_arrays(s1, **kx), label="x")
        y = data.draw(S.float_arrays(s2, **ky), label="y")
        if name == "Maximum":  # keep |x − y| away from the kink at ties
            x, y = np.broadcast_arrays(x, y)
            y = np.where(np.abs(x - y) < 0.1, x + 0.5, y)
        out = fn(Tensor(x), Tensor(y))
        np.testing.assert_allclose(out.data, ref(x, y), rtol=1e-12)
        assert out.shape == np.broadcast_shapes(x.shape, y.shape)
        check_grads(fn, x, y, name=name)


UNARY = [
    ("Neg", lambda x: -x, np.negative, {}),
    ("Exp", lambda x: x.exp(), np.exp, {}),
    ("Log", lambda x: x.log(), np.log, dict(min_value=0.1, max_value=5.0)),
    ("Log1p", lambda x: ops.Log1p.apply(x), np.log1p, dict(min_value=-0.8, max_value=5.0)),
    ("Sqrt", lambda x: x.sqrt(), np.sqrt, dict(min_value=0.1, max_value=5.0)),
    ("Tanh", lambda x: x.tanh(), np.tanh, {}),
    ("Sigmoid", lambda x: x.sigmoid(), sp.expit, {}),
    ("ReLU", lambda x: x.relu(), lambda a: np.maximum(a, 0), NONZERO),
    ("Abs", lambda x: x.abs(), np.abs, NONZERO),
    (
        "LeakyReLU",
        lambda x: ops.LeakyReLU.apply(x, negative_slope=0.2),
        lambda a: np.where(a > 0, a, 0.2 * a),
        NONZERO,
    ),
    ("PowConst2", lambda x: x**2, np.square, {}),
    ("PowConst3", lambda x: x**3, lambda a: a**3, {}),
    ("PowConstHalf", lambda x: x**0.5, np.sqrt, dict(min_value=0.1, max_value=5.0)),
    ("PowConstNeg", lambda x: x**-1.5, lambda a: a**-1.5, dict(min_value=0.2, max_value=5.0)),
    (
        "Clip",
        lambda x: ops.Clip.apply(x, lo=-1.0, hi=0.5),
        lambda a: np.clip(a, -1.0, 0.5),
        dict(avoid=(-1.0, 0.5), margin=0.05),
    ),
    ("ClipLow", lambda x: ops.Clip.apply(x, lo=0.25), lambda a: np.maximum(a, 0.25), {}),
    ("Cast", lambda x: x.astype(np.float64).astype(x.dtype) * x, np.square, {}),
]


@pytest.mark.parametrize("name, fn, ref, kw", UNARY, ids=[u[0] for u in UNARY])
@given(data=st.data())
def test_unary_ops(name, fn, ref, kw, data):
    if name == "ClipLow":
        kw = dict(avoid=(0.25,), margin=0.05)
    x = data.draw(S.float_arrays(**kw), label="x")
    out = fn(Tensor(x))
    assert out.shape == x.shape and out.dtype == np.float64
    np.testing.assert_allclose(out.data, ref(x), rtol=1e-12, atol=1e-300)
    check_grads(fn, x, name=name)


@pytest.mark.parametrize("name, fn, ref, kw", UNARY, ids=[u[0] for u in UNARY])
def test_unary_ops_keep_float32(name, fn, ref, kw):
    x = Tensor(np.array([0.3, 0.7, 1.2], dtype=np.float32), requires_grad=True)
    y = fn(x)
    assert y.dtype == np.float32
    y.sum().backward()
    assert x.grad.dtype == np.float32


@pytest.mark.parametrize("name, fn, ref, kx, ky", BINARY, ids=[b[0] for b in BINARY])
def test_binary_ops_keep_float32(name, fn, ref, kx, ky):
    x = Tensor(np.array([[0.5, 1.5]], dtype=np.float32), requires_grad=True)
    y = Tensor(np.array([[1.0], [2.0]], dtype=np.float32), requires_grad=True)
    z = fn(x, y)
    assert z.dtype == np.float32
    z.sum().backward()
    assert x.grad.dtype == y.grad.dtype == np.float32
    assert x.grad.shape == (1, 2) and y.grad.shape == (2, 1)


@given(data=st.data())
def test_where_routes_gradient_by_condition(data):
    sa, sb = data.draw(S.broadcastable_shapes(), label="shapes")
    x = data.draw(S.float_arrays(sa), label="x")
    y = data.draw(S.float_arrays(sb), label="y")
    out_shape = np.broadcast_shapes(sa, sb)
    cond = data.draw(hnp.arrays(bool, out_shape), label="cond")
    fn = lambda a, b: ops.Where.apply(a, b, cond=cond)
    np.testing.assert_array_equal(fn(Tensor(x), Tensor(y)).data, np.where(cond, x, y))
    check_grads(fn, x, y, name="Where")
    check_grads(lambda a, b: ops.Where.apply(b, a, cond=cond), x, y, name="Where swapped")


@given(S.float_arrays(S.shapes(min_dims=1)))
def test_cast_gradient_is_cast_back(a):
    x = Tensor(a.astype(np.float32), requires_grad=True)
    w = np.linspace(-1.0, 1.0, a.size).reshape(a.shape)
    (x.astype(np.float64) * w).sum().backward()
    assert x.grad.dtype == np.float32
    np.testing.assert_allclose(x.grad, w.astype(np.float32))


def test_pow_gradient_in_the_exponent_uses_log():
    x = Tensor(np.array([2.0, 3.0]), requires_grad=True)
    y = Tensor(np.array([1.5, -0.5]), requires_grad=True)
    (x**y).sum().backward()
    np.testing.assert_allclose(y.grad, np.array([2.0, 3.0]) ** [1.5, -0.5] * np.log([2.0, 3.0]))


def test_sigmoid_saturates_without_overflow():
    x = Tensor(np.array([-1e4, -50.0, 0.0, 50.0, 1e4], dtype=np.float32), requires_grad=True)
    y = x.sigmoid()
    np.testing.assert_allclose(y.data, sp.expit(x.data.astype(np.float64)), atol=1e-7)
    y.sum().backward()
    assert np.all(np.isfinite(x.grad))
