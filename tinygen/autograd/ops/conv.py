"""Convolution, transposed convolution, pooling and nearest upsampling (NCHW, as PyTorch).

Each op takes and returns arrays of shape (n_images, channels, height, width). The
convolutions compute internally in the channels-last layout (see :mod:`.conv_kernels`)
and return their result as an NCHW-shaped *view* of a channels-last array: element-wise
ops that follow (ReLU, adding a bias) keep that memory order, so the next convolution's
NCHW → NHWC transpose costs nothing. Only shapes are part of the contract, not strides.

Lesson: ``lessons/autograd.py`` §7 "Convolution is a matrix product".
"""

from __future__ import annotations

import numpy as np

from ...backend import get_array_module
from ..function import Function
from .conv_kernels import (
    Geometry,
    as_strided,
    conv_backward,
    conv_forward,
    conv_grad_input,
    conv_grad_weight,
    conv_output_size,
)

__all__ = ["Conv2d", "ConvTranspose2d", "MaxPool2d", "AvgPool2d", "UpsampleNearest"]


def _nhwc(a):
    """(N, C, H, W) → (N, H, W, C) view; contiguous when ``a`` came from a convolution."""
    return a.transpose(0, 2, 3, 1)


def _nchw(a):
    return a.transpose(0, 3, 1, 2)


def _check_conv_inputs(op, x, w, b, c_in_axis):
    if x.ndim != 4 or w.ndim != 4:
        raise ValueError(
            f"{op} needs a 4-D input (N, C, H, W) and a 4-D weight; got input of shape "
            f"{x.shape} and weight of shape {w.shape}"
        )
    if x.shape[1] != w.shape[c_in_axis]:
        raise ValueError(
            f"{op}: input of shape {x.shape} has {x.shape[1]} channels but the weight of shape "
            f"{w.shape} expects {w.shape[c_in_axis]} (weight axis {c_in_axis})"
        )
    if x.dtype != w.dtype or (b is not None and b.dtype != x.dtype):
        bias = f", bias {b.dtype}" if b is not None else ""
        raise ValueError(
            f"{op}: input dtype {x.dtype} and weight dtype {w.dtype}{bias} differ; cast them "
            "to one dtype (no silent promotion)"
        )


class Conv2d(Function):
    """Cross-correlation, as ``torch.nn.functional.conv2d``:

        y[n, o, r, s] = b[o] + Σ_{c, i, j} w[o, c, i, j] · x_pad[n, c, s_h·r + i, s_w·s + j]

    for x of shape (N, C, H, W), w of shape (O, C, k_h, k_w), b of shape (O,), y of shape
    (N, O, H_out, W_out), H_out = ⌊(H + 2p_h − k_h)/s_h⌋ + 1 (likewise W_out).

    Backward, with G = ∂L/∂y:

        ∂L/∂w[o, c, i, j] = Σ_{n, r, s} G[n, o, r, s] · x_pad[n, c, s_h·r + i, s_w·s + j],
        ∂L/∂x_pad[n, c, s_h·r + i, s_w·s + j] += Σ_o G[n, o, r, s] · w[o, c, i, j]
                (then cropped to (H, W)),
        ∂L/∂b[o] = Σ_{n, r, s} G[n, o, r, s].

    See :mod:`.conv_kernels` for how each is lowered to matrix products.
    """

    def forward(self, x, w, b=None, stride=(1, 1), padding=(0, 0)):
        _check_conv_inputs("conv2d", x, w, b, 1)
        N, C, H, W = x.shape
        g = Geometry(H, W, w.shape[2:], stride, padding)
        if g.Ho < 1 or g.Wo < 1:
            raise ValueError(
                f"conv2d: kernel {w.shape[2:]} with padding {padding} does not fit the input "
                f"of shape {x.shape} (output would be {g.Ho}×{g.Wo})"
            )
        self.g, self.w = g, w
        self.x = _nhwc(x)  # a view: contiguous when x came from a convolution
        return _nchw(conv_forward(self.x, w, g, b))

    def backward(self, grad):
        ps = self.parents
        g = self.g
        G = get_array_module(grad).ascontiguousarray(_nhwc(grad))
        need_bias = len(ps) == 3 and ps[2].requires_grad
        dx, dw, db = conv_backward(
            self.x, G, self.w, g, ps[0].requires_grad, ps[1].requires_grad, need_bias
        )
        dx = _nchw(dx) if dx is not None else None
        return (dx, dw, db) if len(ps) == 3 else (dx, dw)


