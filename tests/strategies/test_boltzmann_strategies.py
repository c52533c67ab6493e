"""The Boltzmann strategies generate what they promise."""

from __future__ import annotations

import numpy as np
from hypothesis import given

from tests.strategies.boltzmann import SCALES, boltzmann_machines, dbms, gaussian_rbms


@given(boltzmann_machines(max_visible=4, max_hidden=3))
def test_boltzmann_machines_are_valid(bm):
    assert 1 <= bm.n_visible <= 4 and 0 <= bm.n_hidden <= 3
    assert bm.R.dtype == np.float64
    for M in (bm.R, bm.S):
        np.testing.assert_array_equal(M, M.T)
        assert np.all(np.diag(M) == 0)
    assert bm.W.shape == (bm.n_visible, bm.n_hidden)
    assert bm.b.shape == (bm.n_visible,) and bm.c.shape == (bm.n_hidden,)
    params = np.concatenate([np.ravel(getattr(bm, k)) for k in "RWSbc"])
    assert np.all(np.isfinite(params)) and np.all(np.abs(params) <= max(SCALES))


@given(gaussian_rbms())
def test_gaussian_rbms_are_valid(rbm):
    assert 1 <= rbm.n_visible <= 3 and 1 <= rbm.n_hidden <= 4
    assert rbm.W.dtype == np.float64
    assert np.all((rbm.sigma >= 0.3 - 1e-12) & (rbm.sigma <= 3.0 + 1e-12))
    assert np.all(np.abs(rbm.W) <= max(SCALES))


def test_large_magnitudes_are_generated():
    """Across examples, some models have couplings of several units (near-deterministic)."""
    seen = []

    @given(boltzmann_machines(min_visible=3, max_visible=3))
    def collect(bm):
        seen.append(np.max(np.abs(bm.R)))

    collect()
    assert max(seen) > 2.0 and min(seen) < 0.2


@given(dbms(max_visible=4, max_hidden1=4, max_hidden2=3))
def test_dbms_are_valid(dbm):
    sizes = (dbm.n_visible, dbm.n_hidden1, dbm.n_hidden2)
    assert 1 <= sizes[0] <= 4 and 1 <= sizes[1] <= 4 and 1 <= sizes[2] <= 3
    assert dbm.W1.shape == sizes[:2] and dbm.W2.shape == sizes[1:]
    assert dbm.b.shape == (sizes[0],) and dbm.c1.shape == (sizes[1],) and dbm.c2.shape == (sizes[2],)
    params = np.concatenate([np.ravel(getattr(dbm, k)) for k in ("W1", "W2", "b", "c1", "c2")])
    assert params.dtype == np.float64 and np.all(np.abs(params) <= max(SCALES))
