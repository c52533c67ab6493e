"""The RBM's derivations, checked against brute-force enumeration of small models.

Lesson: ``lessons/rbm.py``. Every property below is a line of the Deep Learning book's
§20.2 made executable: the factorized conditionals, the free energy, the partition function,
the log-likelihood gradient (positive minus negative phase), CD's update, Gibbs sampling.
"""

from __future__ import annotations

import numpy as np
import pytest
import scipy.special
import scipy.stats
from hypothesis import given, settings
from hypothesis import strategies as st

import tinygen.functional as F
from tests.strategies.rbm import binary_rows, make_rbm, rbm_params, rbms
from tinygen import Tensor
from tinygen.data import bars_and_stripes
from tinygen.models._enumerate import all_binary
from tinygen.models.rbm import RBM
from tinygen.numerics import logsumexp
from tinygen.testing import check_grads


# --------------------------------------------------------------------------- brute force
def joint_logits(W, b, c):
    """−E(v, h) for every (v, h): array of shape (2**nv, 2**nh), with V and H."""
    V, H = all_binary(W.shape[0]), all_binary(W.shape[1])
    return (V @ b)[:, None] + (H @ c)[None, :] + V @ W @ H.T, V, H


def brute_log_z(W, b, c):
    return float(logsumexp(joint_logits(W, b, c)[0]))


def brute_mean_log_likelihood(W, b, c, X):
    """mean_n log Σ_h exp(−E(x_n, h)) − log Z, by enumeration."""
    H = all_binary(W.shape[1])
    per = (X @ b)[:, None] + (H @ c)[None, :] + X @ W @ H.T
    return float(np.mean(logsumexp(per, axis=1))) - brute_log_z(W, b, c)


# --------------------------------------------------------------------------- conditionals
@given(rbm_params())
def test_energy_matches_the_formula(p):
    rbm = make_rbm(p)
    logits, V, H = joint_logits(p["W"], p["b"], p["c"])
    vi, hi = np.meshgrid(np.arange(len(V)), np.arange(len(H)), indexing="ij")
    E = rbm.energy(V[vi.ravel()], H[hi.ravel()])
    np.testing.assert_allclose(E, -logits.ravel(), rtol=1e-12, atol=1e-9)


@given(rbm_params())
def test_factorized_p_h_given_v_equals_enumeration(p):
    """P(h|v) ∝ exp(−E(v,h)) over h equals Π_j σ(c_j + vᵀW₍:,j₎)^{h_j}(1 − σ)^{1−h_j}."""
    rbm = make_rbm(p)
    logits, V, H = joint_logits(p["W"], p["b"], p["c"])
    cond = np.exp(logits - logsumexp(logits, axis=1, keepdims=True))  # P(h|v), rows v
    q = rbm.p_h_given_v(V)  # (2**nv, nh)
    prod = np.prod(np.where(H[None, :, :] == 1, q[:, None, :], 1 - q[:, None, :]), axis=2)
    np.testing.assert_allclose(prod, cond, atol=1e-10)
    np.testing.assert_allclose(q, cond @ H, atol=1e-10)  # marginals P(h_j = 1 | v)


@given(rbm_params())
def test_factorized_p_v_given_h_equals_enumeration(p):
    rbm = make_rbm(p)
    logits, V, H = joint_logits(p["W"], p["b"], p["c"])
    cond = np.exp(logits - logsumexp(logits, axis=0, keepdims=True)).T  # P(v|h), rows h
    q = rbm.p_v_given_h(H)
    prod = np.prod(np.where(V[None, :, :] == 1, q[:, None, :], 1 - q[:, None, :]), axis=2)
    np.testing.assert_allclose(prod, cond, atol=1e-10)
    np.testing.assert_allclose(q, cond @ V, atol=1e-10)


@given(rbm_params())
def test_free_energy_is_minus_log_sum_over_h(p):
    rbm = make_rbm(p)
    logits, V, _ = joint_logits(p["W"], p["b"], p["c"])
    np.testing.assert_allclose(
        rbm.free_energy(V), -logsumexp(logits, axis=1), rtol=1e-12, atol=1e-9
    )


