"""The array strategies generate what they promise (tests/strategies/arrays.py)."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import find, given
from hypothesis import strategies as st

from tests.strategies import arrays as S


@given(S.shapes(min_dims=1, max_dims=3, min_side=2, max_side=4))
def test_shapes_respect_bounds(shape):
    assert isinstance(shape, tuple)
    assert 1 <= len(shape) <= 3
    assert all(isinstance(n, int) and 2 <= n <= 4 for n in shape)


def test_shapes_reach_scalars_and_the_largest():
    assert find(S.shapes(), lambda s: s == ()) == ()
    assert len(find(S.shapes(), lambda s: len(s) == 3 and max(s) == S.MAX_SIDE)) == 3


@given(S.broadcastable_shapes())
def test_broadcastable_shapes_broadcast(pair):
    a, b = pair
    out = np.broadcast_shapes(a, b)
    assert np.broadcast_to(np.zeros(a), out).shape == out
    assert np.broadcast_to(np.zeros(b), out).shape == out


def test_broadcastable_shapes_really_broadcast_both_ways():
    # some pairs need a size-1 axis stretched on the left operand, some on the right
    def left_stretched(p):
        a, b = p
        return len(a) == len(b) and any(x == 1 < y for x, y in zip(a, b))

    def right_fewer_dims(p):
        return len(p[1]) < len(p[0]) and len(p[1]) > 0

    find(S.broadcastable_shapes(), left_stretched)
    find(S.broadcastable_shapes(), right_fewer_dims)


@given(S.float_arrays(min_value=-2.0, max_value=1.5, avoid=(0.0, 1.0), margin=0.1))
def test_float_arrays_in_range_and_away_from_kinks(x):
    assert x.dtype == np.float64
    assert np.all(np.isfinite(x))
    assert np.all((x >= -2.0) & (x <= 1.5))
    assert np.all(np.abs(x) >= 0.1)
    assert np.all(np.abs(x - 1.0) >= 0.1)


@given(S.float_arrays((2, 3), dtype=np.float32))
def test_float_arrays_fixed_shape_and_dtype(x):
    assert x.shape == (2, 3) and x.dtype == np.float32


@given(S.positive_arrays(min_value=0.5, max_value=2.0))
def test_positive_arrays_positive(x):
    assert np.all((x >= 0.5) & (x <= 2.0))


def test_positive_arrays_reject_nonpositive_bounds():
    with pytest.raises(ValueError, match="min_value"):
        S.positive_arrays(min_value=0.0)


@given(S.distinct_arrays(gap=0.1))
def test_distinct_arrays_have_no_near_ties(x):
    v = np.sort(x.ravel())
    assert np.all(np.diff(v) >= 0.1 * 0.6 - 1e-12)


@given(
    S.shapes(min_dims=0, max_dims=3).flatmap(lambda s: st.tuples(st.just(s), S.distinct_arrays(s)))
)
def test_distinct_arrays_take_the_given_shape(pair):
    shape, x = pair
    assert x.shape == shape


@given(S.shape_and_axis())
def test_axes_are_valid_and_distinct(pair):
    shape, axis = pair
    x = np.zeros(shape)
    if axis is None:
        return
    if isinstance(axis, int):
        assert -len(shape) <= axis < len(shape)
    else:
        assert len({a % len(shape) for a in axis}) == len(axis)
    x.sum(axis=axis)  # NumPy accepts it


def test_axes_cover_every_kind():
    find(S.shape_and_axis(), lambda p: p[1] is None)
    find(S.shape_and_axis(), lambda p: isinstance(p[1], int) and p[1] < 0)
    find(S.shape_and_axis(), lambda p: isinstance(p[1], tuple) and len(p[1]) >= 2)


@given(S.shapes(min_dims=1).flatmap(lambda s: st.tuples(st.just(s), S.basic_indices(s))))
def test_basic_indices_index(pair):
    shape, index = pair
    np.zeros(shape)[index]


@given(st.integers(1, 5).flatmap(lambda n: st.tuples(st.just(n), S.index_arrays(n))))
def test_index_arrays_in_bounds(pair):
    n, idx = pair
    assert idx.dtype == np.int64 and idx.ndim == 1 and len(idx) >= 1
    assert np.all((idx >= -n) & (idx < n))


def test_index_arrays_produce_repeats_and_negatives():
    find(S.index_arrays(3), lambda i: len(np.unique(i % 3)) < len(i))
    find(S.index_arrays(3), lambda i: np.any(i < 0))
