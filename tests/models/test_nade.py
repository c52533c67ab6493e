"""NADE: the running-sum logits against the per-pixel definition, the exclusive cumulative
sum and its gradient, training, sampling, bad input and checkpoints (tiny models)."""

import numpy as np
import pytest

from tinygen import Tensor
from tinygen.data import bars_and_stripes
from tinygen.models.nade import NADE, exclusive_cumsum
from tinygen.testing import check_grads


def naive_logits(X, W, c, V, b):
    """ℓ_i = b_i + V_i · σ(c + W[:, :i] x[:i]), one pixel at a time (O(D²H))."""
    out = np.empty(X.shape)
    for i in range(X.shape[1]):
        h = 1 / (1 + np.exp(-(c + X[:, :i] @ W[:, :i].T)))
        out[:, i] = b[i] + h @ V[i]
    return out


def test_init_is_random_and_shapes():
    m = NADE(7, n_hidden=5, random_state=0)
    assert m.W.shape == (5, 7) and m.V.shape == (7, 5) and m.c.shape == (5,)
    assert m.b.shape == (7,) and m.W.dtype == np.float32
    assert np.all(m.W.numpy() != 0) and np.all(m.V.numpy() != 0)
    np.testing.assert_array_equal(NADE(7, 5, random_state=0).V.numpy(), m.V.numpy())
    assert NADE(3).n_hidden == 500
    with pytest.raises(ValueError, match="n_hidden"):
        NADE(3, n_hidden=0)


def test_running_sum_equals_the_per_pixel_definition_on_mnist_sizes():
    rng = np.random.default_rng(0)
    m = NADE(784, n_hidden=20, random_state=0).double()
    m.c.data[:] = rng.standard_normal(20)
    m.b.data[:] = rng.standard_normal(784)
    X = (rng.random((3, 784)) < 0.3).astype(np.float64)
    ref = naive_logits(X, m.W.data, m.c.data, m.V.data, m.b.data)
    np.testing.assert_allclose(m.conditional_logits(X).numpy(), ref, rtol=1e-10, atol=1e-10)


def test_exclusive_cumsum_and_its_gradient():
    x = np.random.default_rng(0).standard_normal((2, 5, 3))
    y = exclusive_cumsum(Tensor(x), axis=1).numpy()
    np.testing.assert_allclose(y[:, 0], 0)
    np.testing.assert_allclose(y[:, 1:], np.cumsum(x, axis=1)[:, :-1], rtol=1e-12)
    for axis in (0, 1, 2):
        check_grads(lambda t, a=axis: exclusive_cumsum(t, axis=a), x)


def test_fit_lowers_the_nll():
    X = bars_and_stripes(3)
    m = NADE(9, n_hidden=16, random_state=0)
    before = -m.log_prob(X).mean()
    m.fit(X, n_epochs=150, batch_size=14, lr=0.03, random_state=0)
    after = -m.log_prob(X).mean()
    assert after < before - 2.5 and after < 3.2  # the optimum: log 14 ≈ 2.64 nats
    assert m.history_["loss"][-1] < m.history_["loss"][0]


def test_sample_complete_and_bad_input():
    m = NADE(6, n_hidden=4, random_state=0)
    S = m.sample(20, random_state=1)
    assert S.shape == (20, 6) and set(np.unique(S)) <= {0.0, 1.0}
    np.testing.assert_array_equal(S, m.sample(20, random_state=1))
    mask = np.zeros(S.shape, dtype=bool)
    mask[:, :3] = True
    Y = m.complete(S, mask, random_state=0)
    np.testing.assert_array_equal(Y[:, :3], S[:, :3])
    with pytest.raises(ValueError, match="binary"):
        m.fit(S * 0.5, n_epochs=1)
    with pytest.raises(ValueError, match=r"\(n_samples, 6\)"):
        m.log_prob(S[:, :5])


def test_checkpoint_round_trip(tmp_path):
    m = NADE(5, n_hidden=3, random_state=0)
    m.b.data[:] = np.arange(5)
    path = m.save(tmp_path / "nade")
    back = NADE.from_checkpoint(path)
    assert back.n_hidden == 3
    X = np.eye(5)
    np.testing.assert_array_equal(back.log_prob(X), m.log_prob(X))
    import tinygen.models as models
    from tinygen.models._autoregressive import AutoregressiveModel

    assert models.NADE is NADE
    assert type(AutoregressiveModel.from_checkpoint(path)) is NADE  # the class is in the .json


def test_fused_logits_agree_with_the_composite_in_value_and_gradient():
    from tinygen.models.nade import NADELogits, nade_logits

    rng = np.random.default_rng(3)
    n, D, H = 4, 9, 5
    X = (rng.random((n, D)) < 0.4).astype(np.float64)
    params = [rng.standard_normal(s) for s in ((H, D), (H,), (D, H), (D,))]
    G = rng.standard_normal((n, D))  # a random upstream gradient

    def grads(f):
        ts = [Tensor(a, requires_grad=True) for a in (X, *params)]
        out = f(*ts)
        (out * Tensor(G)).sum().backward()
        return out.numpy(), [t.grad for t in ts]

    (y_f, g_f), (y_c, g_c) = grads(NADELogits.apply), grads(nade_logits)
    np.testing.assert_allclose(y_f, y_c, rtol=1e-12, atol=1e-12)
    for a, r in zip(g_f, g_c):
        np.testing.assert_allclose(a, r, rtol=1e-10, atol=1e-12)
    # and against finite differences, every input (x included) in float64
    check_grads(lambda *t: NADELogits.apply(*t), X, *params)