class ConvTranspose2d(Function):
    """Transposed convolution, as ``torch.nn.functional.conv_transpose2d``: the adjoint of
    :class:`Conv2d` with respect to its input,

        ⟨conv_transpose2d(y, w), x⟩ = ⟨y, conv2d(x, w)⟩   for every x,

    plus a bias. y has shape (N, C_in, H, W), w has shape (C_in, C_out, k_h, k_w) and the
    output has shape (N, C_out, H_out, W_out) with
    H_out = (H − 1)·s_h − 2p_h + k_h + output_padding_h.

    Backward: ∂L/∂y = conv2d(G, w) (same stride and padding); ∂L/∂w = the weight gradient
    of that convolution with input G and output gradient y; ∂L/∂b = Σ_{n,r,s} G.
    """

    def forward(self, y, w, b=None, stride=(1, 1), padding=(0, 0), output_padding=(0, 0)):
        _check_conv_inputs("conv_transpose2d", y, w, b, 0)
        N, _, Hy, Wy = y.shape
        (kh, kw), (sh, sw), (ph, pw) = w.shape[2:], stride, padding
        oph, opw = output_padding
        if not (0 <= oph < sh and 0 <= opw < sw):
            raise ValueError(
                f"conv_transpose2d: output_padding {output_padding} must be smaller than the "
                f"stride {stride}"
            )
        H = (Hy - 1) * sh - 2 * ph + kh + oph
        W = (Wy - 1) * sw - 2 * pw + kw + opw
        if H < 1 or W < 1:
            raise ValueError(
                f"conv_transpose2d: padding {padding} is too large for input of shape {y.shape} "
                f"and weight of shape {w.shape} (output would be {H}×{W})"
            )
        g = Geometry(H, W, (kh, kw), stride, padding)
        assert (g.Ho, g.Wo) == (Hy, Wy)
        self.g, self.w = g, w  # w is a conv2d weight with O = C_in, C = C_out
        self.Y = get_array_module(y).ascontiguousarray(_nhwc(y))
        out = conv_grad_input(self.Y, w, g)
        if b is not None:
            out = out + b
        return _nchw(out)

    def backward(self, grad):
        ps = self.parents
        g = self.g
        G = _nhwc(grad)
        dy = _nchw(conv_forward(G, self.w, g)) if ps[0].requires_grad else None
        dw = conv_grad_weight(G, self.Y, g, self.w.shape) if ps[1].requires_grad else None
        if len(ps) == 3:
            db = grad.sum(axis=(0, 2, 3)) if ps[2].requires_grad else None
            return dy, dw, db
        return dy, dw


def _pool_windows(x, kernel, stride):
    """Strided view of shape (N, C, Ho, Wo, kh, kw) of x of shape (N, C, H, W) (no copy)."""
    (kh, kw), (sh, sw) = kernel, stride
    N, C, H, W = x.shape
    Ho, Wo = conv_output_size(H, kh, sh, 0), conv_output_size(W, kw, sw, 0)
    if x.ndim != 4 or Ho < 1 or Wo < 1:
        raise ValueError(f"window {kernel} does not fit an input of shape {x.shape}")
    s0, s1, s2, s3 = x.strides
    return as_strided(x, (N, C, Ho, Wo, kh, kw), (s0, s1, s2 * sh, s3 * sw, s2, s3))


