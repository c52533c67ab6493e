"""The deep Boltzmann machine: every formula of tinygen/models/dbm.py against enumeration."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import assume, given, settings
from scipy import stats

from tests.strategies.boltzmann import dbms
from tinygen.data import bars_and_stripes
from tinygen.io import CheckpointError
from tinygen.models import DBM
from tinygen.models._enumerate import all_binary
from tinygen.models.dbm import DoubledRBM, bernoulli_entropy
from tinygen.numerics import logsumexp, sigmoid


def joint_table(dbm):
    """Every state (v, h¹, h²) and its exact log P, by brute force over −E."""
    nv, n1 = dbm.n_visible, dbm.n_hidden1
    S = all_binary(nv + n1 + dbm.n_hidden2)
    v, h1, h2 = S[:, :nv], S[:, nv : nv + n1], S[:, nv + n1 :]
    neg_e = -dbm.energy(v, h1, h2)
    return v, h1, h2, neg_e - logsumexp(neg_e)


def index_of(rows, target):
    return np.flatnonzero((rows == target).all(axis=1))


@given(dbms())
def test_energy_is_the_formula(dbm):
    rng = np.random.default_rng(0)
    v, h1, h2 = (
        rng.integers(0, 2, (5, n)).astype(float)
        for n in (dbm.n_visible, dbm.n_hidden1, dbm.n_hidden2)
    )
    want = [
        -(
            dbm.b @ v[i]
            + dbm.c1 @ h1[i]
            + dbm.c2 @ h2[i]
            + v[i] @ dbm.W1 @ h1[i]
            + h1[i] @ dbm.W2 @ h2[i]
        )
        for i in range(5)
    ]
    np.testing.assert_allclose(dbm.energy(v, h1, h2), want, rtol=1e-12, atol=1e-12)


@given(dbms())
def test_log_partition_sums_out_v_and_h2_exactly(dbm):
    v, h1, h2, _ = joint_table(dbm)
    log_z = float(logsumexp(-dbm.energy(v, h1, h2)))
    assert dbm.log_partition_exact() == pytest.approx(log_z, rel=1e-10, abs=1e-9)


@given(dbms())
def test_log_prob_exact_is_the_visible_marginal(dbm):
    v, _, _, log_p = joint_table(dbm)
    V = all_binary(dbm.n_visible)
    marginal = [logsumexp(log_p[(v == row).all(axis=1)]) for row in V]
    np.testing.assert_allclose(dbm.log_prob_exact(V), marginal, rtol=1e-9, atol=1e-9)


@given(dbms())
def test_conditionals_match_enumeration(dbm):
    """P(h¹ | v, h²), P(v | h¹) and P(h² | h¹) from the joint table equal the sigmoids."""
    v, h1, h2, log_p = joint_table(dbm)
    rng = np.random.default_rng(1)
    vs = rng.integers(0, 2, dbm.n_visible).astype(float)
    h1s = rng.integers(0, 2, dbm.n_hidden1).astype(float)
    h2s = rng.integers(0, 2, dbm.n_hidden2).astype(float)
    p = np.exp(log_p)

    given_v_h2 = (v == vs).all(1) & (h2 == h2s).all(1)
    want = (p[given_v_h2, None] * h1[given_v_h2]).sum(0) / p[given_v_h2].sum()
    np.testing.assert_allclose(dbm.p_h1_given_v_h2(vs[None], h2s[None])[0], want, atol=1e-9)

    given_h1 = (h1 == h1s).all(1)  # v and h² are independent given h¹
    for layer, got in ((v, dbm.p_v_given_h1(h1s[None])[0]), (h2, dbm.p_h2_given_h1(h1s[None])[0])):
        want = (p[given_h1, None] * layer[given_h1]).sum(0) / p[given_h1].sum()
        np.testing.assert_allclose(got, want, atol=1e-9)


def test_bernoulli_entropy():
    mu = np.array([[0.0, 1.0, 0.5, 0.2]])
    want = np.log(2) - (0.2 * np.log(0.2) + 0.8 * np.log(0.8))
    assert bernoulli_entropy(mu)[0] == pytest.approx(want)


def _q_table(mu1, mu2, h1, h2):
    """log q(h¹, h²) of the factorised mean-field distribution on every enumerated state."""
    mu = np.concatenate([mu1, mu2])
    h = np.concatenate([h1, h2], axis=1)
    with np.errstate(divide="ignore"):
        return (h * np.log(mu) + (1 - h) * np.log1p(-mu)).sum(1)


@settings(max_examples=60)
@given(dbms(scales=(0.1, 1.0, 3.0)))
def test_mean_field_fixed_point_and_bound(dbm):
    """At the fixed point: the updates hold, log p(v) − 𝓛 = KL(q ‖ P(h|v)) ≥ 0."""
    v, h1, h2, log_p = joint_table(dbm)
    vs = all_binary(dbm.n_visible)[-1:]  # v = all ones: every weight of W¹ counts
    mu1, mu2, n_iter = dbm.mean_field(vs, n_iter=2000, tol=1e-13, return_n_iter=True)
    assume(n_iter < 2000)
    np.testing.assert_allclose(mu1, sigmoid(dbm.c1 + vs @ dbm.W1 + mu2 @ dbm.W2.T), atol=1e-10)
    np.testing.assert_allclose(mu2, sigmoid(dbm.c2 + mu1 @ dbm.W2), atol=1e-12)

    log_z = dbm.log_partition_exact()
    bound = dbm._bound(vs, mu1, mu2, log_z)[0]
    exact = dbm.log_prob_exact(vs)[0]
    assert bound <= exact + 1e-9

    rows = (v == vs[0]).all(1)
    log_post = log_p[rows] - logsumexp(log_p[rows])  # P(h¹, h² | v)
    log_q = _q_table(mu1[0], mu2[0], h1[rows], h2[rows])
    q = np.exp(log_q)
    kl = float(np.sum(np.where(q > 0, q * (log_q - log_post), 0.0)))
    assert exact - bound == pytest.approx(kl, rel=1e-6, abs=1e-8)


@given(dbms(scales=(1.0, 3.0)))
def test_each_mean_field_sweep_raises_the_bound(dbm):
    """Each update maximises 𝓛 over one layer exactly, so 𝓛 never decreases."""
    vs = np.ones((1, dbm.n_visible))
    bounds = [dbm._bound(vs, *dbm.mean_field(vs, n_iter=t))[0] for t in range(8)]
    assert np.all(np.diff(bounds) >= -1e-10)


@settings(max_examples=30)
@given(dbms(scales=(1.0, 3.0)))
def test_fixed_point_is_a_local_maximum_of_the_bound(dbm):
    vs = np.ones((1, dbm.n_visible))
    mu1, mu2, n_iter = dbm.mean_field(vs, n_iter=2000, tol=1e-13, return_n_iter=True)
    assume(n_iter < 2000 and np.all((mu1 > 1e-6) & (mu1 < 1 - 1e-6)))
    best = dbm._bound(vs, mu1, mu2)[0]
    rng = np.random.default_rng(0)
    for _ in range(10):
        moved = np.clip(mu1 + 1e-4 * rng.standard_normal(mu1.shape), 1e-9, 1 - 1e-9)
        assert dbm._bound(vs, moved, mu2)[0] <= best + 1e-12


def test_mean_field_bound_public_matches_private_and_normalises():
    dbm = _random_dbm(4, 5, 3, seed=3)
    X = all_binary(4)
    log_z = dbm.log_partition_exact()
    b = dbm.mean_field_bound(X, log_z=log_z, per_sample=True)
    assert np.all(b <= dbm.log_prob_exact(X) + 1e-9)
    assert dbm.mean_field_bound(X, log_z=log_z) == pytest.approx(b.mean())


def _random_dbm(nv, n1, n2, seed, scale=1.0):
    rng = np.random.default_rng(seed)
    dbm = DBM(nv, n1, n2, dtype=np.float64, random_state=seed)
    dbm.W1 = scale * rng.standard_normal((nv, n1))
    dbm.W2 = scale * rng.standard_normal((n1, n2))
    dbm.b, dbm.c1, dbm.c2 = (scale * rng.standard_normal(n) for n in (nv, n1, n2))
    return dbm


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_ais_interval_contains_exact_log_z(seed):
    dbm = _random_dbm(8, 6, 4, seed)
    exact = dbm.log_partition_exact()
    log_z, (lo, hi) = dbm.ais_log_partition(
        n_betas=3000, n_runs=200, rng=seed, base_rate=np.zeros(8)
    )
    assert lo <= exact <= hi
    assert log_z == pytest.approx(exact, abs=0.1)


def test_ais_rejects_bad_betas_and_base_rate():
    dbm = _random_dbm(3, 2, 2, 0)
    with pytest.raises(ValueError, match="base_rate"):
        dbm.ais_log_partition(n_betas=10, base_rate=np.zeros(4))
    from tinygen.models.ais import dbm_ais

    with pytest.raises(ValueError, match="betas"):
        dbm_ais(dbm.W1, dbm.W2, dbm.b, dbm.c1, dbm.c2, np.zeros(3), betas=np.array([0.5, 1.0]))


def test_gibbs_samples_follow_the_exact_distribution():
    """Two-block Gibbs leaves P invariant: long-run v samples pass a chi-square test."""
    dbm = _random_dbm(3, 3, 2, seed=5)
    v = dbm.sample(4000, n_gibbs=60, rng=0)
    codes = (v @ (2 ** np.arange(2, -1, -1))).astype(int)
    counts = np.bincount(codes, minlength=8)
    expected = np.exp(dbm.log_prob_exact(all_binary(3))) * len(codes)
    assert stats.chisquare(counts, expected).pvalue > 1e-3


def test_doubled_rbm_conditionals():
    rbm = DoubledRBM(3, 2, up=2, down=1, dtype=np.float64, random_state=0)
    v = np.array([[1.0, 0.0, 1.0]])
    np.testing.assert_allclose(rbm.p_h_given_v(v), sigmoid(rbm.c + 2 * v @ rbm.W))
    h = np.array([[1.0, 1.0]])
    np.testing.assert_allclose(rbm.p_v_given_h(h), sigmoid(rbm.b + h @ rbm.W.T))
    top = DoubledRBM(3, 2, up=1, down=2, dtype=np.float64, random_state=0)
    np.testing.assert_allclose(top.p_v_given_h(h), sigmoid(top.b + 2 * h @ top.W.T))


def test_pretraining_composes_the_doubled_rbms():
    X = bars_and_stripes(3)
    dbm = DBM(9, 8, 4, dtype=np.float64, random_state=0).pretrain(X, n_epochs=30, learning_rate=0.1)
    bottom, top = dbm.pretrained_
    np.testing.assert_array_equal(dbm.W1, bottom.W)
    np.testing.assert_array_equal(dbm.W2, top.W)
    np.testing.assert_allclose(dbm.c1, (bottom.c + top.b) / 2)
    np.testing.assert_array_equal(dbm.b, bottom.b)
    np.testing.assert_array_equal(dbm.c2, top.c)


def test_training_raises_the_exact_log_likelihood_on_bars_and_stripes():
    X = bars_and_stripes(3)  # 14 patterns of 9 pixels: uniform over them is −log 14 ≈ −2.64
    dbm = DBM(
        9,
        10,
        6,
        dtype=np.float64,
        random_state=0,
        learning_rate=0.05,
        n_epochs=300,
        batch_size=14,
        n_persistent=50,
        momentum=0.5,
    )
    before = dbm.log_prob_exact(X).mean()
    dbm.pretrain(X, n_epochs=200, learning_rate=0.1, batch_size=14)
    pretrained = dbm.log_prob_exact(X).mean()
    dbm.fit(np.tile(X, (10, 1)))
    after = dbm.log_prob_exact(X).mean()
    assert before < pretrained and before + 2.0 < after
    assert after > -5.0
    assert len(dbm.history_["mean_field_bound_unnormalized"]) == 300


def test_complete_keeps_the_observed_pixels():
    dbm = _random_dbm(6, 4, 3, seed=2)
    v = np.array([[1, 0, 1, 0, 0.5, 0.5]] * 3)
    mask = np.array([0, 0, 0, 0, 1, 1], bool)
    out = dbm.complete(v, mask, n_gibbs=20, rng=0)
    np.testing.assert_array_equal(out[:, :4], v[:, :4])
    assert np.all((out[:, 4:] >= 0) & (out[:, 4:] <= 1))


def test_bad_input_is_a_clear_error():
    dbm = DBM(4, 3, 2, random_state=0)
    with pytest.raises(ValueError, match="binary"):
        dbm.fit(np.full((5, 4), 0.5))
    with pytest.raises(ValueError, match=r"shape \(n_samples, 4\)"):
        dbm.mean_field_bound(np.ones((5, 3)))
    with pytest.raises(ValueError, match="X\\[None, :\\]"):
        dbm.mean_field_bound(np.ones(4))
    with pytest.raises(ValueError, match="empty"):
        dbm.mean_field_bound(np.zeros((0, 4)))
    with pytest.raises(ValueError, match="NaN"):  # checked even where 0/1 is not required
        dbm.complete(np.full((2, 4), np.nan), np.ones(4, bool))
    with pytest.raises(ValueError, match="intractable"):
        DBM(4, 30, 2).log_partition_exact()
    with pytest.raises(ValueError, match="momentum"):
        DBM(4, 3, 2, momentum=1.0)


def test_nan_stops_training_and_keeps_the_last_good_parameters():
    X = bars_and_stripes(2)
    dbm = DBM(4, 3, 2, random_state=0, n_epochs=1, batch_size=6)
    dbm.fit(X)
    good = {n: dbm.__dict__[n].copy() for n in DBM._PARAMS}
    dbm.learning_rate = 1e38  # overflows within the first of these epochs' 20 updates
    dbm.n_epochs = 3
    with pytest.raises(FloatingPointError, match="lower the learning rate"):
        dbm.fit(np.tile(X, (20, 1)))
    for name, value in good.items():
        np.testing.assert_array_equal(getattr(dbm, name), value)


def test_save_load_round_trip(tmp_path):
    X = bars_and_stripes(2)
    dbm = DBM(4, 3, 2, random_state=0, n_epochs=2, batch_size=6).fit(X)
    path = dbm.save(tmp_path / "dbm")
    loaded = DBM.load(path)
    for name in DBM._PARAMS:
        np.testing.assert_array_equal(getattr(loaded, name), getattr(dbm, name))
    np.testing.assert_array_equal(loaded.base_rate_, dbm.base_rate_)
    assert loaded.epochs_done_ == 2 and loaded.n_hidden2 == 2
    assert loaded.history_ == dbm.history_
    assert loaded.log_partition_exact() == pytest.approx(dbm.log_partition_exact())
    np.savez(tmp_path / "other.npz", W=np.zeros(3))
    with pytest.raises(CheckpointError, match="not a DBM checkpoint"):
        DBM.load(tmp_path / "other.npz")
    (tmp_path / "broken.npz").write_bytes(b"not a zip file")
    with pytest.raises(CheckpointError):
        DBM.load(tmp_path / "broken.npz")
