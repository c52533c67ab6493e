"""PixelRNN (Row LSTM and Diagonal BiLSTM): the default architecture, both layers'
equations against NumPy loops, causality for random weights, kernels and depths (property
tests, both layers), the Row LSTM's triangular receptive field and the Diagonal BiLSTM's
whole past but one pixel, gradients, exact normalisation and sampling on tiny images, the
cached samplers against full recomputation, completion, training, bad input and
checkpoints."""

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from tests.helpers import chi2_pvalue, dependence, logits_of_weight, positive
from tests.models.test_gated_pixelcnn import receptive_field
from tests.strategies.autoregressive import pixelcnn_configs
from tinygen import Tensor
from tinygen.data import bars_and_stripes
from tinygen.io import CheckpointError
from tinygen.models._autoregressive import AutoregressiveModel
from tinygen.models._enumerate import all_binary
from tinygen.models.pixelrnn import DiagonalBiLSTM, PixelRNN, RowLSTM, skew, unskew
from tinygen.nn import Conv2d, MaskedConv2d
from tinygen.numerics import sigmoid
from tinygen.rng import as_generator, uniform
from tinygen.testing import check_grads

LAYERS = pytest.mark.parametrize("layer", ["row", "diagonal"])


def tiny(cfg, shape=None, **kw):
    """A float64 PixelRNN from a :func:`pixelcnn_configs` draw (n_blocks + 1 LSTM layers,
    Row LSTMs unless ``layer="diagonal"`` is passed)."""
    return PixelRNN(
        random_state=cfg["seed"],
        image_shape=shape or (cfg["side"], cfg["side"]),
        channels=cfg["channels"],
        n_layers=cfg["n_blocks"] + 1,
        first_kernel=cfg["first_kernel"],
        kernel=cfg["kernel"],
        dtype=np.float64,
        **kw,
    )


def by_definition(m, X, known=None, seed=0):
    """Raster-order sampling with every ℓ_i from the whole image (conditional_logits), the
    known entries kept: what the cached sampler must reproduce draw for draw."""
    X = np.array(X, dtype=np.float64)
    known = np.zeros(X.shape, bool) if known is None else known
    rng = as_generator(seed)
    for i in range(X.shape[1]):
        if known[:, i].all():
            continue
        p = sigmoid(m.conditional_logits(X).numpy()[:, i])
        draw = (uniform(rng, (len(X),), X.dtype) < p).astype(X.dtype)
        X[:, i] = np.where(known[:, i], X[:, i], draw)
    return X


def test_defaults_are_the_mnist_setup():
    m = PixelRNN(random_state=0)
    assert m.image_shape == (28, 28) and m.n_visible == 784
    assert (m.channels, m.n_layers) == (16, 2)
    first = m.input_conv
    assert isinstance(first, MaskedConv2d) and first.mask_type == "A"
    assert first.kernel_size == (7, 7) and (first.in_channels, first.out_channels) == (1, 32)
    assert len(m.layers) == 2
    for layer in m.layers:
        assert isinstance(layer, RowLSTM)
        i2s, s2s = layer.input_to_state, layer.state_to_state
        assert i2s.mask_type == "B" and i2s.kernel_size == (1, 3)
        assert (i2s.in_channels, i2s.out_channels) == (32, 64)
        assert not isinstance(s2s, MaskedConv2d) and s2s.kernel_size == (1, 3)
        assert (s2s.in_channels, s2s.out_channels, s2s.padding) == (16, 64, (0, 1))
        assert layer.output.kernel_size == (1, 1) and layer.output.out_channels == 32
    assert m.output_hidden.kernel_size == m.output_logit.kernel_size == (1, 1)
    assert m.output_logit.out_channels == 1
    x = (np.random.default_rng(0).random((2, 1, 28, 28)) < 0.3).astype(np.float32)
    out = m.logits(x)
    assert isinstance(out, Tensor) and out.shape == (2, 1, 28, 28)
    assert m.logits(Tensor(x)).shape == (2, 1, 28, 28)
    np.testing.assert_array_equal(
        PixelRNN(random_state=0).layers[1].state_to_state.weight.numpy(),
        m.layers[1].state_to_state.weight.numpy(),
    )


