"""The RBM strategies generate what they promise."""

from __future__ import annotations

import numpy as np
from hypothesis import given
from hypothesis import strategies as st

from tests.strategies.rbm import SCALES, binary_rows, rbm_params, rbms


@given(rbm_params())
def test_rbm_params_shapes_and_bounds(p):
    nv, nh = p["W"].shape
    assert 1 <= nv <= 6 and 1 <= nh <= 6
    assert p["b"].shape == (nv,) and p["c"].shape == (nh,)
    for a in p.values():
        assert a.dtype == np.float64 and np.all(np.isfinite(a))
        assert np.all(np.abs(a) <= max(SCALES))


@given(rbms(max_visible=3, max_hidden=2))
def test_rbms_hold_the_drawn_parameters(rbm):
    assert rbm.W.dtype == np.float64
    assert rbm.W.shape == (rbm.n_visible, rbm.n_hidden) and rbm.n_visible <= 3
    assert rbm.b.shape == (rbm.n_visible,) and rbm.c.shape == (rbm.n_hidden,)


@given(st.integers(1, 5).flatmap(lambda n: st.tuples(st.just(n), binary_rows(n))))
def test_binary_rows_are_binary(nx):
    n, X = nx
    assert X.shape[1] == n and 1 <= X.shape[0] <= 8
    assert set(np.unique(X)) <= {0.0, 1.0}


def test_large_magnitudes_are_reachable():
    assert max(SCALES) >= 10.0
