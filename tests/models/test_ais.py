"""Annealed importance sampling: the schedule, the estimate, and log Z of seeded RBMs."""

from __future__ import annotations

import math

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from tests.strategies.rbm import make_rbm
from tinygen.models import ais
from tinygen.models._enumerate import all_binary, iter_binary
from tinygen.models.rbm import RBM
from tinygen.numerics import logsumexp


def test_betas_follow_salakhutdinov_murray():
    betas = ais.ais_betas(14500)
    assert betas.shape == (14500,) and betas[0] == 0.0 and betas[-1] == 1.0
    assert np.all(np.diff(betas) > 0)
    steps = np.diff(betas)
    assert np.sum(betas < 0.5) == 500 and np.sum((betas >= 0.5) & (betas < 0.9)) == 4000
    np.testing.assert_allclose(steps[:499], 1e-3)
    np.testing.assert_allclose(steps[500:4499], 1e-4)
    np.testing.assert_allclose(steps[4500:], 0.1 / 9999)


@given(st.integers(3, 5000))
def test_betas_any_length(n):
    betas = ais.ais_betas(n)
    assert len(betas) == n and betas[0] == 0.0 and betas[-1] == 1.0
    assert np.all(np.diff(betas) > 0)


def test_base_rate_is_smoothed_log_odds():
    X = np.array([[0, 1, 1], [0, 1, 0], [0, 1, 1], [0, 1, 0]])
    s = 0.05
    p = (np.array([0.0, 1.0, 0.5]) + s) / (1 + 2 * s)
    np.testing.assert_allclose(ais.base_rate(X, smoothing=s), np.log(p / (1 - p)))
    assert ais.base_rate(X)[2] == pytest.approx(0.0)
    with pytest.raises(ValueError, match="smoothing"):
        ais.base_rate(X, smoothing=0)


def test_base_rate_log_partition_matches_enumeration():
    b = np.array([0.3, -1.2, 2.0])
    V = all_binary(3)
    assert ais.base_rate_log_partition(b, n_hidden=2) == pytest.approx(
        float(logsumexp(V @ b)) + 2 * math.log(2)
    )


@given(st.lists(st.floats(-50, 50), min_size=1, max_size=20))
def test_log_mean_exp(values):
    a = np.array(values)
    assert ais.log_mean_exp(a) == pytest.approx(math.log(np.mean(np.exp(a))), rel=1e-10, abs=1e-10)


def test_ais_estimate_interval():
    rng = np.random.default_rng(0)
    log_w = rng.normal(0.0, 0.3, size=200)
    log_z, (lo, hi) = ais.ais_estimate(log_w, log_z_base=5.0)
    w = np.exp(log_w)
    assert log_z == pytest.approx(5.0 + math.log(w.mean()))
    se = w.std() / math.sqrt(len(w))
    assert lo == pytest.approx(5.0 + math.log(w.mean() - 3 * se))
    assert hi == pytest.approx(5.0 + math.log(w.mean() + 3 * se))
    # equal weights: no spread
    assert ais.ais_estimate(np.zeros(10)) == (0.0, (0.0, 0.0))
    # one dominating weight: the lower end is −inf
    _, (lo, _) = ais.ais_estimate(np.array([0.0, -50.0, -50.0]))
    assert lo == -math.inf
    with pytest.raises(ValueError):
        ais.ais_estimate(np.array([0.0, np.nan]))


def test_generic_driver_on_a_factorized_model():
    """p*_β(x) = exp(β θᵀx) with exact transitions: AIS recovers log Z = Σ softplus(θ)."""
    theta = np.array([1.5, -0.5, 2.0, 0.3])
    M = 200

    def sample(beta, rng):
        return (rng.random((M, 4)) < 1 / (1 + np.exp(-beta * theta))).astype(float)

    log_w = ais.run_ais(
        sample_base=lambda rng: sample(0.0, rng),
        log_unnormalized=lambda x, beta: beta * (x @ theta),
        transition=lambda x, beta, rng: sample(beta, rng),
        betas=ais.ais_betas(200),
        rng=0,
    )
    log_z, (lo, hi) = ais.ais_estimate(log_w, log_z_base=4 * math.log(2))
    exact = float(np.logaddexp(0, theta).sum())
    assert lo <= exact <= hi
    assert log_z == pytest.approx(exact, abs=0.05)


@pytest.mark.parametrize(
    "seed, n_visible, n_hidden, scale",
    [(0, 12, 8, 1.0), (1, 15, 5, 1.5), (2, 8, 12, 1.0)],
)
def test_rbm_ais_lands_within_its_interval_of_the_exact_log_z(seed, n_visible, n_hidden, scale):
    rng = np.random.default_rng(seed)
    p = {
        "W": rng.normal(0, scale, (n_visible, n_hidden)),
        "b": rng.normal(0, 1, n_visible),
        "c": rng.normal(0, 1, n_hidden),
    }
    rbm = make_rbm(p)
    exact = rbm.log_partition_exact()
    data = rbm.sample(500, n_gibbs=200, rng=seed)  # a base rate fitted to model samples
    log_z, (lo, hi) = rbm.ais_log_partition(
        n_betas=2000, n_runs=100, base_rate=ais.base_rate(data), rng=seed
    )
    assert lo <= exact <= hi, (lo, exact, hi)
    assert abs(log_z - exact) < 0.5
    assert hi - lo < 2.0


def test_rbm_ais_in_float32_with_the_fitted_base_rate():
    X = (np.random.default_rng(0).random((200, 14)) < 0.3).astype(np.uint8)
    rbm = RBM(14, 10, random_state=0, n_epochs=20, learning_rate=0.1, batch_size=20).fit(X)
    assert rbm.base_rate_ is not None and rbm.W.dtype == np.float32
    exact = rbm.log_partition_exact()
    log_z, (lo, hi) = rbm.ais_log_partition(n_betas=1000, n_runs=50, rng=0)
    assert lo <= exact <= hi


def test_rbm_ais_rejects_bad_arguments():
    rbm = RBM(5, 3, random_state=0)
    with pytest.raises(ValueError, match="base_rate"):
        rbm.ais_log_partition(n_betas=10, n_runs=4, base_rate=np.zeros(3))
    with pytest.raises(ValueError, match="n_runs"):
        rbm.ais_log_partition(n_betas=10, n_runs=1)


def test_enumeration_helpers():
    A = all_binary(3)
    np.testing.assert_array_equal(A[5], [1, 0, 1])
    np.testing.assert_array_equal(np.concatenate(list(iter_binary(5, chunk_size=7))), all_binary(5))
    with pytest.raises(ValueError, match="AIS"):
        all_binary(40)
