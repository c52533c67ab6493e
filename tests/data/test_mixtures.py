"""Ring and grid mixtures: centres, closeness of samples, determinism."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from tinygen.data import grid, ring


def _nearest(points, centres):
    d = np.linalg.norm(points[:, None, :] - centres[None], axis=-1)
    return d.argmin(axis=1), d.min(axis=1)


@given(st.integers(1, 16), st.floats(0.5, 5.0), st.integers(0, 2**32 - 1))
def test_ring_centres_and_samples(n_modes, radius, seed):
    std = 0.01 * radius
    points, centres = ring(2000, n_modes=n_modes, radius=radius, std=std, random_state=seed)
    assert points.shape == (2000, 2) and points.dtype == np.float32
    assert centres.shape == (n_modes, 2) and centres.dtype == np.float32
    np.testing.assert_allclose(np.linalg.norm(centres, axis=1), radius, rtol=1e-5)
    assert len(np.unique(np.round(centres, 4), axis=0)) == n_modes
    k, d = _nearest(points, centres)
    assert d.max() < 6 * std  # 2-D Gaussian: P(|eps| > 6) = exp(-18)
    assert len(np.unique(k)) == n_modes  # 2000 draws reach every mode


def test_ring_default_eight_modes_equally_spaced():
    _, centres = ring()
    angles = np.sort(np.mod(np.arctan2(centres[:, 1], centres[:, 0]), 2 * np.pi))
    np.testing.assert_allclose(np.diff(angles), 2 * np.pi / 8, atol=1e-6)


@given(st.integers(1, 7), st.floats(0.5, 4.0), st.integers(0, 2**32 - 1))
def test_grid_centres_and_samples(side, spacing, seed):
    std = 0.02 * spacing
    points, centres = grid(3000, side=side, spacing=spacing, std=std, random_state=seed)
    assert centres.shape == (side * side, 2) and points.shape == (3000, 2)
    np.testing.assert_allclose(centres.mean(axis=0), 0.0, atol=1e-5)  # centred on origin
    ticks = np.unique(np.round(centres[:, 0], 4))
    assert len(ticks) == side
    np.testing.assert_allclose(np.diff(ticks), spacing, atol=2e-4)  # ticks rounded to 1e-4
    k, d = _nearest(points, centres)
    assert d.max() < 6 * std and len(np.unique(k)) == side * side


def test_std_zero_gives_centres_and_mode_frequencies_are_uniform():
    points, centres = grid(50000, side=5, std=0.0, random_state=0)
    k, d = _nearest(points, centres)
    assert d.max() < 1e-6
    freq = np.bincount(k, minlength=25) / 50000
    assert np.abs(freq - 1 / 25).max() < 0.006  # ~7 binomial standard deviations


def test_deterministic_given_seed():
    a, _ = ring(100, random_state=3)
    b, _ = ring(100, random_state=3)
    c, _ = ring(100, random_state=4)
    assert np.array_equal(a, b) and not np.array_equal(a, c)
    g1 = np.random.default_rng(5)
    g2 = np.random.default_rng(5)
    assert np.array_equal(grid(50, random_state=g1)[0], grid(50, random_state=g2)[0])


@pytest.mark.parametrize(
    "call",
    [
        lambda: ring(10, n_modes=0),
        lambda: grid(10, side=0),
        lambda: ring(-1),
        lambda: grid(5, std=-1.0),
    ],
)
def test_bad_arguments(call):
    with pytest.raises(ValueError):
        call()
