"""Reductions, shape ops and matrix products: gradients over random shapes and values."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from tests.strategies import arrays as S
from tinygen import Tensor
from tinygen.autograd import OpError, ops
from tinygen.testing import check_grads


# ------------------------------------------------------------------------ reductions
@pytest.mark.parametrize("name, method, ref", [("Sum", "sum", np.sum), ("Mean", "mean", np.mean)])
@given(data=st.data(), keepdims=st.booleans())
def test_sum_mean(name, method, ref, data, keepdims):
    shape, axis = data.draw(S.shape_and_axis(min_dims=0), label="shape, axis")
    x = data.draw(S.float_arrays(shape), label="x")
    fn = lambda t: getattr(t, method)(axis=axis, keepdims=keepdims)
    np.testing.assert_allclose(fn(Tensor(x)).data, ref(x, axis=axis, keepdims=keepdims))
    check_grads(fn, x, name=name)


@given(data=st.data(), keepdims=st.booleans())
def test_max_without_ties(data, keepdims):
    shape, axis = data.draw(S.shape_and_axis(min_dims=0), label="shape, axis")
    x = data.draw(S.distinct_arrays(shape), label="x")
    fn = lambda t: t.max(axis=axis, keepdims=keepdims)
    np.testing.assert_array_equal(fn(Tensor(x)).data, np.max(x, axis=axis, keepdims=keepdims))
    check_grads(fn, x, name="Max")


def test_max_splits_gradient_between_ties():
    x = Tensor(np.array([[1.0, 3.0, 3.0], [2.0, 0.0, 1.0]]), requires_grad=True)
    x.max(axis=1).sum().backward()
    np.testing.assert_allclose(x.grad, [[0.0, 0.5, 0.5], [1.0, 0.0, 0.0]])


def test_reductions_keep_float32():
    x = Tensor(np.ones((3, 4), dtype=np.float32), requires_grad=True)
    for y in (x.sum(axis=0), x.mean(axis=(0, 1)), x.max(axis=-1, keepdims=True)):
        assert y.dtype == np.float32
        y.sum().backward()
        assert x.grad.dtype == np.float32


# ------------------------------------------------------------------------ shape ops
@given(data=st.data())
def test_reshape(data):
    shape = data.draw(S.shapes(), label="shape")
    x = data.draw(S.float_arrays(shape), label="x")
    new = data.draw(st.sampled_from([(-1,), shape[::-1], (1,) + shape, (x.size, 1)]), label="new")
    fn = lambda t: t.reshape(new)
    np.testing.assert_array_equal(fn(Tensor(x)).data, x.reshape(new))
    check_grads(fn, x, name="Reshape")
    check_grads(lambda t: t.flatten(), x, name="flatten")


@given(data=st.data())
def test_transpose_permute(data):
    shape = data.draw(S.shapes(min_dims=1), label="shape")
    x = data.draw(S.float_arrays(shape), label="x")
    perm = tuple(data.draw(st.permutations(range(len(shape))), label="perm"))
    np.testing.assert_array_equal(Tensor(x).permute(perm).data, x.transpose(perm))
    check_grads(lambda t: t.permute(perm), x, name="Transpose(perm)")
    check_grads(lambda t: t.T, x, name="Transpose(None)")
    if len(shape) >= 2:  # two-axis swap
        np.testing.assert_array_equal(Tensor(x).transpose(0, -1).data, np.swapaxes(x, 0, -1))
        check_grads(lambda t: t.transpose(0, -1), x, name="swap")


@given(data=st.data())
def test_getitem_basic_indices(data):
    shape = data.draw(S.shapes(min_dims=1), label="shape")
    x = data.draw(S.float_arrays(shape), label="x")
    index = data.draw(S.basic_indices(shape), label="index")
    np.testing.assert_array_equal(Tensor(x)[index].data, x[index])
    check_grads(lambda t: t[index], x, name="GetItem basic")


@given(data=st.data())
def test_getitem_integer_arrays_with_repeats(data):
    shape = data.draw(S.shapes(min_dims=1, max_dims=3), label="shape")
    x = data.draw(S.float_arrays(shape), label="x")
    i0 = data.draw(S.index_arrays(shape[0]), label="i0")
    np.testing.assert_array_equal(Tensor(x)[i0].data, x[i0])
    check_grads(lambda t: t[i0], x, name="GetItem int array")
    if len(shape) >= 2:  # paired integer arrays, and an integer array after a slice
        i1 = data.draw(S.index_arrays(shape[1], min_len=len(i0), max_len=len(i0)), label="i1")
        check_grads(lambda t: t[i0, i1], x, name="GetItem paired")
        check_grads(lambda t: t[:, i1], x, name="GetItem slice+array")
    # the gradient of x[i] counts how often each element was picked
    t = Tensor(x, requires_grad=True)
    t[i0].sum().backward()
    counts = np.bincount(i0 % shape[0], minlength=shape[0]).astype(float)
    np.testing.assert_array_equal(
        t.grad, np.broadcast_to(counts.reshape((-1,) + (1,) * (len(shape) - 1)), shape)
    )


def test_getitem_with_boolean_mask():
    x = np.array([[1.0, -2.0], [3.0, 4.0]])
    check_grads(lambda t: t[x > 0], x, name="GetItem mask")


@given(data=st.data())
def test_concatenate(data):
    shape = data.draw(S.shapes(min_dims=1), label="shape")
    axis = data.draw(st.integers(-len(shape), len(shape) - 1), label="axis")
    sizes = data.draw(st.lists(st.integers(1, 3), min_size=1, max_size=3), label="sizes")
    xs = []
    for k in sizes:
        s = list(shape)
        s[axis] = k
        xs.append(data.draw(S.float_arrays(tuple(s)), label="x"))
    fn = lambda *ts: ops.Concatenate.apply(*ts, axis=axis)
    np.testing.assert_array_equal(fn(*map(Tensor, xs)).data, np.concatenate(xs, axis=axis))
    check_grads(fn, *xs, name="Concatenate")


@given(data=st.data())
def test_stack(data):
    shape = data.draw(S.shapes(), label="shape")
    axis = data.draw(st.integers(-len(shape) - 1, len(shape)), label="axis")
    n = data.draw(st.integers(1, 3), label="n")
    xs = [data.draw(S.float_arrays(shape), label="x") for _ in range(n)]
    fn = lambda *ts: ops.Stack.apply(*ts, axis=axis)
    np.testing.assert_array_equal(fn(*map(Tensor, xs)).data, np.stack(xs, axis=axis))
    check_grads(fn, *xs, name="Stack")


@given(data=st.data())
def test_pad(data):
    shape = data.draw(S.shapes(min_dims=1), label="shape")
    widths = tuple(
        data.draw(st.tuples(st.integers(0, 2), st.integers(0, 2)), label="w") for _ in shape
    )
    value = data.draw(st.floats(-2, 2), label="value")
    x = data.draw(S.float_arrays(shape), label="x")
    fn = lambda t: ops.Pad.apply(t, pad_width=widths, value=value)
    np.testing.assert_array_equal(
        fn(Tensor(x)).data, np.pad(x, widths, mode="constant", constant_values=value)
    )
    check_grads(fn, x, name="Pad")


def test_concatenate_mismatch_names_op_and_shapes():
    with pytest.raises(OpError, match=r"Concatenate.*\(2, 3\).*\(2, 4\)"):
        ops.Concatenate.apply(Tensor(np.ones((2, 3))), Tensor(np.ones((2, 4))), axis=0)
    with pytest.raises(OpError, match=r"Reshape.*\(2, 3\)"):
        Tensor(np.ones((2, 3))).reshape(4, 2)


# ------------------------------------------------------------------------ matrix products
def _dims():
    return st.integers(1, 4)


@given(data=st.data())
def test_matmul_2d_and_batched_broadcast(data):
    n, k, m = (
        data.draw(_dims(), label="n"),
        data.draw(_dims(), label="k"),
        data.draw(_dims(), label="m"),
    )
    ba, bb = data.draw(S.broadcastable_shapes(max_dims=2, max_side=3), label="batches")
    x = data.draw(S.float_arrays(ba + (n, k)), label="x")
    y = data.draw(S.float_arrays(bb + (k, m)), label="y")
    np.testing.assert_allclose((Tensor(x) @ Tensor(y)).data, x @ y, rtol=1e-12, atol=1e-12)
    check_grads(lambda a, b: a @ b, x, y, name="MatMul")


@given(data=st.data())
def test_matmul_with_1d_operands(data):
    k = data.draw(_dims(), label="k")
    batch = data.draw(S.shapes(max_dims=2, max_side=3), label="batch")
    m = data.draw(_dims(), label="m")
    v = data.draw(S.float_arrays((k,)), label="v")
    w = data.draw(S.float_arrays((k,)), label="w")
    M = data.draw(S.float_arrays(batch + (k, m)), label="M")
    N = data.draw(S.float_arrays(batch + (m, k)), label="N")
    for a, b in ((v, w), (v, M), (N, v)):
        np.testing.assert_allclose((Tensor(a) @ Tensor(b)).data, a @ b, rtol=1e-12, atol=1e-12)
        check_grads(lambda p, q: p @ q, a, b, name=f"MatMul {a.shape} @ {b.shape}")


@given(data=st.data(), bias=st.booleans())
def test_linear(data, bias):
    lead = data.draw(S.shapes(max_dims=2, max_side=3), label="lead")
    d_in, d_out = data.draw(_dims(), label="in"), data.draw(_dims(), label="out")
    x = data.draw(S.float_arrays(lead + (d_in,)), label="x")
    W = data.draw(S.float_arrays((d_out, d_in)), label="W")
    b = data.draw(S.float_arrays((d_out,)), label="b")
    ref = x @ W.T + (b if bias else 0.0)
    args = (x, W, b) if bias else (x, W)
    np.testing.assert_allclose(
        ops.Linear.apply(*map(Tensor, args)).data, ref, rtol=1e-12, atol=1e-12
    )
    check_grads(lambda *ts: ops.Linear.apply(*ts), *args, name="Linear")


def test_linear_matches_matmul_plus_bias_in_float32():
    rng = np.random.default_rng(0)
    x = rng.standard_normal((5, 3)).astype(np.float32)
    W = rng.standard_normal((2, 3)).astype(np.float32)
    b = rng.standard_normal(2).astype(np.float32)
    ts = [Tensor(a, requires_grad=True) for a in (x, W, b)]
    out = ops.Linear.apply(*ts)
    assert out.dtype == np.float32
    out.sum().backward()
    us = [Tensor(a, requires_grad=True) for a in (x, W, b)]
    (us[0] @ us[1].T + us[2]).sum().backward()
    for t, u in zip(ts, us):
        assert t.grad.dtype == np.float32
        np.testing.assert_allclose(t.grad, u.grad, rtol=1e-6)


def test_matmul_mismatch_names_op_and_shapes():
    with pytest.raises(OpError, match=r"Linear.*\(4, 3\).*\(2, 5\)"):
        ops.Linear.apply(Tensor(np.ones((4, 3))), Tensor(np.ones((2, 5))))
