"""SigmoidBeliefNet: exact likelihood, ancestral sampling, importance-sampled bound, learning,
checkpoints, divergence, progress bar."""

import copy

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy import stats

from tinygen.data import bars_and_stripes
from tinygen.io import CheckpointError
from tinygen.models._enumerate import all_binary
from tinygen.models.sigmoid_belief_net import SigmoidBeliefNet


def _random_net(sizes, seed, scale=2.0):
    net = SigmoidBeliefNet(sizes, random_state=seed)
    rng = np.random.default_rng(seed + 1)
    net.W = [rng.normal(0, scale, w.shape) for w in net.W]
    net.c = [rng.normal(0, scale, c.shape) for c in net.c]
    net.b = rng.normal(0, scale, net.b.shape)
    net.R = [rng.normal(0, 1.0, r.shape) for r in net.R]
    return net


@settings(max_examples=20)
@given(sizes=st.lists(st.integers(1, 3), min_size=2, max_size=3), seed=st.integers(0, 2**16))
def test_exact_log_prob_normalises(sizes, seed):
    net = _random_net(sizes, seed)
    V = all_binary(sizes[0])
    assert np.isclose(np.exp(net.log_prob_exact(V)).sum(), 1.0, atol=1e-10)


def test_log_joint_matches_the_product_of_conditionals_by_hand():
    net = _random_net([2, 1], 3)
    v, h = np.array([[1.0, 0.0]]), np.array([[1.0]])
    s = lambda a: 1 / (1 + np.exp(-a))
    p_h = s(net.b[0])
    p_v = s(net.W[0][:, 0] + net.c[0])
    want = np.log(p_h) + np.log(p_v[0]) + np.log(1 - p_v[1])
    assert np.isclose(net.log_joint(v, [h])[0], want)


def test_ancestral_samples_match_the_exact_distribution():
    net = _random_net([3, 2, 2], 7, scale=1.5)
    V = all_binary(3)
    p = np.exp(net.log_prob_exact(V))
    samples = net.sample(20000, random_state=0)
    codes = samples @ (2 ** np.arange(3)[::-1])
    counts = np.bincount(codes.astype(int), minlength=8)
    assert stats.chisquare(counts, 20000 * p).pvalue > 1e-3


def test_importance_estimate_is_a_lower_bound_that_tightens_with_k():
    net = _random_net([4, 3], 11)
    V = all_binary(4)[[1, 6, 13]]
    exact = net.log_prob_exact(V)
    means = []
    for k in (1, 10, 1000):
        est = np.stack([net.log_prob_is(V, k=k, random_state=r) for r in range(200)])
        means.append(est.mean(axis=0))
        se = est.std(axis=0) / np.sqrt(len(est))
        assert np.all(means[-1] <= exact + 3 * se + 1e-9), (k, means[-1], exact)
    assert np.all(means[0] < means[1]) and np.all(means[1] < means[2] + 1e-3)
    assert np.allclose(means[2], exact, atol=0.05)


@pytest.mark.parametrize("method", ["wake_sleep", "rws"])
def test_training_raises_the_exact_likelihood_on_bars_and_stripes(method):
    X = bars_and_stripes(3)  # the 14 patterns of 3×3 pixels
    net = SigmoidBeliefNet([9, 8], random_state=0)
    before = net.log_prob_exact(X).mean()  # ≈ −9 log 2: nearly uniform over 2⁹ images
    net.fit(np.repeat(X, 20, axis=0), method=method, n_epochs=60, lr=0.5, k=5, random_state=0)
    after = net.log_prob_exact(X).mean()  # the optimum is −log 14 ≈ −2.64
    assert after > before + 2.0, (before, after)
    assert len(net.history_) == 60


