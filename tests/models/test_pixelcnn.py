"""PixelCNN: the default architecture, causality for random weights, kernel sizes and
depths (property tests), exact normalisation and sampling on tiny images, completion,
training, bad input and checkpoints."""

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from tests.helpers import chi2_pvalue, dependence, positive
from tests.strategies.autoregressive import pixelcnn_configs
from tinygen import Tensor
from tinygen.data import bars_and_stripes
from tinygen.io import CheckpointError
from tinygen.models._enumerate import all_binary
from tinygen.models.pixelcnn import PixelCNN
from tinygen.nn import MaskedConv2d
from tinygen.numerics import sigmoid
from tinygen.rng import as_generator, uniform


def tiny(cfg, **kw):
    """A float64 PixelCNN from a :func:`pixelcnn_configs` draw."""
    return PixelCNN(
        random_state=cfg["seed"],
        image_shape=(cfg["side"], cfg["side"]),
        channels=cfg["channels"],
        n_blocks=cfg["n_blocks"],
        first_kernel=cfg["first_kernel"],
        kernel=cfg["kernel"],
        dtype=np.float64,
        **kw,
    )


def test_defaults_are_the_mnist_setup():
    m = PixelCNN(random_state=0)
    assert m.image_shape == (28, 28) and m.n_visible == 784
    first = m.input_conv
    assert isinstance(first, MaskedConv2d) and first.mask_type == "A"
    assert first.kernel_size == (7, 7) and (first.in_channels, first.out_channels) == (1, 64)
    assert len(m.blocks) == 7
    for block in m.blocks:
        assert block.masked.mask_type == "B" and block.masked.kernel_size == (3, 3)
        assert block.reduce.kernel_size == block.expand.kernel_size == (1, 1)
    assert m.output_hidden.kernel_size == m.output_logit.kernel_size == (1, 1)
    assert m.output_logit.out_channels == 1
    x = (np.random.default_rng(0).random((2, 1, 28, 28)) < 0.3).astype(np.float32)
    out = m.logits(x)
    assert isinstance(out, Tensor) and out.shape == (2, 1, 28, 28)
    assert m.logits(Tensor(x)).shape == (2, 1, 28, 28)
    np.testing.assert_array_equal(
        PixelCNN(random_state=0).input_conv.weight.numpy(), first.weight.numpy()
    )


@given(pixelcnn_configs(), st.integers(0, 2**31 - 1))
def test_logit_i_sees_exactly_the_past(cfg, seed):
    """ℓ_i does not change when any pixel j ≥ i (raster order) changes, for random weights,
    kernel sizes and depths; and it does change for some j < i (with the weights made
    positive, so that no ReLU can be dead and hide a dependence)."""
    m = tiny(cfg)
    D = m.n_visible
    rng = np.random.default_rng(seed)
    X = (rng.random((6, D)) < 0.5).astype(np.float64)
    future = np.tril(np.ones((D, D), dtype=bool))  # [j, i] with j >= i
    assert dependence(m, X)[:, future].max() <= 1e-12
    # a random set of later pixels changed at once moves nothing either
    base = m.conditional_logits(X).numpy()
    for i in range(D):
        Y = X.copy()
        Y[:, i:] = np.where(rng.random((6, D - i)) < 0.5, 1 - Y[:, i:], Y[:, i:])
        np.testing.assert_allclose(m.conditional_logits(Y).numpy()[:, i], base[:, i], atol=1e-12)
    delta = dependence(positive(m), X)
    assert delta[:, future].max() <= 1e-12
    seen = delta.min(axis=0)  # [j, i], for every base image
    for i in range(1, D):
        assert seen[:i, i].max() > 1e-12, f"logit {i} depends on no earlier pixel"


@settings(max_examples=10)
@given(pixelcnn_configs(max_side=3))
def test_the_chain_rule_normalises_over_all_tiny_images(cfg):
    m = tiny(cfg)
    lp = m.log_prob(all_binary(m.n_visible), batch_size=512)
    np.testing.assert_allclose(np.exp(lp).sum(), 1.0, rtol=1e-10)


@settings(max_examples=5)
@given(pixelcnn_configs(max_side=2), st.integers(0, 2**31 - 1))
def test_samples_follow_the_exact_distribution(cfg, seed):
    m = tiny(cfg)
    p = np.exp(m.log_prob(all_binary(4)))
    S = m.sample(3000, random_state=seed).reshape(3000, 4)
    codes = (S @ (2 ** np.arange(3, -1, -1))).astype(int)
    assert chi2_pvalue(np.bincount(codes, minlength=16), p) > 1e-4


