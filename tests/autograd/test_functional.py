"""tinygen.functional: gradients, values against NumPy/SciPy, stability, dtypes, errors."""

from __future__ import annotations

import numpy as np
import pytest
import scipy.special as sp
from hypothesis import given
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

import tinygen.functional as F
from tests.strategies import arrays as S
from tinygen import Tensor
from tinygen.autograd import OpError
from tinygen.functional.activations import _softplus_composite
from tinygen.functional.reductions import _log_softmax_composite
from tinygen.testing import check_grads

AWAY_FROM_0 = dict(avoid=(0.0,), margin=0.05)

# (name, function, reference on float64 arrays, strategy keywords)
ACTIVATIONS = [
    ("exp", F.exp, np.exp, {}),
    ("log", F.log, np.log, dict(min_value=0.1, max_value=5.0)),
    ("log1p", F.log1p, np.log1p, dict(min_value=-0.8, max_value=5.0)),
    ("sqrt", F.sqrt, np.sqrt, dict(min_value=0.1, max_value=5.0)),
    ("tanh", F.tanh, np.tanh, {}),
    ("sigmoid", F.sigmoid, sp.expit, {}),
    ("relu", F.relu, lambda a: np.maximum(a, 0.0), AWAY_FROM_0),
    ("leaky_relu", F.leaky_relu, lambda a: np.where(a > 0, a, 0.01 * a), AWAY_FROM_0),
    (
        "leaky_relu_0.3",
        lambda x: F.leaky_relu(x, negative_slope=0.3),
        lambda a: np.where(a > 0, a, 0.3 * a),
        AWAY_FROM_0,
    ),
    ("elu", F.elu, lambda a: np.where(a > 0, a, np.expm1(np.minimum(a, 0))), AWAY_FROM_0),
    (
        "elu_2",
        lambda x: F.elu(x, alpha=2.0),
        lambda a: np.where(a > 0, a, 2.0 * np.expm1(np.minimum(a, 0))),
        AWAY_FROM_0,
    ),
    ("softplus", F.softplus, lambda a: np.logaddexp(0.0, a), dict(min_value=-30, max_value=30)),
    (
        "softplus_composite",
        _softplus_composite,
        lambda a: np.logaddexp(0.0, a),
        dict(min_value=-30, max_value=30, **AWAY_FROM_0),
    ),
    ("logsigmoid", F.logsigmoid, sp.log_expit, dict(min_value=-30, max_value=30)),
]
IDS = [a[0] for a in ACTIVATIONS]


@pytest.mark.parametrize("name, fn, ref, kw", ACTIVATIONS, ids=IDS)
@given(data=st.data())
def test_activation_values_and_gradients(name, fn, ref, kw, data):
    x = data.draw(S.float_arrays(**kw), label="x")
    out = fn(Tensor(x))
    assert out.shape == x.shape and out.dtype == np.float64
    np.testing.assert_allclose(out.data, ref(x), rtol=1e-10, atol=1e-12)
    check_grads(fn, x, name=name)


@pytest.mark.parametrize("name, fn, ref, kw", ACTIVATIONS, ids=IDS)
def test_activations_keep_float32_and_accept_arrays(name, fn, ref, kw):
    a = np.array([0.25, 0.5, 2.0], dtype=np.float32)
    x = Tensor(a, requires_grad=True)
    y = fn(x)
    assert y.dtype == np.float32
    y.sum().backward()
    assert x.grad.dtype == np.float32
    np.testing.assert_allclose(fn(a).data, y.data)  # a plain array works too


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_softplus_family_stable_at_extremes(dtype):
    a = np.array([-1e4, -100.0, -20.0, 0.0, 20.0, 100.0, 1e4], dtype=dtype)
    for fn, ref in (
        (F.softplus, np.logaddexp(0.0, a.astype(np.float64))),
        (_softplus_composite, np.logaddexp(0.0, a.astype(np.float64))),
        (F.logsigmoid, sp.log_expit(a.astype(np.float64))),
    ):
        x = Tensor(a, requires_grad=True)
        y = fn(x)
        assert y.dtype == dtype and np.all(np.isfinite(y.data))
        np.testing.assert_allclose(y.data, ref, rtol=1e-6, atol=1e-30)
        y.sum().backward()
        assert np.all(np.isfinite(x.grad))


