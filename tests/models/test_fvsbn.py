"""The FVSBN: its logits are logistic regressions on the past, training lowers the NLL, and
bad input, sampling, completion and checkpoints behave (tiny models, seconds in all)."""

import json

import numpy as np
import pytest

from tinygen.data import bars_and_stripes
from tinygen.io import CheckpointError
from tinygen.models.fvsbn import FVSBN


def test_init_is_random_strictly_lower_triangular_and_float32():
    m = FVSBN(6, random_state=0)
    W = m.W.numpy()
    assert m.W.dtype == np.float32 and W.shape == (6, 6) and m.b.shape == (6,)
    assert np.all(np.triu(W) == 0)
    assert np.all(W[np.tril_indices(6, -1)] != 0)  # random, not zero
    np.testing.assert_array_equal(FVSBN(6, random_state=0).W.numpy(), W)
    assert not np.array_equal(FVSBN(6, random_state=1).W.numpy(), W)


def test_logits_are_the_written_out_logistic_regressions():
    rng = np.random.default_rng(0)
    m = FVSBN(5, random_state=0).double()
    m.b.data[:] = rng.standard_normal(5)
    m.W.data[:] = rng.standard_normal((5, 5))  # upper entries too: the mask must hide them
    X = (rng.random((7, 5)) < 0.5).astype(np.float64)
    ref = np.stack([m.b.data[i] + X[:, :i] @ m.W.data[i, :i] for i in range(5)], axis=1)
    np.testing.assert_allclose(m.conditional_logits(X).numpy(), ref, rtol=1e-12, atol=1e-12)
    p = 1 / (1 + np.exp(-ref))
    lp = (X * np.log(p) + (1 - X) * np.log1p(-p)).sum(1)
    np.testing.assert_allclose(m.log_prob(X), lp, rtol=1e-10)
    assert m.log_prob(X).shape == (7,)


def test_fit_lowers_the_nll_and_keeps_the_mask():
    X = bars_and_stripes(3)  # 14 patterns of 9 pixels: the optimum is log 14 ≈ 2.64 nats
    m = FVSBN(9, random_state=0)
    before = -m.log_prob(X).mean()
    m.fit(X, n_epochs=150, batch_size=14, lr=0.05, random_state=0)
    after = -m.log_prob(X).mean()
    assert after < before - 2.0 and after < 3.2
    assert np.all(np.triu(m.W.numpy()) == 0)
    assert len(m.history_["loss"]) == 150 and m.history_["loss"][-1] < m.history_["loss"][0]
    m.fit(X, n_epochs=2, batch_size=14)
    assert len(m.history_["loss"]) == 152  # repeated calls extend the history


def test_sample_shapes_binary_and_reproducible():
    m = FVSBN(8, random_state=0)
    S = m.sample(30, random_state=3)
    assert S.shape == (30, 8) and set(np.unique(S)) <= {0.0, 1.0}
    np.testing.assert_array_equal(S, m.sample(30, random_state=3))
    with pytest.raises(ValueError, match="positive"):
        m.sample(0)


def test_complete_keeps_the_known_pixels_and_fills_the_rest():
    X = bars_and_stripes(3).astype(np.float64)
    m = FVSBN(9, random_state=0).fit(X, n_epochs=100, batch_size=14, lr=0.05, random_state=0)
    mask = np.zeros_like(X, dtype=bool)
    mask[:, :6] = True  # the top two rows known
    Y = m.complete(X, mask, random_state=0)
    assert Y.shape == X.shape and set(np.unique(Y)) <= {0.0, 1.0}
    np.testing.assert_array_equal(Y[:, :6], X[:, :6])
    np.testing.assert_array_equal(m.complete(X, np.ones_like(X)), X)
    with pytest.raises(ValueError, match="mask must have"):
        m.complete(X, mask[:, :4])
    with pytest.raises(ValueError, match="mask must be 0/1"):
        m.complete(X, mask * 0.5)


def test_bad_input_is_named():
    m = FVSBN(4, random_state=0)
    with pytest.raises(ValueError, match="binary"):
        m.log_prob(np.full((2, 4), 0.5))
    with pytest.raises(ValueError, match=r"\(n_samples, 4\)"):
        m.log_prob(np.zeros((2, 5)))
    with pytest.raises(ValueError, match="1-D"):
        m.log_prob(np.zeros(4))
    with pytest.raises(ValueError, match="NaN"):
        m.fit(np.array([[0, 1, np.nan, 0]]), n_epochs=1)
    with pytest.raises(ValueError, match="empty"):
        m.log_prob(np.zeros((0, 4)))
    with pytest.raises(ValueError, match="n_visible"):
        FVSBN(0)
    assert m.log_prob(np.zeros((3, 2, 2), dtype=np.uint8)).shape == (3,)  # images flatten


def test_checkpoint_round_trip_and_errors(tmp_path):
    m = FVSBN(5, random_state=0, init_scale=0.3)
    m.b.data[:] = np.arange(5)
    path = m.save(tmp_path / "fvsbn")
    assert path.name == "fvsbn.npz" and json.loads((tmp_path / "fvsbn.npz.json").read_text())
    X = bars_and_stripes(2)
    X = np.concatenate([X, X[:, :1]], axis=1)
    back = FVSBN.from_checkpoint(path)
    np.testing.assert_array_equal(back.log_prob(X), m.log_prob(X))
    assert back.init_scale == 0.3
    other = FVSBN(5, random_state=9).load(path)
    np.testing.assert_array_equal(other.W.numpy(), m.W.numpy())
    bad = tmp_path / "bad.npz"
    bad.write_bytes(path.read_bytes()[:40])
    with pytest.raises(CheckpointError, match="bad.npz"):
        FVSBN(5).load(bad)


def test_a_nan_loss_stops_training_with_a_clear_error():
    from tinygen.models.autoencoder import TrainingDivergedError

    m = FVSBN(9, random_state=0)
    m.b.data[0] = np.nan
    with pytest.raises(TrainingDivergedError, match="learning rate"):
        m.fit(bars_and_stripes(3), n_epochs=1, batch_size=14, verbose=True)
