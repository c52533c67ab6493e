"""Convolution as a matrix product: im2col, col2im and the products around them.

Lesson: ``lessons/autograd.py`` §7 "Convolution is a matrix product".

Everything here works on plain arrays in the *channels-last* layout (NHWC): an image
batch of shape (N, H, W, C). A convolution with kernel (k_h, k_w), stride (s_h, s_w) and
zero padding (p_h, p_w) of X, padded to X_pad of shape (N, H_p, W_p, C), is

    cols[(n, y, x), (i, j, c)] = X_pad[n, s_h·y + i, s_w·x + j, c]      (im2col),
    Y = cols · Wm,                                                    (one matrix product)

with cols of shape (N·H_o·W_o, k_h·k_w·C), Wm the weight of shape (O, C, k_h, k_w) as a
matrix of shape (k_h·k_w·C, O), and Y of shape (N·H_o·W_o, O), i.e. (N, H_o, W_o, O). Its
backward pass, with G = ∂L/∂Y, is that of a matrix product,

    ∂L/∂Wm = colsᵀ · G,    ∂L/∂cols = G · Wmᵀ,

and ∂L/∂X_pad is ∂L/∂cols added back onto the windows it was copied from (col2im, the
adjoint of im2col: one strided add per kernel offset), then cropped to (H, W). The
transposed convolution is this input gradient, and the pools reduce the same windows.

With stride 1 the input gradient is itself a convolution: every input pixel is read by
the k_h × k_w outputs around it, each through the mirrored kernel offset, so

    ∂L/∂X = G ⋆ w̃,   w̃[c, o, i, j] = w[o, c, k_h − 1 − i, k_w − 1 − j],

with G zero-padded by (k_h − 1 − p_h, k_w − 1 − p_w) [2, §4]. That is one more im2col and
product (:func:`_grad_input_stride1`) in place of col2im's k_h·k_w strided adds.

Why channels-last: for one kernel offset (i, j) a window is a contiguous run of C
numbers, and for one kernel row the k_w·C numbers of a row of the window are contiguous
too, so im2col is one strided copy with long inner runs and the output Y *is* NHWC.

# NOTE: speed. The batch goes through in chunks of a few images, so that a chunk's column
# matrix (about ``_CHUNK_BYTES``, the size of a core's L2 cache) is written, multiplied
# and read back while it is still in the cache, instead of the whole batch's (58 MB for
# 64 channels, 3×3, 32 images of 28×28) going to memory and back. Inside a chunk it is
# one copy and one BLAS call; the column matrix is recomputed in the backward pass rather
# than stored. On the PixelCNN-shaped step the chunks make the step about 1.3× faster
# (``python benchmarks/bench_conv.py --whole-batch``).

References
----------
.. [1] K. Chellapilla, S. Puri, P. Simard, "High Performance Convolutional Neural Networks
   for Document Processing", IWFHR 2006 (im2col).
.. [2] V. Dumoulin, F. Visin, "A guide to convolution arithmetic for deep learning",
   arXiv:1603.07285, 2016 (the shapes, and the transposed convolution).
"""

from __future__ import annotations

import numpy as np

from ...backend import get_array_module

__all__ = [
    "Geometry",
    "conv_output_size",
    "pad_nhwc",
    "weight_matrix",
    "weight_from_matrix",
    "as_strided",
    "windows",
    "im2col",
    "col2im",
    "conv_forward",
    "conv_backward",
    "conv_grad_weight",
    "conv_grad_input",
]

#: target size in bytes of one chunk's column matrix on the CPU (see the module's NOTE)
_CHUNK_BYTES = 1 << 21

#: stride-1 input gradients as a convolution (:func:`_grad_input_stride1`); False: col2im
#: (``benchmarks/bench_conv.py --col2im`` compares the two)
_STRIDE1_BY_CONV = True