@given(S.float_arrays(min_value=-50, max_value=50))
def test_softplus_fused_equals_composite(a):
    x1, x2 = Tensor(a, requires_grad=True), Tensor(a, requires_grad=True)
    y1, y2 = F.softplus(x1), _softplus_composite(x2)
    np.testing.assert_allclose(y1.data, y2.data, rtol=1e-14, atol=1e-300)
    y1.sum().backward()
    y2.sum().backward()
    # σ(x) = ½(1 + tanh(x/2)) is accurate to ~1e-16 absolutely (not relatively in the tail)
    np.testing.assert_allclose(x1.grad, np.where(a == 0, 0.5, x2.grad), rtol=1e-10, atol=1e-15)
    np.testing.assert_allclose(x1.grad, sp.expit(a), rtol=1e-10, atol=1e-15)


# ------------------------------------------------------------------------ softmax family
@given(data=st.data(), keepdims=st.booleans())
def test_logsumexp_matches_scipy(data, keepdims):
    shape, axis = data.draw(S.shape_and_axis(), label="shape, axis")
    x = data.draw(S.float_arrays(shape, min_value=-20, max_value=20), label="x")
    fn = lambda t: F.logsumexp(t, axis=axis, keepdims=keepdims)
    np.testing.assert_allclose(
        fn(Tensor(x)).data, sp.logsumexp(x, axis=axis, keepdims=keepdims), rtol=1e-12
    )
    check_grads(fn, x, name="logsumexp")


@pytest.mark.parametrize(
    "fn, ref",
    [
        (F.log_softmax, sp.log_softmax),
        (_log_softmax_composite, sp.log_softmax),
        (F.softmax, sp.softmax),
    ],
    ids=["log_softmax", "log_softmax_composite", "softmax"],
)
@given(data=st.data())
def test_softmax_family_matches_scipy(fn, ref, data):
    shape, axis = data.draw(S.shape_and_axis(allow_none=False, allow_tuple=False), label="s")
    x = data.draw(S.float_arrays(shape, min_value=-20, max_value=20), label="x")
    f = lambda t: fn(t, axis=axis)
    np.testing.assert_allclose(f(Tensor(x)).data, ref(x, axis=axis), rtol=1e-10, atol=1e-15)
    check_grads(f, x, name=getattr(fn, "__name__", "softmax"))


@given(data=st.data())
def test_log_softmax_fused_equals_composite(data):
    shape, axis = data.draw(S.shape_and_axis(allow_none=False, allow_tuple=False), label="s")
    x = data.draw(S.float_arrays(shape, min_value=-50, max_value=50), label="x")
    w = np.cos(np.arange(x.size)).reshape(shape)
    t1, t2 = Tensor(x, requires_grad=True), Tensor(x, requires_grad=True)
    y1, y2 = F.log_softmax(t1, axis=axis), _log_softmax_composite(t2, axis=axis)
    np.testing.assert_allclose(y1.data, y2.data, rtol=1e-12, atol=1e-12)
    (y1 * w).sum().backward()
    (y2 * w).sum().backward()
    np.testing.assert_allclose(t1.grad, t2.grad, rtol=1e-10, atol=1e-12)


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_softmax_family_stable_at_extremes(dtype):
    a = np.array([[-1e4, 0.0, 1e4], [1e4, 1e4, -1e4], [-1e4, -1e4, -1e4]], dtype=dtype)
    ref = a.astype(np.float64)
    for fn, r in (
        (lambda t: F.logsumexp(t, axis=1), sp.logsumexp(ref, axis=1)),
        (lambda t: F.log_softmax(t, axis=1), sp.log_softmax(ref, axis=1)),
        (lambda t: _log_softmax_composite(t, axis=1), sp.log_softmax(ref, axis=1)),
        (lambda t: F.softmax(t, axis=1), sp.softmax(ref, axis=1)),
    ):
        x = Tensor(a, requires_grad=True)
        y = fn(x)
        assert y.dtype == dtype and np.all(np.isfinite(y.data))
        np.testing.assert_allclose(y.data, r, rtol=1e-6, atol=1e-6)
        y.sum().backward()
        assert np.all(np.isfinite(x.grad))


