"""Feature matching (Salimans et al., 2016, §3.1): the loss, its gradient, D's features,
and a GAN whose generator trains on it. Lesson: ``lessons/gan.py`` §11."""

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from tinygen import Tensor
from tinygen.models.dcgan import DCGAN
from tinygen.models.gan import GAN, MLPGAN, OBJECTIVES, feature_matching_loss, generator_loss
from tinygen.nn import Linear, Module, Sequential, Tanh
from tinygen.testing import check_grads


def features_pair(seed, n_real, n_fake, d):
    rng = np.random.default_rng(seed)
    return rng.standard_normal((n_real, d)), rng.standard_normal((n_fake, d)) + 0.3


@given(st.integers(0, 10_000), st.integers(1, 9), st.integers(1, 9), st.integers(1, 6))
def test_loss_is_the_squared_distance_between_the_batch_means(seed, n_real, n_fake, d):
    real, fake = features_pair(seed, n_real, n_fake, d)
    got = feature_matching_loss(real, Tensor(fake)).item()
    want = np.sum((real.mean(axis=0) - fake.mean(axis=0)) ** 2)
    assert got == pytest.approx(want, rel=1e-10, abs=1e-12)
    # the same with the data's features given as a Tensor
    assert feature_matching_loss(Tensor(real), Tensor(fake)).item() == pytest.approx(got)


@given(st.integers(0, 10_000), st.integers(2, 7), st.integers(1, 5))
def test_gradient_is_minus_two_over_n_times_the_gap_for_every_sample(seed, n_fake, d):
    real, fake = features_pair(seed, 5, n_fake, d)
    f = Tensor(fake, requires_grad=True)
    feature_matching_loss(real, f).backward()
    gap = real.mean(axis=0) - fake.mean(axis=0)
    np.testing.assert_allclose(f.grad, np.broadcast_to(-2.0 / n_fake * gap, fake.shape),
                               rtol=1e-10, atol=1e-12)


def test_gradient_by_finite_differences():
    real, fake = features_pair(0, 6, 4, 3)
    check_grads(lambda f: feature_matching_loss(real, f), fake)


def test_loss_ignores_the_order_and_sees_a_shifted_sample():
    real, _ = features_pair(1, 8, 1, 4)
    assert feature_matching_loss(real, Tensor(real[::-1].copy())).item() == pytest.approx(0, abs=1e-12)
    moved = real.copy()
    moved[3] += 1.0  # one sample off by 1 in every feature: the mean moves by 1/8
    assert feature_matching_loss(real, Tensor(moved)).item() == pytest.approx(4 / 64)


def test_loss_sees_the_proportions_of_perfect_samples():
    """Two modes with features μ₁, μ₂: samples exactly on the modes but in proportion w' to
    1 − w' are off the target by (w' − ½)(μ₁ − μ₂), so L = (w' − ½)² ‖μ₁ − μ₂‖²."""
    mu = np.array([[1.0, 0.0, 2.0], [0.0, 1.0, -1.0]])
    real = mu[np.repeat([0, 1], 50)]
    for w in (0.5, 0.7, 0.9):
        fake = mu[np.repeat([0, 1], [int(100 * w), 100 - int(100 * w)])]
        want = (w - 0.5) ** 2 * np.sum((mu[0] - mu[1]) ** 2)
        assert feature_matching_loss(real, Tensor(fake)).item() == pytest.approx(want)


def test_bad_shapes_and_objectives_are_named():
    with pytest.raises(ValueError, match=r"\(n_real, d\) and \(n_fake, d\)"):
        feature_matching_loss(np.zeros((3, 2)), Tensor(np.zeros((3, 4))))
    with pytest.raises(ValueError, match="'minimax', 'non_saturating'"):
        generator_loss(Tensor(np.zeros(3)), "feature_matching")
    assert "feature_matching" in OBJECTIVES


class NoFeatures(Module):
    def __init__(self):
        super().__init__()
        self.net = Sequential(Linear(2, 4, random_state=0), Tanh(), Linear(4, 1, random_state=1))

    def forward(self, x):
        return self.net(x)


def test_a_discriminator_without_features_is_refused_with_the_fix():
    G = Sequential(Linear(2, 2, random_state=0))
    with pytest.raises(ValueError, match=r"features\(x\)"):
        GAN(G, NoFeatures(), n_latent=2, objective="feature_matching")
    GAN(G, NoFeatures(), n_latent=2)  # the logit losses need no features


@pytest.mark.parametrize("make", [
    lambda: MLPGAN(g_hidden=(8,), d_hidden=(8, 6), random_state=0),
    lambda: MLPGAN(g_hidden=(8,), d_hidden=(8, 6), n_classes=3, random_state=0),
    lambda: DCGAN(width=4, n_latent=3, random_state=0),
    lambda: DCGAN(width=4, n_latent=3, conditional=True, random_state=0),
    lambda: DCGAN(width=4, n_latent=3, pack=2, random_state=0),
])
def test_the_logit_is_the_last_layer_applied_to_the_features(make):
    gan = make()
    gan.eval()
    n = 4
    rng = np.random.default_rng(0)
    shape = (n, 2) if isinstance(gan, MLPGAN) else (n, 1, 28, 28)
    x = Tensor(rng.random(shape).astype(np.float32))
    y = None if gan.n_classes is None else rng.integers(0, gan.n_classes, n)
    f = gan._features(x, y)
    assert f.shape == (n // gan.pack, f.shape[1])
    D = gan.discriminator
    last = D.fc if isinstance(gan, DCGAN) else D.net[-1]
    np.testing.assert_allclose(last(f).data.reshape(-1), gan._logits(x, y).data, rtol=1e-5, atol=1e-6)


def blob(n=512, centre=(1.5, -1.0), std=0.05, seed=0):
    rng = np.random.default_rng(seed)
    return (np.asarray(centre) + std * rng.standard_normal((n, 2))).astype(np.float32)


@pytest.mark.parametrize("reuse_fake", [False, True])
def test_a_feature_matching_generator_moves_onto_the_data(reuse_fake):
    X = blob()
    gan = MLPGAN(g_hidden=(32, 32), d_hidden=(32, 32), objective="feature_matching", random_state=0)
    before = np.linalg.norm(gan.sample(500, random_state=1).mean(axis=0) - X.mean(axis=0))
    gan.fit(X, n_steps=300, batch_size=64, lr=1e-3, random_state=0, reuse_fake=reuse_fake,
            verbose=False)
    after = np.linalg.norm(gan.sample(500, random_state=1).mean(axis=0) - X.mean(axis=0))
    assert before > 1.0 and after < 0.2 * before
    g = np.asarray(gan.history_["g_loss"])
    assert np.all(g >= 0) and g[-50:].mean() < 0.2 * g[:10].mean()  # the squared distance


def test_feature_matching_survives_a_checkpoint(tmp_path):
    gan = MLPGAN(g_hidden=(8,), d_hidden=(8,), objective="feature_matching", pack=2, random_state=0)
    gan.fit(blob(64), n_steps=3, batch_size=16, random_state=0, verbose=False)
    gan.save(tmp_path / "fm.npz")
    back = GAN.from_checkpoint(tmp_path / "fm.npz")
    assert back.objective == "feature_matching" and back.pack == 2
    np.testing.assert_array_equal(back.sample(5, random_state=2), gan.sample(5, random_state=2))
