"""``tinygen.rng``: one Generator from any seed; same seed, bit-identical draws."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from tinygen import backend
from tinygen.rng import as_generator, bernoulli, integers, normal, uniform


def test_as_generator_accepts_seeds():
    g = np.random.default_rng(1)
    assert as_generator(g) is g  # shared stream, not a copy
    assert isinstance(as_generator(None), np.random.Generator)
    assert isinstance(as_generator(3), np.random.Generator)
    assert isinstance(as_generator(np.int64(3)), np.random.Generator)
    ss = np.random.SeedSequence(42)
    assert as_generator(ss).random() == np.random.default_rng(np.random.SeedSequence(42)).random()
    assert as_generator(7).random() == as_generator(7).random()
    assert as_generator(7).random() != as_generator(8).random()


@pytest.mark.parametrize("junk", ["0", 1.5, [1, 2], object(), {"seed": 1}])
def test_as_generator_rejects_junk(junk):
    with pytest.raises(TypeError, match="random_state must be"):
        as_generator(junk)


def test_none_gives_fresh_entropy():
    assert as_generator(None).integers(0, 2**62) != as_generator(None).integers(0, 2**62)


@given(seed=st.integers(0, 2**32 - 1))
def test_same_seed_bit_identical(seed):
    def draws(s):
        rng = as_generator(s)
        u = uniform(rng, (3, 4))
        z = normal(rng, (5,))
        b = bernoulli(rng, np.full((2, 3), 0.3, dtype=np.float32))
        i = integers(rng, 0, 10, size=4)
        return u, z, b, i

    for a, b in zip(draws(seed), draws(seed)):
        assert a.dtype == b.dtype and a.tobytes() == b.tobytes()


def test_dtypes_follow_the_default():
    rng = as_generator(0)
    assert uniform(rng, 3).dtype == np.float32 and normal(rng, 3).dtype == np.float32
    assert uniform(rng, 3, dtype="float64").dtype == np.float64
    with backend.default_dtype("float64"):
        assert normal(rng, (2, 2)).dtype == np.float64
    u = uniform(rng, 10_000)
    assert 0.0 <= u.min() and u.max() < 1.0
    assert abs(u.mean() - 0.5) < 0.02


def test_normal_moments():
    z = normal(as_generator(0), 100_000, dtype="float64")
    assert abs(z.mean()) < 0.02 and abs(z.std() - 1.0) < 0.02


@pytest.mark.parametrize("p", [0.0, 0.1, 0.5, 0.93, 1.0])
def test_bernoulli_values_and_frequency(p):
    n = 40_000
    probs = np.full(n, p, dtype=np.float32)
    x = bernoulli(as_generator(1), probs)
    assert x.shape == (n,) and x.dtype == np.float32
    assert set(np.unique(x).tolist()) <= {0.0, 1.0}
    # 5 standard errors of a binomial proportion (exact at p = 0 and 1)
    assert abs(x.mean() - p) <= 5 * np.sqrt(p * (1 - p) / n) + 1e-12


def test_bernoulli_elementwise_probabilities():
    p = np.tile(np.array([0.0, 0.2, 0.8, 1.0]), (20_000, 1))
    x = bernoulli(as_generator(2), p, dtype="uint8")
    assert x.dtype == np.uint8
    freq = x.mean(axis=0)
    np.testing.assert_allclose(freq, [0.0, 0.2, 0.8, 1.0], atol=0.015)


# ------------------------------------------------------------------ normal
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_normal_draws_standard_normals_from_the_generators_stream(dtype):
    from scipy import stats

    z = normal(as_generator(0), (100_000,), dtype)
    assert z.dtype == dtype and z.shape == (100_000,)
    assert stats.kstest(z.astype(np.float64), "norm").pvalue > 1e-3
    # one noise stream per seed: the Generator's own standard_normal, bit for bit
    ref = np.random.default_rng(0).standard_normal((100_000,), dtype=dtype)
    assert z.tobytes() == ref.tobytes()


@given(shape=st.lists(st.integers(0, 5), max_size=3).map(tuple), seed=st.integers(0, 2**32 - 1))
def test_normal_shapes_and_seeds(shape, seed):
    a = normal(as_generator(seed), shape)
    b = normal(as_generator(seed), shape)
    assert a.shape == shape and a.dtype == np.float32
    assert a.tobytes() == b.tobytes() and np.all(np.isfinite(a))