def test_softmax_rows_sum_to_one_in_float32():
    x = Tensor(np.random.default_rng(0).standard_normal((4, 7)).astype(np.float32))
    p = F.softmax(x, axis=1)
    assert p.dtype == np.float32
    np.testing.assert_allclose(p.data.sum(axis=1), 1.0, rtol=1e-6)
    assert F.logsumexp(x, axis=(0, 1)).dtype == np.float32


# ------------------------------------------------------------------------ array ops
@given(data=st.data())
def test_where_with_tensor_scalar_and_array_branches(data):
    sa, sb = data.draw(S.broadcastable_shapes(), label="shapes")
    x = data.draw(S.float_arrays(sa), label="x")
    y = data.draw(S.float_arrays(sb), label="y")
    cond = data.draw(hnp.arrays(bool, np.broadcast_shapes(sa, sb)), label="cond")
    np.testing.assert_array_equal(F.where(cond, Tensor(x), Tensor(y)).data, np.where(cond, x, y))
    check_grads(lambda a, b: F.where(Tensor(cond), a, b), x, y, name="where")
    check_grads(lambda a: F.where(cond, a, 0.5), x, name="where scalar")
    check_grads(lambda b: F.where(cond.astype(np.int64), x, b), y, name="where int cond")


def test_where_scalar_branch_keeps_float32():
    x = Tensor(np.array([1.0, -1.0], dtype=np.float32), requires_grad=True)
    y = F.where(x > 0, x, 0.0)
    assert y.dtype == np.float32
    np.testing.assert_array_equal(y.data, [1.0, 0.0])


@given(data=st.data())
def test_clip(data):
    lo, hi = -0.5, 1.0
    x = data.draw(S.float_arrays(avoid=(lo, hi)), label="x")
    np.testing.assert_array_equal(F.clip(Tensor(x), lo, hi).data, np.clip(x, lo, hi))
    check_grads(lambda t: F.clip(t, lo, hi), x, name="clip")
    check_grads(lambda t: F.clip(t, hi=hi), x, name="clip upper")


def test_clip_errors_and_dtype():
    x = Tensor(np.array([0.0, 2.0], dtype=np.float32))
    assert F.clip(x, np.float64(0.5), 1.0).dtype == np.float32
    with pytest.raises(ValueError, match="lower bound"):
        F.clip(x, 1.0, 0.0)


@given(data=st.data())
def test_concatenate_and_stack(data):
    shape = data.draw(S.shapes(min_dims=1), label="shape")
    n = data.draw(st.integers(1, 3), label="n")
    xs = [data.draw(S.float_arrays(shape), label="x") for _ in range(n)]
    for axis in (0, -1):
        fc = lambda *ts, axis=axis: F.concatenate(ts, axis=axis)
        fs = lambda *ts, axis=axis: F.stack(list(ts), axis=axis)
        np.testing.assert_array_equal(fc(*map(Tensor, xs)).data, np.concatenate(xs, axis=axis))
        np.testing.assert_array_equal(fs(*map(Tensor, xs)).data, np.stack(xs, axis=axis))
        check_grads(fc, *xs, name="concatenate")
        check_grads(fs, *xs, name="stack")