def test_row_lstm_is_the_papers_recurrence():
    """forward(a) against a NumPy loop over rows and columns of §3.1's equations:
    [o, f, i, g] = K^is ⊛ a_r (mask B) + K^ss ⊛ h_{r−1}; c_r = σ(f) c_{r−1} + σ(i) tanh(g);
    h_r = σ(o) tanh(c_r); out = a + Conv1×1(h)."""
    h, k, n, H, W = 2, 3, 2, 3, 4
    layer = RowLSTM(h, k, as_generator(0), np.float64)
    a = np.random.default_rng(1).standard_normal((n, 2 * h, H, W))
    Kis = layer.input_to_state.weight.numpy()[:, :, 0]  # (4h, 2h, k)
    Kss = layer.state_to_state.weight.numpy()[:, :, 0]  # (4h, h, k)
    b = layer.input_to_state.bias.numpy()
    Wo, bo = layer.output.weight.numpy()[:, :, 0, 0], layer.output.bias.numpy()
    hs = np.zeros((n, h, H, W))
    h_prev, c_prev = np.zeros((n, h, W)), np.zeros((n, h, W))
    for r in range(H):
        pre = np.zeros((n, 4 * h, W)) + b[None, :, None]
        for c in range(W):
            for v in range(k):
                cc = c - k // 2 + v
                if 0 <= cc < W:
                    if cc <= c:  # mask B: the row up to and including c
                        pre[:, :, c] += a[:, :, r, cc] @ Kis[:, :, v].T
                    pre[:, :, c] += h_prev[:, :, cc] @ Kss[:, :, v].T
        o, f, i, g = (pre[:, j * h : (j + 1) * h] for j in range(4))
        c_prev = sigmoid(f) * c_prev + sigmoid(i) * np.tanh(g)
        h_prev = sigmoid(o) * np.tanh(c_prev)
        hs[:, :, r] = h_prev
    want = a + np.einsum("oc,nchw->nohw", Wo, hs) + bo[None, :, None, None]
    np.testing.assert_allclose(layer(Tensor(a)).numpy(), want, rtol=1e-12, atol=1e-12)
    # the one-row step from the cached state gives the same rows
    state, out = None, []
    for r in range(H):
        row, state = layer.step(Tensor(a[:, :, r : r + 1]), state)
        out.append(row.numpy())
    np.testing.assert_allclose(np.concatenate(out, axis=2), want, rtol=1e-12, atol=1e-12)


def test_the_diagonal_layer_is_the_papers():
    """layer="diagonal": Diagonal BiLSTMs of two directions, each a 1 × 1 input-to-state and
    a 2 × 1 state-to-state convolution (§3.2), the same mask-A input and output head; the
    default is still the Row LSTM, with the same weights as before."""
    m = PixelRNN(random_state=0, image_shape=(6, 6), layer="diagonal")
    assert m.get_config()["layer"] == "diagonal" and PixelRNN().layer == "row"
    assert m.input_conv.mask_type == "A" and m.input_conv.kernel_size == (7, 7)
    assert len(m.layers) == 2
    for layer in m.layers:
        assert isinstance(layer, DiagonalBiLSTM)
        for d in (layer.left, layer.right):
            i2s, s2s = d.input_to_state, d.state_to_state
            assert type(i2s) is Conv2d and i2s.kernel_size == (1, 1)
            assert (i2s.in_channels, i2s.out_channels) == (32, 64)
            assert type(s2s) is Conv2d and s2s.kernel_size == (2, 1) and s2s.bias is None
            assert (s2s.in_channels, s2s.out_channels) == (16, 64)
        assert layer.output.kernel_size == (1, 1) and layer.output.out_channels == 32
    assert not np.array_equal(m.layers[0].left.state_to_state.weight.numpy(),
                              m.layers[0].right.state_to_state.weight.numpy())
    assert m.logits(np.zeros((2, 1, 6, 6))).shape == (2, 1, 6, 6)


