"""Losses of tinygen.functional: values against SciPy, gradients, stability, reductions."""

from __future__ import annotations

import math

import numpy as np
import pytest
import scipy.integrate
import scipy.special as sp
import scipy.stats
from hypothesis import given
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

import tinygen.functional as F
from tests.strategies import arrays as S
from tinygen import Tensor
from tinygen.autograd import OpError
from tinygen.functional.losses import _bce_with_logits_composite, _cross_entropy_composite
from tinygen.testing import check_grads


def probabilities(shape):
    return S.float_arrays(shape, min_value=0.0, max_value=1.0)


# ------------------------------------------------------------------------ reductions
LOSSES = {
    "binary_cross_entropy_with_logits": lambda r: F.binary_cross_entropy_with_logits(
        np.zeros((2, 3)), np.ones((2, 3)), reduction=r
    ),
    "binary_cross_entropy": lambda r: F.binary_cross_entropy(
        np.full((2, 3), 0.3), np.ones((2, 3)), reduction=r
    ),
    "cross_entropy": lambda r: F.cross_entropy(np.zeros((2, 3)), np.array([0, 2]), reduction=r),
    "nll_loss": lambda r: F.nll_loss(np.full((2, 3), -1.0), np.array([0, 2]), reduction=r),
    "mse_loss": lambda r: F.mse_loss(np.zeros((2, 3)), np.ones((2, 3)), reduction=r),
    "gaussian_nll_loss": lambda r: F.gaussian_nll_loss(
        np.zeros((2, 3)), np.ones((2, 3)), np.ones((2, 3)), reduction=r
    ),
    "kl_normal": lambda r: F.kl_normal(np.zeros((2, 3)), np.ones((2, 3)), reduction=r),
}


@pytest.mark.parametrize("name", list(LOSSES))
def test_reductions_are_mean_sum_none(name):
    loss = LOSSES[name]
    none = loss("none").data
    assert none.ndim >= 1
    np.testing.assert_allclose(loss("sum").data, none.sum(), rtol=1e-12)
    np.testing.assert_allclose(loss("mean").data, none.mean(), rtol=1e-12)
    assert loss("mean").shape == () and loss("sum").shape == ()
    with pytest.raises(ValueError, match=rf"{name}: reduction must be one of .*'mean'.*'avg'"):
        loss("avg")


# ------------------------------------------------------------------------ Bernoulli
def bce_reference(x, y):
    return -(y * sp.log_expit(x) + (1 - y) * sp.log_expit(-x))


@given(data=st.data())
def test_bce_with_logits_values_and_gradients(data):
    shape = data.draw(S.shapes(), label="shape")
    x = data.draw(S.float_arrays(shape, min_value=-30, max_value=30), label="logits")
    y = data.draw(probabilities(shape), label="target")
    fn = lambda a, b: F.binary_cross_entropy_with_logits(a, b, reduction="none")
    np.testing.assert_allclose(fn(Tensor(x), y).data, bce_reference(x, y), rtol=1e-10, atol=1e-12)
    check_grads(fn, x, y, name="bce_with_logits")  # the target gets a gradient too
    check_grads(lambda a: F.binary_cross_entropy_with_logits(a, y), x, name="bce mean")


@given(data=st.data())
def test_bce_with_logits_fused_equals_composite(data):
    shape = data.draw(S.shapes(), label="shape")
    x = data.draw(S.float_arrays(shape, min_value=-50, max_value=50, avoid=(0.0,)), label="x")
    y = data.draw(probabilities(shape), label="y")
    t1, t2 = Tensor(x, requires_grad=True), Tensor(x, requires_grad=True)
    l1 = F.binary_cross_entropy_with_logits(t1, y, reduction="none")
    l2 = _bce_with_logits_composite(t2, Tensor(y))
    np.testing.assert_allclose(l1.data, l2.data, rtol=1e-12, atol=1e-12)
    l1.sum().backward()
    l2.sum().backward()
    np.testing.assert_allclose(t1.grad, t2.grad, rtol=1e-10, atol=1e-15)
    check_grads(lambda a: _bce_with_logits_composite(a, Tensor(y)), x, name="bce composite")


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_bce_with_logits_stable_at_extremes(dtype):
    x = np.array([-1e4, -1e4, -50.0, 0.0, 50.0, 1e4, 1e4], dtype=dtype)
    y = np.array([0.0, 1.0, 1.0, 0.5, 0.0, 1.0, 0.0])
    ref = bce_reference(x.astype(np.float64), y)
    for fn in (F.binary_cross_entropy_with_logits, _bce_with_logits_composite):
        t = Tensor(x, requires_grad=True)
        loss = (
            fn(t, Tensor(y.astype(dtype)))
            if fn is _bce_with_logits_composite
            else fn(t, y, reduction="none")
        )
        assert loss.dtype == dtype and np.all(np.isfinite(loss.data))
        np.testing.assert_allclose(loss.data, ref, rtol=1e-6)
        loss.sum().backward()
        np.testing.assert_allclose(t.grad, sp.expit(x.astype(np.float64)) - y, atol=1e-6)


