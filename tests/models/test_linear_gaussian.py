"""Property tests of the ELBO machinery on the linear-Gaussian model, where log p(x) and
p(z|x) are exact: the three-term identity, the bound, the closed-form KL, the IWAE bound's
monotonicity, and the reparameterization gradient. All in float64."""

import numpy as np
import pytest
from hypothesis import assume, given, settings
from hypothesis import strategies as st
from scipy import stats
from scipy.special import logsumexp as sp_logsumexp

import tinygen.functional as F
from tests.strategies.gaussian import diag_gaussians, linear_gaussian_models, observations
from tinygen import Tensor
from tinygen.functional import logsumexp
from tinygen.models._gaussian import log_normal_diag, log_standard_normal
from tinygen.models.linear_gaussian import LinearGaussian
from tinygen.testing import check_grads


def kl_diag_normal(mu_q, logvar_q, mu_p=0.0, logvar_p=0.0):
    """KL(N(μ_q, σ_q²) ‖ N(μ_p, σ_p²)) of the joint: tinygen's elementwise KL, summed."""
    return F.kl_normal(mu_q, logvar_q, mu_p, logvar_p, reduction="sum")


@st.composite
def model_x_q(draw, orthogonal=False):
    model = draw(linear_gaussian_models(orthogonal=orthogonal))
    x = draw(observations(model.n_visible))
    q_mu, q_logvar = draw(diag_gaussians(model.n_latent))
    return model, x, q_mu, q_logvar


def _scale(*vals):
    return 1.0 + max(abs(float(v)) for v in vals)


# ------------------------------------------------------------------ exact model
def test_log_prob_matches_scipy_and_sampling_moments():
    model = LinearGaussian.random(4, 2, sigma=0.7, random_state=0)
    x = model.sample(5, random_state=1)
    ref = stats.multivariate_normal(model.mu, model.marginal_cov()).logpdf(x)
    np.testing.assert_allclose(model.log_prob(x), ref, rtol=1e-10)
    big = model.sample(200_000, random_state=2)
    np.testing.assert_allclose(big.mean(0), model.mu, atol=0.02)
    np.testing.assert_allclose(np.cov(big.T), model.marginal_cov(), atol=0.05)


def test_bad_parameters_raise():
    with pytest.raises(ValueError, match="sigma"):
        LinearGaussian(np.ones((3, 2)), sigma=0.0)
    with pytest.raises(ValueError, match="n_visible"):
        LinearGaussian(np.ones((3, 2))).log_prob(np.zeros(4))


@given(model_x_q())
def test_posterior_is_bayes_rule(args):
    """log p(z|x) = log p(x, z) − log p(x) at any z."""
    model, x, _, _ = args
    mean, cov = model.posterior(x)
    z = mean + 0.5  # any point
    lhs = stats.multivariate_normal(mean, cov).logpdf(z)
    rhs = model.log_joint(x, z) - model.log_prob(x)
    assert abs(lhs - rhs) <= 1e-8 * _scale(lhs, rhs)


# ----------------------------------------------------------- the ELBO identity
@given(model_x_q())
def test_three_term_identity(args):
    """log p(x) = ELBO(q) + KL(q ‖ p(z|x)) for any diagonal Gaussian q."""
    model, x, q_mu, q_logvar = args
    log_px = model.log_prob(x)
    elbo = model.elbo(x, q_mu, q_logvar)
    kl_post = model.kl_to_posterior(x, q_mu, q_logvar)
    assert abs(log_px - (elbo + kl_post)) <= 1e-8 * _scale(log_px, elbo, kl_post)


@given(model_x_q())
def test_elbo_is_a_lower_bound(args):
    model, x, q_mu, q_logvar = args
    log_px, elbo = model.log_prob(x), model.elbo(x, q_mu, q_logvar)
    assert elbo <= log_px + 1e-9 * _scale(log_px)
    assert model.kl_to_posterior(x, q_mu, q_logvar) >= -1e-9 * _scale(log_px)


@given(model_x_q(orthogonal=True))
def test_elbo_is_tight_at_a_diagonal_posterior(args):
    """With orthogonal columns of W the posterior is diagonal: q = p(z|x) gives ELBO = log p(x),
    and any other q gives a strictly smaller ELBO."""
    model, x, q_mu, q_logvar = args
    p_mu, p_logvar = model.posterior_diagonal(x)
    log_px = model.log_prob(x)
    assert abs(model.elbo(x, p_mu, p_logvar) - log_px) <= 1e-8 * _scale(log_px)
    assume(np.abs(q_mu - p_mu).max() + np.abs(q_logvar - p_logvar).max() > 1e-2)
    assert model.elbo(x, q_mu, q_logvar) < log_px


