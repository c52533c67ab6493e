"""Hypothesis strategies for arrays, shapes, axes and indices (tested in test_strategies.py).

Gradient checks need inputs away from kinks (relu, abs, clip at their corners; max at ties):
a central difference with step ε across a kink measures the wrong slope. The strategies
below therefore offer a ``margin`` that keeps every entry at least that far from given
points, and distinct-valued arrays whose entries differ by at least ``gap``.
"""

from __future__ import annotations

import numpy as np
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

__all__ = [
    "shapes",
    "broadcastable_shapes",
    "float_arrays",
    "positive_arrays",
    "distinct_arrays",
    "axes",
    "shape_and_axis",
    "basic_indices",
    "index_arrays",
]

MAX_SIDE = 4


def shapes(min_dims=0, max_dims=3, min_side=1, max_side=MAX_SIDE):
    """Array shapes (tuples of ints) with ``min_dims..max_dims`` axes of ``min_side..max_side``."""
    return hnp.array_shapes(
        min_dims=min_dims, max_dims=max_dims, min_side=min_side, max_side=max_side
    )


def broadcastable_shapes(min_dims=0, max_dims=3, min_side=1, max_side=MAX_SIDE):
    """Pairs (shape_a, shape_b) that broadcast together (size-1 and missing axes on either side)."""
    return hnp.mutually_broadcastable_shapes(
        num_shapes=2, min_dims=min_dims, max_dims=max_dims, min_side=min_side, max_side=max_side
    ).map(lambda b: tuple(b.input_shapes))


def _elements(min_value, max_value, avoid, margin):
    elems = st.floats(
        min_value,
        max_value,
        allow_nan=False,
        allow_infinity=False,
        allow_subnormal=False,
    )
    avoid = tuple(float(a) for a in avoid)
    if avoid:
        elems = elems.filter(lambda v: all(abs(v - a) >= margin for a in avoid))
    return elems


def float_arrays(
    shape=None, min_value=-3.0, max_value=3.0, avoid=(), margin=0.05, dtype=np.float64
):
    """Float arrays of ``shape`` (a tuple or a strategy; default :func:`shapes`) with finite
    entries in [min_value, max_value], each at least ``margin`` away from every point of
    ``avoid`` (e.g. ``avoid=(0,)`` for relu/abs)."""
    if shape is None:
        shape = shapes()
    return hnp.arrays(dtype, shape, elements=_elements(min_value, max_value, avoid, margin))


def positive_arrays(shape=None, min_value=0.1, max_value=5.0, dtype=np.float64):
    """Arrays with entries in [min_value, max_value], ``min_value > 0`` (for log, sqrt, /)."""
    if min_value <= 0:
        raise ValueError(f"positive_arrays: min_value must be > 0, got {min_value}")
    return float_arrays(shape, min_value, max_value, dtype=dtype)


@st.composite
def distinct_arrays(draw, shape=None, gap=0.1, dtype=np.float64):
    """Arrays whose entries are pairwise at least ``gap`` apart (no ties, e.g. for max).

    The entries are a random permutation of gap·(0, 1, …, n−1), centred, plus a jitter
    smaller than gap/4 so that values are not on a lattice.
    """
    shape = draw(shapes() if shape is None else shape) if not isinstance(shape, tuple) else shape
    n = int(np.prod(shape, dtype=np.int64))
    perm = np.asarray(draw(st.permutations(range(n))), dtype=np.float64)
    jitter = draw(hnp.arrays(np.float64, n, elements=st.floats(-0.2, 0.2, allow_subnormal=False)))
    values = gap * (perm - (n - 1) / 2 + jitter)
    return values.reshape(shape).astype(dtype)


@st.composite
def axes(draw, ndim, allow_none=True, allow_tuple=True):
    """An ``axis`` argument for an array of ``ndim`` axes: None, an int (maybe negative), or a
    tuple of distinct axes (maybe negative, maybe empty)."""
    options = ["int"] if ndim > 0 else []
    if allow_none:
        options.append("none")
    if allow_tuple:
        options.append("tuple")
    kind = draw(st.sampled_from(options))
    if kind == "none":
        return None
    if kind == "int":
        return draw(st.integers(-ndim, ndim - 1))
    chosen = draw(st.lists(st.integers(0, ndim - 1), unique=True, max_size=ndim)) if ndim else []
    return tuple(a - ndim if draw(st.booleans()) else a for a in chosen)


@st.composite
def shape_and_axis(draw, min_dims=1, max_dims=3, allow_none=True, allow_tuple=True):
    """(shape, axis) with ``axis`` valid for the shape (see :func:`axes`)."""
    shape = draw(shapes(min_dims=min_dims, max_dims=max_dims))
    return shape, draw(axes(len(shape), allow_none=allow_none, allow_tuple=allow_tuple))


def basic_indices(shape):
    """Basic NumPy indices for ``shape``: ints, slices (any step), Ellipsis and None."""
    return hnp.basic_indices(shape, allow_newaxis=True, allow_ellipsis=True)


@st.composite
def index_arrays(draw, size, min_len=1, max_len=None):
    """1-D integer index arrays into an axis of length ``size``, negative indices included,
    and long enough (up to 2·size entries by default) that repeats occur."""
    max_len = 2 * size if max_len is None else max_len
    return np.asarray(
        draw(st.lists(st.integers(-size, size - 1), min_size=min_len, max_size=max_len)),
        dtype=np.int64,
    )
