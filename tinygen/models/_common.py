"""Checks shared by the RBM constructors (Bernoulli and Gaussian-Bernoulli RBM).

The energy models' numerics (sigmoid, softplus, log-sum-exp) are :mod:`tinygen.numerics`.
"""

from __future__ import annotations

__all__ = ["check_rbm_sizes"]


def check_rbm_sizes(n_visible, n_hidden, k):
    """``(int(n_visible), int(n_hidden))`` after checking both sizes and the number ``k`` of
    Gibbs steps per update are at least 1; a ``ValueError`` says which is wrong."""
    nv, nh = int(n_visible), int(n_hidden)
    if nv < 1 or nh < 1:
        raise ValueError(f"n_visible and n_hidden must be positive, got {n_visible} and {n_hidden}")
    if int(k) < 1:
        raise ValueError(f"k (Gibbs steps) must be at least 1, got {k}")
    return nv, nh
