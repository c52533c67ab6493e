"""The GAN strategies produce what they promise."""

import numpy as np
from hypothesis import given

from tests.strategies.gan import distribution_pairs, distributions, logits


@given(distributions(5, min_mass=0.01))
def test_distributions_are_probability_vectors(p):
    assert p.shape == (5,) and p.dtype == np.float64
    assert np.isclose(p.sum(), 1.0) and p.min() >= 0.01 - 1e-12


@given(distribution_pairs(min_support=3, max_support=6))
def test_distribution_pairs_share_a_support(pair):
    p, q = pair
    assert p.shape == q.shape and 3 <= len(p) <= 6
    for r in (p, q):
        assert np.isclose(r.sum(), 1.0) and r.min() >= 1e-3 - 1e-12


@given(logits(max_size=7, bound=30.0))
def test_logits_are_bounded_finite_vectors(a):
    assert a.ndim == 1 and 1 <= len(a) <= 7
    assert np.all(np.isfinite(a)) and np.all(np.abs(a) <= 30.0)
