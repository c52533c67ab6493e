"""The classifier scores of generated images: the Fréchet distance, KL to uniform, coverage.

The Fréchet distance is checked against what it must be: 0 from a Gaussian to itself,
the closed form ‖μ₁ − μ₂‖² + Σᵢ (σ₁ᵢ − σ₂ᵢ)² for two diagonal Gaussians, symmetric, and
the plain distance of the means for equal covariances.
"""

import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from tests.strategies.gaussian import diag_gaussians
from tinygen.models.classifier_scores import (
    class_histogram,
    classes_covered,
    classifier_score,
    frechet_distance,
    gaussian_fit,
    kl_to_uniform,
)


def _spd(rng, d, rank=None):
    A = rng.standard_normal((d, rank or d))
    return A @ A.T + (1e-3 * np.eye(d) if rank is None else 0.0)


@pytest.mark.parametrize("d", [1, 5, 40])
def test_frechet_distance_of_a_gaussian_to_itself_is_zero(d):
    rng = np.random.default_rng(d)
    mu, S = rng.standard_normal(d), _spd(rng, d)
    assert abs(frechet_distance(mu, S, mu, S)) < 1e-8 * max(1.0, np.trace(S))


def test_frechet_distance_of_singular_covariances_is_still_zero_to_itself():
    """Features that are 0 on every image give a singular Σ (rank 3 of 10)."""
    rng = np.random.default_rng(0)
    S = _spd(rng, 10, rank=3)
    assert abs(frechet_distance(np.zeros(10), S, np.zeros(10), S)) < 1e-6


@settings(max_examples=40, deadline=None)
@given(st.integers(1, 6).flatmap(lambda d: st.tuples(diag_gaussians(d), diag_gaussians(d))))
def test_frechet_distance_of_diagonal_gaussians_is_the_closed_form(pair):
    """N(μ₁, diag σ₁²), N(μ₂, diag σ₂²): d² = ‖μ₁ − μ₂‖² + Σᵢ (σ₁ᵢ − σ₂ᵢ)²."""
    (m1, lv1), (m2, lv2) = pair
    s1, s2 = np.exp(0.5 * lv1), np.exp(0.5 * lv2)
    want = np.sum((m1 - m2) ** 2) + np.sum((s1 - s2) ** 2)
    got = frechet_distance(m1, np.diag(s1**2), m2, np.diag(s2**2))
    assert got == pytest.approx(want, rel=1e-7, abs=1e-9)


def test_frechet_distance_is_symmetric_and_the_mean_distance_for_equal_covariances():
    rng = np.random.default_rng(1)
    d = 8
    m1, m2, S1, S2 = rng.standard_normal(d), rng.standard_normal(d), _spd(rng, d), _spd(rng, d)
    assert frechet_distance(m1, S1, m2, S2) == pytest.approx(frechet_distance(m2, S2, m1, S1))
    assert frechet_distance(m1, S1, m2, S1) == pytest.approx(np.sum((m1 - m2) ** 2))
    assert frechet_distance(m1, S1, m2, S2) > 0
    with pytest.raises(ValueError, match="one d"):
        frechet_distance(m1, S1, m2[:3], S2)


def test_gaussian_fit_and_sample_frechet_distance_shrink_with_n():
    """Two samples of one Gaussian: the estimate is biased upwards, less for more points."""
    rng = np.random.default_rng(2)
    d = 5

    def fd(n):
        a, b = rng.standard_normal((n, d)), rng.standard_normal((n, d))
        return frechet_distance(*gaussian_fit(a), *gaussian_fit(b))

    assert fd(20_000) < fd(200) and fd(20_000) < 0.01
    mu, S = gaussian_fit(np.array([[0.0, 1.0], [2.0, 3.0]]))
    np.testing.assert_allclose(mu, [1.0, 2.0])
    np.testing.assert_allclose(S, [[2.0, 2.0], [2.0, 2.0]])
    with pytest.raises(ValueError, match="n_samples >= 2"):
        gaussian_fit(np.zeros((1, 3)))
    with pytest.raises(ValueError, match="NaN"):
        gaussian_fit(np.array([[0.0], [np.nan]]))


def test_kl_to_uniform_is_zero_for_uniform_and_log_k_for_one_class():
    assert kl_to_uniform(np.full(10, 1000)) == pytest.approx(0.0, abs=1e-15)
    one = np.zeros(10)
    one[3] = 10_000
    assert kl_to_uniform(one) == pytest.approx(math.log(10))
    # log K − H(p̂) for a random histogram
    c = np.random.default_rng(3).integers(0, 50, 10)
    p = c / c.sum()
    H = -np.sum(p[p > 0] * np.log(p[p > 0]))
    assert kl_to_uniform(c) == pytest.approx(math.log(10) - H)
    for bad in (np.zeros(10), np.array([-1, 2]), np.zeros((2, 2))):
        with pytest.raises(ValueError, match="counts"):
            kl_to_uniform(bad)


def test_classes_covered_and_histogram():
    labels = np.array([0, 0, 3, 9, 3, 3])
    assert classes_covered(labels) == 3
    np.testing.assert_array_equal(class_histogram(labels), [2, 0, 0, 3, 0, 0, 0, 0, 0, 1])
    assert classes_covered(np.arange(10).repeat(5)) == 10
    assert classes_covered(np.zeros(0, int)) == 0
    with pytest.raises(ValueError, match=r"\[0, 10\)"):
        classes_covered(np.array([10]))
    with pytest.raises(ValueError, match="1-D int"):
        classes_covered(np.array([0.5]))


class _ByMeanClassifier:
    """A stand-in with the classifier's interface: label = brightness decile, feature = the
    mean and the spread of the pixels."""

    n_classes = 10

    def predict_and_features(self, images, batch_size=500):
        x = np.asarray(images).reshape(len(images), -1)
        m = x.mean(axis=1)
        return np.minimum((m * 10).astype(int), 9), np.stack([m, x.std(axis=1)], axis=1)


def test_classifier_score_wires_the_three_scores():
    rng = np.random.default_rng(4)
    real = rng.random((1000, 1, 28, 28)) * rng.random((1000, 1, 1, 1))  # mean brightness varies
    clf = _ByMeanClassifier()
    ref = gaussian_fit(clf.predict_and_features(real)[1])
    s = classifier_score(clf, real, ref)
    assert s.n == 1000 and sum(s.counts) == 1000
    assert s.classes_covered == classes_covered(clf.predict_and_features(real)[0])
    assert s.frechet == pytest.approx(0.0, abs=1e-10)
    collapsed = np.full((500, 1, 28, 28), 0.05)
    c = classifier_score(clf, collapsed, ref)
    assert c.classes_covered == 1 and c.kl_uniform == pytest.approx(math.log(10))
    assert c.frechet > 0.01
    assert classifier_score(clf, collapsed).frechet is None
    assert set(c.as_dict()) == {"n", "classes_covered", "kl_uniform", "frechet", "counts"}