def test_skew_shifts_row_r_by_r_columns():
    x = np.arange(2 * 3 * 4 * 4, dtype=np.float64).reshape(2, 3, 4, 4) + 1
    s = skew(Tensor(x)).numpy()
    assert s.shape == (2, 3, 4, 7)  # 2W − 1 columns for a square image
    want = np.zeros_like(s)
    for r in range(4):
        want[:, :, r, r : r + 4] = x[:, :, r]
    np.testing.assert_array_equal(s, want)
    np.testing.assert_array_equal(unskew(Tensor(s), 4).numpy(), x)
    tall = np.arange(5 * 2, dtype=np.float64).reshape(1, 1, 5, 2)  # H > W: W + H − 1 columns
    assert skew(Tensor(tall)).shape == (1, 1, 5, 6)
    np.testing.assert_array_equal(unskew(skew(Tensor(tall)), 2).numpy(), tall)


def test_diagonal_bilstm_is_the_papers_recurrence():
    """forward(a) against a NumPy loop over the skewed columns of §3.2, written out: in
    column j of the skewed map, [o, f, i, g] = K^is â(r, j) + K^ss_0 h(r − 1, j − 1) +
    K^ss_1 h(r, j − 1), c = σ(f) c(r, j − 1) + σ(i) tanh(g), h = σ(o) tanh(c); unskewed; the
    right-to-left direction the same on the mirrored map, shifted down one row; out =
    a + Conv1×1(h^→ + S↓h^←). A non-square image, so H ≠ W is covered."""
    h, n, H, W = 2, 2, 3, 5
    layer = DiagonalBiLSTM(h, as_generator(0), np.float64)
    a = np.random.default_rng(1).standard_normal((n, 2 * h, H, W))

    def direction(d, a):
        Kis, b = d.input_to_state.weight.numpy()[:, :, 0, 0], d.input_to_state.bias.numpy()
        Kss = d.state_to_state.weight.numpy()[:, :, :, 0]  # (4h, h, 2)
        S = W + H - 1
        pre_in = np.zeros((n, 4 * h, H, S))
        for r in range(H):  # input-to-state, then skew: zero off the image
            pre_in[:, :, r, r : r + W] = np.einsum("oc,ncw->now", Kis, a[:, :, r]) + b[:, None]
        hs, cs = np.zeros((n, h, H, S)), np.zeros((n, h, H, S))
        for j in range(S):
            for r in range(H):
                pre = pre_in[:, :, r, j].copy()
                if j > 0:
                    if r > 0:
                        pre += hs[:, :, r - 1, j - 1] @ Kss[:, :, 0].T
                    pre += hs[:, :, r, j - 1] @ Kss[:, :, 1].T
                o, f, i, g = (pre[:, k * h : (k + 1) * h] for k in range(4))
                c_prev = cs[:, :, r, j - 1] if j > 0 else 0.0
                cs[:, :, r, j] = sigmoid(f) * c_prev + sigmoid(i) * np.tanh(g)
                hs[:, :, r, j] = sigmoid(o) * np.tanh(cs[:, :, r, j])
        return np.stack([hs[:, :, r, r : r + W] for r in range(H)], axis=2)  # unskew

    left = direction(layer.left, a)
    right = direction(layer.right, a[:, :, :, ::-1])[:, :, :, ::-1]
    down = np.zeros_like(right)
    down[:, :, 1:] = right[:, :, :-1]
    Wo, bo = layer.output.weight.numpy()[:, :, 0, 0], layer.output.bias.numpy()
    want = a + np.einsum("oc,nchw->nohw", Wo, left + down) + bo[None, :, None, None]
    np.testing.assert_allclose(layer(Tensor(a)).numpy(), want, rtol=1e-12, atol=1e-12)