def test_bce_with_logits_binary_uint8_targets_stay_float32():
    x = Tensor(np.zeros((4, 784), dtype=np.float32), requires_grad=True)
    target = (np.arange(4 * 784).reshape(4, 784) % 2).astype(np.uint8)  # binarized MNIST
    loss = F.binary_cross_entropy_with_logits(x, target, reduction="sum")
    assert loss.dtype == np.float32
    np.testing.assert_allclose(loss.item(), 4 * 784 * math.log(2), rtol=1e-5)
    loss.backward()
    assert x.grad.dtype == np.float32


def test_bce_shape_mismatch_names_both_shapes():
    with pytest.raises(OpError, match=r"binary_cross_entropy_with_logits.*\(2, 3\).*\(3, 2\)"):
        F.binary_cross_entropy_with_logits(np.zeros((2, 3)), np.zeros((3, 2)))


# ------------------------------------------------- Bernoulli log-likelihood (row sums)
@given(data=st.data())
def test_bernoulli_log_likelihood_is_minus_the_bce_row_sum(data):
    shape = data.draw(S.shapes(min_dims=1), label="shape")
    lead = data.draw(st.integers(0, len(shape) - 1), label="target axes dropped")
    x = data.draw(S.float_arrays(shape, min_value=-30, max_value=30), label="logits")
    y = data.draw(probabilities(shape[lead:]), label="target")  # broadcasts over lead axes
    ll = F.bernoulli_log_likelihood(Tensor(x), y)
    assert ll.shape == shape[:-1]
    ref = -bce_reference(x, np.broadcast_to(y, shape)).sum(axis=-1)
    np.testing.assert_allclose(ll.data, ref, rtol=1e-10, atol=1e-10)
    check_grads(F.bernoulli_log_likelihood, x, y, name="bernoulli_log_likelihood")


@pytest.mark.parametrize("shape", [(3, 5, 784), (2, 200, 784), (700, 100)])
def test_bernoulli_log_likelihood_equals_the_composite_in_float32(shape):
    # blocks of whole rows (several blocks, two threads for the second shape) give the row
    # sums of the elementwise BCE to float32 rounding, and the four-pass backward gives the
    # same gradient
    rng = np.random.default_rng(0)
    x = (rng.standard_normal(shape) * 4).astype(np.float32)
    y = (rng.random(shape[-2:]) < 0.3).astype(np.float32)
    t1, t2 = Tensor(x, requires_grad=True), Tensor(x, requires_grad=True)
    ll = F.bernoulli_log_likelihood(t1, y)
    bce = F.binary_cross_entropy_with_logits(t2, np.broadcast_to(y, shape), reduction="none")
    ref = -bce.sum(axis=-1)
    assert ll.dtype == np.float32
    np.testing.assert_allclose(ll.data, ref.data, rtol=2e-6)
    exact = -bce_reference(x.astype(np.float64), np.broadcast_to(y, shape)).sum(axis=-1)
    np.testing.assert_allclose(ll.data, exact, rtol=2e-6)
    w = rng.standard_normal(shape[:-1]).astype(np.float32)
    (ll * w).sum().backward()
    (ref * w).sum().backward()
    np.testing.assert_allclose(t1.grad, t2.grad, rtol=1e-5, atol=1e-6)


