"""Array ops with gradients: where, clip, concatenate, stack, pad, and the affine map.

Lesson: ``lessons/autograd.py`` §5 "Shape ops route gradients".
"""

from __future__ import annotations

import numpy as np

from .. import backend
from ..autograd import Tensor, ops
from ._utils import as_float_tensor, float_dtype_of

__all__ = ["where", "clip", "concatenate", "stack", "pad", "linear"]


def where(cond, x, y) -> Tensor:
    """zᵢ = xᵢ if condᵢ else yᵢ (broadcast like NumPy);  ∂z/∂x = 1[cond], ∂z/∂y = 1[¬cond].

    Parameters
    ----------
    cond : Tensor or array of bool
        The selector (no gradient); non-boolean values are tested for ≠ 0.
    x, y : Tensor, array or scalar
        The two branches; a non-Tensor takes the float dtype of the Tensor branch.
    """
    dt = float_dtype_of(x, y)
    x, y = as_float_tensor(x, dt), as_float_tensor(y, dt)
    c = cond.data if isinstance(cond, Tensor) else backend.get_array_module(x.data).asarray(cond)
    if c.dtype != bool:
        c = c != 0
    return ops.Where.apply(x, y, cond=c)


def clip(x, lo=None, hi=None) -> Tensor:
    """z = min(max(x, lo), hi), elementwise;  ∂z/∂x = 1[lo ≤ x ≤ hi].

    ``lo`` and ``hi`` are constants (scalars or arrays broadcasting against x); either may be
    None for a one-sided clip. (PyTorch calls this ``clamp``/``clip``.)
    """
    lo = lo.data if isinstance(lo, Tensor) else lo
    hi = hi.data if isinstance(hi, Tensor) else hi
    if lo is not None and hi is not None and np.any(backend.to_numpy(lo) > backend.to_numpy(hi)):
        raise ValueError(f"clip: lower bound {lo} exceeds upper bound {hi}")
    return ops.Clip.apply(as_float_tensor(x), lo=lo, hi=hi)


def _tensors(xs, name):
    xs = list(xs)
    if not xs:
        raise ValueError(f"{name}: needs at least one tensor, got an empty sequence")
    dt = float_dtype_of(*xs)
    return [as_float_tensor(x, dt) for x in xs]


def concatenate(xs, axis=0) -> Tensor:
    """z = [x₁, x₂, …, xₙ] joined along an existing ``axis``; each xᵢ gets its slice of ∂L/∂z.

    All inputs must have the same shape except along ``axis``.
    """
    return ops.Concatenate.apply(*_tensors(xs, "concatenate"), axis=axis)


def stack(xs, axis=0) -> Tensor:
    """z[…, i, …] = xᵢ: inputs of one shape stacked along a new ``axis``."""
    return ops.Stack.apply(*_tensors(xs, "stack"), axis=axis)


def pad(x, pad_width, value=0.0) -> Tensor:
    """x surrounded by a constant: ``numpy.pad(x, pad_width, constant_values=value)``.

    The gradient is the centre of ∂L/∂z (padding is constant, so it gets none).

    Parameters
    ----------
    x : Tensor
        Input of shape (n₀, …, n_{d−1}).
    pad_width : int, (before, after), or sequence of d pairs
        NumPy's convention (not PyTorch's last-axis-first one): pair k pads axis k; a single
        int or pair applies to every axis.
    value : float
        The constant.

    Returns
    -------
    Tensor
        Of shape (n₀ + before₀ + after₀, …).
    """
    x = as_float_tensor(x)
    if x.ndim == 0:
        raise ValueError("pad: cannot pad a 0-d tensor; reshape it to at least one axis first")
    try:
        widths = np.broadcast_to(np.asarray(pad_width, dtype=np.int64), (x.ndim, 2))
    except ValueError as exc:
        raise ValueError(
            f"pad: pad_width {pad_width!r} does not fit an input of shape {x.shape}; give an "
            f"int, one (before, after) pair, or {x.ndim} pairs"
        ) from exc
    if np.any(widths < 0):
        raise ValueError(f"pad: pad_width must be non-negative, got {pad_width!r}")
    widths = tuple((int(a), int(b)) for a, b in widths)
    return ops.Pad.apply(x, pad_width=widths, value=value)


def linear(x, W, b=None) -> Tensor:
    """y = x Wᵀ + b, the affine map of a dense layer (PyTorch's weight layout).

    Parameters
    ----------
    x : Tensor
        Input of shape (..., in_features).
    W : Tensor
        Weight of shape (out_features, in_features).
    b : Tensor or None
        Bias of shape (out_features,).

    Returns
    -------
    Tensor
        Of shape (..., out_features); one fused op (:class:`~tinygen.autograd.ops.Linear`).
    """
    dt = float_dtype_of(x, W, b)
    x, W = as_float_tensor(x, dt), as_float_tensor(W, dt)
    if W.ndim != 2 or x.ndim == 0 or x.shape[-1] != W.shape[1]:
        raise ops_error(
            "linear", x, W, "need x (..., in_features) and W (out_features, in_features)"
        )
    if b is None:
        return ops.Linear.apply(x, W)
    b = as_float_tensor(b, dt)
    if b.shape != (W.shape[0],):
        raise ops_error("linear", W, b, f"need b of shape ({W.shape[0]},) = (out_features,)")
    return ops.Linear.apply(x, W, b)


def ops_error(name, a, b, hint):
    """An :class:`~tinygen.autograd.OpError` naming the op and both shapes."""
    from ..autograd import OpError

    return OpError(f"{name}: cannot apply to inputs of shapes {a.shape} and {b.shape}: {hint}")