def test_concatenate_stack_errors_and_dtypes():
    a = Tensor(np.ones((2, 3), dtype=np.float32), requires_grad=True)
    out = F.concatenate([a, np.zeros((1, 3))])  # a float64 array joins as float32
    assert out.dtype == np.float32 and out.shape == (3, 3)
    with pytest.raises(ValueError, match="empty"):
        F.stack([])
    with pytest.raises(OpError, match=r"Stack.*\(2, 3\).*\(3, 2\)"):
        F.stack([a, Tensor(np.ones((3, 2), dtype=np.float32))])
    with pytest.raises(OpError, match=r"Concatenate.*\(2, 3\).*\(2, 2\)"):
        F.concatenate([a, Tensor(np.ones((2, 2), dtype=np.float32))], axis=0)


@given(data=st.data())
def test_pad_conventions(data):
    shape = data.draw(S.shapes(min_dims=1), label="shape")
    x = data.draw(S.float_arrays(shape), label="x")
    width = data.draw(
        st.one_of(
            st.integers(0, 2),
            st.tuples(st.integers(0, 2), st.integers(0, 2)),
            st.tuples(*[st.tuples(st.integers(0, 2), st.integers(0, 2)) for _ in shape]),
        ),
        label="pad_width",
    )
    out = F.pad(Tensor(x), width, value=-1.5)
    np.testing.assert_array_equal(out.data, np.pad(x, width, constant_values=-1.5))
    check_grads(lambda t: F.pad(t, width), x, name="pad")


def test_pad_errors():
    x = Tensor(np.ones((2, 3)))
    with pytest.raises(ValueError, match="does not fit"):
        F.pad(x, ((1, 1), (1, 1), (1, 1)))
    with pytest.raises(ValueError, match="non-negative"):
        F.pad(x, -1)


@given(data=st.data(), bias=st.booleans())
def test_linear(data, bias):
    lead = data.draw(S.shapes(max_dims=2, max_side=3), label="lead")
    n_in, n_out = (
        data.draw(st.integers(1, 4), label="in"),
        data.draw(st.integers(1, 4), label="out"),
    )
    x = data.draw(S.float_arrays(lead + (n_in,)), label="x")
    W = data.draw(S.float_arrays((n_out, n_in)), label="W")
    b = data.draw(S.float_arrays((n_out,)), label="b")
    args = (x, W, b) if bias else (x, W)
    ref = x @ W.T + (b if bias else 0.0)
    np.testing.assert_allclose(F.linear(*map(Tensor, args)).data, ref, rtol=1e-12, atol=1e-12)
    check_grads(F.linear, *args, name="linear")


def test_linear_errors_name_op_and_shapes():
    x, W = Tensor(np.ones((5, 3))), Tensor(np.ones((2, 4)))
    with pytest.raises(OpError, match=r"linear.*\(5, 3\).*\(2, 4\)"):
        F.linear(x, W)
    with pytest.raises(OpError, match=r"linear.*\(2, 3\).*\(5, 2\).*\(2,\)"):
        F.linear(x, Tensor(np.ones((2, 3))), Tensor(np.ones((5, 2))))


# ------------------------------------------------------------------------ dropout
def test_dropout_scales_kept_units_and_is_reproducible():
    x = Tensor(np.ones((200, 50), dtype=np.float32), requires_grad=True)
    y = F.dropout(x, p=0.25, training=True, random_state=0)
    assert y.dtype == np.float32
    kept = y.data != 0
    np.testing.assert_allclose(y.data[kept], 1.0 / 0.75, rtol=1e-6)
    assert abs(kept.mean() - 0.75) < 0.02  # 10,000 draws: sd ≈ 0.004
    np.testing.assert_array_equal(F.dropout(x, 0.25, True, 0).data, y.data)
    y.sum().backward()
    np.testing.assert_allclose(x.grad, kept / 0.75, rtol=1e-6)