def test_bernoulli_log_likelihood_stable_at_extreme_logits():
    x = np.array([[-1e4, -1e4, -50.0, 0.0, 50.0, 1e4, 1e4]], dtype=np.float32)
    y = np.array([0.0, 1.0, 1.0, 0.5, 0.0, 1.0, 0.0], dtype=np.float32)
    t = Tensor(x, requires_grad=True)
    ll = F.bernoulli_log_likelihood(t, y)
    ref = -bce_reference(x.astype(np.float64), y).sum(axis=-1)
    assert np.all(np.isfinite(ll.data))
    np.testing.assert_allclose(ll.data, ref, rtol=1e-6)
    ll.sum().backward()
    np.testing.assert_allclose(t.grad, y - sp.expit(x.astype(np.float64)), atol=1e-6)


@pytest.mark.parametrize("dtype, big", [(np.float32, 89.0), (np.float64, 710.0)])
@given(data=st.data())
def test_bernoulli_log_likelihood_rows_past_exp_overflow(dtype, big, data):
    # the fast form log(1 + eˣ) − x·y overflows past x ≈ 88 (float32) or 709 (float64);
    # such blocks are computed again in the overflow-free form, silently, and every row,
    # the overflowing ones and their neighbours, is right
    n_rows = data.draw(st.integers(1, 40), label="rows")
    rows = data.draw(
        st.lists(st.integers(0, n_rows - 1), min_size=1, max_size=3), label="rows past it"
    )
    rng = np.random.default_rng(data.draw(st.integers(0, 2**32 - 1), label="seed"))
    x = (rng.standard_normal((n_rows, 784)) * 3).astype(dtype)
    y = (rng.random((n_rows, 784)) < 0.3).astype(dtype)
    for r in rows:
        x[r, rng.integers(784)] = big * data.draw(st.sampled_from([1.0, 2.0, 50.0]))
    ll = F.bernoulli_log_likelihood(Tensor(x), y)  # RuntimeWarnings are errors here
    ref = -bce_reference(x.astype(np.float64), y).sum(axis=-1)
    assert np.all(np.isfinite(ll.data))
    np.testing.assert_allclose(ll.data, ref, rtol=2e-6 if dtype == np.float32 else 1e-12)


def test_bernoulli_log_likelihood_keeps_nan_in_its_row():
    x = np.zeros((3, 5), dtype=np.float32)
    x[1, 2] = np.nan
    ll = F.bernoulli_log_likelihood(Tensor(x), np.ones_like(x)).data
    assert np.isnan(ll[1]) and np.allclose(ll[[0, 2]], -5 * math.log(2))


def test_bernoulli_log_likelihood_errors_name_the_shapes():
    with pytest.raises(OpError, match=r"bernoulli_log_likelihood.*\(3, 2\).*\(2, 3\)"):
        F.bernoulli_log_likelihood(np.zeros((2, 3)), np.zeros((3, 2)))
    with pytest.raises(OpError, match="at least one axis"):
        F.bernoulli_log_likelihood(np.float64(0.0), 1.0)


@given(data=st.data())
def test_bce_from_probabilities(data):
    shape = data.draw(S.shapes(), label="shape")
    p = data.draw(S.float_arrays(shape, min_value=0.05, max_value=0.95), label="p")
    y = data.draw(probabilities(shape), label="y")
    fn = lambda a: F.binary_cross_entropy(a, y, reduction="none")
    ref = -(y * np.log(p) + (1 - y) * np.log1p(-p))
    np.testing.assert_allclose(fn(Tensor(p)).data, ref, rtol=1e-10, atol=1e-12)
    check_grads(fn, p, name="binary_cross_entropy")


def test_bce_from_probabilities_finite_at_0_and_1():
    p = Tensor(np.array([0.0, 1.0, 0.0, 1.0], dtype=np.float32), requires_grad=True)
    loss = F.binary_cross_entropy(p, np.array([0.0, 1.0, 1.0, 0.0]), reduction="none")
    assert loss.dtype == np.float32 and np.all(np.isfinite(loss.data))
    assert loss.data[0] < 1e-6 and loss.data[1] < 1e-6 and loss.data[2] > 10
    loss.sum().backward()
    assert np.all(np.isfinite(p.grad))


