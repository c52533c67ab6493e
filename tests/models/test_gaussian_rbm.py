"""GaussianBernoulliRBM: conditionals, free energy and partition function by enumeration."""

from __future__ import annotations

import itertools

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st
from scipy import special

from tests.strategies.boltzmann import gaussian_rbms
from tinygen.models.gaussian_rbm import GaussianBernoulliRBM


def brute_energy(rbm, v, h):
    """E(v,h) = Σ (v−b)²/(2σ²) − cᵀh − Σ_ij (v_i/σ_i) W_ij h_j, written out (independent code)."""
    W, b, c, s = (np.asarray(x, dtype=np.float64) for x in (rbm.W, rbm.b, rbm.c, rbm.sigma))
    return (
        np.sum((v - b) ** 2 / (2 * s**2), axis=-1) - h @ c - np.einsum("ni,ij,nj->n", v / s, W, h)
    )


def hidden_states(n):
    return np.array(list(itertools.product([0.0, 1.0], repeat=n))).reshape(2**n, n)


def real_points(seed, n, d, scale=2.0):
    return np.random.default_rng(seed).normal(0, scale, (n, d))


@given(gaussian_rbms(), st.integers(0, 2**32 - 1))
def test_factorized_posterior_equals_enumerated_posterior(rbm, seed):
    V = real_points(seed, 5, rbm.n_visible)
    H = hidden_states(rbm.n_hidden)
    p = np.asarray(rbm.p_h_given_v(V))
    for v, pv in zip(V, p):
        neg_e = -brute_energy(rbm, np.repeat(v[None], len(H), 0), H)
        q = np.exp(neg_e - special.logsumexp(neg_e))  # exact P(h | v) over all h
        np.testing.assert_allclose(q @ H, pv, rtol=1e-9, atol=1e-12)
        factorized = np.prod(np.where(H == 1, pv, 1 - pv), axis=1)
        np.testing.assert_allclose(factorized, q, rtol=1e-7, atol=1e-12)


@given(gaussian_rbms(), st.integers(0, 2**32 - 1))
def test_free_energy_is_minus_log_sum_over_hidden(rbm, seed):
    V = real_points(seed, 6, rbm.n_visible)
    H = hidden_states(rbm.n_hidden)
    expected = [-special.logsumexp(-brute_energy(rbm, np.repeat(v[None], len(H), 0), H)) for v in V]
    np.testing.assert_allclose(rbm.free_energy(V), expected, rtol=1e-10, atol=1e-9)
    np.testing.assert_allclose(
        rbm.energy(np.repeat(V[:1], len(H), 0), H),
        brute_energy(rbm, np.repeat(V[:1], len(H), 0), H),
        rtol=1e-12,
        atol=1e-9,
    )


@given(gaussian_rbms(), st.integers(0, 2**32 - 1))
def test_energy_is_quadratic_in_v_with_the_stated_mean(rbm, seed):
    """E(v,h) − E(v',h) = Σ[(v−μ)² − (v'−μ)²]/(2σ²) with μ = b + σ⊙(Wh): p(v|h) = N(μ, σ²)."""
    rng = np.random.default_rng(seed)
    H = hidden_states(rbm.n_hidden)
    V, V2 = rng.normal(0, 2, (2, len(H), rbm.n_visible))
    mu = np.asarray(rbm.p_v_given_h(H))
    s = np.asarray(rbm.sigma)
    lhs = brute_energy(rbm, V, H) - brute_energy(rbm, V2, H)
    rhs = np.sum(((V - mu) ** 2 - (V2 - mu) ** 2) / (2 * s**2), axis=1)
    np.testing.assert_allclose(lhs, rhs, rtol=1e-9, atol=1e-7 * (1 + np.abs(lhs).max()))


def test_sample_v_given_h_has_stated_mean_and_std():
    rbm = GaussianBernoulliRBM(2, 3, sigma=[0.5, 2.0], dtype=np.float64, random_state=0)
    rbm.set_params(W=np.array([[1.0, -2.0, 0.5], [0.3, 0.0, -1.0]]), b=np.array([1.0, -1.0]))
    h = np.tile([[1.0, 0.0, 1.0]], (40000, 1))
    v = rbm.sample_v_given_h(h, rng=3)
    mu = np.array([1.0 + 0.5 * 1.5, -1.0 + 2.0 * (-0.7)])
    np.testing.assert_allclose(v.mean(0), mu, atol=0.03)
    np.testing.assert_allclose(v.std(0), [0.5, 2.0], rtol=0.02)


