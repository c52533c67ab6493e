"""Shape ops: reshape, transpose, indexing, concatenate, stack, pad."""

from __future__ import annotations

import numpy as np

from ...backend import get_array_module
from ..function import Function


class Reshape(Function):
    """z = x viewed with a new shape; the gradient is reshaped back."""

    def forward(self, x, shape):
        self.shape = x.shape
        return x.reshape(shape)

    def backward(self, g):
        return (g.reshape(self.shape),)


class Transpose(Function):
    """z = x with axes permuted by ``axes`` (reversed if None); the gradient un-permutes."""

    def forward(self, x, axes=None):
        self.axes = axes
        return x.transpose(axes) if axes is not None else x.T

    def backward(self, g):
        if self.axes is None:
            return (g.T,)
        return (g.transpose(np.argsort(self.axes)),)


def _is_basic(index) -> bool:
    """True for indices made only of ints, slices, None and Ellipsis (no duplicates possible)."""
    items = index if isinstance(index, tuple) else (index,)
    return all(i is None or i is Ellipsis or isinstance(i, (int, np.integer, slice)) for i in items)


class GetItem(Function):
    """z = x[index];  the gradient is scattered back into zeros of x's shape.

    Advanced (integer-array) indices may repeat an element, so their gradient is
    accumulated with ``add.at``; basic slices are written directly.
    """

    def forward(self, x, index):
        self.shape, self.dtype, self.index = x.shape, x.dtype, index
        return x[index]

    def backward(self, g):
        xp = get_array_module(g)
        full = xp.zeros(self.shape, dtype=g.dtype)
        if _is_basic(self.index):
            full[self.index] = g
        elif hasattr(xp, "add") and hasattr(xp.add, "at"):
            xp.add.at(full, self.index, g)
        else:  # cupy
            xp.add.at(full, self.index, g)
        return (full,)


class Concatenate(Function):
    """z = concat(x₁, …, xₙ) along ``axis``; each gradient is the matching slice of ∂L/∂z."""

    def forward(self, *xs, axis=0):
        self.axis = axis
        self.splits = np.cumsum([x.shape[axis] for x in xs])[:-1]
        return get_array_module(*xs).concatenate(xs, axis=axis)

    def backward(self, g):
        return tuple(get_array_module(g).split(g, self.splits, axis=self.axis))


class Stack(Function):
    """z = stack(x₁, …, xₙ) on a new ``axis``; each gradient is the matching slice."""

    def forward(self, *xs, axis=0):
        self.axis, self.n = axis, len(xs)
        return get_array_module(*xs).stack(xs, axis=axis)

    def backward(self, g):
        xp = get_array_module(g)
        return tuple(xp.take(g, i, axis=self.axis) for i in range(self.n))


class Pad(Function):
    """z = x padded with a constant; the gradient is the un-padded centre of ∂L/∂z."""

    def forward(self, x, pad_width, value=0.0):
        self.pad_width = pad_width
        return get_array_module(x).pad(x, pad_width, mode="constant", constant_values=value)

    def backward(self, g):
        index = tuple(slice(lo, g.shape[i] - hi) for i, (lo, hi) in enumerate(self.pad_width))
        return (g[index],)
