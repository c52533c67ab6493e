"""BoltzmannMachine: derivations checked against brute-force enumeration."""

from __future__ import annotations

import itertools

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st
from scipy import special, stats

from tests.strategies.boltzmann import boltzmann_machines
from tinygen.models.boltzmann_machine import BoltzmannMachine


def brute_energy(bm, v, h):
    """E(v,h) = −vᵀRv − vᵀWh − hᵀSh − bᵀv − cᵀh, written out with einsum (independent code)."""
    R, W, S, b, c = (np.asarray(getattr(bm, k), dtype=np.float64) for k in "RWSbc")
    return -(
        np.einsum("ni,ij,nj->n", v, R, v)
        + np.einsum("ni,ij,nj->n", v, W, h)
        + np.einsum("ni,ij,nj->n", h, S, h)
        + v @ b
        + h @ c
    )


def brute_states(n):
    return np.array(list(itertools.product([0.0, 1.0], repeat=n)), dtype=np.float64).reshape(
        2**n, n
    )


def brute_log_joint(bm):
    """All joint states x = [v, h] and log P(x), by explicit enumeration."""
    X = brute_states(bm.n_units)
    v, h = X[:, : bm.n_visible], X[:, bm.n_visible :]
    neg_e = -brute_energy(bm, v, h)
    return X, neg_e - special.logsumexp(neg_e)


@given(boltzmann_machines(max_visible=4, max_hidden=3))
def test_unit_conditional_is_ratio_of_joint_and_logistic_regression(bm):
    X, logp = brute_log_joint(bm)
    n = bm.n_units
    index = {tuple(x): k for k, x in enumerate(X)}
    U = np.asarray(bm.U)
    for i in range(n):
        x1, x0 = X.copy(), X.copy()
        x1[:, i], x0[:, i] = 1, 0
        l1 = logp[[index[tuple(r)] for r in x1]]
        l0 = logp[[index[tuple(r)] for r in x0]]
        # P(x_i=1 | x_-i) = P(x1) / (P(x0) + P(x1)), in log space so large energies do not underflow
        ratio = np.exp(l1 - np.logaddexp(l0, l1))
        got = np.asarray(bm.unit_conditional(X, i))
        np.testing.assert_allclose(got, ratio, rtol=1e-9, atol=1e-12)
        # ... and a logistic regression on the others with weights 2U[i,:] and bias b̃_i
        w, beta = bm.as_logistic_regression(i)
        assert w[i] == 0.0
        np.testing.assert_allclose(w, 2 * U[i], rtol=0, atol=0)
        np.testing.assert_allclose(special.expit(X @ w + beta), ratio, rtol=1e-9, atol=1e-12)
    # the explicit visible/hidden forms of the same conditional
    v, h = X[:, : bm.n_visible], X[:, bm.n_visible :]
    R, W, S, b, c = (np.asarray(getattr(bm, k)) for k in "RWSbc")
    for i in range(bm.n_visible):
        expected = special.expit(b[i] + 2 * v @ R[:, i] + h @ W[i])
        np.testing.assert_allclose(bm.unit_conditional(X, i), expected, rtol=1e-9, atol=1e-12)
    for j in range(bm.n_hidden):
        expected = special.expit(c[j] + v @ W[:, j] + 2 * h @ S[:, j])
        got = bm.unit_conditional(X, bm.n_visible + j)
        np.testing.assert_allclose(got, expected, rtol=1e-9, atol=1e-12)


@given(boltzmann_machines(max_visible=4, max_hidden=3))
def test_energy_probabilities_partition_and_marginals_match_brute_force(bm):
    X, logp = brute_log_joint(bm)
    v, h = X[:, : bm.n_visible], X[:, bm.n_visible :]
    np.testing.assert_allclose(bm.energy(v, h), brute_energy(bm, v, h), rtol=1e-12, atol=1e-9)
    neg_e = -brute_energy(bm, v, h)
    assert bm.log_partition_exact() == pytest.approx(special.logsumexp(neg_e), rel=1e-12, abs=1e-9)
    states, p = bm.probabilities()
    np.testing.assert_array_equal(states, X)
    assert p.sum() == pytest.approx(1.0, abs=1e-12)
    np.testing.assert_allclose(p, np.exp(logp), rtol=1e-9, atol=1e-300)
    np.testing.assert_allclose(bm.marginals(), np.exp(logp) @ X, rtol=1e-9, atol=1e-12)


