"""Checks shared by the models: the RBM constructors' sizes, binary data.

The energy models' numerics (sigmoid, softplus, log-sum-exp) are :mod:`tinygen.numerics`.
"""

from __future__ import annotations

import numpy as np

from .. import backend

__all__ = ["check_rbm_sizes", "binary_error"]


def check_rbm_sizes(n_visible, n_hidden, k):
    """``(int(n_visible), int(n_hidden))`` after checking both sizes and the number ``k`` of
    Gibbs steps per update are at least 1; a ``ValueError`` says which is wrong."""
    nv, nh = int(n_visible), int(n_hidden)
    if nv < 1 or nh < 1:
        raise ValueError(f"n_visible and n_hidden must be positive, got {n_visible} and {n_hidden}")
    if int(k) < 1:
        raise ValueError(f"k (Gibbs steps) must be at least 1, got {k}")
    return nv, nh


def binary_error(X) -> str | None:
    """None if every entry of ``X`` is 0 or 1, else a description of the first offender."""
    X = backend.to_numpy(X)
    if X.dtype == np.bool_:
        return None
    bad = (X != 0) & (X != 1)
    if not bad.any():
        return None
    idx = tuple(int(i) for i in np.argwhere(bad)[0])
    return f"entry {idx} is {X[idx]!r}"