@given(rbm_params())
def test_log_partition_exact_equals_brute_force_and_p_v_sums_to_one(p):
    rbm = make_rbm(p)
    log_z = rbm.log_partition_exact()
    assert log_z == pytest.approx(brute_log_z(p["W"], p["b"], p["c"]), rel=1e-12, abs=1e-9)
    V = all_binary(rbm.n_visible)
    log_p = rbm.log_likelihood(V, log_z, per_sample=True)
    assert np.exp(logsumexp(log_p)) == pytest.approx(1.0, abs=1e-10)


def test_log_partition_exact_small_chunks_and_limit():
    rng = np.random.default_rng(3)
    p = {"W": rng.normal(size=(5, 4)), "b": rng.normal(size=5), "c": rng.normal(size=4)}
    rbm = make_rbm(p)
    assert rbm.log_partition_exact(chunk_size=3) == pytest.approx(rbm.log_partition_exact())
    big = RBM(30, 26, random_state=0)
    with pytest.raises(ValueError, match="ais_log_partition"):
        big.log_partition_exact()


# --------------------------------------------------------------------------- gradients
def _free_energy_tensor(v, W, b, c):
    """F(v) = −bᵀv − Σ_j softplus(c_j + vᵀW₍:,j₎), from Tensor ops."""
    return -(Tensor(v) @ b) - F.softplus(Tensor(v) @ W + c).sum(axis=1)


@given(rbm_params(), st.integers(0, 2**31 - 1))
def test_cd_update_equals_autograd_of_free_energy_difference(p, seed):
    """_gradients(v_data, v_model) = −∇θ[mean F(v_data) − mean F(v_model)], v_model fixed."""
    rbm = make_rbm(p, k=2)
    rng = np.random.default_rng(seed)
    v_data = (rng.random((7, rbm.n_visible)) < 0.5).astype(np.float64)
    v_model = rbm.gibbs(v_data, k=2, rng=rng)  # CD-2 negative samples, then held constant
    W, b, c = (Tensor(p[k], requires_grad=True) for k in ("W", "b", "c"))
    obj = _free_energy_tensor(v_data, W, b, c).mean() - _free_energy_tensor(v_model, W, b, c).mean()
    obj.backward()
    dW, db, dc = rbm._gradients(v_data, v_model)
    np.testing.assert_allclose(dW, -W.grad, rtol=1e-10, atol=1e-12)
    np.testing.assert_allclose(db, -b.grad, rtol=1e-10, atol=1e-12)
    np.testing.assert_allclose(dc, -c.grad, rtol=1e-10, atol=1e-12)


def _exact_log_likelihood_tensor(X):
    """mean log P(x) = mean log Σ_h e^{−E(x,h)} − log Σ_{v,h} e^{−E(v,h)}, in Tensor ops."""

    def f(W, b, c):
        V, H = all_binary(W.shape[0]), all_binary(W.shape[1])
        Ht = Tensor(H)
        data = (Tensor(X) @ b).reshape(-1, 1) + (Ht @ c).reshape(1, -1) + Tensor(X) @ W @ Ht.T
        joint = (Tensor(V) @ b).reshape(-1, 1) + (Ht @ c).reshape(1, -1) + Tensor(V) @ W @ Ht.T
        return F.logsumexp(data, axis=1).mean() - F.logsumexp(joint, axis=None)

    return f


