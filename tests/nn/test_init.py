"""Initialisation: the variances the equations promise, and seeded determinism."""

from __future__ import annotations

import math

import numpy as np
import pytest

from tinygen import nn
from tinygen.nn import init


@pytest.mark.parametrize(
    "fn, expected_var",
    [
        (lambda s, r: init.xavier_uniform(s, random_state=r), lambda fi, fo: 2.0 / (fi + fo)),
        (lambda s, r: init.xavier_normal(s, random_state=r), lambda fi, fo: 2.0 / (fi + fo)),
        (
            lambda s, r: init.kaiming_uniform(s, nonlinearity="relu", random_state=r),
            lambda fi, fo: 2.0 / fi,
        ),
        (
            lambda s, r: init.kaiming_normal(s, nonlinearity="relu", random_state=r),
            lambda fi, fo: 2.0 / fi,
        ),
        (
            lambda s, r: init.kaiming_normal(
                s, mode="fan_out", nonlinearity="relu", random_state=r
            ),
            lambda fi, fo: 2.0 / fo,
        ),
        (
            lambda s, r: init.kaiming_uniform(s, a=math.sqrt(5), random_state=r),
            lambda fi, fo: 1.0 / (3.0 * fi),  # U(±1/√fan_in)
        ),
    ],
)
@pytest.mark.parametrize("shape", [(300, 200), (64, 32, 3, 3)])
def test_init_variance(fn, expected_var, shape):
    W = fn(shape, 0)
    fan_in, fan_out = init.calculate_fan_in_and_fan_out(shape)
    assert W.shape == shape and W.dtype == np.float32
    var = expected_var(fan_in, fan_out)
    # sample variance of n iid draws has relative std ≈ √(2/n) (normal) or less (uniform)
    assert abs(W.var() / var - 1.0) < 6 * math.sqrt(2.0 / W.size)
    assert abs(W.mean()) < 6 * math.sqrt(var / W.size)


def test_fans_and_gains():
    assert init.calculate_fan_in_and_fan_out((10, 4)) == (4, 10)
    assert init.calculate_fan_in_and_fan_out((8, 3, 5, 5)) == (75, 200)
    assert init.calculate_gain("relu") == pytest.approx(math.sqrt(2))
    assert init.calculate_gain("leaky_relu", math.sqrt(5)) == pytest.approx(math.sqrt(1 / 3))
    assert init.calculate_gain("tanh") == pytest.approx(5 / 3)
    with pytest.raises(ValueError, match="nonlinearity"):
        init.calculate_gain("swishy")


def test_linear_default_init_bounds_like_pytorch():
    lin = nn.Linear(400, 300, random_state=0)
    bound = 1 / math.sqrt(400)
    for p in (lin.weight.data, lin.bias.data):
        assert p.min() >= -bound and p.max() <= bound
        assert p.max() > 0.9 * bound and p.min() < -0.9 * bound
    assert abs(lin.weight.data.var() / (bound**2 / 3) - 1) < 0.03
    xl = nn.Linear(400, 300, random_state=0, init="xavier")
    assert np.all(xl.bias.data == 0)
    assert abs(xl.weight.data.var() / (2 / 700) - 1) < 0.03
    with pytest.raises(ValueError, match="kaiming"):
        nn.Linear(2, 2, init="orthogonal")


def test_conv_init_fans():
    c = nn.Conv2d(3, 16, 5, random_state=0)
    assert c.weight.shape == (16, 3, 5, 5)
    assert np.abs(c.weight.data).max() <= 1 / math.sqrt(75)
    ct = nn.ConvTranspose2d(16, 3, 4, random_state=0)
    assert ct.weight.shape == (16, 3, 4, 4)
    assert np.abs(ct.bias.data).max() <= 1 / math.sqrt(3 * 16)


@pytest.mark.parametrize(
    "make",
    [
        lambda r: nn.Linear(5, 7, random_state=r),
        lambda r: nn.Conv2d(2, 3, 3, random_state=r),
        lambda r: nn.ConvTranspose2d(2, 3, 3, random_state=r),
        lambda r: nn.Embedding(10, 4, random_state=r),
        lambda r: nn.LSTMCell(3, 4, random_state=r),
    ],
)
def test_seeded_determinism(make):
    a, b, c = make(7), make(7), make(8)
    for p, q in zip(a.parameters(), b.parameters()):
        np.testing.assert_array_equal(p.data, q.data)
        assert p.dtype == np.float32
    assert any(not np.array_equal(p.data, o.data) for p, o in zip(a.parameters(), c.parameters()))
    gen = np.random.default_rng(3)
    d, e = make(gen), make(gen)  # a shared generator keeps drawing: different layers
    assert any(not np.array_equal(p.data, q.data) for p, q in zip(d.parameters(), e.parameters()))