def test_cropped_sampling_equals_full_image_recomputation():
    m = PixelCNN(random_state=3, image_shape=(4, 5), channels=3, n_blocks=2, dtype=np.float64)
    S = m.sample(6, random_state=11).reshape(6, 20)
    rng, X = as_generator(11), np.zeros((6, 20))
    for i in range(20):  # the definition: ℓ_i from the whole image, every pass
        p = sigmoid(m.conditional_logits(X).numpy()[:, i])
        X[:, i] = (uniform(rng, (6,), X.dtype) < p).astype(X.dtype)
    np.testing.assert_array_equal(S, X)


def test_cached_completion_equals_recomputation_with_known_pixels():
    # the per-layer cache must read the known pixels too, wherever they are (not only a
    # prefix): a scattered mask, different for every image, and the first kernel 5 x 5
    m = PixelCNN(random_state=4, image_shape=(5, 4), channels=3, n_blocks=2,
                 first_kernel=5, dtype=np.float64)
    for param in m.parameters():  # strong weights: every logit moves with its inputs
        param.data *= 4
    rng = np.random.default_rng(0)
    X = (rng.random((7, 20)) < 0.5).astype(np.float64)
    known = rng.random((7, 20)) < 0.4
    cached = m._fill(X.copy(), known, as_generator(5))
    recomputed = m._fill_by_recomputing(X.copy(), known, as_generator(5))
    np.testing.assert_array_equal(cached, recomputed)
    np.testing.assert_array_equal(cached[known], X[known])


def test_complete_keeps_the_known_half_and_rejects_bad_masks():
    m = PixelCNN(random_state=0, image_shape=(4, 4), channels=4, n_blocks=1, first_kernel=3)
    X = bars_and_stripes(4)[:5].reshape(5, 1, 4, 4)
    mask = np.zeros(X.shape, dtype=bool)
    mask[:, :, :2] = True  # the top half known
    Y = m.complete(X, mask, random_state=0)
    assert Y.shape == X.shape and set(np.unique(Y)) <= {0.0, 1.0}
    np.testing.assert_array_equal(Y[:, :, :2], X[:, :, :2])
    with pytest.raises(ValueError, match="mask must be 0/1"):
        m.complete(X, np.full(X.shape, 0.5))
    with pytest.raises(ValueError, match="mask must have"):
        m.complete(X, mask[:, :, :3])


def test_fit_lowers_the_nll():
    X = bars_and_stripes(4)  # 30 patterns of 4 × 4: the optimum is log 30 ≈ 3.40 nats
    m = PixelCNN(random_state=0, image_shape=(4, 4), channels=8, n_blocks=2, first_kernel=3)
    before = -m.log_prob(X).mean()
    m.fit(X.reshape(-1, 1, 4, 4), n_epochs=40, batch_size=30, lr=1e-2, random_state=0)
    after = -m.log_prob(X).mean()
    assert after < before - 4.0 and after < 5.0
    assert m.history_["loss"][-1] < m.history_["loss"][0]


def test_bad_input_is_named():
    m = PixelCNN(random_state=0, image_shape=(4, 4), channels=2, n_blocks=0, first_kernel=3)
    good = np.zeros((2, 1, 4, 4))
    assert m.log_prob(good).shape == (2,) and m.log_prob(good[:, 0]).shape == (2,)
    with pytest.raises(ValueError, match="binary"):
        m.log_prob(good + 0.5)
    with pytest.raises(ValueError, match=r"\(n, 1, 4, 4\)"):
        m.log_prob(np.zeros((2, 1, 2, 8)))
    with pytest.raises(ValueError, match=r"\(n, 1, 4, 4\)"):
        m.logits(Tensor(np.zeros((2, 1, 5, 5))))
    with pytest.raises(ValueError, match=r"\(n, 1, 4, 4\)"):
        m.logits(np.zeros((2, 3, 4, 4)))
    with pytest.raises(ValueError, match="odd"):
        PixelCNN(first_kernel=4)


def test_checkpoint_round_trip(tmp_path):
    m = PixelCNN(random_state=0, image_shape=(3, 3), channels=2, n_blocks=1, first_kernel=3)
    path = m.save(tmp_path / "pixelcnn")
    back = PixelCNN.from_checkpoint(path)
    assert back.get_config() == m.get_config()
    X = all_binary(9)[::37]
    np.testing.assert_array_equal(back.log_prob(X), m.log_prob(X))
    bad = tmp_path / "bad.npz"
    bad.write_bytes(path.read_bytes()[:50])
    with pytest.raises(CheckpointError, match="bad.npz"):
        m.load(bad)