@LAYERS
@settings(max_examples=15)
@given(pixelcnn_configs(max_side=5), st.integers(0, 2**31 - 1))
def test_logit_i_sees_exactly_the_past(layer, cfg, seed):
    """ℓ_i does not change when any pixel j ≥ i (raster order) changes, for random weights,
    kernel sizes and depths, nor when a random set of later pixels changes at once; and it
    does change for some j < i (weights made positive, so no dependence can hide)."""
    m = tiny(cfg, layer=layer)
    D = m.n_visible
    rng = np.random.default_rng(seed)
    X = (rng.random((4, D)) < 0.5).astype(np.float64)
    future = np.tril(np.ones((D, D), dtype=bool))  # [j, i] with j >= i
    assert dependence(m, X)[:, future].max() <= 1e-12
    base = m.conditional_logits(X).numpy()
    Y = np.repeat(X, D, axis=0).reshape(4, D, D)  # Y[:, i]: pixels ≥ i redrawn
    later = np.triu(np.ones((D, D), dtype=bool))[None] & (rng.random((4, D, D)) < 0.5)
    Y = np.where(later, 1 - Y, Y).reshape(4 * D, D)
    moved = m.conditional_logits(Y).numpy().reshape(4, D, D)
    np.testing.assert_allclose(np.diagonal(moved, axis1=1, axis2=2), base, atol=1e-12)
    for p in positive(m).parameters():
        p.data *= 0.3
    seen = dependence(m, X).min(axis=0)  # [j, i], for every base image
    assert seen[future].max() <= 1e-12
    for i in range(1, D):
        assert seen[:i, i].max() > 1e-12, f"logit {i} depends on no earlier pixel"


@settings(max_examples=10)
@given(pixelcnn_configs())
def test_the_receptive_field_is_the_triangle_above(cfg):
    """With s = k//2, k₀ the mask-A side and L layers, ℓ at (r, c) sees in row r the columns
    c − L·s − k₀//2 … c − 1, and in row r − d (d ≥ 1) the run c − (d + L)·s − k₀//2 …
    c + max((d − 1)·s + k₀//2, d·s − 1) (clipped to the image), nothing else: every row
    above is reached by the recurrence, and each row up widens the triangle by s columns."""
    H, W, r, c = 7, 9, 5, 4
    m = tiny(cfg, shape=(H, W))
    s, k0, L = cfg["kernel"] // 2, cfg["first_kernel"] // 2, cfg["n_blocks"] + 1
    want = np.zeros((H, W), dtype=bool)
    want[r, max(c - L * s - k0, 0) : c] = True
    for d in range(1, r + 1):
        right = c + max((d - 1) * s + k0, d * s - 1)
        want[r - d, max(c - (d + L) * s - k0, 0) : min(right, W - 1) + 1] = True
    np.testing.assert_array_equal(receptive_field(m, r, c), want)


def raster_past(H, W, r, c):
    past = np.zeros((H, W), dtype=bool)
    past[:r] = True
    past[r, :c] = True
    return past


@settings(max_examples=10)
@given(pixelcnn_configs(), st.sampled_from([(3, 1), (3, 5), (5, 6), (2, 0)]))
def test_the_diagonal_field_is_the_whole_past_but_the_last_pixel_above(cfg, pixel):
    """From one layer on, by gradients: ℓ at (r, c) sees every earlier pixel except
    (r − 1, W − 1) when c < W − 1 − k₀//2 (that pixel reaches the features only at row r,
    columns ≥ W − 1 − k₀//2, right of what the layer reads on row r); the last pixel's logit
    sees the whole past."""
    H, W = 6, 7
    (r, c), k0 = pixel, cfg["first_kernel"] // 2
    m = tiny(cfg, shape=(H, W), layer="diagonal")
    want = raster_past(H, W, r, c)
    if c < W - 1 - k0:
        want[r - 1, W - 1] = False
    np.testing.assert_array_equal(receptive_field(m, r, c), want)
    m = tiny(cfg, shape=(H, W), layer="diagonal")
    np.testing.assert_array_equal(receptive_field(m, H - 1, W - 1), raster_past(H, W, H - 1, W - 1))