@settings(max_examples=15)
@given(
    rbm_params(max_visible=5, max_hidden=4).filter(lambda p: np.abs(p["W"]).max() <= 3.0), st.data()
)
def test_positive_minus_negative_phase_is_the_exact_gradient(p, data):
    """∇ log-likelihood = ⟨v P(h|v)ᵀ⟩_data − Σ_v P(v) v P(h|v)ᵀ (negative phase exact)."""
    rbm = make_rbm(p)
    X = data.draw(binary_rows(rbm.n_visible, max_rows=6))
    V = all_binary(rbm.n_visible)
    P_v = np.exp(rbm.log_likelihood(V, rbm.log_partition_exact(), per_sample=True))
    Q_d, Q_v = rbm.p_h_given_v(X), rbm.p_h_given_v(V)
    dW = X.T @ Q_d / len(X) - V.T @ (P_v[:, None] * Q_v)
    db = X.mean(0) - P_v @ V
    dc = Q_d.mean(0) - P_v @ Q_v
    f = _exact_log_likelihood_tensor(X)
    check_grads(f, p["W"], p["b"], p["c"], rtol=1e-4, atol=1e-6)  # the reference is right…
    W, b, c = (Tensor(p[k], requires_grad=True) for k in ("W", "b", "c"))
    f(W, b, c).backward()  # …and the phases equal it
    np.testing.assert_allclose(dW, W.grad, rtol=1e-7, atol=1e-9)
    np.testing.assert_allclose(db, b.grad, rtol=1e-7, atol=1e-9)
    np.testing.assert_allclose(dc, c.grad, rtol=1e-7, atol=1e-9)
    # and the same numbers from finite differences of the numpy brute force
    eps = 1e-6
    i, j = data.draw(st.integers(0, rbm.n_visible - 1)), data.draw(st.integers(0, rbm.n_hidden - 1))
    Wp, Wm = p["W"].copy(), p["W"].copy()
    Wp[i, j] += eps
    Wm[i, j] -= eps
    fd = (
        brute_mean_log_likelihood(Wp, p["b"], p["c"], X)
        - brute_mean_log_likelihood(Wm, p["b"], p["c"], X)
    ) / (2 * eps)
    assert dW[i, j] == pytest.approx(fd, rel=1e-4, abs=1e-6)


def _ratio_matching_loss(W, b, c, X):
    """J = mean_n Σ_i σ(F(x) − F(f(x, i)))², by explicit bit flips (numpy)."""

    def fe(v):
        return -(v @ b) - np.logaddexp(0.0, v @ W + c).sum(-1)

    total = 0.0
    for i in range(X.shape[1]):
        Xf = X.copy()
        Xf[:, i] = 1 - Xf[:, i]
        total = total + scipy_expit(fe(X) - fe(Xf)) ** 2
    return float(np.mean(total))


def scipy_expit(x):
    return scipy.special.expit(x)


@settings(max_examples=15)
@given(rbms(max_visible=5, max_hidden=4), st.data())
def test_ratio_matching_gradient_matches_finite_differences(rbm, data):
    X = data.draw(binary_rows(rbm.n_visible, max_rows=5))
    dW, db, dc = rbm._ratio_matching_gradients(X)
    assert rbm.last_ratio_matching_loss_ == pytest.approx(
        _ratio_matching_loss(rbm.W, rbm.b, rbm.c, X), rel=1e-10, abs=1e-12
    )
    eps = 1e-6
    rng = np.random.default_rng(0)
    for name, g in (("W", dW), ("b", db), ("c", dc)):
        d = rng.standard_normal(g.shape)
        params = {"W": rbm.W, "b": rbm.b, "c": rbm.c}
        plus = dict(params, **{name: params[name] + eps * d})
        minus = dict(params, **{name: params[name] - eps * d})
        fd = (_ratio_matching_loss(**plus, X=X) - _ratio_matching_loss(**minus, X=X)) / (2 * eps)
        # _ratio_matching_gradients returns the descent direction −∇J
        assert float(np.sum(-g * d)) == pytest.approx(fd, rel=1e-5, abs=1e-8)


# --------------------------------------------------------------------------- sampling
def test_gibbs_samples_match_the_exact_joint():
    """(v_k, h_{k−1}) of a long block-Gibbs chain is distributed as P(v, h) (chi-square)."""
    rng = np.random.default_rng(12345)
    p = {"W": rng.normal(0, 0.7, (3, 3)), "b": rng.normal(0, 0.3, 3), "c": rng.normal(0, 0.3, 3)}
    rbm = make_rbm(p)
    logits, V, H = joint_logits(p["W"], p["b"], p["c"])
    P = np.exp(logits - logsumexp(logits)).ravel()  # state index = 8·code(v) + code(h)
    n = 20000
    v0 = (rng.random((n, 3)) < 0.5).astype(np.float64)
    v, h = rbm.gibbs(v0, k=30, rng=rng, return_hidden=True)
    code = (v @ [4, 2, 1]) * 8 + h @ [4, 2, 1]
    counts = np.bincount(code.astype(int), minlength=64)
    assert P.min() * n > 5  # the chi-square approximation holds
    stat, pvalue = scipy.stats.chisquare(counts, P * n)
    assert pvalue > 1e-3, (stat, pvalue)


