"""Hypothesis strategies for small Bernoulli RBMs with random parameters (float64).

Entries of W, b, c are drawn in [−1, 1] and multiplied by a scale from ``SCALES``
(0.1 … 10), so nearly uniform models and nearly deterministic ones (energies of hundreds
of nats, saturated sigmoids) are both generated. Small enough (≤ 6 × 6) for brute-force
enumeration of all 2^(n_visible + n_hidden) joint states.
"""

from __future__ import annotations

import numpy as np
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

__all__ = ["SCALES", "rbm_params", "rbms", "binary_rows"]

#: multipliers of the unit-interval parameters (|W| up to 10 included)
SCALES = (0.1, 1.0, 3.0, 10.0)


def _params(shape, scale):
    elems = st.floats(-1.0, 1.0, allow_nan=False, allow_infinity=False, width=64)
    return hnp.arrays(np.float64, shape, elements=elems).map(lambda a: scale * a)


@st.composite
def rbm_params(draw, min_visible=1, max_visible=6, min_hidden=1, max_hidden=6):
    """A dict with float64 ``W`` (n_visible, n_hidden), ``b`` (n_visible,), ``c`` (n_hidden,)."""
    nv = draw(st.integers(min_visible, max_visible))
    nh = draw(st.integers(min_hidden, max_hidden))
    scale = draw(st.sampled_from(SCALES))
    return {
        "W": draw(_params((nv, nh), scale)),
        "b": draw(_params((nv,), scale)),
        "c": draw(_params((nh,), scale)),
    }


def make_rbm(params, **kwargs):
    """A float64 :class:`~tinygen.models.rbm.RBM` holding the given W, b, c."""
    from tinygen.models.rbm import RBM

    nv, nh = params["W"].shape
    kwargs.setdefault("random_state", 0)
    rbm = RBM(nv, nh, dtype=np.float64, **kwargs)
    rbm.W = np.array(params["W"], dtype=np.float64)
    rbm.b = np.array(params["b"], dtype=np.float64)
    rbm.c = np.array(params["c"], dtype=np.float64)
    return rbm


def rbms(min_visible=1, max_visible=6, min_hidden=1, max_hidden=6, **kwargs):
    """Float64 :class:`~tinygen.models.rbm.RBM` objects with random parameters."""
    return rbm_params(min_visible, max_visible, min_hidden, max_hidden).map(
        lambda p: make_rbm(p, **kwargs)
    )


def binary_rows(n_cols, min_rows=1, max_rows=8):
    """Float64 0/1 arrays of shape (n_rows, n_cols)."""
    return st.integers(min_rows, max_rows).flatmap(
        lambda n: hnp.arrays(np.float64, (n, n_cols), elements=st.sampled_from([0.0, 1.0]))
    )