@given(boltzmann_machines(max_visible=4, max_hidden=3))
def test_visible_log_likelihood_sums_hidden_out_and_normalizes(bm):
    X, logp = brute_log_joint(bm)
    V = brute_states(bm.n_visible)
    # brute-force marginal: log Σ_h P(v, h)
    expected = np.array(
        [special.logsumexp(logp[np.all(X[:, : bm.n_visible] == v, axis=1)]) for v in V]
    )
    ll = bm.log_likelihood(V, per_sample=True)
    np.testing.assert_allclose(ll, expected, rtol=1e-9, atol=1e-9)
    assert special.logsumexp(ll) == pytest.approx(0.0, abs=1e-9)


def _mean_ll(bm, V):
    return bm.log_likelihood(V)


@given(
    boltzmann_machines(max_visible=4, max_hidden=3),
    st.integers(1, 6),
    st.integers(0, 2**32 - 1),
)
def test_exact_gradient_equals_finite_differences(bm, n_data, seed):
    V = (np.random.default_rng(seed).random((n_data, bm.n_visible)) < 0.5).astype(np.float64)
    grads = bm.exact_gradient(V)
    eps = 1e-6
    for name in "RWSbc":
        theta = np.asarray(getattr(bm, name)).copy()
        G = np.asarray(grads[name])
        assert G.shape == theta.shape
        for idx in np.ndindex(*theta.shape):
            if name in "RS" and idx[0] >= idx[1]:
                continue  # symmetric: perturb the pair (i, j), (j, i) together, below
            d = np.zeros_like(theta)
            d[idx] = 1.0
            if name in "RS":
                d[idx[::-1]] = 1.0
            vals = []
            for sgn in (1, -1):
                bm.set_params(**{name: theta + sgn * eps * d})
                vals.append(_mean_ll(bm, V))
            bm.set_params(**{name: theta})
            numeric = (vals[0] - vals[1]) / (2 * eps)
            analytic = float(np.sum(G * d))
            assert analytic == pytest.approx(numeric, rel=1e-5, abs=1e-6), (name, idx)
    for name in "RS":  # the gradient keeps R and S symmetric with zero diagonal
        G = np.asarray(grads[name])
        np.testing.assert_array_equal(G, G.T)
        assert np.all(np.diag(G) == 0)


def test_fitted_logistic_regression_recovers_the_couplings():
    """Fit a logistic regression x_i ~ x_-i by maximum likelihood on the model's own joint
    distribution (all states weighted by P(x)): being well specified, it recovers the
    weights 2U_{i,-i} and the bias b̃_i."""
    from scipy import optimize

    bm = BoltzmannMachine(3, 2, dtype=np.float64, random_state=0)
    rng = np.random.default_rng(4)
    R, S = rng.normal(0, 0.8, (3, 3)), rng.normal(0, 0.8, (2, 2))
    bm.set_params(
        R=0.5 * (R + R.T) * (1 - np.eye(3)),
        S=0.5 * (S + S.T) * (1 - np.eye(2)),
        W=rng.normal(0, 0.8, (3, 2)),
        b=rng.normal(0, 0.5, 3),
        c=rng.normal(0, 0.5, 2),
    )
    X, p = bm.probabilities()
    for i in range(bm.n_units):
        others = np.delete(np.arange(bm.n_units), i)
        Z, y = X[:, others], X[:, i]

        def nll(theta, Z=Z, y=y):
            a = Z @ theta[:-1] + theta[-1]
            return np.sum(p * (np.logaddexp(0, a) - y * a))

        def grad(theta, Z=Z, y=y):
            r = p * (special.expit(Z @ theta[:-1] + theta[-1]) - y)
            return np.append(Z.T @ r, r.sum())

        fit = optimize.minimize(
            nll,
            np.zeros(len(others) + 1),
            jac=grad,
            method="BFGS",
            options={"gtol": 1e-12, "maxiter": 1000},
        )
        w, beta = bm.as_logistic_regression(i)
        np.testing.assert_allclose(fit.x[:-1], w[others], atol=1e-4)
        assert fit.x[-1] == pytest.approx(beta, abs=1e-4)


