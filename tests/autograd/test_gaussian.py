"""The fused Gaussian ops of tinygen.functional (reparameterize, kl_standard_normal): values
against the formulas and the composites, gradients against finite differences, shapes."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

import tinygen.functional as F
from tests.strategies import arrays as S
from tinygen import Tensor
from tinygen.autograd import OpError
from tinygen.testing import check_grads


# ------------------------------------------------------------------ reparameterize
@given(data=st.data())
def test_reparameterize_is_mu_plus_sigma_eps_with_its_gradients(data):
    # ε may carry leading sample axes that μ and logvar broadcast over: z of ε's shape
    shape = data.draw(S.shapes(min_dims=1, max_dims=2), label="shape of mu")
    k = data.draw(st.sampled_from([(), (1,), (3,)]), label="sample axes")
    mu = data.draw(S.float_arrays(shape), label="mu")
    logvar = data.draw(S.float_arrays(shape, -4.0, 3.0), label="logvar")
    eps = data.draw(S.float_arrays(k + shape), label="eps")
    z = F.reparameterize(Tensor(mu), Tensor(logvar), eps)
    assert z.shape == k + shape
    np.testing.assert_allclose(z.data, mu + np.exp(0.5 * logvar) * eps, rtol=1e-12, atol=1e-12)
    check_grads(F.reparameterize, mu, logvar, eps, name="reparameterize")


def test_reparameterize_gradients_are_the_closed_forms():
    # ∂z/∂μ = 1, ∂z/∂logvar = ½ σ ε, ∂z/∂ε = σ, summed over the sample axis for μ and logvar
    rng = np.random.default_rng(0)
    mu, logvar = rng.standard_normal((2, 4, 3))
    eps = rng.standard_normal((5, 4, 3))
    tm, tl, te = (Tensor(a, requires_grad=True) for a in (mu, logvar, eps))
    F.reparameterize(tm, tl, te).sum().backward()
    sigma = np.exp(0.5 * logvar)
    np.testing.assert_allclose(tm.grad, np.full_like(mu, 5.0))
    np.testing.assert_allclose(tl.grad, (0.5 * sigma * eps).sum(axis=0), rtol=1e-12)
    np.testing.assert_allclose(te.grad, np.broadcast_to(sigma, eps.shape), rtol=1e-12)


def test_reparameterize_leaves_constant_noise_without_a_gradient():
    mu = Tensor(np.zeros((2, 3), np.float32), requires_grad=True)
    logvar = Tensor(np.zeros((2, 3), np.float32), requires_grad=True)
    eps = Tensor(np.ones((2, 3), np.float32))
    z = F.reparameterize(mu, logvar, eps)
    assert z.dtype == np.float32
    z.sum().backward()
    assert eps.grad is None and mu.grad is not None and logvar.grad is not None


def test_reparameterize_names_shapes_that_do_not_broadcast():
    with pytest.raises(OpError, match=r"reparameterize.*\(2, 3\).*\(2, 4\)"):
        F.reparameterize(np.zeros((2, 3)), np.zeros((2, 3)), np.zeros((2, 4)))


# -------------------------------------------------------------- kl_standard_normal
def kl_reference(mu, logvar):
    """½ Σ (μ² + e^{lv} − lv − 1) in float64, e^{lv} − 1 by expm1."""
    return 0.5 * (mu**2 + np.expm1(logvar) - logvar).sum(axis=-1)


@given(data=st.data())
def test_kl_standard_normal_is_the_closed_form_with_its_gradients(data):
    shape = data.draw(S.shapes(min_dims=1), label="shape")
    mu = data.draw(S.float_arrays(shape), label="mu")
    logvar = data.draw(S.float_arrays(shape, -4.0, 3.0), label="logvar")
    kl = F.kl_standard_normal(Tensor(mu), Tensor(logvar))
    assert kl.shape == shape[:-1]
    np.testing.assert_allclose(kl.data, kl_reference(mu, logvar), rtol=1e-12, atol=1e-15)
    assert np.all(kl.data >= 0.0)  # KL ≥ 0 for any q
    # and the elementwise KL of kl_normal (against N(0, I)), summed over the last axis
    composite = F.kl_normal(Tensor(mu), Tensor(logvar), reduction="none").sum(axis=-1)
    np.testing.assert_allclose(kl.data, composite.data, rtol=1e-9, atol=1e-9)
    check_grads(F.kl_standard_normal, mu, logvar, name="kl_standard_normal")


def test_kl_standard_normal_gradients_are_the_closed_forms():
    # ∂KL/∂μ = μ, ∂KL/∂logvar = ½ (e^{logvar} − 1)
    rng = np.random.default_rng(1)
    mu, logvar = rng.standard_normal((2, 6, 4))
    tm, tl = Tensor(mu, requires_grad=True), Tensor(logvar, requires_grad=True)
    F.kl_standard_normal(tm, tl).sum().backward()
    np.testing.assert_allclose(tm.grad, mu, rtol=1e-12)
    np.testing.assert_allclose(tl.grad, 0.5 * np.expm1(logvar), rtol=1e-12)


def test_kl_standard_normal_is_zero_only_at_the_prior_and_exact_near_it():
    zero = F.kl_standard_normal(np.zeros((1, 50), np.float32), np.zeros((1, 50), np.float32))
    assert zero.dtype == np.float32 and zero.item() == 0.0
    # q close to the prior: the variance part ½(e^{lv} − 1 − lv) ≈ lv²/4 keeps its digits
    lv = np.full((1, 50), 1e-3, np.float32)
    kl = F.kl_standard_normal(np.zeros_like(lv), lv).item()
    exact = kl_reference(np.zeros((1, 50)), lv.astype(np.float64)).item()
    assert kl > 0.0
    np.testing.assert_allclose(kl, exact, rtol=1e-3)


def test_kl_standard_normal_needs_equal_shapes_with_an_axis():
    with pytest.raises(OpError, match=r"kl_standard_normal.*\(2, 3\).*\(3,\)"):
        F.kl_standard_normal(np.zeros((2, 3)), np.zeros(3))
    with pytest.raises(OpError, match="at least one axis"):
        F.kl_standard_normal(np.float64(0.0), np.float64(0.0))