def test_gibbs_chain_does_not_match_a_wrong_joint():
    """The chi-square test above has power: a model with other weights fails it."""
    rng = np.random.default_rng(12345)
    p = {"W": rng.normal(0, 0.7, (3, 3)), "b": rng.normal(0, 0.3, 3), "c": rng.normal(0, 0.3, 3)}
    wrong = dict(p, W=p["W"] + 0.3)
    logits, _, _ = joint_logits(wrong["W"], wrong["b"], wrong["c"])
    P = np.exp(logits - logsumexp(logits)).ravel()
    rbm = make_rbm(p)
    n = 20000
    v, h = rbm.gibbs((rng.random((n, 3)) < 0.5).astype(float), k=30, rng=rng, return_hidden=True)
    counts = np.bincount(((v @ [4, 2, 1]) * 8 + h @ [4, 2, 1]).astype(int), minlength=64)
    assert scipy.stats.chisquare(counts, P * n).pvalue < 1e-6


def test_same_seed_gives_identical_results():
    X = bars_and_stripes(3)
    a = RBM(9, 5, random_state=7, n_epochs=3, batch_size=5).fit(X)
    b = RBM(9, 5, random_state=7, n_epochs=3, batch_size=5).fit(X)
    np.testing.assert_array_equal(a.W, b.W)
    np.testing.assert_array_equal(a.sample(4, n_gibbs=5, rng=1), b.sample(4, n_gibbs=5, rng=1))
    assert a.W.dtype == np.float32 and a.b.dtype == np.float32


# --------------------------------------------------------------------------- monitors
@settings(max_examples=20)
@given(rbm_params(max_visible=5), st.data())
def test_exact_pseudo_likelihood_equals_enumerated_conditionals(p, data):
    rbm = make_rbm(p)
    X = data.draw(binary_rows(rbm.n_visible, max_rows=4))
    V = all_binary(rbm.n_visible)
    logp = rbm.log_likelihood(V, rbm.log_partition_exact(), per_sample=True)
    weights = 2 ** np.arange(rbm.n_visible - 1, -1, -1)
    expected = np.zeros(len(X))
    for i in range(rbm.n_visible):
        Xf = X.copy()
        Xf[:, i] = 1 - Xf[:, i]
        lx, lf = logp[(X @ weights).astype(int)], logp[(Xf @ weights).astype(int)]
        expected += lx - np.logaddexp(lx, lf)  # log P(x_i | x_−i)
    np.testing.assert_allclose(rbm.pseudo_likelihood(X, exact=True), expected, rtol=1e-9, atol=1e-9)


def test_stochastic_pseudo_likelihood_is_unbiased():
    rng = np.random.default_rng(0)
    p = {"W": rng.normal(size=(6, 4)), "b": rng.normal(size=6), "c": rng.normal(size=4)}
    rbm = make_rbm(p)
    x = np.array([[1, 0, 1, 1, 0, 0]], dtype=float)
    est = rbm.pseudo_likelihood(np.repeat(x, 20000, axis=0), rng=1)
    exact = rbm.pseudo_likelihood(x, exact=True)[0]
    assert est.mean() == pytest.approx(exact, abs=4 * est.std() / np.sqrt(len(est)))


def test_transform_and_reconstruction_error():
    X = bars_and_stripes(3)
    rbm = RBM(9, 6, random_state=0, n_epochs=2)
    rbm.fit(X)
    Z = rbm.transform(X)
    assert Z.shape == (14, 6) and np.all((Z >= 0) & (Z <= 1))
    err = rbm.reconstruction_error(X)
    assert 0.0 <= err <= 1.0
    assert len(rbm.history_["reconstruction_error"]) == 2


