# ---
# jupyter:
#   jupytext:
#     text_representation:
#       extension: .py
#       format_name: percent
# ---

# %% [markdown]
# # Graded exercises: variational autoencoders
#
# Companion to the lesson `vae` (`tinygen lesson vae`). Each exercise asks for one piece of
# the VAE's derivation, in NumPy and float64: the KL term of the ELBO in closed form, the
# backward of the reparameterized sample, the ELBO of a discrete latent, and the
# importance-weighted bound. The grader checks each function against numerical integration,
# finite differences and the identities the lesson derives, on inputs hypothesis chooses.

# %%
import numpy as np

# %% grader="*"
import hypothesis.strategies as st
from hypothesis import given
from hypothesis.extra import numpy as hnp
from scipy import integrate

from tinygen.autograd import Function
from tinygen.exercises.checks import assert_close
from tinygen.numerics import log_softmax, logsumexp
from tinygen.testing import check_grads


def _arrays(shape, lo=-3.0, hi=3.0):
    return hnp.arrays(np.float64, shape, elements=st.floats(lo, hi, allow_nan=False))


def _fmt(a):
    return np.round(np.asarray(a, dtype=np.float64), 6).tolist()




def _scalar(got, what):
    assert np.size(got) == 1, (
        f"{what} must return one number, got an array of shape {np.shape(got)}"
    )
    return float(np.asarray(got, dtype=np.float64).reshape(()))


# %% [markdown]
# ## 1. The KL term in closed form (2 points)
#
# With q(z | x) = N(μ, diag σ²), σ² = exp(log_var), and the prior p(z) = N(0, I), the KL
# term of the ELBO has a closed form (lesson §3): it is a sum over the latent dimensions j,
#
#     KL(q ‖ p) = ½ Σⱼ (μⱼ² + σⱼ² − 1 − log σⱼ²).
#
# Write `gaussian_kl(mu, log_var)`: `mu` and `log_var` have shape (N, d) (one row per data
# point); return the KL of each row, an array of shape (N,).

# %% exercise="gaussian_kl" points=2
def gaussian_kl(mu, log_var):
    """KL(N(mu, diag exp(log_var)) ‖ N(0, I)) of each row, of shape (N,)."""
    ### BEGIN SOLUTION
    return 0.5 * np.sum(mu * mu + np.exp(log_var) - 1.0 - log_var, axis=-1)
    ### END SOLUTION


# %% grader="gaussian_kl"
def _kl_by_quadrature(mu, log_var):
    """∫ q(z) log(q(z) / p(z)) dz in 1-D, over μ ± 20σ."""
    s = np.exp(0.5 * log_var)

    def integrand(z):
        log_q = -0.5 * ((z - mu) / s) ** 2 - np.log(s) - 0.5 * np.log(2 * np.pi)
        log_p = -0.5 * z * z - 0.5 * np.log(2 * np.pi)
        return np.exp(log_q) * (log_q - log_p)

    value, _ = integrate.quad(integrand, mu - 20 * s, mu + 20 * s, points=[mu], limit=200)
    return value


@given(mu=st.floats(-3.0, 3.0), log_var=st.floats(-2.0, 2.0))
def agrees_with_numerical_integration(mu, log_var):
    """In 1-D it equals ∫ q(z) log(q(z)/p(z)) dz computed by scipy.integrate.quad."""
    got = student.gaussian_kl(np.array([[mu]]), np.array([[log_var]]))
    got = np.asarray(got, dtype=np.float64)
    assert got.shape == (1,), (
        f"gaussian_kl of one row of length 1 has shape {got.shape}, expected (1,): sum over "
        "the last axis only"
    )
    want = _kl_by_quadrature(mu, log_var)
    assert np.isclose(got[0], want, rtol=1e-6, atol=1e-8), (
        f"KL(N({mu:.4g}, exp({log_var:.4g})) ‖ N(0, 1)): got {got[0]:.8g}, numerical "
        f"integration gives {want:.8g}; check every term of ½(μ² + σ² − 1 − log σ²) and the ½"
    )


