"""Convolution, transposed convolution, pooling and nearest upsampling (NCHW, as PyTorch).

Each op takes and returns arrays of shape (n_images, channels, height, width). The
convolutions and pools compute internally in the channels-last layout, on the windows
view and the im2col / col2im pair of :mod:`.conv_kernels`, and return their result as an
NCHW-shaped *view* of a channels-last array: element-wise ops that follow (ReLU, adding
a bias) keep that memory order, so the next convolution's NCHW → NHWC transpose costs
nothing. Only shapes are part of the contract, not strides.

Lesson: ``lessons/autograd.py`` §7 "Convolution is a matrix product".
"""

from __future__ import annotations

from ...backend import get_array_module
from ..function import Function
from .conv_kernels import (
    Geometry,
    col2im,
    conv_backward,
    conv_forward,
    conv_grad_input,
    conv_grad_weight,
    windows,
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

    With ``taps`` = (t0, t1) the sums over (i, j) keep only the offsets t0 ≤ i·k_w + j < t1
    (raster order): the result is that of the weight zeroed elsewhere, and ∂L/∂w is zero
    there (a masked convolution, :func:`tinygen.functional.masked_conv2d`).

    See :mod:`.conv_kernels` for how each is lowered to matrix products.
    """

    def forward(self, x, w, b=None, stride=(1, 1), padding=(0, 0), taps=None):
        _check_conv_inputs("conv2d", x, w, b, 1)
        N, C, H, W = x.shape
        g = Geometry(H, W, w.shape[2:], stride, padding, taps)
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


def _check_4d(op, x):
    if x.ndim != 4:
        raise ValueError(f"{op} needs a 4-D input (N, C, H, W); got shape {x.shape}")


def _pool_windows(op, x, kernel, stride):
    """The pooling windows of x of shape (N, C, H, W), no padding: the view of shape
    (N, Ho, Wo, kh, kw, C) of :func:`.conv_kernels.windows` on x channels last (no copy),
    and their Geometry."""
    _check_4d(op, x)
    g = Geometry(x.shape[2], x.shape[3], kernel, stride, (0, 0))
    if g.Ho < 1 or g.Wo < 1:
        raise ValueError(f"{op}: window {kernel} does not fit an input of shape {x.shape}")
    return windows(_nhwc(x), g), g


def _pool_grad(dcols, g, x_shape):
    """∂L/∂x of shape (N, C, H, W) from the gradient ``dcols`` of shape (N, Ho, Wo, kh, kw, C)
    of the windows: col2im, the adjoint of the windows view."""
    N, C, H, W = x_shape
    dx = get_array_module(dcols).zeros((N, H, W, C), dtype=dcols.dtype)
    return _nchw(col2im(dcols, g, dx))


class MaxPool2d(Function):
    """y[n, c, r, s] = max_{i<k_h, j<k_w} x[n, c, s_h·r + i, s_w·s + j] (no padding).

    Backward: each output's gradient goes to the position of its window's maximum (the
    first one on ties), ∂L/∂x = col2im(one-hot(argmax) · G); overlapping windows
    (stride < kernel) add up.
    """

    def forward(self, x, kernel_size=(2, 2), stride=(2, 2)):
        xp = get_array_module(x)
        win, g = _pool_windows("max_pool2d", x, kernel_size, stride)
        N, Ho, Wo, kh, kw, C = win.shape
        flat = win.reshape(N, Ho, Wo, kh * kw, C)  # one copy
        self.arg = flat.argmax(axis=3)[:, :, :, None]  # of shape (N, Ho, Wo, 1, C)
        self.g, self.x_shape = g, x.shape
        return _nchw(xp.take_along_axis(flat, self.arg, axis=3)[:, :, :, 0])

    def backward(self, grad):
        xp = get_array_module(grad)
        g = self.g
        onehot = xp.arange(g.kh * g.kw).reshape(-1, 1) == self.arg  # (N, Ho, Wo, kh·kw, C)
        dcols = onehot * _nhwc(grad)[:, :, :, None]
        return (_pool_grad(dcols, g, self.x_shape),)


class AvgPool2d(Function):
    """y[n, c, r, s] = (1 / k_h k_w) Σ_{i<k_h, j<k_w} x[n, c, s_h·r + i, s_w·s + j].

    Backward: ∂L/∂x = col2im(G / (k_h k_w)) with G broadcast over the window: each input
    pixel gets the sum, over the windows containing it, of G / (k_h k_w).
    """

    def forward(self, x, kernel_size=(2, 2), stride=(2, 2)):
        win, g = _pool_windows("avg_pool2d", x, kernel_size, stride)
        self.g, self.x_shape = g, x.shape
        return _nchw(win.mean(axis=(3, 4), dtype=x.dtype))

    def backward(self, grad):
        xp = get_array_module(grad)
        g = self.g
        G = _nhwc(grad) / grad.dtype.type(g.kh * g.kw)
        N, Ho, Wo, C = G.shape
        dcols = xp.broadcast_to(G[:, :, :, None, None], (N, Ho, Wo, g.kh, g.kw, C))
        return (_pool_grad(dcols, g, self.x_shape),)


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
