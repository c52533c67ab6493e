"""The one sigmoid, softplus, log-sum-exp and log-softmax of tinygen (:mod:`tinygen.numerics`).

Each stable formula is checked against its textbook definition where that is safe to
evaluate (float64, moderate arguments), and for the property it exists for where it is
not: no overflow, no warning, the right limit.
"""

from __future__ import annotations

import warnings

import numpy as np
import pytest
import scipy.special as sp
from hypothesis import given
from hypothesis import strategies as st

from tests.strategies import arrays as S
from tinygen.numerics import log_softmax, logsumexp, sigmoid, softplus

#: over-, underflow aside: a floating-point overflow, 0 division or NaN raises
_RAISE = {"over": "raise", "divide": "raise", "invalid": "raise"}


# ------------------------------------------------------------------------ logsumexp
@given(data=st.data(), keepdims=st.booleans())
def test_logsumexp_equals_the_float64_brute_force_and_scipy(data, keepdims):
    shape, axis = data.draw(S.shape_and_axis(), label="shape, axis")
    x = data.draw(S.float_arrays(shape, min_value=-20, max_value=20), label="x")
    got = logsumexp(x, axis=axis, keepdims=keepdims)
    brute = np.log(np.sum(np.exp(x), axis=axis, keepdims=keepdims))  # safe for |x| ≤ 20
    assert got.shape == brute.shape and got.dtype == np.float64
    np.testing.assert_allclose(got, brute, rtol=1e-12, atol=1e-12)
    np.testing.assert_allclose(
        got, sp.logsumexp(x, axis=axis, keepdims=keepdims), rtol=1e-12, atol=1e-12
    )


@given(S.float_arrays((4, 5), min_value=-3, max_value=3), st.floats(-1e4, 1e4))
def test_logsumexp_shifts_with_its_argument_and_never_overflows(x, shift):
    """log Σ e^{x + s} = s + log Σ eˣ, also where e^{x + s} itself over- or underflows."""
    with np.errstate(**_RAISE):
        got = logsumexp(x + shift, axis=1)
    np.testing.assert_allclose(got, shift + sp.logsumexp(x, axis=1), rtol=1e-12, atol=1e-9)


def test_logsumexp_of_minus_inf_rows_is_minus_inf_without_warnings():
    x = np.array([[-np.inf, -np.inf, -np.inf], [0.0, -np.inf, np.log(3.0)]])
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # log 0 is the answer here, not a RuntimeWarning
        out = logsumexp(x, axis=1)
        total = logsumexp(np.full(4, -np.inf))
    assert out[0] == -np.inf and out[1] == pytest.approx(np.log(4.0), rel=1e-15)
    assert total == -np.inf
    assert float(logsumexp(np.array([1000.0, 1000.0]))) == pytest.approx(1000 + np.log(2))


def test_logsumexp_keeps_float32_and_is_accurate_there():
    rng = np.random.default_rng(0)
    x = (rng.standard_normal((8, 100)) * 30).astype(np.float32)
    out = logsumexp(x, axis=1)
    assert out.dtype == np.float32
    np.testing.assert_allclose(out, sp.logsumexp(x.astype(np.float64), axis=1), rtol=1e-6)


# ------------------------------------------------------------------------ sigmoid, softplus
@given(S.float_arrays(min_value=-30, max_value=30))
def test_sigmoid_and_softplus_equal_their_definitions(x):
    np.testing.assert_allclose(sigmoid(x), 1.0 / (1.0 + np.exp(-x)), rtol=1e-12, atol=2e-16)
    np.testing.assert_allclose(softplus(x), np.log1p(np.exp(x)), rtol=1e-12, atol=1e-300)
    np.testing.assert_allclose(softplus(x) - softplus(-x), x, atol=1e-12)  # log(eˣ) = x
    np.testing.assert_allclose(sigmoid(x) + sigmoid(-x), 1.0, atol=1e-15)


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_sigmoid_and_softplus_at_plus_minus_100_without_overflow(dtype):
    x = np.array([-1000.0, -100.0, -88.8, 0.0, 88.8, 100.0, 1000.0], dtype=dtype)
    with warnings.catch_warnings(), np.errstate(**_RAISE):
        warnings.simplefilter("error")
        s, sp_ = sigmoid(x), softplus(x)
    assert s.dtype == dtype and sp_.dtype == dtype
    assert np.all(np.isfinite(s)) and np.all(np.isfinite(sp_))
    np.testing.assert_array_equal(s[[0, -1]], [0.0, 1.0])
    assert s[3] == 0.5 and sp_[3] == pytest.approx(np.log(2.0), rel=2e-7)
    np.testing.assert_allclose(sp_[-3:], x[-3:], rtol=1e-7)  # softplus(x) → x
    # softplus(x) → eˣ as x → −∞ (float32 holds e⁻¹⁰⁰ ≈ 3.7e-44 only as a subnormal)
    np.testing.assert_allclose(sp_[:3], np.exp(x[:3].astype(np.float64)), rtol=1e-5, atol=1e-44)


@given(S.float_arrays((16,), min_value=-15, max_value=15))
def test_softplus_derivative_is_sigmoid(x):
    """d softplus(x)/dx = eˣ/(1 + eˣ) = σ(x), by central differences in float64."""
    eps = 1e-5
    fd = (softplus(x + eps) - softplus(x - eps)) / (2 * eps)
    np.testing.assert_allclose(fd, sigmoid(x), rtol=1e-7, atol=1e-10)


# ------------------------------------------------------------------------ log_softmax
@given(data=st.data())
def test_log_softmax_rows_exponentiate_to_one(data):
    shape, axis = data.draw(S.shape_and_axis(allow_none=False, allow_tuple=False), label="s")
    x = data.draw(S.float_arrays(shape, min_value=-50, max_value=50), label="x")
    out = log_softmax(x, axis=axis)
    np.testing.assert_allclose(np.exp(out).sum(axis=axis), 1.0, rtol=1e-12)
    np.testing.assert_allclose(out, x - logsumexp(x, axis=axis, keepdims=True), atol=1e-12)
    np.testing.assert_allclose(out, sp.log_softmax(x, axis=axis), atol=1e-12)
    assert np.all(out <= 0)


def test_log_softmax_of_huge_logits_is_finite():
    x = np.array([[1e4, 1e4 + 1.0, -1e4]], dtype=np.float32)
    with np.errstate(**_RAISE):
        out = log_softmax(x, axis=1)
    assert out.dtype == np.float32
    np.testing.assert_allclose(out[0, :2], [-np.log1p(np.e), 1.0 - np.log1p(np.e)], rtol=1e-6)


@pytest.mark.parametrize("axis", [None, 0, -1, (0, 2), (1,)])
@pytest.mark.parametrize("keepdims", [False, True])
def test_reduced_shape_is_numpys(axis, keepdims):
    from tinygen.numerics import reduced_shape

    a = np.zeros((2, 3, 4))
    assert reduced_shape(a.shape, axis, keepdims) == a.sum(axis=axis, keepdims=keepdims).shape