# ------------------------------------------------------------------------ categorical
@st.composite
def logits_and_targets(draw, min_dims=1, max_dims=3):
    shape = draw(S.shapes(min_dims=min_dims, max_dims=max_dims, min_side=1))
    axis = draw(st.integers(-len(shape), len(shape) - 1))
    x = draw(S.float_arrays(shape, min_value=-10, max_value=10))
    tshape = shape[: axis % len(shape)] + shape[axis % len(shape) + 1 :]
    t = draw(hnp.arrays(np.int64, tshape, elements=st.integers(0, shape[axis] - 1)))
    return x, t, axis


def ce_reference(x, t, axis):
    logp = sp.log_softmax(x, axis=axis)
    return -np.squeeze(np.take_along_axis(logp, np.expand_dims(t, axis), axis=axis), axis=axis)


@given(logits_and_targets())
def test_cross_entropy_values_and_gradients(xta):
    x, t, axis = xta
    fn = lambda a: F.cross_entropy(a, t, axis=axis, reduction="none")
    out = fn(Tensor(x))
    assert out.shape == t.shape
    np.testing.assert_allclose(out.data, ce_reference(x, t, axis), rtol=1e-10, atol=1e-12)
    check_grads(fn, x, name="cross_entropy")
    check_grads(lambda a: F.cross_entropy(a, t, axis=axis), x, name="cross_entropy mean")


@given(logits_and_targets())
def test_cross_entropy_fused_equals_composite_and_nll(xta):
    x, t, axis = xta
    w = np.cos(np.arange(t.size)).reshape(t.shape)
    grads = []
    for fn in (
        lambda a: F.cross_entropy(a, t, axis=axis, reduction="none"),
        lambda a: _cross_entropy_composite(a, t, axis=axis),
        lambda a: F.nll_loss(F.log_softmax(a, axis=axis), t, axis=axis, reduction="none"),
    ):
        a = Tensor(x, requires_grad=True)
        loss = fn(a)
        np.testing.assert_allclose(loss.data, ce_reference(x, t, axis), rtol=1e-10, atol=1e-12)
        (loss * w).sum().backward()
        grads.append(a.grad)
    np.testing.assert_allclose(grads[0], grads[1], rtol=1e-10, atol=1e-12)
    np.testing.assert_allclose(grads[0], grads[2], rtol=1e-10, atol=1e-12)
    check_grads(lambda a: _cross_entropy_composite(a, t, axis=axis), x, name="ce composite")


def test_cross_entropy_pixelcnn_layout_float32_and_extremes():
    rng = np.random.default_rng(0)
    x = rng.standard_normal((2, 256, 3, 3)).astype(np.float32) * 1e4  # logits up to ±4e4
    t = rng.integers(0, 256, size=(2, 3, 3))
    logits = Tensor(x, requires_grad=True)
    loss = F.cross_entropy(logits, t, axis=1)
    assert loss.dtype == np.float32 and np.isfinite(loss.item())
    np.testing.assert_allclose(
        loss.item(), ce_reference(x.astype(np.float64), t, 1).mean(), rtol=1e-5
    )
    loss.backward()
    assert logits.grad.dtype == np.float32 and np.all(np.isfinite(logits.grad))
    np.testing.assert_allclose(logits.grad.sum(axis=1), 0.0, atol=1e-6)  # softmax − onehot


def test_cross_entropy_target_errors():
    x = np.zeros((4, 3))
    with pytest.raises(ValueError, match=r"in \[0, 3\).*\[0, 3\]"):
        F.cross_entropy(x, np.array([0, 1, 2, 3]))
    with pytest.raises(ValueError, match=r"\[-1, 2\]"):
        F.cross_entropy(x, np.array([0, 1, 2, -1]))
    with pytest.raises(
        OpError, match=r"cross_entropy: logits of shape \(4, 3\).*\(4,\), got \(3,\)"
    ):
        F.cross_entropy(x, np.array([0, 1, 2]))
    with pytest.raises(TypeError, match="integer class indices"):
        F.cross_entropy(x, np.array([0.5, 1.0, 2.0, 0.0]))
    # whole-valued float labels are accepted
    np.testing.assert_allclose(
        F.cross_entropy(x, np.array([0.0, 1.0, 2.0, 0.0])).item(), math.log(3), rtol=1e-12
    )


