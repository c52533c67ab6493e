"""Matrix products."""

from __future__ import annotations

from ...backend import get_array_module
from ..function import Function


class MatMul(Function):
    """Z = X @ Y (NumPy ``matmul`` semantics, batched and broadcast);
    ∂L/∂X = G Yᵀ, ∂L/∂Y = Xᵀ G (1-D operands promoted to matrices and back)."""

    def forward(self, x, y):
        self.x, self.y = x, y
        return x @ y

    def backward(self, g):
        a, b = self.parents
        x, y = self.x, self.y
        xp = get_array_module(g)
        x2 = x[None, :] if x.ndim == 1 else x
        y2 = y[:, None] if y.ndim == 1 else y
        g2 = g
        if y.ndim == 1:  # first: for 1-D @ 1-D, g is 0-d and becomes (1, 1)
            g2 = xp.expand_dims(g2, -1)
        if x.ndim == 1:
            g2 = xp.expand_dims(g2, -2)
        gx = gy = None
        if a.requires_grad:
            gx = g2 @ xp.swapaxes(y2, -1, -2)
            if x.ndim == 1:
                gx = gx.reshape(gx.shape[:-2] + (gx.shape[-1],)) if gx.ndim > 2 else gx[0]
            if gx.ndim > x.ndim:  # batch dims broadcast over x
                gx = gx.sum(axis=tuple(range(gx.ndim - x.ndim)))
        if b.requires_grad:
            gy = xp.swapaxes(x2, -1, -2) @ g2
            if y.ndim == 1:
                gy = gy[..., 0]
            if gy.ndim > y.ndim:
                gy = gy.sum(axis=tuple(range(gy.ndim - y.ndim)))
        return gx, gy


class Linear(Function):
    """y = x Wᵀ + b for x of shape (n, in), W of shape (out, in), b of shape (out,);

    ∂L/∂x = G W,  ∂L/∂W = Gᵀ x,  ∂L/∂b = Σₙ G.

    The dense layer's affine map is a primitive of its own, as in PyTorch (``addmm``) and
    as :class:`~tinygen.autograd.ops.conv.Conv2d` takes its bias: the same three products
    as ``x @ W.T + b`` from MatMul, Transpose and Add, without a copy of Wᵀ's gradient and
    the broadcast bookkeeping of three ops (the MLP VAE step of
    ``benchmarks/bench_autograd.py`` is 1.15× as fast as with the composite). Leading axes
    of x are flattened into n and restored.
    """

    def forward(self, x, W, b=None):
        self.x, self.W = x, W
        x2 = x.reshape(-1, x.shape[-1])
        y = x2 @ W.T
        if b is not None:
            y += b
        return y.reshape(x.shape[:-1] + (W.shape[0],))

    def backward(self, g):
        ps = self.parents
        x, W = self.x, self.W
        g2 = g.reshape(-1, g.shape[-1])
        gx = (g2 @ W).reshape(x.shape) if ps[0].requires_grad else None
        gW = g2.T @ x.reshape(-1, x.shape[-1]) if ps[1].requires_grad else None
        if len(ps) == 2:
            return gx, gW
        gb = g2.sum(axis=0) if ps[2].requires_grad else None
        return gx, gW, gb