# --------------------------------------------------------------------------- training
@pytest.mark.parametrize("method", ["cd", "pcd"])
def test_training_on_bars_and_stripes_raises_the_exact_log_likelihood(method):
    X = bars_and_stripes(3)  # 14 patterns of 3 × 3
    rbm = RBM(
        9,
        16,
        method=method,
        learning_rate=0.3,
        batch_size=14,
        n_epochs=1000,
        lr_schedule="linear",
        weight_decay=0.0,
        n_persistent=100,
        random_state=0,
    )
    ll0 = rbm.log_likelihood(X, rbm.log_partition_exact())
    curve = []
    rbm.fit(X, callback=lambda m, e: curve.append(e))
    assert curve == list(range(1000))
    log_z = rbm.log_partition_exact()
    ll = rbm.log_likelihood(X, log_z)
    mass = np.exp(logsumexp(rbm.log_likelihood(X, log_z, per_sample=True)))
    assert ll > ll0 + 2.5, (ll0, ll)  # optimum is log(1/14) ≈ −2.64, start ≈ −6.2
    assert mass > 0.5, mass


def test_ratio_matching_training_raises_the_exact_log_likelihood():
    X = bars_and_stripes(3)
    rbm = RBM(
        9,
        8,
        method="ratio_matching",
        learning_rate=0.5,
        batch_size=14,
        n_epochs=600,
        random_state=0,
    )
    ll0 = rbm.log_likelihood(X, rbm.log_partition_exact())
    rbm.fit(X)
    assert rbm.log_likelihood(X, rbm.log_partition_exact()) > ll0 + 2.0


def test_partial_fit_sets_visible_biases_from_data_and_updates():
    X = bars_and_stripes(3)
    rbm = RBM(9, 4, random_state=0, learning_rate=0.0, momentum=0.0, weight_decay=0.0)
    rbm.partial_fit(X)
    p = (X.mean(0) + 1e-3) / (1 + 2e-3)
    np.testing.assert_allclose(rbm.b, np.log(p / (1 - p)), rtol=1e-5)
    assert rbm.base_rate_.shape == (9,) and rbm.n_updates_ == 1


def test_complete_keeps_observed_pixels_and_matches_the_exact_conditional():
    """Clamped Gibbs samples the model's conditional P(v_missing | v_observed)."""
    rng = np.random.default_rng(5)
    p = {"W": rng.normal(0, 1.5, (6, 4)), "b": rng.normal(size=6), "c": rng.normal(size=4)}
    rbm = make_rbm(p)
    mask = np.array([False, False, False, False, True, True])
    x = np.array([1.0, 0.0, 1.0, 1.0, 0.0, 0.0])
    n = 4000
    out = rbm.complete(np.tile(x, (n, 1)), mask, n_gibbs=20, rng=0)
    np.testing.assert_array_equal(out[:, ~mask], np.tile(x[~mask], (n, 1)))
    assert np.all((out >= 0) & (out <= 1))
    V = all_binary(6)
    logp = rbm.log_likelihood(V, rbm.log_partition_exact(), per_sample=True)
    keep = np.all(V[:, ~mask] == x[~mask], axis=1)
    cond = np.exp(logp[keep] - logsumexp(logp[keep]))
    expected = cond @ V[keep][:, mask]  # P(v_i = 1 | v_observed) for the missing i
    np.testing.assert_allclose(out[:, mask].mean(0), expected, atol=0.03)


def test_sample_shapes_and_values():
    rbm = RBM(9, 4, random_state=0)
    s = rbm.sample(5, n_gibbs=3, rng=0)
    assert s.shape == (5, 9) and set(np.unique(s)) <= {0.0, 1.0}
    pm = rbm.sample(5, n_gibbs=3, rng=0, return_probabilities=True)
    assert np.all((pm >= 0) & (pm <= 1))


# --------------------------------------------------------------------------- errors, I/O
@pytest.mark.parametrize(
    "X, match",
    [
        (np.full((3, 9), 0.5), "binary"),
        (np.ones((3, 8)), r"shape \(n_samples, 9\)"),
        (np.ones(9), "1-D"),
        (np.full((2, 9), np.nan), "NaN"),
        (np.zeros((0, 9)), "empty"),
    ],
)
def test_fit_rejects_bad_input_with_a_clear_message(X, match):
    with pytest.raises(ValueError, match=match):
        RBM(9, 3, random_state=0).fit(X)


def test_bad_hyperparameters_are_rejected():
    with pytest.raises(ValueError, match="method"):
        RBM(4, 3, method="mcmc")
    with pytest.raises(ValueError, match="k"):
        RBM(4, 3, k=0)
    with pytest.raises(ValueError, match="lr_schedule"):
        RBM(4, 3, lr_schedule="cosine")