# ------------------------------------------------------------------------ Gaussian
@given(data=st.data())
def test_mse_loss(data):
    sa = data.draw(S.shapes(), label="shape")
    x = data.draw(S.float_arrays(sa), label="x")
    y = data.draw(S.float_arrays(sa), label="y")
    fn = lambda a, b: F.mse_loss(a, b, reduction="none")
    np.testing.assert_allclose(fn(Tensor(x), Tensor(y)).data, (x - y) ** 2, rtol=1e-12)
    check_grads(fn, x, y, name="mse_loss")
    check_grads(lambda a, b: F.mse_loss(a, b), x, y, name="mse_loss mean")


def test_mse_loss_float32_with_float64_target_and_mismatch():
    x = Tensor(np.zeros(3, dtype=np.float32), requires_grad=True)
    assert F.mse_loss(x, np.ones(3)).dtype == np.float32
    with pytest.raises(OpError, match=r"mse_loss.*\(3,\).*\(4,\)"):
        F.mse_loss(x, np.ones(4))


@given(data=st.data(), full=st.booleans())
def test_gaussian_nll_matches_normal_logpdf(data, full):
    shape = data.draw(S.shapes(min_dims=1), label="shape")
    mu = data.draw(S.float_arrays(shape), label="input")
    y = data.draw(S.float_arrays(shape), label="target")
    var = data.draw(S.positive_arrays(shape, min_value=0.05, max_value=4.0), label="var")
    fn = lambda m, v: F.gaussian_nll_loss(m, y, v, full=full, reduction="none")
    out = fn(Tensor(mu), Tensor(var)).data
    ref = -scipy.stats.norm.logpdf(y, mu, np.sqrt(var))
    if not full:
        ref -= 0.5 * math.log(2 * math.pi)
    np.testing.assert_allclose(out, ref, rtol=1e-10, atol=1e-12)
    check_grads(fn, mu, var, name="gaussian_nll_loss")


def test_gaussian_nll_variance_shapes_and_clamp():
    rng = np.random.default_rng(1)
    mu, y = rng.standard_normal((5, 3)), rng.standard_normal((5, 3))
    v = rng.random(5) + 0.5
    full = F.gaussian_nll_loss(mu, y, np.repeat(v[:, None], 3, axis=1), reduction="none").data
    for var in (v, v[:, None]):  # one variance per sample: last axis missing or of size 1
        np.testing.assert_allclose(
            F.gaussian_nll_loss(mu, y, var, reduction="none").data, full, rtol=1e-12
        )
    # var = 0 is clamped to eps in the forward; the gradient passes to var unclamped
    var = Tensor(np.zeros((5, 3)), requires_grad=True)
    m = Tensor(mu)
    loss = F.gaussian_nll_loss(m, y, var, eps=1e-3, reduction="sum")
    ref = 0.5 * np.sum(np.log(1e-3) + (mu - y) ** 2 / 1e-3)
    np.testing.assert_allclose(loss.item(), ref, rtol=1e-12)
    loss.backward()
    np.testing.assert_allclose(var.grad, 0.5 * (1 / 1e-3 - (mu - y) ** 2 / 1e-6), rtol=1e-10)
    with pytest.raises(ValueError, match="negative"):
        F.gaussian_nll_loss(mu, y, -np.ones((5, 3)))
    with pytest.raises(OpError, match=r"var of shape \(2,\)"):
        F.gaussian_nll_loss(mu, y, np.ones(2))
    x32 = Tensor(mu.astype(np.float32), requires_grad=True)
    assert F.gaussian_nll_loss(x32, y, 1.0).dtype == np.float32


def kl_by_quadrature(mq, lq, mp, lp):
    q = scipy.stats.norm(mq, math.exp(0.5 * lq))
    p = scipy.stats.norm(mp, math.exp(0.5 * lp))
    f = lambda z: q.pdf(z) * (q.logpdf(z) - p.logpdf(z))
    return scipy.integrate.quad(f, mq - 12 * q.std(), mq + 12 * q.std(), limit=200)[0]


@pytest.mark.parametrize(
    "mq, lq, mp, lp", [(0.0, 0.0, 0.0, 0.0), (1.0, -1.0, 0.0, 0.0), (-0.5, 0.7, 0.3, -0.4)]
)
def test_kl_normal_equals_the_integral(mq, lq, mp, lp):
    kl = F.kl_normal(np.array([mq]), np.array([lq]), mp, lp, reduction="sum").item()
    np.testing.assert_allclose(kl, kl_by_quadrature(mq, lq, mp, lp), rtol=1e-7, atol=1e-10)


