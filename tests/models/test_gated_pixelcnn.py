"""Gated PixelCNN: causal for random weights, kernels and depths; no blind spot where the
plain PixelCNN has one (receptive fields by gradients); exact normalisation, sampling,
training and checkpoints on tiny images."""

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from tests.helpers import dependence, logits_of_weight, positive
from tests.strategies.autoregressive import pixelcnn_configs
from tinygen import Tensor
from tinygen.data import bars_and_stripes
from tinygen.models._autoregressive import AutoregressiveModel
from tinygen.models._enumerate import all_binary
from tinygen.models.gated_pixelcnn import GatedPixelCNN, shift_down
from tinygen.models.pixelcnn import PixelCNN
from tinygen.numerics import sigmoid
from tinygen.rng import as_generator, uniform
from tinygen.testing import check_grads


def gated(cfg, side=None):
    """A float64 GatedPixelCNN from a :func:`pixelcnn_configs` draw (n_blocks + 1 layers)."""
    side = side or cfg["side"]
    return GatedPixelCNN(
        random_state=cfg["seed"],
        image_shape=(side, side),
        channels=cfg["channels"],
        n_layers=cfg["n_blocks"] + 1,
        first_kernel=cfg["first_kernel"],
        kernel=cfg["kernel"],
        dtype=np.float64,
    )


def receptive_field(model, r, c):
    """0/1 map of the input pixels that ℓ at (r, c) depends on: where ∂ℓ_(r,c)/∂x ≠ 0, for
    positive weights (scaled down, so no tanh saturates) and a positive input, where every
    path of unmasked kernel entries contributes a positive term."""
    for p in positive(model).parameters():
        p.data *= 0.3
    H, W = model.image_shape
    x = Tensor(0.1 + 0.1 * np.random.default_rng(0).random((1, 1, H, W)), requires_grad=True)
    model.logits(x)[0, 0, r, c].backward()
    return np.abs(x.grad[0, 0]) > 0


def blind_spots(field, r, c):
    """Earlier pixels (r', c'), r' < r, that are not seen although a pixel further up in the
    same column is, plus unseen pixels of row r left of c with a seen one further left."""
    spots = []
    for cc in range(field.shape[1]):
        seen = np.flatnonzero(field[:r, cc])
        if len(seen):
            spots += [(rr, cc) for rr in range(seen.min(), r) if not field[rr, cc]]
    seen = np.flatnonzero(field[r, :c])
    if len(seen):
        spots += [(r, cc) for cc in range(seen.min(), c) if not field[r, cc]]
    return spots


def test_shift_down():
    x = np.arange(12.0).reshape(1, 1, 3, 4)
    y = shift_down(Tensor(x)).numpy()
    np.testing.assert_array_equal(y[0, 0, 0], 0)
    np.testing.assert_array_equal(y[0, 0, 1:], x[0, 0, :2])


@given(pixelcnn_configs(), st.integers(0, 2**31 - 1))
def test_logit_i_sees_exactly_the_past(cfg, seed):
    """As for the plain model: no j ≥ i moves ℓ_i (random weights); some j < i does."""
    m = gated(cfg)
    D = m.n_visible
    X = (np.random.default_rng(seed).random((6, D)) < 0.5).astype(np.float64)
    future = np.tril(np.ones((D, D), dtype=bool))  # [j, i] with j >= i
    assert dependence(m, X)[:, future].max() <= 1e-12
    for p in positive(m).parameters():
        p.data *= 0.3
    seen = dependence(m, X).min(axis=0)
    assert seen[future].max() <= 1e-12
    for i in range(1, D):
        assert seen[:i, i].max() > 1e-12, f"logit {i} depends on no earlier pixel"


@pytest.mark.parametrize(
    "first_kernel, kernel, n_blocks", [(3, 3, 1), (3, 3, 3), (7, 3, 2), (3, 5, 2)]
)
def test_the_plain_pixelcnn_has_a_blind_spot(first_kernel, kernel, n_blocks):
    """Above-right of the centre, (r − 1, c + k₀//2 + 1) is unseen while (r − 2, c + k₀//2 + 1)
    is seen: the blind spot of stacked mask-B convolutions."""
    side, r, c = 11, 6, 2
    m = PixelCNN(
        random_state=0,
        image_shape=(side, side),
        channels=3,
        n_blocks=n_blocks,
        first_kernel=first_kernel,
        kernel=kernel,
        dtype=np.float64,
    )
    field = receptive_field(m, r, c)
    assert not field[r:, :][np.arange(side - r)[:, None] * side + np.arange(side) >= c].any()
    cc = c + first_kernel // 2 + 1
    assert not field[r - 1, cc] and field[r - 2, cc]
    assert (r - 1, cc) in blind_spots(field, r, c)