def test_bad_input_is_a_clear_error():
    net = SigmoidBeliefNet([4, 2])
    with pytest.raises(ValueError, match="binary"):
        net.log_prob_exact(np.full((2, 4), 0.5))
    with pytest.raises(ValueError, match=r"shape \(n_samples, 4\)"):
        net.log_prob_exact(np.zeros((2, 3)))
    with pytest.raises(ValueError, match="method"):
        net.fit(np.zeros((2, 4)), method="cd")
    with pytest.raises(ValueError, match="log_prob_is"):
        SigmoidBeliefNet([2, 21]).log_prob_exact(np.zeros((1, 2)))


def test_save_load_round_trip_gives_the_same_log_joint(tmp_path):
    net = _random_net([5, 3, 2], 4)
    net.history_ = [-3.5, -3.25]
    path = net.save(tmp_path / "sbn")  # the suffix is added
    assert path == tmp_path / "sbn.npz"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["sbn.npz"]  # no temp file left
    loaded = SigmoidBeliefNet.load(path)
    V, H = net.sample(50, random_state=1, return_hidden=True)
    np.testing.assert_array_equal(loaded.log_joint(V, H), net.log_joint(V, H))
    assert loaded.layer_sizes == [5, 3, 2] and loaded.history_ == [-3.5, -3.25]
    for name in ("W", "c", "R", "d"):
        for a, b in zip(getattr(loaded, name), getattr(net, name)):
            np.testing.assert_array_equal(a, b)
    np.testing.assert_array_equal(loaded.b, net.b)
    # and it trains on from there
    loaded.fit(all_binary(5), n_epochs=1, random_state=0)
    assert len(loaded.history_) == 3


def test_loading_a_foreign_corrupt_or_mismatched_file_is_a_clear_error(tmp_path):
    foreign = tmp_path / "foreign.npz"
    np.savez(foreign, W=np.zeros((3, 2)), **{"class": np.array("RBM")})
    with pytest.raises(CheckpointError, match=r"foreign\.npz is not a SigmoidBeliefNet"):
        SigmoidBeliefNet.load(foreign)
    good = SigmoidBeliefNet([4, 3], random_state=0).save(tmp_path / "good.npz").read_bytes()
    bad = tmp_path / "truncated.npz"
    bad.write_bytes(good[: len(good) // 2])
    with pytest.raises(CheckpointError, match=r"truncated\.npz is corrupt"):
        SigmoidBeliefNet.load(bad)
    with pytest.raises(FileNotFoundError, match="nope"):
        SigmoidBeliefNet.load(tmp_path / "nope.npz")
    with np.load(tmp_path / "good.npz") as z:
        arrays = dict(z)
    arrays["W0"] = np.zeros((4, 2))
    np.savez(tmp_path / "shape.npz", **arrays)
    with pytest.raises(CheckpointError, match=r"W0 has shape \(4, 2\), expected \(4, 3\)"):
        SigmoidBeliefNet.load(tmp_path / "shape.npz")


def test_a_diverging_fit_restores_the_last_completed_epoch_and_says_lower_lr():
    # every step is bounded (|Δθ| ≤ lr · fan-in), so only an absurd lr overflows: this one
    # takes the parameters past the float64 range in the third epoch
    net = SigmoidBeliefNet([9, 4], random_state=0)
    seen = []

    def keep(model, epoch):
        seen.append((epoch, copy.deepcopy([model.W, model.c, model.b, model.R, model.d])))

    with pytest.raises(FloatingPointError, match="lower lr") as exc:
        net.fit(bars_and_stripes(3), n_epochs=5, batch_size=14, lr=1e307, random_state=0,
                callback=keep)
    assert "epoch 3" in str(exc.value)
    assert [e for e, _ in seen] == [0, 1] and len(net.history_) == 2
    W, c, b, R, d = seen[-1][1]
    for got, want in zip([*net.W, *net.c, net.b, *net.R, *net.d], [*W, *c, b, *R, *d]):
        np.testing.assert_array_equal(got, want)
    assert all(np.isfinite(w).all() for w in net.W)


def test_the_progress_bar_is_off_by_default(capsys):
    SigmoidBeliefNet([9, 4], random_state=0).fit(bars_and_stripes(3), n_epochs=3)
    captured = capsys.readouterr()
    assert captured.out == "" and captured.err == ""