@given(data=st.data())
def test_kl_normal_gradients_nonnegative_and_zero_at_equality(data):
    sa, sb = data.draw(S.broadcastable_shapes(), label="shapes")
    mq, lq = (data.draw(S.float_arrays(sa, -2.0, 2.0), label=n) for n in ("mu_q", "logvar_q"))
    mp, lp = (data.draw(S.float_arrays(sb, -2.0, 2.0), label=n) for n in ("mu_p", "logvar_p"))
    fn = lambda a, b, c, d: F.kl_normal(a, b, c, d, reduction="none")
    kl = fn(*map(Tensor, (mq, lq, mp, lp))).data
    ref = 0.5 * (lp - lq + (np.exp(lq) + (mq - mp) ** 2) / np.exp(lp) - 1)
    np.testing.assert_allclose(kl, ref, rtol=1e-10, atol=1e-12)
    assert np.all(kl >= -1e-12)
    np.testing.assert_allclose(fn(*map(Tensor, (mq, lq, mq, lq))).data, 0.0, atol=1e-12)
    check_grads(fn, mq, lq, mp, lp, name="kl_normal")


def test_kl_normal_standard_prior_default_and_float32():
    mu = Tensor(np.array([[0.5, -1.0]], dtype=np.float32), requires_grad=True)
    lv = Tensor(np.array([[0.2, -0.3]], dtype=np.float32), requires_grad=True)
    kl = F.kl_normal(mu, lv, reduction="none")
    assert kl.dtype == np.float32
    ref = 0.5 * (np.exp(lv.data) + mu.data**2 - 1 - lv.data)
    np.testing.assert_allclose(kl.data, ref, rtol=1e-6)
    kl.sum().backward()
    assert mu.grad.dtype == lv.grad.dtype == np.float32
    with pytest.raises(OpError, match=r"kl_normal.*\(1, 2\).*\(3,\)"):
        F.kl_normal(mu, lv, np.zeros(3))


@pytest.mark.parametrize("reduction", ["sum", "mean"])
def test_bce_with_logits_reductions_are_those_of_the_elementwise_loss(reduction):
    # "sum"/"mean" of the elementwise loss: the same value and gradient as reducing it by hand
    rng = np.random.default_rng(3)
    x = (rng.standard_normal((64, 784)) * 4).astype(np.float32)
    y = (rng.random((64, 784)) < 0.3).astype(np.float32)
    t1, t2 = Tensor(x, requires_grad=True), Tensor(x, requires_grad=True)
    fused = F.binary_cross_entropy_with_logits(t1, y, reduction=reduction)
    none = F.binary_cross_entropy_with_logits(t2, y, reduction="none")
    ref = none.sum() if reduction == "sum" else none.mean()
    assert fused.dtype == np.float32 and fused.shape == ()
    assert fused._ctx is not None and ref._ctx is not None
    np.testing.assert_allclose(fused.item(), ref.item(), rtol=2e-6)
    np.testing.assert_allclose(fused.item(), bce_reference(x.astype(np.float64), y).sum()
                               / (1 if reduction == "sum" else x.size), rtol=2e-6)
    fused.backward()
    ref.backward()
    np.testing.assert_allclose(t1.grad, t2.grad, rtol=1e-5, atol=2e-7)  # float32 rounding


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_bce_with_logits_keeps_its_digits_for_confident_correct_logits(dtype):
    """softplus(x) − x·y cancels for x ≫ 0, y = 1 (9.000123 − 9); the fused form subtracts
    the large parts first, so the loss log1p(e^{−x}) keeps its relative precision."""
    x = np.array([9.0, 20.0, -15.0], dtype=dtype)
    y = np.array([1.0, 1.0, 0.0], dtype=dtype)
    loss = F.binary_cross_entropy_with_logits(Tensor(x), Tensor(y), reduction="none").numpy()
    exact = np.log1p(np.exp(-np.abs(x.astype(np.float64))))
    np.testing.assert_allclose(loss, exact, rtol=4 * np.finfo(dtype).eps)
