"""The Gaussian pieces of tinygen.functional (reparameterize, kl_normal): values against
the formulas, gradients against finite differences and the closed forms, shapes."""

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


# ------------------------------------------------------------------------ kl_normal
def kl_reference(mu_q, lv_q, mu_p, lv_p):
    """The textbook form ½ [lv_p − lv_q + (e^{lv_q} + (μ_q − μ_p)²) / e^{lv_p} − 1], float64."""
    return 0.5 * (lv_p - lv_q + (np.exp(lv_q) + (mu_q - mu_p) ** 2) / np.exp(lv_p) - 1.0)


@given(data=st.data())
def test_kl_normal_is_the_closed_form_with_its_gradients(data):
    shape = data.draw(S.shapes(min_dims=1), label="shape")
    mu_q, mu_p = (data.draw(S.float_arrays(shape), label=n) for n in ("mu_q", "mu_p"))
    lv_q, lv_p = (data.draw(S.float_arrays(shape, -4.0, 3.0), label=n) for n in ("lv_q", "lv_p"))
    kl = F.kl_normal(Tensor(mu_q), Tensor(lv_q), Tensor(mu_p), Tensor(lv_p), reduction="none")
    assert kl.shape == shape
    np.testing.assert_allclose(kl.data, kl_reference(mu_q, lv_q, mu_p, lv_p), rtol=1e-9,
                               atol=1e-12)
    assert np.all(kl.data >= 0.0)  # KL ≥ 0 for any q and p
    check_grads(lambda *t: F.kl_normal(*t, reduction="none"), mu_q, lv_q, mu_p, lv_p,
                name="kl_normal")


def test_kl_normal_gradients_against_the_standard_normal_are_the_closed_forms():
    # KL(q ‖ N(0, 1)) = ½(μ² + e^{lv} − 1 − lv):  ∂/∂μ = μ, ∂/∂lv = ½ (e^{lv} − 1)
    rng = np.random.default_rng(1)
    mu, logvar = rng.standard_normal((2, 6, 4))
    tm, tl = Tensor(mu, requires_grad=True), Tensor(logvar, requires_grad=True)
    F.kl_normal(tm, tl, reduction="sum").backward()
    np.testing.assert_allclose(tm.grad, mu, rtol=1e-12)
    np.testing.assert_allclose(tl.grad, 0.5 * np.expm1(logvar), rtol=1e-12)


def test_kl_normal_is_zero_only_at_p_and_exact_near_it():
    zero = F.kl_normal(np.zeros((1, 50), np.float32), np.zeros((1, 50), np.float32),
                       reduction="sum")
    assert zero.dtype == np.float32 and zero.item() == 0.0
    same = F.kl_normal(np.ones(3), np.full(3, 0.7), np.ones(3), np.full(3, 0.7), reduction="sum")
    assert same.item() == 0.0
    # q close to p: the variance part ½(e^Δ − 1 − Δ) ≈ Δ²/4 keeps its digits (expm1), where
    # the textbook form in float32 loses them all to cancellation
    lv = np.full((1, 50), 1e-3, np.float32)
    kl = F.kl_normal(np.zeros_like(lv), lv, reduction="sum").item()
    exact = kl_reference(0.0, lv.astype(np.float64), 0.0, 0.0).sum()
    assert kl > 0.0
    np.testing.assert_allclose(kl, exact, rtol=1e-3)


def test_kl_normal_names_shapes_that_do_not_broadcast():
    with pytest.raises(OpError, match=r"kl_normal.*\(2, 3\).*\(2, 4\)"):
        F.kl_normal(np.zeros((2, 3)), np.zeros((2, 3)), np.zeros((2, 4)))