@given(gaussian_rbms(max_visible=1, max_hidden=3))
def test_exact_density_integrates_to_one(rbm):
    """∫ exp(−F(v) − log Z) dv = 1, by the trapezoid rule on windows of ±12σ around the
    mixture's component means (the density is negligible elsewhere)."""
    H = hidden_states(rbm.n_hidden)
    means = np.unique(np.asarray(rbm.p_v_given_h(H))[:, 0])
    s = float(rbm.sigma[0])
    step = s / 100  # one common lattice, so the trapezoid rule is uniform inside windows
    k = np.concatenate(
        [np.arange(round((m - 12 * s) / step), round((m + 12 * s) / step)) for m in means]
    )
    grid = np.unique(k) * step
    density = np.exp(rbm.log_likelihood(grid[:, None], per_sample=True))
    assert np.trapezoid(density, grid) == pytest.approx(1.0, abs=1e-9)


@given(gaussian_rbms(max_visible=2, max_hidden=2), st.integers(0, 2**32 - 1))
def test_free_energy_gradients_match_finite_differences(rbm, seed):
    V = real_points(seed, 4, rbm.n_visible)
    g = rbm.free_energy_grads(V)
    eps = 1e-6
    for name in ("W", "b", "c", "log_sigma"):
        theta = np.asarray(getattr(rbm, name)).copy()
        for idx in np.ndindex(*theta.shape):
            vals = []
            for sgn in (1, -1):
                t = theta.copy()
                t[idx] += sgn * eps
                setattr(rbm, name, t)
                vals.append(np.mean(rbm.free_energy(V)))
            setattr(rbm, name, theta)
            numeric = (vals[0] - vals[1]) / (2 * eps)
            assert g[name][idx] == pytest.approx(numeric, rel=1e-5, abs=1e-5), (name, idx)


def two_clusters(n, seed):
    rng = np.random.default_rng(seed)
    centres = np.array([[2.0, 2.0, -2.0, 0.0], [-2.0, -2.0, 2.0, 1.0]])
    labels = rng.integers(0, 2, n)
    return (centres[labels] + 0.3 * rng.normal(size=(n, 4))).astype(np.float32)


@pytest.mark.parametrize("learn_sigma", [False, True])
def test_cd_training_reduces_reconstruction_error_and_raises_likelihood(learn_sigma):
    X = two_clusters(1000, 0)
    rbm = GaussianBernoulliRBM(
        4,
        4,
        learning_rate=0.03,
        batch_size=50,
        n_epochs=15,
        learn_sigma=learn_sigma,
        random_state=0,
    )
    rbm.b = X.mean(0)
    rbm._b_from_data = True
    before_err = rbm.reconstruction_error(X, rng=1)
    before_ll = rbm.log_likelihood(X)
    rbm.fit(X)
    after_err = rbm.reconstruction_error(X, rng=1)
    assert after_err < 0.5 * before_err
    assert rbm.log_likelihood(X) > before_ll + 0.5
    assert rbm.W.dtype == np.float32
    if learn_sigma:
        assert not np.allclose(rbm.sigma, 1.0)


def test_sampling_and_completion_shapes(tmp_path):
    X = two_clusters(500, 1)
    rbm = GaussianBernoulliRBM(
        4, 4, learning_rate=0.03, n_epochs=15, batch_size=50, random_state=0
    ).fit(X)
    s = rbm.sample(7, n_gibbs=10, rng=0)
    assert s.shape == (7, 4) and np.all(np.isfinite(s))
    mask = np.array([False, False, True, True])
    out = rbm.complete(X[:40], mask, n_gibbs=20, rng=0)
    np.testing.assert_array_equal(out[:, :2], X[:40, :2])
    # completion infers the cluster: the missing coordinate 2 has the sign of its cluster
    assert np.mean(np.sign(out[:, 2]) == np.sign(X[:40, 2])) >= 0.9
    path = rbm.save(tmp_path / "gb.npz")
    other = GaussianBernoulliRBM.load(path)
    np.testing.assert_array_equal(other.W, rbm.W)
    np.testing.assert_allclose(other.sigma, rbm.sigma)
    assert other.log_likelihood(X) == pytest.approx(rbm.log_likelihood(X), rel=1e-6)


def test_bad_input_errors():
    rbm = GaussianBernoulliRBM(3, 2)
    with pytest.raises(ValueError, match="shape"):
        rbm.free_energy(np.zeros((2, 4)))
    with pytest.raises(ValueError, match="NaN"):
        rbm.fit(np.full((4, 3), np.nan))
    with pytest.raises(ValueError, match="positive"):
        GaussianBernoulliRBM(3, 2, sigma=0.0)
