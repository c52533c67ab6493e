"""DBN: greedy training, the directed conditionals, sampling, completion, classifier."""

from __future__ import annotations

import itertools

import numpy as np
import pytest
from scipy import special

from tinygen.data import bars_and_stripes
from tinygen.models.dbn import DBN
from tinygen.models.gaussian_rbm import GaussianBernoulliRBM
from tinygen.models.rbm import RBM

FAST = {"n_epochs": 5, "batch_size": 10, "learning_rate": 0.1}


def bas_data(repeats=10):
    return np.tile(bars_and_stripes(3).astype(np.float32), (repeats, 1))  # (140, 9)


@pytest.fixture(scope="module")
def dbn():
    return DBN([9, 8, 6], rbm_kwargs=FAST, random_state=0).fit(bas_data())


def test_greedy_training_shapes_and_layers(dbn):
    assert dbn.n_layers == 2
    assert [type(r) for r in dbn.rbms] == [RBM, RBM]
    assert dbn.rbms[0].W.shape == (9, 8) and dbn.rbms[1].W.shape == (8, 6)
    assert all(r.n_updates_ > 0 for r in dbn.rbms)  # both layers were trained
    X = bas_data(1)
    mus = dbn.transform(X, return_all=True)
    assert [m.shape for m in mus] == [(14, 8), (14, 6)]
    np.testing.assert_allclose(dbn.transform(X), mus[-1])
    # the upward pass is the composition of the RBMs' P(h=1|v)
    np.testing.assert_allclose(mus[1], dbn.rbms[1].p_h_given_v(dbn.rbms[0].p_h_given_v(X)))


def test_greedy_training_is_reproducible():
    a = DBN([9, 5, 4], rbm_kwargs=FAST, random_state=3).fit(bas_data())
    b = DBN([9, 5, 4], rbm_kwargs=FAST, random_state=3).fit(bas_data())
    for ra, rb in zip(a.rbms, b.rbms):
        np.testing.assert_array_equal(ra.W, rb.W)


def test_top_down_conditional_formula(dbn):
    rng = np.random.default_rng(0)
    for k, rbm in enumerate(dbn.rbms):
        h = (rng.random((7, rbm.n_hidden)) < 0.5).astype(np.float32)
        W, b = np.asarray(rbm.W, np.float64), np.asarray(rbm.b, np.float64)
        expected = special.expit(b + h @ W.T)  # σ(b⁽ᵏ⁾ + W⁽ᵏ⁺¹⁾ h⁽ᵏ⁺¹⁾), W of shape (n_k, n_{k+1})
        np.testing.assert_allclose(dbn.p_down(k, h), expected, rtol=1e-5, atol=1e-6)


def test_gaussian_visible_conditional_and_training():
    rng = np.random.default_rng(0)
    X = np.concatenate([rng.normal(2, 0.3, (100, 4)), rng.normal(-2, 0.3, (100, 4))])
    dbn = DBN(
        [4, 6, 3],
        visible="gaussian",
        rbm_kwargs=[{"n_epochs": 5, "batch_size": 20, "sigma": 0.5}, FAST],
        random_state=0,
    ).fit(X.astype(np.float32))
    assert isinstance(dbn.rbms[0], GaussianBernoulliRBM) and isinstance(dbn.rbms[1], RBM)
    h = (rng.random((5, 6)) < 0.5).astype(np.float32)
    r = dbn.rbms[0]
    # v ~ N(b⁽⁰⁾ + σ ⊙ W⁽¹⁾h⁽¹⁾, σ²): the book's N(b + Wᵀh, β⁻¹) with β = σ⁻²
    np.testing.assert_allclose(dbn.p_down(0, h), r.b + 0.5 * h @ r.W.T, rtol=1e-5, atol=1e-5)
    s = dbn.sample(6, n_gibbs=5, rng=0)
    assert s.shape == (6, 4) and np.all(np.isfinite(s))
    mask = np.array([False, False, True, True])
    out = dbn.complete(X[:5], mask, n_gibbs=5, rng=0)
    np.testing.assert_array_equal(out[:, :2], X[:5, :2].astype(np.float32))
    clf = dbn.to_classifier(2, random_state=0)
    from tinygen import Tensor

    feats = clf[:-1](Tensor(X[:5].astype(np.float32))).numpy()
    np.testing.assert_allclose(feats, dbn.transform(X[:5]), rtol=1e-5, atol=1e-6)


def test_sampling_shapes_binary_and_reproducible(dbn):
    s = dbn.sample(11, n_gibbs=20, rng=1)
    assert s.shape == (11, 9)
    assert set(np.unique(s)) <= {0.0, 1.0}
    np.testing.assert_array_equal(s, dbn.sample(11, n_gibbs=20, rng=1))
    p = dbn.sample(11, n_gibbs=20, rng=1, return_probabilities=True)
    assert p.shape == (11, 9) and np.all((p >= 0) & (p <= 1))


def test_to_classifier_reproduces_the_upward_pass(dbn):
    from tinygen import Tensor, nn

    X = bas_data(1)
    clf = dbn.to_classifier(3, random_state=0)
    assert isinstance(clf, nn.Sequential) and len(clf) == 5
    np.testing.assert_array_equal(clf[0].weight.data, np.asarray(dbn.rbms[0].W).T)
    np.testing.assert_array_equal(clf[0].bias.data, dbn.rbms[0].c)
    first = clf[:2](Tensor(X)).numpy()
    np.testing.assert_allclose(first, dbn.rbms[0].transform(X), rtol=1e-5, atol=1e-6)
    hidden = clf[:-1](Tensor(X)).numpy()
    np.testing.assert_allclose(hidden, dbn.transform(X), rtol=1e-5, atol=1e-6)
    assert clf(Tensor(X)).shape == (14, 3)
    # one layer: the classifier's first block is exactly the DBN's transform
    one = DBN([9, 4], rbm_kwargs=FAST, random_state=0).fit(bas_data())
    out = one.to_classifier(2)[:2](Tensor(X)).numpy()
    np.testing.assert_allclose(out, one.transform(X), rtol=1e-5, atol=1e-6)