def test_gibbs_sampler_matches_enumeration_chi_square():
    bm = BoltzmannMachine(3, 2, dtype=np.float64, random_state=0)
    rng = np.random.default_rng(1)
    R = rng.normal(0, 1.0, (3, 3))
    S = rng.normal(0, 1.0, (2, 2))
    bm.set_params(
        R=0.5 * (R + R.T) * (1 - np.eye(3)),
        S=0.5 * (S + S.T) * (1 - np.eye(2)),
        W=rng.normal(0, 1.0, (3, 2)),
        b=rng.normal(0, 0.5, 3),
        c=rng.normal(0, 0.5, 2),
    )
    v, h = bm.sample(6000, n_sweeps=20, rng=123, return_hidden=True)
    x = np.concatenate([v, h], axis=1)
    codes = (x @ (2 ** np.arange(4, -1, -1))).astype(int)
    counts = np.bincount(codes, minlength=32)
    _, p = bm.probabilities()
    result = stats.chisquare(counts, p * counts.sum())
    assert result.pvalue > 1e-3, result


def test_gibbs_is_reproducible_and_binary():
    bm = BoltzmannMachine(4, 2, random_state=0)
    a = bm.sample(10, n_sweeps=3, rng=5)
    b = bm.sample(10, n_sweeps=3, rng=5)
    np.testing.assert_array_equal(a, b)
    assert a.shape == (10, 4) and a.dtype == np.float32
    assert set(np.unique(a)) <= {0.0, 1.0}


BARS = np.array(
    [[0, 0, 0, 0], [1, 1, 0, 0], [0, 0, 1, 1], [1, 0, 1, 0], [0, 1, 0, 1], [1, 1, 1, 1]],
    dtype=np.float32,
)  # 2×2 bars and stripes


@pytest.mark.parametrize("n_hidden", [0, 2])
def test_exact_training_increases_likelihood(n_hidden):
    bm = BoltzmannMachine(4, n_hidden, learning_rate=0.5, n_epochs=60, init_std=0.1, random_state=0)
    before = bm.log_likelihood(BARS)
    bm.fit(BARS)
    assert bm.history_[-1] > before + 0.5  # uniform: −log 16 = −2.77; optimum ≥ −log 6
    assert bm.history_[-1] >= bm.history_[0]
    # symmetry / zero diagonal are kept through the updates
    np.testing.assert_array_equal(bm.R, bm.R.T)
    assert np.all(np.diag(bm.R) == 0) and np.all(np.diag(bm.S) == 0)
    assert bm.R.dtype == np.float32


def test_sml_training_increases_likelihood():
    bm = BoltzmannMachine(
        4,
        2,
        method="sml",
        learning_rate=0.2,
        n_chains=200,
        n_gibbs=1,
        n_epochs=300,
        init_std=0.1,
        random_state=0,
    )
    before = bm.log_likelihood(BARS)
    bm.fit(BARS)
    after = bm.log_likelihood(BARS)
    assert after > before + 0.5
    assert bm.chains_.shape == (200, 6)


def test_sml_mean_field_positive_phase_for_many_hidden_units():
    bm = BoltzmannMachine(4, 14, method="sml", n_chains=20, n_epochs=2, random_state=0)
    mu = bm.mean_field_hidden(BARS)
    assert mu.shape == (6, 14) and np.all((mu > 0) & (mu < 1))
    bm.fit(BARS)
    assert np.all(np.isfinite(bm.W))


def test_bad_input_errors():
    bm = BoltzmannMachine(3, 1)
    with pytest.raises(ValueError, match="binary"):
        bm.log_likelihood(np.full((2, 3), 0.5))
    with pytest.raises(ValueError, match="shape"):
        bm.log_likelihood(np.zeros((2, 4)))
    with pytest.raises(ValueError, match="symmetric"):
        bm.set_params(R=np.array([[0, 1, 0], [0, 0, 0], [0, 0, 0]]))
    with pytest.raises(ValueError, match="sml"):
        BoltzmannMachine(15, 10, method="exact")
    with pytest.raises(ValueError, match="method"):
        BoltzmannMachine(3, method="cd")


def test_save_load_roundtrip(tmp_path):
    bm = BoltzmannMachine(3, 2, random_state=0).fit(BARS[:, :3])
    path = bm.save(tmp_path / "bm.npz")
    other = BoltzmannMachine.load(path)
    for k in "RWSbc":
        np.testing.assert_array_equal(getattr(bm, k), getattr(other, k))
    assert other.log_partition_exact() == pytest.approx(bm.log_partition_exact())