@given(shape=st.tuples(st.integers(1, 5), st.integers(1, 4)), data=st.data())
def is_nonnegative_and_zero_only_at_the_prior(shape, data):
    """KL ≥ 0 for every row, = 0 for the rows with μ = 0 and log σ² = 0, > 0 for the others."""
    mu = data.draw(_arrays(shape), label="mu")
    log_var = data.draw(_arrays(shape), label="log_var")
    at_prior = data.draw(hnp.arrays(bool, (shape[0],)), label="rows at the prior")
    mu[at_prior], log_var[at_prior] = 0.0, 0.0
    got = np.asarray(student.gaussian_kl(mu, log_var), dtype=np.float64)
    assert got.shape == (shape[0],), (
        f"gaussian_kl of arrays of shape {shape} has shape {got.shape}, expected "
        f"({shape[0]},): one KL per row"
    )
    assert np.all(got >= -1e-12), (
        f"a KL divergence is never negative, got {_fmt(got)} for mu={_fmt(mu)}, "
        f"log_var={_fmt(log_var)}"
    )
    assert np.allclose(got[at_prior], 0.0, atol=1e-12), (
        f"q = N(0, I) is the prior, so its KL must be 0; got {_fmt(got[at_prior])}"
    )
    away = np.max(np.abs(np.concatenate([mu, log_var], axis=1)), axis=1) > 1e-3
    assert np.all(got[away] > 0), (
        f"rows with μ ≠ 0 or log σ² ≠ 0 must have KL > 0, got {_fmt(got[away])}"
    )


@given(n=st.integers(1, 4), d1=st.integers(1, 3), d2=st.integers(1, 3), data=st.data())
def is_additive_over_dimensions(n, d1, d2, data):
    """The KL of independent blocks of dimensions is the sum of the blocks' KLs."""
    mu = data.draw(_arrays((n, d1 + d2)), label="mu")
    log_var = data.draw(_arrays((n, d1 + d2)), label="log_var")
    whole = student.gaussian_kl(mu, log_var)
    parts = np.asarray(student.gaussian_kl(mu[:, :d1], log_var[:, :d1])) + np.asarray(
        student.gaussian_kl(mu[:, d1:], log_var[:, d1:])
    )
    assert_close(
        whole,
        parts,
        f"KL over all {d1 + d2} dimensions versus the sum over the first {d1} and the last {d2}",
    )


# %% [markdown]
# ## 2. The backward of the reparameterized sample (2 points)
#
# The reparameterization trick (lesson §4) writes the sample as a differentiable function of
# the parameters and of noise ε ~ N(0, I) drawn outside the graph:
#
#     z = μ + exp(½ log_var) ⊙ ε,    so   ∂zⱼ/∂μⱼ = 1,   ∂zⱼ/∂log_varⱼ = ½ σⱼ εⱼ.
#
# Write `reparameterize_grad(mu, log_var, eps, grad_z)`: all four arrays have the same
# shape (N, d), and `grad_z` = ∂L/∂z. Return the pair (∂L/∂mu, ∂L/∂log_var), each of shape
# (N, d).

# %% exercise="reparameterize_grad" points=2
def reparameterize_grad(mu, log_var, eps, grad_z):
    """(∂L/∂mu, ∂L/∂log_var) for z = mu + exp(½ log_var) ⊙ eps, given grad_z = ∂L/∂z."""
    ### BEGIN SOLUTION
    sigma = np.exp(0.5 * log_var)
    return grad_z, grad_z * 0.5 * sigma * eps
    ### END SOLUTION


# %% grader="reparameterize_grad"
class _StudentReparameterize(Function):
    def forward(self, mu, log_var, eps):
        self.mu, self.log_var, self.eps = mu, log_var, eps
        return mu + np.exp(0.5 * log_var) * eps

    def backward(self, g):
        return tuple(student.reparameterize_grad(self.mu, self.log_var, self.eps, g))


_shapes = st.tuples(st.integers(1, 4), st.integers(1, 3))


@given(shape=_shapes, data=st.data())
def gradients_of_the_sum_of_z(shape, data):
    """For L = Σ z: ∂L/∂μ = 1 and ∂L/∂log_var = ½ (z − μ), elementwise."""
    mu = data.draw(_arrays(shape), label="mu")
    log_var = data.draw(_arrays(shape, -2.0, 2.0), label="log_var")
    eps = data.draw(_arrays(shape), label="eps")
    z = mu + np.exp(0.5 * log_var) * eps
    got = student.reparameterize_grad(mu, log_var, eps, np.ones(shape))
    assert len(got) == 2, "return the pair (∂L/∂mu, ∂L/∂log_var)"
    g_mu, g_lv = got
    assert_close(g_mu, np.ones(shape), "∂(Σ z)/∂mu (z moves one for one with μ)", tol=1e-12)
    assert_close(g_lv, 0.5 * (z - mu), "∂(Σ z)/∂log_var (it is ½ σ ε = ½ (z − μ))", tol=1e-10)