def test_completion_keeps_observed_pixels(dbn):
    X = bas_data(1)
    mask = np.zeros(9, dtype=bool)
    mask[6:] = True  # the bottom row is missing
    out = dbn.complete(X, mask, n_gibbs=10, rng=0)
    assert out.shape == X.shape
    np.testing.assert_array_equal(out[:, :6], X[:, :6])
    assert np.all((out[:, 6:] >= 0) & (out[:, 6:] <= 1))
    with pytest.raises(ValueError, match="mask"):
        dbn.complete(X, np.zeros(5, dtype=bool))


def test_lower_bound_one_layer_is_exact_log_likelihood():
    one = DBN([9, 4], rbm_kwargs=FAST, random_state=0).fit(bas_data())
    X = bas_data(1)
    log_z = one.rbms[0].log_partition_exact()
    bound = one.log_likelihood_lower_bound(X, log_z, n_samples=2, rng=0)
    assert bound == pytest.approx(one.rbms[0].log_likelihood(X, log_z), rel=1e-5)


def test_exact_log_likelihood_normalizes_and_matches_enumeration(dbn):
    V = np.array(list(itertools.product([0.0, 1.0], repeat=9)), dtype=np.float32)
    ll = dbn.log_likelihood_exact(V, per_sample=True)
    assert special.logsumexp(ll) == pytest.approx(0.0, abs=1e-6)  # Σ_v P(v) = 1
    three = DBN([9, 4, 3, 2], rbm_kwargs=FAST, random_state=1).fit(bas_data())
    assert special.logsumexp(three.log_likelihood_exact(V, per_sample=True)) == pytest.approx(
        0.0, abs=1e-6
    )


BAS_TRANSPOSE = [
    {"n_epochs": 200, "batch_size": 20, "learning_rate": 0.1},
    {"n_epochs": 200, "batch_size": 20, "learning_rate": 0.05},
]


def test_transposed_top_layer_leaves_the_marginal_unchanged():
    kw = [BAS_TRANSPOSE[0], {**BAS_TRANSPOSE[1], "n_epochs": 0}]
    dbn = DBN([9, 6, 9], rbm_kwargs=kw, init_transpose=True, random_state=0).fit(bas_data(20))
    np.testing.assert_array_equal(dbn.rbms[1].W, dbn.rbms[0].W.T)
    V = bars_and_stripes(3)
    rbm1 = dbn.rbms[0]
    expected = rbm1.log_likelihood(V, rbm1.log_partition_exact(), per_sample=True)
    np.testing.assert_allclose(
        dbn.log_likelihood_exact(V, per_sample=True), expected, rtol=1e-5, atol=1e-5
    )


def test_dbn_beats_its_own_first_rbm():
    """Exact log-likelihoods on 3×3 bars and stripes: the second layer (initialised as the
    transpose of the first, then trained on samples of h¹) improves on the first RBM."""
    dbn = DBN([9, 6, 9], rbm_kwargs=BAS_TRANSPOSE, init_transpose=True, random_state=0)
    dbn.fit(bas_data(20))
    V = bars_and_stripes(3)
    rbm1 = dbn.rbms[0]
    ll_rbm = rbm1.log_likelihood(V, rbm1.log_partition_exact())
    ll_dbn = dbn.log_likelihood_exact(V)
    assert ll_dbn > ll_rbm + 0.1, (ll_dbn, ll_rbm)


def test_lower_bound_is_below_exact_dbn_log_likelihood(dbn):
    X = bas_data(1).astype(np.float64)
    r1, top = dbn.rbms
    W1, b1 = np.asarray(r1.W, np.float64), np.asarray(r1.b, np.float64)
    H1 = np.array(list(itertools.product([0.0, 1.0], repeat=8)))
    log_z = top.log_partition_exact()
    log_p_top = -np.asarray(top.free_energy(H1.astype(np.float32)), np.float64) - log_z
    a = H1 @ W1.T + b1  # (256, 9) logits of P(v | h1)
    log_p_v_h = X @ special.log_expit(a).T + (1 - X) @ special.log_expit(-a).T  # (14, 256)
    exact = special.logsumexp(log_p_v_h + log_p_top, axis=1).mean()
    assert dbn.log_likelihood_exact(X) == pytest.approx(exact, rel=1e-6)
    bound = dbn.log_likelihood_lower_bound(X, log_z, n_samples=200, rng=0)
    assert bound <= exact + 0.05
    assert bound > exact - 1.0  # a bound, but a tight one here (gap ≈ 0.07 nats)


def test_save_load_roundtrip(dbn, tmp_path):
    path = dbn.save(tmp_path / "dbn.npz")
    other = DBN.load(path)
    assert other.layer_sizes == dbn.layer_sizes
    X = bas_data(1)
    np.testing.assert_allclose(other.transform(X), dbn.transform(X))


def test_bad_arguments():
    with pytest.raises(ValueError, match="layer_sizes"):
        DBN([9])
    with pytest.raises(ValueError, match="one per layer"):
        DBN([9, 4, 3], rbm_kwargs=[{}])
    with pytest.raises(ValueError, match="visible"):
        DBN([9, 4], visible="poisson")
    with pytest.raises(ValueError, match="binary"):
        DBN([3, 2]).fit(np.full((4, 3), 0.5))