def _check_4d(op, x):
    if x.ndim != 4:
        raise ValueError(f"{op} needs a 4-D input (N, C, H, W); got shape {x.shape}")


class MaxPool2d(Function):
    """y[n, c, r, s] = max_{i<k_h, j<k_w} x[n, c, s_h·r + i, s_w·s + j] (no padding).

    Backward: each output's gradient goes to the position of its window's maximum (the
    first one on ties); overlapping windows (stride < kernel) add up.
    """

    def forward(self, x, kernel_size=(2, 2), stride=(2, 2)):
        _check_4d("max_pool2d", x)
        xp = get_array_module(x)
        win = _pool_windows(x, kernel_size, stride)
        N, C, Ho, Wo, kh, kw = win.shape
        flat = win.reshape(N, C, Ho, Wo, kh * kw)  # one copy
        arg = flat.argmax(axis=-1)
        y = xp.take_along_axis(flat, arg[..., None], axis=-1)[..., 0]
        # flat index into x of each window's maximum
        i, j = xp.divmod(arg, kw)
        sh, sw = stride
        H, W = x.shape[2:]
        rows = xp.arange(Ho).reshape(Ho, 1) * sh + i
        cols = xp.arange(Wo) * sw + j
        nc = xp.arange(N * C).reshape(N, C, 1, 1) * (H * W)
        self.index = (nc + rows * W + cols).ravel()
        self.x_shape, self.dtype = x.shape, x.dtype
        return y

    def backward(self, grad):
        xp = get_array_module(grad)
        size = int(np.prod(self.x_shape))
        # NOTE: bincount is the vectorized scatter-add (np.add.at is ~10× slower)
        dx = xp.bincount(self.index, weights=grad.ravel(), minlength=size)
        return (dx.astype(self.dtype, copy=False).reshape(self.x_shape),)


class AvgPool2d(Function):
    """y[n, c, r, s] = (1 / k_h k_w) Σ_{i<k_h, j<k_w} x[n, c, s_h·r + i, s_w·s + j].

    Backward: ∂L/∂x[n, c, h, w] = (1 / k_h k_w) Σ over the windows containing (h, w) of G.
    """

    def forward(self, x, kernel_size=(2, 2), stride=(2, 2)):
        _check_4d("avg_pool2d", x)
        win = _pool_windows(x, kernel_size, stride)
        self.x_shape, self.kernel, self.stride = x.shape, kernel_size, stride
        return win.mean(axis=(4, 5), dtype=x.dtype)

    def backward(self, grad):
        xp = get_array_module(grad)
        (kh, kw), (sh, sw) = self.kernel, self.stride
        Ho, Wo = grad.shape[2:]
        g = grad / grad.dtype.type(kh * kw)
        dx = xp.zeros(self.x_shape, dtype=grad.dtype)
        hi, wi = sh * (Ho - 1) + 1, sw * (Wo - 1) + 1
        for i in range(kh):  # one strided add per kernel offset (the adjoint of the view)
            for j in range(kw):
                dx[:, :, i : i + hi : sh, j : j + wi : sw] += g
        return (dx,)


class UpsampleNearest(Function):
    """y[n, c, h, w] = x[n, c, ⌊h / s_h⌋, ⌊w / s_w⌋] for integer scale factors (s_h, s_w).

    Backward: ∂L/∂x[n, c, h, w] = Σ over the s_h × s_w block of G that copied it.
    """

    def forward(self, x, scale_factor=(2, 2)):
        _check_4d("upsample_nearest", x)
        xp = get_array_module(x)
        N, C, H, W = x.shape
        sh, sw = scale_factor
        self.scale = scale_factor
        big = xp.broadcast_to(x[:, :, :, None, :, None], (N, C, H, sh, W, sw))
        return big.reshape(N, C, H * sh, W * sw)

    def backward(self, grad):
        N, C, Hs, Ws = grad.shape
        sh, sw = self.scale
        return (grad.reshape(N, C, Hs // sh, sh, Ws // sw, sw).sum(axis=(3, 5)),)
