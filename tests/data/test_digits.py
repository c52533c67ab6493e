"""Synthetic digits: shapes, range, determinism, balance, and that they are learnable."""

from __future__ import annotations

import numpy as np
import pytest

from tinygen.data import synthetic_digits


def test_shapes_dtypes_range():
    x, y = synthetic_digits(50, random_state=0)
    assert x.shape == (50, 28, 28) and x.dtype == np.float32
    assert y.shape == (50,) and y.dtype == np.int64
    assert x.min() >= 0.0 and x.max() <= 1.0
    assert set(np.unique(y)) == set(range(10))
    # Ink in the middle, dark border (the digit fills the central 20 x 20 box).
    assert x[:, 10:18, 10:18].mean() > 4 * x[:, :3, :].mean()
    assert (x.reshape(50, -1) > 0.5).sum(axis=1).min() > 15  # every image has strokes


def test_deterministic_given_seed():
    a = synthetic_digits(30, random_state=7)
    b = synthetic_digits(30, random_state=7)
    c = synthetic_digits(30, random_state=8)
    assert np.array_equal(a[0], b[0]) and np.array_equal(a[1], b[1])
    assert not np.array_equal(a[0], c[0])


@pytest.mark.parametrize("n", [0, 1, 9, 10, 23, 600])
def test_balanced_labels(n):
    _, y = synthetic_digits(n, random_state=1)
    counts = np.bincount(y, minlength=10)
    assert counts.sum() == n and counts.max() - counts.min() <= 1


def test_other_size():
    x, _ = synthetic_digits(4, random_state=0, size=16)
    assert x.shape == (4, 16, 16)


def test_images_vary_within_a_class():
    x, y = synthetic_digits(200, random_state=2)
    ones = x[y == 1].reshape(-1, 784)
    assert len(np.unique(ones, axis=0)) == len(ones)
    assert np.abs(ones - ones.mean(axis=0)).mean() > 0.05


def test_learnable_by_a_linear_classifier():
    """Ridge regression on one-hot targets, the simplest classifier, reaches > 90%."""
    x, y = synthetic_digits(3000, random_state=1)
    xt, yt = synthetic_digits(1000, random_state=2)

    def features(images):
        return np.c_[images.reshape(len(images), -1), np.ones(len(images))].astype(np.float64)

    X, Xt = features(x), features(xt)
    W = np.linalg.solve(X.T @ X + np.eye(X.shape[1]), X.T @ np.eye(10)[y])
    accuracy = np.mean(np.argmax(Xt @ W, axis=1) == yt)
    assert accuracy > 0.9, accuracy


@pytest.mark.parametrize("bad", [dict(n=-1), dict(n=2.5), dict(n=3, size=4), dict(n=3, noise=-0.1)])
def test_bad_arguments(bad):
    with pytest.raises(ValueError):
        synthetic_digits(**bad)
