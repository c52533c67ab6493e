"""Reductions: sum, mean, max over axes (with ``keepdims``)."""

from __future__ import annotations

import math

from ...backend import get_array_module
from ..function import Function


def _normalize_axes(axis, ndim):
    if axis is None:
        return tuple(range(ndim))
    if isinstance(axis, int):
        axis = (axis,)
    return tuple(sorted(a % ndim for a in axis))


def _expand(g, shape, axes, keepdims):
    """Reshape a reduced gradient so that it broadcasts against the input."""
    if not keepdims:
        g = g.reshape([1 if i in axes else n for i, n in enumerate(shape)])
    return g


class Sum(Function):
    """z = Σ_axes x;  ∂z/∂x = 1 broadcast back over the summed axes."""

    def forward(self, x, axis=None, keepdims=False):
        self.shape, self.axes, self.keepdims = x.shape, _normalize_axes(axis, x.ndim), keepdims
        return x.sum(axis=axis, keepdims=keepdims)

    def backward(self, g):
        g = _expand(g, self.shape, self.axes, self.keepdims)
        return (get_array_module(g).broadcast_to(g, self.shape),)


class Mean(Function):
    """z = (1/n) Σ_axes x;  ∂z/∂x = 1/n broadcast back, n = number of averaged entries."""

    def forward(self, x, axis=None, keepdims=False):
        self.shape, self.axes, self.keepdims = x.shape, _normalize_axes(axis, x.ndim), keepdims
        self.n = math.prod(x.shape[a] for a in self.axes)
        if x.dtype.char in "fd" and self.n:  # NumPy's own mean: the same sum, then ÷ n
            return x.sum(axis=axis, keepdims=keepdims) / self.n
        return x.mean(axis=axis, keepdims=keepdims)

    def backward(self, g):
        g = _expand(g, self.shape, self.axes, self.keepdims) * g.dtype.type(1.0 / self.n)
        return (get_array_module(g).broadcast_to(g, self.shape),)


class Max(Function):
    """z = max_axes x;  ∂z/∂x = 1[x = z] / (number of ties), a valid subgradient."""

    def forward(self, x, axis=None, keepdims=False):
        self.axes, self.keepdims = _normalize_axes(axis, x.ndim), keepdims
        z = x.max(axis=axis, keepdims=True)
        mask = (x == z).astype(x.dtype)
        mask /= mask.sum(axis=self.axes, keepdims=True)
        self.mask = mask
        return (
            z if keepdims else z.reshape([n for i, n in enumerate(z.shape) if i not in self.axes])
        )

    def backward(self, g):
        g = _expand(g, self.mask.shape, self.axes, self.keepdims)
        return (g * self.mask,)
