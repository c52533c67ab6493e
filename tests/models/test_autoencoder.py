"""The deterministic autoencoder (MLP and convolutional) and the few-label linear probe."""

import numpy as np
import pytest

from tests.helpers import noisy_prototypes
from tinygen.models.autoencoder import Autoencoder, linear_probe

D = 20


def binary_data(n=200, seed=0):
    """Noisy copies of 4 binary prototypes in 20 dimensions, with their labels."""
    return noisy_prototypes(n, 4, D, seed)


@pytest.mark.parametrize("loss", ["bce", "mse"])
def test_mlp_autoencoder_trains(loss):
    X, _ = binary_data(200)
    ae = Autoencoder(n_input=D, hidden=(16,), n_latent=3, loss=loss, random_state=0)
    assert ae.encode(X[:5]).shape == (5, 3)
    assert ae.decode(ae.encode(X[:5])).shape == (5, D)
    hist = ae.fit(X, n_epochs=30, batch_size=50, lr=3e-3, random_state=0)
    assert hist["loss"][-1] < 0.7 * hist["loss"][0]
    rec = ae.reconstruct(X[:50])
    assert ((rec > 0.5) != (X[:50] > 0.5)).mean() < 0.15
    np.testing.assert_array_equal(ae.transform(X[:7]), ae.transform(X[:7]))


def test_conv_autoencoder_shapes_and_training():
    rng = np.random.default_rng(0)
    imgs = np.zeros((16, 8, 8), np.float32)
    for i in range(16):  # bright squares at random places
        r, c = rng.integers(0, 5, 2)
        imgs[i, r : r + 3, c : c + 3] = 1
    ae = Autoencoder(
        n_input=64, hidden=(4, 8), n_latent=4, kind="conv", image_shape=(8, 8), random_state=0
    )
    assert ae.encode(imgs).shape == (16, 4)
    assert ae.decode(ae.encode(imgs)).shape == (16, 64)
    hist = ae.fit(imgs, n_epochs=15, batch_size=8, lr=1e-2, random_state=0)
    assert hist["loss"][-1] < hist["loss"][0]


def test_bad_inputs():
    with pytest.raises(ValueError, match=r"\[0, 1\]"):
        Autoencoder(n_input=D, hidden=(4,), n_latent=2).fit(np.full((4, D), 3.0))
    with pytest.raises(ValueError, match="kind"):
        Autoencoder(kind="rnn")
    with pytest.raises(ValueError, match="image_shape"):
        Autoencoder(n_input=50, kind="conv", image_shape=(5, 10))


def test_linear_probe_separates_separable_classes():
    X, y = binary_data(400)
    acc = linear_probe(X[:100], y[:100], X[100:], y[100:], random_state=0)
    assert acc > 0.95
    shuffled = linear_probe(
        X[:100], np.random.default_rng(1).permutation(y[:100]), X[100:], y[100:], random_state=0
    )
    assert shuffled < 0.6