class Geometry:
    """Kernel size (kh, kw), stride (sh, sw) and padding (ph, pw) of a convolution,
    with the input size (H, W), the padded size (Hp, Wp) and the output size (Ho, Wo).

    ``taps`` = (t0, t1) restricts the kernel to the offsets t0 ≤ t < t1 in raster order,
    t = i·k_w + j: the others are taken to be zero and are never read (a masked
    convolution; see :func:`im2col`). The default is the whole kernel, (0, kh·kw).
    """

    __slots__ = ("kh", "kw", "sh", "sw", "ph", "pw", "H", "W", "Hp", "Wp", "Ho", "Wo", "taps")

    def __init__(self, H, W, kernel, stride, padding, taps=None):
        self.H, self.W = H, W
        self.kh, self.kw = kernel
        self.sh, self.sw = stride
        self.ph, self.pw = padding
        self.Hp, self.Wp = H + 2 * self.ph, W + 2 * self.pw
        self.Ho = conv_output_size(H, self.kh, self.sh, self.ph)
        self.Wo = conv_output_size(W, self.kw, self.sw, self.pw)
        self.taps = (0, self.kh * self.kw) if taps is None else (int(taps[0]), int(taps[1]))
        if not 0 <= self.taps[0] <= self.taps[1] <= self.kh * self.kw:
            raise ValueError(
                f"taps {taps} must be a range (t0, t1), t0 ≤ t1, within the "
                f"{self.kh * self.kw} offsets of a {self.kh}×{self.kw} kernel"
            )

    @property
    def all_taps(self):
        """True when the whole kernel is read."""
        return self.taps == (0, self.kh * self.kw)

    def rows(self, C):
        """The rows of Wm (and columns of cols) of the kept taps, for C input channels."""
        return slice(self.taps[0] * C, self.taps[1] * C)


def conv_output_size(n, k, s, p):
    """⌊(n + 2p − k) / s⌋ + 1, the output length of a convolution or pooling."""
    return (n + 2 * p - k) // s + 1


def pad_nhwc(x, ph, pw):
    """Zero-pad x of shape (N, H, W, C) to a contiguous array of shape (N, H + 2ph, W + 2pw, C)."""
    xp = get_array_module(x)
    if ph == 0 and pw == 0:
        return xp.ascontiguousarray(x)
    N, H, W, C = x.shape
    out = xp.zeros((N, H + 2 * ph, W + 2 * pw, C), dtype=x.dtype)
    out[:, ph : ph + H, pw : pw + W] = x
    return out


def weight_matrix(w):
    """Wm[(i, j, c), o] = w[o, c, i, j]: the weight of shape (O, C, kh, kw) as a contiguous
    matrix of shape (kh·kw·C, O)."""
    xp = get_array_module(w)
    O, C, kh, kw = w.shape
    return xp.ascontiguousarray(w.transpose(2, 3, 1, 0)).reshape(kh * kw * C, O)


def weight_from_matrix(Wm, shape):
    """Inverse of :func:`weight_matrix`: Wm of shape (kh·kw·C, O) → w of shape ``shape`` =
    (O, C, kh, kw), contiguous."""
    xp = get_array_module(Wm)
    O, C, kh, kw = shape
    return xp.ascontiguousarray(Wm.reshape(kh, kw, C, O).transpose(3, 2, 0, 1))


def as_strided(a, shape, strides):
    """A read-only strided view of ``a`` (``numpy.lib.stride_tricks.as_strided``; CuPy's
    has no ``writeable`` flag)."""
    xp = get_array_module(a)
    if xp is np:
        return np.lib.stride_tricks.as_strided(a, shape, strides, writeable=False)
    return xp.lib.stride_tricks.as_strided(a, shape, strides)


def windows(x_pad, g: Geometry):
    """The windows of a convolution as a read-only view (no copy),

        view[n, y, x, i, j, c] = x_pad[n, sh·y + i, sw·x + j, c],

    of shape (N, Ho, Wo, kh, kw, C), for ``x_pad`` of shape (N, Hp, Wp, C) (any strides)."""
    s0, s1, s2, s3 = x_pad.strides
    shape = (x_pad.shape[0], g.Ho, g.Wo, g.kh, g.kw, x_pad.shape[3])
    return as_strided(x_pad, shape, (s0, s1 * g.sh, s2 * g.sw, s1, s2, s3))


