"""Hypothesis strategies for small energy-based models with random parameters.

Parameters are drawn elementwise in [−1, 1] and multiplied by a scale drawn from
``SCALES`` (0.1 … 8), so nearly-uniform models and nearly-deterministic models with
energies of hundreds of nats are both generated. Everything is float64: these models are
for checks against brute-force enumeration.
"""

from __future__ import annotations

import numpy as np
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

__all__ = [
    "SCALES",
    "param_arrays",
    "symmetric_zero_diag",
    "boltzmann_machines",
    "gaussian_rbms",
    "dbms",
]

#: multipliers of the unit-interval parameters (large magnitudes included)
SCALES = (0.1, 1.0, 3.0, 8.0)


def param_arrays(shape, scale):
    """Float64 arrays of ``shape`` with entries in [−scale, scale]."""
    elems = st.floats(-1.0, 1.0, allow_nan=False, allow_infinity=False, width=64)
    return hnp.arrays(np.float64, shape, elements=elems).map(lambda a: scale * a)


def symmetric_zero_diag(a):
    """(a + aᵀ)/2 with the diagonal set to zero."""
    m = 0.5 * (a + a.T)
    np.fill_diagonal(m, 0.0)
    return m


@st.composite
def boltzmann_machines(draw, min_visible=1, max_visible=4, min_hidden=0, max_hidden=3):
    """A float64 :class:`~tinygen.models.boltzmann_machine.BoltzmannMachine` with random
    couplings R, W, S (R, S symmetric, zero diagonal) and biases b, c."""
    from tinygen.models.boltzmann_machine import BoltzmannMachine

    nv = draw(st.integers(min_visible, max_visible))
    nh = draw(st.integers(min_hidden, max_hidden))
    scale = draw(st.sampled_from(SCALES))
    bm = BoltzmannMachine(nv, nh, dtype=np.float64, random_state=0)
    bm.set_params(
        R=symmetric_zero_diag(draw(param_arrays((nv, nv), scale))),
        W=draw(param_arrays((nv, nh), scale)),
        S=symmetric_zero_diag(draw(param_arrays((nh, nh), scale))),
        b=draw(param_arrays((nv,), scale)),
        c=draw(param_arrays((nh,), scale)),
    )
    return bm


@st.composite
def gaussian_rbms(draw, min_visible=1, max_visible=3, min_hidden=1, max_hidden=4):
    """A float64 :class:`~tinygen.models.gaussian_rbm.GaussianBernoulliRBM` with random
    W, b, c (scaled as :data:`SCALES`) and σ in [0.3, 3]."""
    from tinygen.models.gaussian_rbm import GaussianBernoulliRBM

    nv = draw(st.integers(min_visible, max_visible))
    nh = draw(st.integers(min_hidden, max_hidden))
    scale = draw(st.sampled_from(SCALES))
    sig = hnp.arrays(np.float64, (nv,), elements=st.floats(0.3, 3.0, width=64))
    rbm = GaussianBernoulliRBM(nv, nh, dtype=np.float64, random_state=0)
    rbm.set_params(
        W=draw(param_arrays((nv, nh), scale)),
        b=draw(param_arrays((nv,), scale)),
        c=draw(param_arrays((nh,), scale)),
        sigma=draw(sig),
    )
    return rbm


@st.composite
def dbms(draw, max_visible=4, max_hidden1=4, max_hidden2=3, scales=SCALES):
    """A float64 :class:`~tinygen.models.dbm.DBM` (1–``max_*`` units per layer) with random
    W¹, W², b, c¹, c² scaled as :data:`SCALES` (or ``scales``)."""
    from tinygen.models.dbm import DBM

    nv = draw(st.integers(1, max_visible))
    n1 = draw(st.integers(1, max_hidden1))
    n2 = draw(st.integers(1, max_hidden2))
    scale = draw(st.sampled_from(scales))
    dbm = DBM(nv, n1, n2, dtype=np.float64, random_state=0)
    dbm.W1 = draw(param_arrays((nv, n1), scale))
    dbm.W2 = draw(param_arrays((n1, n2), scale))
    dbm.b = draw(param_arrays((nv,), scale))
    dbm.c1 = draw(param_arrays((n1,), scale))
    dbm.c2 = draw(param_arrays((n2,), scale))
    return dbm