@settings(max_examples=15)
@given(pixelcnn_configs())
def test_the_gated_pixelcnn_has_no_blind_spot(cfg):
    """In every column its field is a run of rows ending at r − 1, and in row r a run ending
    at c − 1, for random kernels and depths; the row above is seen over c ± (k₀//2 + (L − 1)
    k//2), in particular (r − 1, c + k₀//2 + 1), where the plain model is blind, once the
    field grows past the first layer's."""
    side = 9
    m = gated(cfg, side)
    r, c = 5, 3
    field = receptive_field(m, r, c)
    assert blind_spots(field, r, c) == []
    assert not field[r, c:].any() and not field[r + 1 :].any()
    reach = cfg["first_kernel"] // 2 + cfg["n_blocks"] * (cfg["kernel"] // 2)  # columns
    assert field[r - 1, max(c - reach, 0) : c + reach + 1].all()  # the row above, c ± reach
    if reach > cfg["first_kernel"] // 2:  # where the plain model has its blind spot
        assert field[r - 1, c + cfg["first_kernel"] // 2 + 1]
    assert field[r, c - 1]


def test_normalises_and_cropped_sampling_is_full_recomputation():
    m = GatedPixelCNN(random_state=2, image_shape=(3, 3), channels=3, n_layers=3, dtype=np.float64)
    np.testing.assert_allclose(np.exp(m.log_prob(all_binary(9))).sum(), 1.0, rtol=1e-10)
    S = m.sample(5, random_state=4).reshape(5, 9)
    rng, X = as_generator(4), np.zeros((5, 9))
    for i in range(9):
        p = sigmoid(m.conditional_logits(X).numpy()[:, i])
        X[:, i] = (uniform(rng, (5,), X.dtype) < p).astype(X.dtype)
    np.testing.assert_array_equal(S, X)


def test_row_wise_sampling_equals_recomputation_with_known_pixels():
    # the vertical stack run once per row and the horizontal stack on a cropped row must
    # give the draws of full recomputation, with known pixels scattered anywhere
    m = GatedPixelCNN(random_state=5, image_shape=(5, 6), channels=3, n_layers=3,
                      first_kernel=5, dtype=np.float64)
    for param in m.parameters():  # logits of order 1: they move with their inputs, and the
        param.data *= 2.5  # draws with them (much larger weights saturate the draws)
    rng = np.random.default_rng(1)
    X = (rng.random((30, 30)) < 0.5).astype(np.float64)
    known = rng.random((30, 30)) < 0.4
    known[:, 6:12] = True  # a whole row known, which the row loop skips
    rowwise = m._fill(X.copy(), known, as_generator(3))
    recomputed = m._fill_by_recomputing(X.copy(), known, as_generator(3))
    np.testing.assert_array_equal(rowwise, recomputed)
    np.testing.assert_array_equal(rowwise[known], X[known])


def test_fit_lowers_the_nll_and_checkpoints(tmp_path):
    X = bars_and_stripes(4)
    m = GatedPixelCNN(random_state=0, image_shape=(4, 4), channels=6, n_layers=3, first_kernel=3)
    before = -m.log_prob(X).mean()
    m.fit(X, n_epochs=40, batch_size=30, lr=1e-2, random_state=0)
    after = -m.log_prob(X).mean()
    assert after < before - 4.0 and after < 5.5
    path = m.save(tmp_path / "gated")
    back = AutoregressiveModel.from_checkpoint(path)
    assert type(back) is GatedPixelCNN and back.get_config() == m.get_config()
    np.testing.assert_array_equal(back.log_prob(X), m.log_prob(X))
    with pytest.raises(ValueError, match="n_layers"):
        GatedPixelCNN(n_layers=0)


@pytest.mark.parametrize("kind", ["plain", "gated"])
def test_logit_gradients_pass_check_grads(kind):
    """End to end in float64: ∂ℓ/∂x and ∂ℓ/∂W of a masked layer deep inside the net."""
    kw = dict(random_state=0, image_shape=(4, 4), channels=2, first_kernel=3, dtype=np.float64)
    if kind == "plain":
        m = PixelCNN(n_blocks=2, **kw)
        layer = m.blocks[1].masked
    else:
        m = GatedPixelCNN(n_layers=3, **kw)
        layer = m.layers[1].horizontal
    x = np.random.default_rng(1).random((2, 1, 4, 4))
    check_grads(m.logits, x, name=f"{kind} logits(x)")
    check_grads(logits_of_weight(m, layer, x), layer.weight.numpy(), name=f"{kind} logits(W)")