@given(model_x_q())
def test_closed_form_elbo_matches_monte_carlo(args):
    """E_q[log p(x, z) − log q(z)] by sampling agrees with the closed form within 4 SE."""
    model, x, q_mu, q_logvar = args
    rng = np.random.default_rng(0)
    z = q_mu + np.exp(0.5 * q_logvar) * rng.standard_normal((20_000, model.n_latent))
    log_q = log_normal_diag(z, q_mu, q_logvar).numpy()
    terms = model.log_joint(x, z) - log_q
    se = terms.std() / np.sqrt(len(terms))
    assert abs(terms.mean() - model.elbo(x, q_mu, q_logvar)) <= 4 * se + 1e-9


# ---------------------------------------------------------------------- the KL
@given(st.integers(1, 5).flatmap(lambda n: st.tuples(diag_gaussians(n), diag_gaussians(n))))
def test_closed_form_kl_matches_monte_carlo(qp):
    (mq, lq), (mp, lp) = qp
    kl = kl_diag_normal(Tensor(mq), Tensor(lq), Tensor(mp), Tensor(lp)).item()
    rng = np.random.default_rng(1)
    z = mq + np.exp(0.5 * lq) * rng.standard_normal((20_000, len(mq)))
    terms = (log_normal_diag(z, mq, lq) - log_normal_diag(z, mp, lp)).numpy()
    se = terms.std() / np.sqrt(len(terms))
    assert abs(terms.mean() - kl) <= 4 * se + 1e-9


@given(st.integers(1, 5).flatmap(lambda n: st.tuples(diag_gaussians(n), diag_gaussians(n))))
def test_kl_is_nonnegative_and_zero_only_at_equality(qp):
    (mq, lq), (mp, lp) = qp
    kl = kl_diag_normal(mq, lq, mp, lp).item()
    assert kl >= -1e-12  # rounding at equality
    assert abs(kl_diag_normal(mq, lq, mq, lq).item()) <= 1e-12
    assume(max(np.abs(mq - mp).max(), np.abs(lq - lp).max()) > 1e-2)
    assert kl > 1e-8


@given(st.integers(1, 5).flatmap(diag_gaussians))
def test_standard_normal_special_cases(q):
    mu, logvar = q
    a = F.kl_normal(mu, logvar, reduction="sum").item()  # the defaults: p = N(0, I)
    b = kl_diag_normal(mu, logvar, np.zeros_like(mu), np.zeros_like(mu)).item()
    assert abs(a - b) <= 1e-10 * (1 + abs(a))
    z = mu + 0.3
    np.testing.assert_allclose(
        log_standard_normal(z).item(), stats.norm.logpdf(z).sum(), rtol=1e-10
    )
    np.testing.assert_allclose(
        log_normal_diag(z, mu, logvar).item(),
        stats.norm.logpdf(z, mu, np.exp(0.5 * logvar)).sum(),
        rtol=1e-10,
    )


def test_gaussian_helpers_gradients():
    rng = np.random.default_rng(0)
    mq, lq, mp, lp, z = (rng.standard_normal((3, 4)) for _ in range(5))
    check_grads(lambda a, b, c, d: kl_diag_normal(a, b, c, d), mq, lq, mp, lp)
    check_grads(lambda x, m, lv: log_normal_diag(x, m, lv), z, mq, lq)
    check_grads(lambda x: logsumexp(x, axis=0), 30 * z)
    np.testing.assert_allclose(
        logsumexp(Tensor(30 * z), axis=1).numpy(), sp_logsumexp(30 * z, axis=1), rtol=1e-12
    )