def test_divergence_raises_with_advice():
    X = bars_and_stripes(3)
    rbm = RBM(9, 4, learning_rate=1e38, momentum=0.9, random_state=0, n_epochs=5, batch_size=2)
    with pytest.raises(FloatingPointError, match="lower the learning rate"):
        rbm.fit(X)


def test_learning_rate_schedules():
    rbm = RBM(4, 2, learning_rate=1.0, lr_schedule="linear")
    assert [rbm._schedule_lr(t, 4) for t in range(4)] == [1.0, 0.75, 0.5, 0.25]
    rbm = RBM(4, 2, learning_rate=1.0, lr_schedule="exponential")
    assert rbm._schedule_lr(0, 10) == 1.0 and rbm._schedule_lr(5, 10) == pytest.approx(0.1**0.5)
    rbm = RBM(4, 2, lr_schedule=lambda t: 0.5 / (t + 1))
    assert rbm._schedule_lr(1, 10) == 0.25


def test_save_load_roundtrip(tmp_path):
    X = bars_and_stripes(3)
    rbm = RBM(9, 5, method="pcd", k=3, random_state=0, n_epochs=2, batch_size=7).fit(X)
    path = rbm.save(tmp_path / "sub" / "rbm.npz")
    assert path.exists() and not list(path.parent.glob("*.tmp"))
    back = RBM.load(path)
    np.testing.assert_array_equal(back.W, rbm.W)
    np.testing.assert_array_equal(back.b, rbm.b)
    np.testing.assert_array_equal(back.c, rbm.c)
    np.testing.assert_array_equal(back.base_rate_, rbm.base_rate_)
    assert (back.method, back.k, back.n_hidden, back.W.dtype) == ("pcd", 3, 5, np.float32)
    assert back.log_partition_exact() == pytest.approx(rbm.log_partition_exact())


def test_load_rejects_missing_and_foreign_files(tmp_path):
    with pytest.raises(FileNotFoundError):
        RBM.load(tmp_path / "nope.npz")
    bad = tmp_path / "bad.npz"
    bad.write_bytes(b"not a zip file")
    with pytest.raises(ValueError, match="npz"):
        RBM.load(bad)
    other = tmp_path / "other.npz"
    np.savez(other, x=np.zeros(3))
    with pytest.raises(ValueError, match="not an RBM checkpoint"):
        RBM.load(other)


# --------------------------------------------------------------------------- CLI hook
class _FakeRun:
    """The parts of tinygen.runs.Run the CLI hook uses."""

    def __init__(self, d):
        self.dir = d
        self.metrics = []
        self.config = None

    def save_config(self, config):
        self.config = config

    def log_metrics(self, step, **metrics):
        self.metrics.append((step, metrics))

    def checkpoint_path(self, name="model.npz"):
        return self.dir / name


def test_cli_hook_trains_and_samples(tmp_path, capsys):
    import argparse

    from tinygen.cli.models import rbm as hook

    p = argparse.ArgumentParser()
    hook.add_train_args(p)
    args = p.parse_args(
        "--data bars_and_stripes --bas-size 3 --n-hidden 6 --epochs 3 --batch-size 7 --lr 0.1 "
        "--ais-betas 200 --ais-runs 10".split()
    )
    run = _FakeRun(tmp_path)
    model = hook.train(args, run)
    assert [s for s, m in run.metrics[:3]] == [1, 2, 3]
    assert "valid_log_likelihood" in run.metrics[0][1]
    assert "ais_valid_log_likelihood" in run.metrics[-1][1]
    assert (tmp_path / "rbm.npz").exists() and (tmp_path / "filters.png").exists()
    assert (tmp_path / "samples.png").exists()
    ps = argparse.ArgumentParser()
    hook.add_sample_args(ps)
    out = tmp_path / "sample"
    out.mkdir()
    x = hook.sample(
        ps.parse_args(["--checkpoint", str(tmp_path), "--n", "5", "--n-gibbs", "3"]), _FakeRun(out)
    )
    assert x.shape == (5, 9) and (out / "samples.png").exists()
    assert model.n_hidden == 6
    with pytest.raises(FileNotFoundError, match="train rbm"):
        hook.find_checkpoint(tmp_path / "missing")