def test_the_diagonal_field_reaches_what_the_row_triangle_does_not():
    """One layer, 3 × 3 mask A, k = 3, pixel (4, 1) of a 6 × 7 image: the Row LSTM's triangle
    ends two columns right of c on the row above and misses the far left of row r; the
    Diagonal BiLSTM sees all of row r − 1 up to column W − 2, every row further up and all
    of row r left of c."""
    H, W, r, c = 6, 7, 4, 1
    kw = dict(image_shape=(H, W), channels=3, n_layers=1, first_kernel=3, dtype=np.float64)
    row = receptive_field(PixelRNN(random_state=0, **kw), r, c)
    diag = receptive_field(PixelRNN(random_state=0, layer="diagonal", **kw), r, c)
    assert not row[r - 1, c + 2 :].any() and not row[0, W - 1]
    assert diag[r - 1, : W - 1].all() and diag[: r - 1].all() and diag[r, :c].all()
    assert (diag & ~row)[r - 1, W - 2] and (diag & ~row)[0, W - 1]
    assert not (row & ~diag).any()  # the diagonal field contains the triangle



def test_logit_gradients_pass_check_grads():
    """End to end in float64: ∂ℓ/∂x, and ∂ℓ/∂K^ss, ∂ℓ/∂K^is of the second Row LSTM."""
    kw = dict(image_shape=(4, 4), channels=2, n_layers=2, first_kernel=3, dtype=np.float64)
    m = PixelRNN(random_state=0, **kw)
    x = np.random.default_rng(1).random((2, 1, 4, 4))
    check_grads(m.logits, x, name="pixelrnn logits(x)")
    for name in ("state_to_state", "input_to_state"):
        conv = getattr(m.layers[1], name)
        check_grads(logits_of_weight(m, conv, x), conv.weight.numpy(),
                    name=f"pixelrnn logits({name})")


def test_diagonal_logit_gradients_pass_check_grads():
    """End to end in float64 through the skew, the column loop, the mirror and the shift:
    ∂ℓ/∂x, and ∂ℓ/∂K^ss, ∂ℓ/∂K^is of both directions of the second Diagonal BiLSTM."""
    kw = dict(image_shape=(3, 4), channels=2, n_layers=2, first_kernel=3, dtype=np.float64)
    m = PixelRNN(random_state=0, layer="diagonal", **kw)
    x = np.random.default_rng(1).random((2, 1, 3, 4))
    check_grads(m.logits, x, name="diagonal pixelrnn logits(x)")
    for side in ("left", "right"):
        for name in ("state_to_state", "input_to_state"):
            conv = getattr(getattr(m.layers[1], side), name)
            check_grads(logits_of_weight(m, conv, x), conv.weight.numpy(),
                        name=f"diagonal {side}.{name}")


@LAYERS
def test_the_chain_rule_normalises_on_a_2x3_image(layer):
    m = PixelRNN(random_state=4, image_shape=(2, 3), channels=3, first_kernel=3, dtype=np.float64,
                 layer=layer)
    np.testing.assert_allclose(np.exp(m.log_prob(all_binary(6))).sum(), 1.0, rtol=1e-10)


@LAYERS
@settings(max_examples=10)
@given(pixelcnn_configs(max_side=3))
def test_the_chain_rule_normalises_over_all_tiny_images(layer, cfg):
    m = tiny(cfg, layer=layer)
    lp = m.log_prob(all_binary(m.n_visible), batch_size=512)
    np.testing.assert_allclose(np.exp(lp).sum(), 1.0, rtol=1e-10)


@LAYERS
@settings(max_examples=5)
@given(pixelcnn_configs(), st.integers(0, 2**31 - 1))
def test_samples_follow_the_exact_distribution(layer, cfg, seed):
    m = tiny(cfg, shape=(2, 3), layer=layer)
    p = np.exp(m.log_prob(all_binary(6)))
    S = m.sample(4000, random_state=seed).reshape(4000, 6)
    codes = (S @ (2 ** np.arange(5, -1, -1))).astype(int)
    assert chi2_pvalue(np.bincount(codes, minlength=64), p) > 1e-4