def test_dropout_identity_when_not_training_and_errors():
    x = Tensor(np.ones(4))
    assert F.dropout(x, 0.5, training=False) is x
    assert F.dropout(x, 0.0, training=True) is x
    np.testing.assert_array_equal(F.dropout(x, 1.0, training=True).data, 0.0)
    with pytest.raises(ValueError, match=r"\[0, 1\]"):
        F.dropout(x, 1.5)


def test_every_documented_name_is_exported():
    for name in (
        "exp expm1 log log1p sqrt tanh sigmoid relu leaky_relu elu softplus logsigmoid logsumexp "
        "log_softmax softmax where clip concatenate stack pad linear dropout "
        "binary_cross_entropy_with_logits bernoulli_log_likelihood binary_cross_entropy "
        "cross_entropy nll_loss "
        "mse_loss gaussian_nll_loss kl_normal reparameterize"
    ).split():
        assert callable(getattr(F, name)), name
        assert name in F.__all__
        assert getattr(F, name).__doc__, f"{name} has no docstring"


def test_logsumexp_gives_exact_zero_gradient_to_negligible_terms():
    # e^{-60} is below 10⁻¹⁹ of the largest term: no effect on the float32 sum, and its
    # gradient (which would turn subnormal further down a graph) is an exact zero
    x = Tensor(np.array([[0.0, -1.0, -60.0, -100.0]], dtype=np.float32), requires_grad=True)
    y = F.logsumexp(x, axis=1)
    ref = np.log(np.exp(np.array([0.0, -1.0, -60.0, -100.0])).sum())
    np.testing.assert_allclose(y.numpy(), [ref], rtol=3e-7)  # float32: a rounding or two
    (y * 0.01).sum().backward()
    g = x.grad[0]
    assert g[2] == 0.0 and g[3] == 0.0
    np.testing.assert_allclose(g[:2], 0.01 * np.exp([0.0, -1.0]) / np.exp(ref), rtol=1e-6)
    tiny = np.finfo(np.float32).tiny
    assert not np.any((g != 0) & (np.abs(g) < tiny))


@given(data=st.data())
def test_fused_logsumexp_equals_its_composite_in_value_and_gradient(data):
    """LogSumExp (the fused op) against the lesson's m + log Σ e^{x − m} from primitives."""
    from tinygen.functional.reductions import _logsumexp_composite

    shape = data.draw(S.shapes(min_dims=1, max_dims=3), label="shape")
    axis = data.draw(st.integers(-len(shape), len(shape) - 1), label="axis")
    x = data.draw(S.float_arrays(shape, -30.0, 30.0), label="x")
    t1, t2 = Tensor(x, requires_grad=True), Tensor(x, requires_grad=True)
    y1, y2 = F.logsumexp(t1, axis=axis), _logsumexp_composite(t2, axis=axis)
    np.testing.assert_allclose(y1.data, y2.data, rtol=1e-12, atol=1e-12)
    np.testing.assert_allclose(y1.data, sp.logsumexp(x, axis=axis), rtol=1e-12, atol=1e-12)
    w = np.random.default_rng(0).standard_normal(y1.shape)
    y1.backward(w)
    y2.backward(w)
    np.testing.assert_allclose(t1.grad, t2.grad, rtol=1e-9, atol=1e-12)
    check_grads(lambda t: F.logsumexp(t, axis=axis), x, name="logsumexp")


def test_expm1_is_exact_near_zero_with_its_gradient():
    x = np.array([1e-10, -1e-8, 0.5, -3.0])
    y = F.expm1(Tensor(x))
    np.testing.assert_allclose(y.data, np.expm1(x), rtol=1e-15)
    assert y.data[0] != 0.0  # e^x − 1 would round it to 0 in float32 and lose it
    check_grads(F.expm1, x, name="expm1")