def im2col(x_pad, g: Geometry):
    """The column matrix cols[(n, y, x), (i, j, c)] = x_pad[n, sh·y + i, sw·x + j, c].

    Parameters
    ----------
    x_pad : array of shape (n, Hp, Wp, C)
        Padded input, channels last.
    g : Geometry

    Returns
    -------
    cols : array of shape (n·Ho·Wo, T·C)
        A copy of :func:`windows`, T = kh·kw; for a 1×1 kernel with stride 1 and
        contiguous input the input itself, reshaped (no copy). With ``g.taps`` = (t0, t1)
        only the columns of the offsets t0 ≤ i·kw + j < t1, T = t1 − t0: a masked
        convolution's product is then (t1 − t0)/(kh·kw) as long (5/9 for a 3×3 mask B).
    """
    win, C = windows(x_pad, g), x_pad.shape[3]
    if g.all_taps:
        return win.reshape(-1, g.kh * g.kw * C)
    (t0, t1), n = g.taps, x_pad.shape[0]
    cols = get_array_module(x_pad).empty((n, g.Ho, g.Wo, (t1 - t0) * C), dtype=x_pad.dtype)
    a = 0
    for i in range(t0 // g.kw, (t1 - 1) // g.kw + 1):  # the kernel rows the range meets
        j0, j1 = max(t0 - i * g.kw, 0), min(t1 - i * g.kw, g.kw)
        b = a + (j1 - j0) * C
        cols[..., a:b] = win[:, :, :, i, j0:j1].reshape(n, g.Ho, g.Wo, b - a)
        a = b
    return cols.reshape(n * g.Ho * g.Wo, (t1 - t0) * C)


def col2im(dcols, g: Geometry, out):
    """The adjoint of :func:`im2col`: add each window back where it was read from,

        out[n, sh·y + i, sw·x + j, c] += dcols[(n, y, x), (i, j, c)],

    as one strided add per kernel offset (i, j) (a loop over the kh·kw offsets, not over
    pixels), where overlapping windows add up.

    Parameters
    ----------
    dcols : array of shape (n·Ho·Wo, kh·kw·C) or (n, Ho, Wo, kh, kw, C)
        May be a broadcast view.
    g : Geometry
    out : array of shape (n, Hp, Wp, C)
        Added to in place, and returned.
    """
    n, C = out.shape[0], out.shape[3]
    d = dcols.reshape(n, g.Ho, g.Wo, g.kh, g.kw, C)
    hi, wi = g.sh * (g.Ho - 1) + 1, g.sw * (g.Wo - 1) + 1  # extent of one offset's slice
    for i in range(g.kh):
        for j in range(g.kw):
            out[:, i : i + hi : g.sh, j : j + wi : g.sw] += d[:, :, :, i, j]
    return out


def _chunks(a, g: Geometry, C):
    """Slices of at most ``nb`` images covering the batch of ``a`` (of shape (N, …)): about
    ``_CHUNK_BYTES`` of column matrix each on the CPU, the whole batch on a
    GPU (which wants few large kernels and has no small cache to fit)."""
    N = a.shape[0]
    nb = N
    if get_array_module(a) is np:
        per_image = g.Ho * g.Wo * g.kh * g.kw * C * a.dtype.itemsize
        nb = max(1, min(N, _CHUNK_BYTES // per_image))
    return [slice(n0, min(N, n0 + nb)) for n0 in range(0, N, nb)]


def conv_forward(x, w, g: Geometry, b=None):
    """Y = im2col(X_pad) · Wm + b, chunk by chunk (the cross-correlation of X with w;
    with ``g.taps``, of X with w restricted to those taps, Wm then its rows of them).

    Parameters
    ----------
    x : array of shape (N, H, W, C)
        Input, channels last (any strides; never padded in place).
    w : array of shape (O, C, kh, kw)
        The weight, as PyTorch's (OIHW).
    g : Geometry
    b : array of shape (O,), optional

    Returns
    -------
    Y : array of shape (N, Ho, Wo, O), contiguous.
    """
    xp = get_array_module(x)
    N, C, O = x.shape[0], x.shape[3], w.shape[0]
    x_pad, Wm = pad_nhwc(x, g.ph, g.pw), weight_matrix(w)[g.rows(C)]
    out = xp.empty((N, g.Ho, g.Wo, O), dtype=x.dtype)
    for c in _chunks(x, g, C):
        xp.matmul(im2col(x_pad[c], g), Wm, out=out[c].reshape(-1, O))
    if b is not None:
        out += b
    return out


def conv_backward(x, G, w, g: Geometry, need_input=True, need_weight=True, need_bias=False):
    """Gradients of Y = im2col(X_pad) · Wm + b given G = ∂L/∂Y, chunk by chunk:

        ∂L/∂Wm = Σ_chunks colsᵀ · G,     ∂L/∂X_pad = col2im(G · Wmᵀ),     ∂L/∂b = Σ_rows G.

    Parameters
    ----------
    x : array of shape (N, H, W, C)
        The input, channels last; unused (may be None) without ``need_weight``.
    G : array of shape (N, Ho, Wo, O), contiguous
    w : array of shape (O, C, kh, kw)
    g : Geometry
    need_input, need_weight, need_bias : bool
        Which gradients to compute.

    Returns
    -------
    dx : array of shape (N, H, W, C) (a view of the padded gradient), or None
    dw : array of shape (O, C, kh, kw), contiguous, or None
    db : array of shape (O,), or None
    """
    xp = get_array_module(G)
    N, O, C = G.shape[0], G.shape[3], w.shape[1]
    G2 = G.reshape(-1, O)
    rows = g.Ho * g.Wo  # rows of cols and of G per image
    db = G2.sum(axis=0) if need_bias else None
    if need_weight:
        x_pad = pad_nhwc(x, g.ph, g.pw)
        dWm = xp.zeros((g.kh * g.kw * C, O), dtype=G.dtype)  # zero outside g.taps
    by_conv = (need_input and _STRIDE1_BY_CONV and g.sh == g.sw == 1 and g.ph < g.kh
               and g.pw < g.kw)
    K = g.rows(C)
    if need_input and not by_conv:
        WmT = weight_matrix(w)[K].T
        dx_pad = xp.zeros((N, g.Hp, g.Wp, C), dtype=G.dtype)
    for c in _chunks(G, g, C):
        Gc = G2[c.start * rows : c.stop * rows]
        if need_weight:
            dWm[K] += im2col(x_pad[c], g).T @ Gc
        if need_input and not by_conv:
            dcols = Gc @ WmT
            if not g.all_taps:  # col2im reads every tap: the others get zero
                full = xp.zeros((dcols.shape[0], g.kh * g.kw * C), dtype=G.dtype)
                full[:, K] = dcols
                dcols = full
            col2im(dcols, g, dx_pad[c])
    dw = weight_from_matrix(dWm, w.shape) if need_weight else None
    dx = None
    if by_conv:
        dx = _grad_input_stride1(G, w, g)
    elif need_input:
        dx = dx_pad[:, g.ph : g.ph + g.H, g.pw : g.pw + g.W]
    return dx, dw, db


def _grad_input_stride1(G, w, g: Geometry):
    """∂L/∂X = G ⋆ w̃ for a stride-1 convolution (see the module docstring): the mirrored
    kernel w̃[c, o, i, j] = w[o, c, k_h − 1 − i, k_w − 1 − j], G padded by k − 1 − p. The
    mirror of the taps t0 ≤ t < t1 are the taps kh·kw − t1 ≤ t < kh·kw − t0.

    # NOTE: the same product as col2im's G · Wmᵀ, but its im2col copy replaces k_h·k_w
    # strided adds into ∂L/∂X: the PixelCNN-shaped step (forward and backward) is 1.26×
    # as fast (258 against 336 ms here; ``python benchmarks/bench_conv.py --col2im``
    # times both, interleaved).
    """
    xp = get_array_module(G)
    w_mirror = xp.ascontiguousarray(w[:, :, ::-1, ::-1].transpose(1, 0, 2, 3))
    T, (t0, t1) = g.kh * g.kw, g.taps
    gt = Geometry(g.Ho, g.Wo, (g.kh, g.kw), (1, 1), (g.kh - 1 - g.ph, g.kw - 1 - g.pw),
                  taps=(T - t1, T - t0))
    return conv_forward(G, w_mirror, gt)


def conv_grad_weight(x, G, g: Geometry, w_shape):
    """∂L/∂w alone (see :func:`conv_backward`), of shape ``w_shape`` = (O, C, kh, kw)."""
    w = get_array_module(G).empty(w_shape, dtype=G.dtype)  # only its shape is read
    return conv_backward(x, G, w, g, need_input=False)[1]


def conv_grad_input(G, w, g: Geometry):
    """∂L/∂X alone (see :func:`conv_backward`), of shape (N, H, W, C): also the forward
    pass of the transposed convolution."""
    return conv_backward(None, G, w, g, need_weight=False)[0]