@settings(max_examples=10)
@given(pixelcnn_configs(), st.integers(0, 2**31 - 1))
def test_row_steps_from_cached_states_give_the_full_pass_logits(cfg, seed):
    """What the sampler computes, row r from the layers' cached (h, c) of row r − 1 and the
    mask-A layer's last k₀//2 + 1 rows of pixels, is the full pass's row r of logits."""
    m = tiny(cfg, shape=(5, 4))
    for p in m.parameters():
        p.data *= 2.0  # larger weights: the recurrence matters more
    X = (np.random.default_rng(seed).random((3, 1, 5, 4)) < 0.5).astype(np.float64)
    full = m.logits(X).numpy()[:, 0]
    states = [None] * m.n_layers
    for r in range(5):
        row, states = m._row_logits(X, r, states)
        np.testing.assert_allclose(row, full[:, r], rtol=1e-10, atol=1e-10)


@LAYERS
def test_cached_sampling_equals_full_recomputation(layer):
    """sample and complete (random masks, so whole known rows and known row ends occur)
    draw exactly what ℓ_i recomputed from the whole image every time draws: the Row LSTM's
    row cache and the Diagonal BiLSTM's pixel-by-pixel one."""
    kw = dict(image_shape=(5, 4), channels=3, n_layers=2, first_kernel=3, dtype=np.float64)
    m = PixelRNN(random_state=3, layer=layer, **kw)
    for p in m.parameters():
        p.data *= 2.0  # larger weights: a stale or missing row state changes many draws
    n = 50
    S = m.sample(n, random_state=11)
    assert S.shape == (n, 1, 5, 4)
    np.testing.assert_array_equal(S.reshape(n, 20), by_definition(m, np.zeros((n, 20)), seed=11))
    rng = np.random.default_rng(2)
    X = (rng.random((n, 20)) < 0.5).astype(np.float64)
    known = rng.random((n, 20)) < 0.5
    known[:, 4:8] = True  # row 1 known in every image
    known[:, 11] = True  # the end of row 2 known
    Y = m.complete(X.reshape(n, 1, 5, 4), known.reshape(n, 1, 5, 4), random_state=5)
    np.testing.assert_array_equal(Y.reshape(n, 20), by_definition(m, X * known, known, seed=5))


def test_complete_keeps_the_known_half_and_rejects_bad_masks():
    m = PixelRNN(random_state=0, image_shape=(4, 4), channels=4, n_layers=1, first_kernel=3)
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


@LAYERS
def test_fit_lowers_the_nll(layer):
    X = bars_and_stripes(4)  # 30 patterns of 4 × 4: the optimum is log 30 ≈ 3.40 nats
    m = PixelRNN(random_state=0, image_shape=(4, 4), channels=8, n_layers=2, first_kernel=3,
                 layer=layer)
    before = -m.log_prob(X).mean()
    m.fit(X.reshape(-1, 1, 4, 4), n_epochs=40, batch_size=30, lr=1e-2, random_state=0)
    after = -m.log_prob(X).mean()
    assert after < before - 4.0 and after < 5.5
    assert m.history_["loss"][-1] < m.history_["loss"][0]


def test_bad_input_is_named():
    m = PixelRNN(random_state=0, image_shape=(4, 4), channels=2, n_layers=1, first_kernel=3)
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
        PixelRNN(kernel=4)
    with pytest.raises(ValueError, match="odd"):
        PixelRNN(first_kernel=4)
    with pytest.raises(ValueError, match="n_layers"):
        PixelRNN(n_layers=0)
    with pytest.raises(ValueError, match="image_shape"):
        PixelRNN(image_shape=(0, 28))
    with pytest.raises(ValueError, match="layer must be one of"):
        PixelRNN(layer="diagonal_bilstm")


@LAYERS
def test_checkpoint_round_trip(tmp_path, layer):
    m = PixelRNN(random_state=0, image_shape=(3, 3), channels=2, n_layers=2, first_kernel=3,
                 layer=layer)
    path = m.save(tmp_path / "pixelrnn")
    for back in (PixelRNN.from_checkpoint(path), AutoregressiveModel.from_checkpoint(path)):
        assert type(back) is PixelRNN and back.get_config() == m.get_config()
        X = all_binary(9)[::37]
        np.testing.assert_array_equal(back.log_prob(X), m.log_prob(X))
    bad = tmp_path / "bad.npz"
    bad.write_bytes(path.read_bytes()[:50])
    with pytest.raises(CheckpointError, match="bad.npz"):
        m.load(bad)