# ------------------------------------------------------------------- the IWAE
@settings(max_examples=10)
@given(model_x_q())
def test_iwae_bound_increases_with_k_towards_log_px(args):
    """E[L_1] = ELBO ≤ E[L_5] ≤ E[L_50] ≤ log p(x) (means over replicates, tolerance 4 SE)."""
    model, x, q_mu, _ = args
    # a proposal wider than the posterior keeps the weights' variance finite
    _, p_logvar = model.posterior_diagonal(x)
    q_logvar = p_logvar + np.log(2.0)
    log_px = model.log_prob(x)
    means, ses = {}, {}
    for i, k in enumerate((1, 5, 50)):
        L = model.iwae_bound(x, q_mu, q_logvar, k, n_replicates=2000, random_state=i)
        means[k], ses[k] = L.mean(), L.std() / np.sqrt(len(L))
    tol = lambda a, b: 4 * np.hypot(ses[a], ses[b]) + 1e-9
    assert abs(means[1] - model.elbo(x, q_mu, q_logvar)) <= 4 * ses[1] + 1e-9
    assert means[1] <= means[5] + tol(1, 5)
    assert means[5] <= means[50] + tol(5, 50)
    assert means[50] <= log_px + 4 * ses[50] + 1e-9


def test_iwae_bound_approaches_log_px():
    model = LinearGaussian.random(6, 3, sigma=0.5, random_state=3)
    x = model.sample(1, random_state=4)[0]
    p_mu, p_logvar = model.posterior_diagonal(x)
    q_mu, q_logvar = p_mu + 0.5, p_logvar + 1.0  # a poor but safe proposal
    log_px = model.log_prob(x)
    gaps = [
        log_px - model.iwae_bound(x, q_mu, q_logvar, k, n_replicates=200, random_state=k).mean()
        for k in (1, 10, 100, 1000)
    ]
    assert gaps[0] > 0.3  # the ELBO is loose here
    assert all(a > b for a, b in zip(gaps, gaps[1:]))
    assert abs(gaps[-1]) < 0.05 * gaps[0]


# ------------------------------------------------------- reparameterization
@settings(max_examples=15)
@given(
    st.integers(1, 4).flatmap(
        lambda n: st.tuples(
            diag_gaussians(n, logvar_range=(-2.0, 1.0)),
            st.lists(st.floats(-2, 2), min_size=n, max_size=n),
            st.lists(st.floats(-1, 1), min_size=n * n, max_size=n * n),
        )
    )
)
def test_reparameterized_gradient_of_a_quadratic(args):
    """f(z) = aᵀz + zᵀBz, z = μ + σ ⊙ ε: E f = aᵀμ + μᵀBμ + Σ Bᵢᵢσᵢ², so
    ∇_μ E f = a + (B + Bᵀ)μ and ∇_σ E f = 2 diag(B) ⊙ σ. The autograd gradient of the
    Monte Carlo average matches within 4 standard errors."""
    (mu0, logvar), a, Bf = args
    n = len(mu0)
    a, B = np.array(a), np.array(Bf).reshape(n, n)
    sigma0 = np.exp(0.5 * logvar)
    S = 20_000
    eps = np.random.default_rng(0).standard_normal((S, n))
    mu = Tensor(mu0, requires_grad=True)
    sigma = Tensor(sigma0, requires_grad=True)
    z = mu + sigma * Tensor(eps)  # (S, n)
    f = z @ Tensor(a) + ((z @ Tensor(B)) * z).sum(axis=1)
    f.mean().backward()
    # per-sample gradients (for the standard error): g_z = a + (B + Bᵀ) z
    zs = mu0 + sigma0 * eps
    g_z = a + zs @ (B + B.T).T
    per = {"mu": g_z, "sigma": g_z * eps}
    exact = {"mu": a + (B + B.T) @ mu0, "sigma": 2 * np.diag(B) * sigma0}
    got = {"mu": mu.grad, "sigma": sigma.grad}
    for name in ("mu", "sigma"):
        np.testing.assert_allclose(got[name], per[name].mean(0), rtol=1e-9, atol=1e-9)
        se = per[name].std(0) / np.sqrt(S)
        assert np.all(np.abs(got[name] - exact[name]) <= 4 * se + 1e-9), name


def test_a_sampled_z_passes_no_gradient():
    """Sampling z with NumPy from N(μ, σ²) cuts the graph: μ gets no gradient at all."""
    mu = Tensor(np.zeros(2), requires_grad=True)
    sigma = Tensor(np.ones(2), requires_grad=True)
    z_cut = Tensor(np.random.default_rng(0).normal(mu.numpy(), sigma.numpy(), (100, 2)))
    loss = (z_cut**2).sum() + mu.sum() * 0.0
    loss.backward()
    assert np.all(mu.grad == 0) and sigma.grad is None
