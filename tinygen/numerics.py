"""Stable formulas on plain arrays, written once for the whole package.

The autograd ops (:mod:`tinygen.autograd.ops`, :mod:`tinygen.functional`) call these in
their forward passes, and the sampling models (RBM, Boltzmann machine, AIS, DBN), which
update their parameters with hand-derived gradients on raw arrays, call them directly. So
there is one sigmoid, one softplus and one log-sum-exp in tinygen. Each works on NumPy or
CuPy arrays (the array module is read off the argument) and keeps the input's dtype.

Lesson: ``lessons/autograd.py`` §4 "Composite ops are just more graph" (log-sum-exp) and
§6 "Losses are log-likelihoods" (softplus).
"""

from __future__ import annotations

import contextlib

from .backend import get_array_module

__all__ = ["sigmoid", "softplus", "logsumexp", "log_softmax", "reduced_shape"]


def sigmoid(x):
    """σ(x) = 1 / (1 + e⁻ˣ), elementwise, as ½ tanh(x/2) + ½.

    The two are equal (multiply 1 + tanh(x/2) by e^{x/2} + e^{−x/2}); the tanh form never
    overflows, where e⁻ˣ does for x below −88 in float32.
    """
    xp = get_array_module(x)
    half = x.dtype.type(0.5) if x.dtype.kind == "f" else 0.5
    z = xp.empty(x.shape, dtype=xp.result_type(x, half))  # the one new array: the rest
    xp.multiply(x, half, out=z)  # is done in place in it
    xp.tanh(z, out=z)
    z *= half
    z += half
    return z


def softplus(x):
    """softplus(x) = log(1 + eˣ), elementwise, as max(x, 0) + log1p(e^{−|x|}).

    The two are equal (factor e^{max(x, 0)} out of 1 + eˣ); the exponent is never positive,
    so nothing overflows, and log1p keeps the tail accurate where e^{−|x|} is tiny.
    """
    xp = get_array_module(x)
    return xp.maximum(x, 0) + xp.log1p(xp.exp(-xp.abs(x)))


def logsumexp(x, axis=None, keepdims=False):
    """log Σ_axis eˣ, computed as m + log1p(Σ' e^{x − m}) with m = max_axis x.

    Every exponent x − m is ≤ 0, so nothing overflows. The largest term is e⁰ = 1 exactly,
    so it is left out of the sum Σ' (ties with the maximum count 1 each) and log1p adds it
    back: when every other term is tiny the result m + log1p(s) keeps its relative
    precision, where m + log(1 + s) would round 1 + s first. Rows that are all −inf give
    −inf (m = −inf would make x − m NaN, so m is replaced by 0 there).

    Parameters
    ----------
    x : array
    axis : int, tuple of int or None
        The axes summed over (None: all).
    keepdims : bool
        Keep the reduced axes with size 1.
    """
    xp = get_array_module(x)
    m = xp.max(x, axis=axis, keepdims=True)
    m = xp.where(xp.isfinite(m), m, 0).astype(x.dtype, copy=False)
    is_max = x == m
    others = xp.sum(xp.where(is_max, 0, xp.exp(x - m)), axis=axis, keepdims=True)
    ties = xp.sum(is_max, axis=axis, keepdims=True) - 1  # −1 where the row is all −inf
    with _errstate(xp, divide="ignore"):  # log1p(−1) = −inf for rows of −inf: not an error
        out = xp.log1p(others + ties.astype(others.dtype)) + m
    if keepdims:
        return out
    return out.reshape(reduced_shape(x.shape, axis))


def log_softmax(x, axis=-1):
    """x − log Σ_axis eˣ along ``axis``, as (x − m) − log Σ e^{x − m} (m = max x), so that
    the large m cancels exactly instead of in rounding."""
    xp = get_array_module(x)
    z = x - xp.max(x, axis=axis, keepdims=True)
    return z - xp.log(xp.sum(xp.exp(z), axis=axis, keepdims=True))


def _errstate(xp, **kwargs):
    """NumPy's ``errstate`` (CuPy raises no floating-point warnings: a no-op there)."""
    return xp.errstate(**kwargs) if hasattr(xp, "errstate") else contextlib.nullcontext()


def reduced_shape(shape, axis, keepdims=False):
    """The shape of a reduction of an array of ``shape`` over ``axis`` (None, int or tuple):
    the reduced axes dropped, or kept with size 1 with ``keepdims``."""
    ndim = len(shape)
    axes = set(range(ndim)) if axis is None else {
        a % ndim for a in ((axis,) if isinstance(axis, int) else axis)
    }
    if keepdims:
        return tuple(1 if i in axes else n for i, n in enumerate(shape))
    return tuple(n for i, n in enumerate(shape) if i not in axes)
