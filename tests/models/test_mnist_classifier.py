"""The MNIST classifier that scores GAN samples: split, binarization, learning, input checks."""

import numpy as np
import pytest

from tests.conftest import require_file
from tinygen.data import synthetic_digits
from tinygen.models.mnist_classifier import (
    N_TRAIN,
    MNISTClassifier,
    binarize,
    classifier_split,
)


def test_split_is_fixed_disjoint_and_8000_2000():
    rng = np.random.default_rng(0)
    images = rng.integers(0, 256, (10_000, 28, 28), dtype=np.uint8)
    labels = np.arange(10_000) % 10
    (Xa, ya), (Ha, ha) = classifier_split(images, labels)
    (Xb, _), _ = classifier_split(images, labels)
    assert Xa.shape == (N_TRAIN, 1, 28, 28) == (8000, 1, 28, 28) and Ha.shape == (2000, 1, 28, 28)
    assert Xa.dtype == np.float32 and 0.0 <= Xa.min() and Xa.max() <= 1.0
    np.testing.assert_array_equal(Xa, Xb)  # the same split every time
    # every image once: the two parts' pixel sums add up to the whole set's
    ids = np.concatenate([Xa, Ha]).reshape(10_000, -1) @ rng.random(784)
    assert len(np.unique(ids)) == 10_000
    assert ya.shape == (8000,) and ha.shape == (2000,)


def test_binarize_draws_bernoulli_of_the_grey_levels():
    p = np.linspace(0, 1, 11, dtype=np.float32)
    B = binarize(np.tile(p, (20_000, 1)), random_state=0)
    assert set(np.unique(B)) <= {0.0, 1.0} and B.dtype == np.float32
    np.testing.assert_allclose(B.mean(axis=0), p, atol=0.012)
    assert B[:, 0].max() == 0 and B[:, -1].min() == 1


def test_classifier_learns_synthetic_digits_and_gives_features():
    X, y = synthetic_digits(400, random_state=0)
    X = X.reshape(-1, 1, 28, 28).astype(np.float32)
    m = MNISTClassifier(width=4, n_features=16, dropout=0.0, random_state=0)
    m.fit(X[:300], y[:300], n_epochs=8, batch_size=32, lr=3e-3, random_state=0)
    assert m.history_[-1] < m.history_[0] - 0.8  # the cross-entropy falls from ≈ log 10
    assert m.accuracy(X[300:], y[300:]) > 0.4  # chance is 0.1
    labels, feats = m.predict_and_features(X[:7], batch_size=3)
    assert labels.shape == (7,) and feats.shape == (7, 16) and (feats >= 0).all()
    np.testing.assert_array_equal(labels, m.predict(X[:7].reshape(7, 784)))
    assert not m.training


def test_classifier_rejects_bad_input():
    m = MNISTClassifier(width=2, n_features=4, random_state=0)
    with pytest.raises(ValueError, match="255"):
        m.predict(np.full((2, 1, 28, 28), 255.0))
    with pytest.raises(ValueError, match="shape"):
        m.predict(np.zeros((2, 1, 14, 14)))
    with pytest.raises(ValueError, match="labels must lie"):
        m.fit(np.zeros((2, 784)), np.array([0, 10]), n_epochs=1)
    with pytest.raises(ValueError, match="int array"):
        m.fit(np.zeros((2, 784)), np.array([0.0, 1.0]), n_epochs=1)


@pytest.mark.slow
def test_classifier_on_mnist_reaches_97_percent_on_the_held_out_images(tmp_path):
    """The benchmark's classifier (12 epochs on 8,000 binarized test images, ~1 min)."""
    require_file("mnist/t10k-images-idx3-ubyte.gz")
    m = MNISTClassifier.trained(tmp_path / "clf.npz")
    _, (H, h) = classifier_split()
    assert m.accuracy(binarize(H, random_state=0), h) >= 0.97
    again = MNISTClassifier.trained(tmp_path / "clf.npz")  # loaded, not retrained
    np.testing.assert_array_equal(again.predict(H[:100]), m.predict(H[:100]))