@given(shape=_shapes, data=st.data())
def backward_matches_finite_differences(shape, data):
    """The pair agrees with finite differences of z = μ + exp(½ log_var) ⊙ ε, in μ and log_var."""
    mu = data.draw(_arrays(shape), label="mu")
    log_var = data.draw(_arrays(shape, -2.0, 2.0), label="log_var")
    eps = data.draw(_arrays(shape), label="eps")
    check_grads(
        lambda m, lv: _StudentReparameterize.apply(m, lv, eps=eps),
        mu,
        log_var,
        name="reparameterize_grad",
    )


# %% [markdown]
# ## 3. The ELBO of a discrete latent (2 points)
#
# For a latent z with K values, the ELBO of one observation x under any distribution q over
# z is (lesson §2)
#
#     ELBO(q) = Σₖ qₖ (log p(x | z = k) + log p(z = k) − log qₖ),
#
# where a value with qₖ = 0 contributes 0 (the limit of q log q). Write
# `elbo(log_p_z, log_p_x_given_z, q)`: the three arguments have shape (K,) (`q` sums to 1
# and may contain zeros); return the ELBO, one number.

# %% exercise="elbo" points=2
def elbo(log_p_z, log_p_x_given_z, q):
    """Σ_k q_k (log p(x|z=k) + log p(z=k) − log q_k), with 0 · log 0 = 0."""
    ### BEGIN SOLUTION
    support = q > 0
    log_q = np.log(np.where(support, q, 1.0))
    terms = q * (log_p_x_given_z + log_p_z - log_q)
    return float(np.sum(terms[support]))
    ### END SOLUTION


# %% grader="elbo"
def _kl(q, log_r):
    """KL(q ‖ r) for probability vectors, r given by its logs; 0 · log 0 = 0."""
    s = q > 0
    return float(np.sum(q[s] * (np.log(q[s]) - log_r[s])))


@st.composite
def _models(draw, max_k=6):
    """(log p(z), log p(x|z), q) for a latent with K values; q has some exact zeros."""
    k = draw(st.integers(1, max_k), label="K")
    logits = draw(_arrays((k,), -4.0, 4.0), label="prior logits")
    log_p_z = log_softmax(logits)
    log_lik = draw(_arrays((k,), -10.0, 0.0), label="log p(x|z)")
    q_logits = draw(_arrays((k,), -4.0, 4.0), label="q logits")
    keep = draw(hnp.arrays(bool, (k,)), label="support of q")
    keep[draw(st.integers(0, k - 1), label="kept")] = True
    q = np.where(keep, np.exp(log_softmax(np.where(keep, q_logits, -np.inf))), 0.0)
    return log_p_z, log_lik, q


def _evidence_and_posterior(log_p_z, log_lik):
    log_joint = log_p_z + log_lik
    log_px = logsumexp(log_joint)
    return log_px, log_joint - log_px


@given(model=_models())
def equals_evidence_minus_kl_to_the_posterior(model):
    """ELBO(q) = log p(x) − KL(q ‖ p(z|x)), with p(x) and p(z|x) by enumeration."""
    log_p_z, log_lik, q = model
    got = _scalar(student.elbo(log_p_z, log_lik, q), "elbo")
    log_px, log_post = _evidence_and_posterior(log_p_z, log_lik)
    want = log_px - _kl(q, log_post)
    assert np.isfinite(got), (
        f"elbo returned {got} for q = {_fmt(q)}: a value with q_k = 0 must contribute 0, "
        "not 0 · log 0 = nan"
    )
    assert np.isclose(got, want, rtol=1e-9, atol=1e-9), (
        f"ELBO = {got:.8g}, but log p(x) − KL(q ‖ p(z|x)) = {log_px:.6g} − "
        f"{_kl(q, log_post):.6g} = {want:.8g} (q = {_fmt(q)}); check the signs of the "
        "three terms"
    )


@given(model=_models())
def equals_reconstruction_minus_kl_to_the_prior(model):
    """ELBO(q) = E_q[log p(x|z)] − KL(q ‖ p(z))."""
    log_p_z, log_lik, q = model
    got = _scalar(student.elbo(log_p_z, log_lik, q), "elbo")
    s = q > 0
    recon = float(np.sum(q[s] * log_lik[s]))
    want = recon - _kl(q, log_p_z)
    assert np.isclose(got, want, rtol=1e-9, atol=1e-9), (
        f"ELBO = {got:.8g}, but E_q log p(x|z) − KL(q ‖ p(z)) = {recon:.6g} − "
        f"{_kl(q, log_p_z):.6g} = {want:.8g} (q = {_fmt(q)})"
    )


@given(model=_models())
def is_a_lower_bound_tight_at_the_posterior(model):
    """ELBO(q) ≤ log p(x) for every q, with equality when q = p(z|x)."""
    log_p_z, log_lik, q = model
    log_px, log_post = _evidence_and_posterior(log_p_z, log_lik)
    got = _scalar(student.elbo(log_p_z, log_lik, q), "elbo")
    assert got <= log_px + 1e-9, (
        f"ELBO = {got:.8g} exceeds log p(x) = {log_px:.8g} (q = {_fmt(q)}): it must be a "
        "lower bound"
    )
    at_post = _scalar(student.elbo(log_p_z, log_lik, np.exp(log_post)), "elbo")
    assert np.isclose(at_post, log_px, rtol=1e-9, atol=1e-9), (
        f"with q = p(z|x) = {_fmt(np.exp(log_post))} the ELBO must equal log p(x) = "
        f"{log_px:.8g}, got {at_post:.8g}"
    )


# %% [markdown]
# ## 4. The importance-weighted bound, stably (2 points)
#
# With k samples zᵢ ~ q(z | x) and log weights log wᵢ = log p(x, zᵢ) − log q(zᵢ | x), the
# IWAE bound (lesson §6, Burda et al., 2016) is
#
#     L_k = log (1/k) Σᵢ exp(log wᵢ),
#
# and k = 1 gives the single-sample ELBO. Log weights of images are in the hundreds or
# thousands of nats, so exp(log wᵢ) overflows or underflows if computed as written: with
# m = maxᵢ log wᵢ, use L_k = m + log (1/k) Σᵢ exp(log wᵢ − m). Write `iwae_bound(log_w)`:
# `log_w` has shape (N, k), one row of k log weights per data point; return L_k of each
# row, of shape (N,).

# %% exercise="iwae_bound" points=2
def iwae_bound(log_w):
    """L_k = log mean_i exp(log_w[:, i]) of each row, of shape (N,), stable for large |log_w|."""
    ### BEGIN SOLUTION
    m = np.max(log_w, axis=1, keepdims=True)
    return m[:, 0] + np.log(np.mean(np.exp(log_w - m), axis=1))
    ### END SOLUTION


# %% grader="iwae_bound"
_log_weights = hnp.array_shapes(min_dims=2, max_dims=2, max_side=5).flatmap(_arrays)


@given(log_w=_log_weights)
def equals_the_definition(log_w):
    """For moderate log weights it equals log(mean(exp(log_w))) along each row."""
    got = student.iwae_bound(log_w)
    assert_close(got, np.log(np.mean(np.exp(log_w), axis=1)), "L_k = log mean exp(log_w)", tol=1e-9)


@given(log_w=_log_weights, shift=st.sampled_from([1000.0, -1000.0]))
def does_not_overflow(log_w, shift):
    """L_k(log_w + s) = L_k(log_w) + s, finite, for s = ±1000."""
    got = np.asarray(student.iwae_bound(log_w + shift), dtype=np.float64)
    want = np.log(np.mean(np.exp(log_w), axis=1)) + shift
    assert np.all(np.isfinite(got)), (
        f"iwae_bound(log_w {shift:+g}) returned {_fmt(got)}: exp overflowed or underflowed; "
        "subtract the row maximum before exponentiating"
    )
    assert_close(got, want, f"L_k(log_w {shift:+g})", tol=1e-9)


@given(n=st.integers(1, 5), data=st.data())
def one_sample_gives_the_log_weight(n, data):
    """With k = 1 sample the bound is that sample's log weight (the ELBO estimate)."""
    log_w = data.draw(_arrays((n, 1), -1000.0, 1000.0), label="log_w")
    assert_close(student.iwae_bound(log_w), log_w[:, 0], "L_1 (it must equal log_w[:, 0])", tol=1e-9)


@given(log_w=hnp.array_shapes(min_dims=2, max_dims=2, max_side=5).flatmap(
    lambda s: _arrays(s, -50.0, 50.0)))
def is_at_least_the_average_log_weight(log_w):
    """L_k ≥ mean_i log w_i (Jensen: log of a mean ≥ mean of the logs), with equality for k = 1."""
    got = np.asarray(student.iwae_bound(log_w), dtype=np.float64)
    avg = log_w.mean(axis=1)
    assert got.shape == avg.shape, f"shape {got.shape}, expected {avg.shape}: one L_k per row"
    assert np.all(got >= avg - 1e-9), (
        f"L_k = {_fmt(got)} is below the average log weight {_fmt(avg)}: log of a mean "
        "cannot be less than the mean of the logs"
    )
