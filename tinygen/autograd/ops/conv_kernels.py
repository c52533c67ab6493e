"""Array kernels of convolution: lowering to BLAS matrix products (im2col and variants).

Everything here works on plain arrays in the *channels-last* layout (NHWC): an image
batch of shape (n_images, height, width, channels). In that layout the receptive field
of one output pixel, for one kernel offset (i, j), is a contiguous run of ``channels``
numbers, so the column matrix (im2col) is one strided copy and the convolution is one
matrix product

    Y[(n, y, x), o] = Σ_{(i, j, c)} cols[(n, y, x), (i, j, c)] · Wm[(i, j, c), o],
    cols[(n, y, x), (i, j, c)] = X_pad[n, s_h·y + i, s_w·x + j, c],

with ``Wm`` the weight of shape (O, C, k_h, k_w) permuted to (k_h·k_w·C, O). The
backward pass reuses the same column matrix:

    ∂L/∂Wm = colsᵀ · G,        ∂L/∂cols = G · Wmᵀ,

and ∂L/∂X_pad is ∂L/∂cols scattered back onto the padded image (col2im): a sum, over
the k_h·k_w kernel offsets, of strided slices.

Three lowerings, chosen by :func:`conv_forward` and friends:

* 1×1, stride 1: the input *is* its column matrix (no copy);
* stride 1 with many channels: the *row-split* lowering (:func:`_forward_row_split`): only
  the k_w offsets of one kernel row go into the column matrix, the k_h kernel rows into
  the GEMM's output, and k_h shifted adds finish the sum; the backward pass shares one
  row-shifted copy of G between ∂L/∂w and ∂L/∂X (:func:`_backward_row_split`);
* otherwise (strides, few channels): plain im2col, and col2im for ∂L/∂X.

# NOTE: the batch is processed in chunks of a few images so that each chunk's column
# matrix (about 1 MiB) stays in the CPU cache: on a 2-core machine with ~8 GB/s of
# memory bandwidth, writing one 58 MB column matrix for a whole 64-channel batch and
# reading it back costs as much as the matrix product itself. The chunk loop runs over
# groups of images, not pixels; inside a chunk everything is one copy and one BLAS call.
# The column matrix is recomputed in the backward pass rather than stored, for the same
# reason. References: K. Chellapilla, S. Puri, P. Simard, "High Performance Convolutional
# Neural Networks for Document Processing" (2006) for im2col; S. Chetlur et al., "cuDNN:
# Efficient Primitives for Deep Learning", arXiv:1410.0759 (2014), §3, for the tiled
# lowering; V. Dumoulin, F. Visin, "A guide to convolution arithmetic for deep
# learning", arXiv:1603.07285 (2016), for the shapes and the transposed convolution.

Lesson: ``lessons/autograd.py`` §7 "Convolution is a matrix product".
"""

from __future__ import annotations

from functools import partial

import numpy as np

from ..._threads import default_n_threads, run_groups
from ...backend import get_array_module

__all__ = [
    "Geometry",
    "conv_output_size",
    "windows",
    "as_strided",
    "conv_forward",
    "conv_backward",
    "conv_grad_weight",
    "conv_grad_input",
    "pad_nhwc",
    "weight_matrix",
    "weight_from_matrix",
]

#: target size of one chunk's column matrix. 1 MiB: with the chunk's output buffer, about
#: as big again, it stays within a core's 2 MiB L2 cache; on the PixelCNN-shaped step (64
#: channels, 28×28, batch 32) this meant 1 image per chunk instead of 3 and a step about
#: 5% faster than with 2 MiB (A/B in one process, either variant first; 4 MiB was slower).
_CHUNK_BYTES = 1 << 20

#: threads sharing a convolution's chunks on the NumPy backend (None: the CPUs available,
#: at most 4; 1 turns the chunk-parallel loops off).
N_THREADS = None


def _run_chunks(xp, N, nb, work):
    """Run ``work(chunks)`` over the chunks [(n0, n1), …] of ``nb`` images of a batch of N;
    returns the list of its results (one per group of chunks).

    # NOTE: speed. On NumPy with several CPUs the chunks are split into contiguous groups,
    # one per thread, and each thread runs its group with a *single-threaded* BLAS
    # (:func:`tinygen.backend.blas_threads`): the copies, shifted adds and scatter-adds of
    # im2col/col2im, which NumPy runs on one core, then run on all of them, and the GEMMs
    # stay as parallel as before. NumPy releases the GIL in copies, ufuncs and matmul. Each
    # group writes its own images' slices of the output; the weight gradient is summed
    # over the groups' partial results.
    """
    n_threads = default_n_threads() if N_THREADS is None else max(1, int(N_THREADS))
    n = min(n_threads, N) if xp is np and N > nb else 1  # one chunk: no threads
    if n <= 1:
        return [work([(n0, min(N, n0 + nb)) for n0 in range(0, N, nb)])]
    # n near-equal ranges of images, one per thread, each cut into chunks of at most nb
    # (cutting the chunk list instead left one thread 6 chunks to the other's 5 at N = 32)
    edges = [N * t // n for t in range(n + 1)]
    groups = [
        [(n0, min(hi, n0 + nb)) for n0 in range(lo, hi, nb)]
        for lo, hi in zip(edges[:-1], edges[1:])
        if hi > lo
    ]

    # run_groups limits BLAS to one thread (process-wide) while the groups run
    return run_groups([partial(work, grp) for grp in groups], "tinygen-conv")


class Geometry:
    """Kernel size (kh, kw), stride (sh, sw) and padding (ph, pw) of a convolution,
    with the padded input size (Hp, Wp) and the output size (Ho, Wo)."""

    __slots__ = ("kh", "kw", "sh", "sw", "ph", "pw", "H", "W", "Hp", "Wp", "Ho", "Wo")

    def __init__(self, H, W, kernel, stride, padding):
        self.H, self.W = H, W
        self.kh, self.kw = kernel
        self.sh, self.sw = stride
        self.ph, self.pw = padding
        self.Hp, self.Wp = H + 2 * self.ph, W + 2 * self.pw
        self.Ho = conv_output_size(H, self.kh, self.sh, self.ph)
        self.Wo = conv_output_size(W, self.kw, self.sw, self.pw)


def conv_output_size(n, k, s, p):
    """floor((n + 2p − k) / s) + 1, the output length of a convolution or pooling."""
    return (n + 2 * p - k) // s + 1


def pad_nhwc(x, ph, pw):
    """Zero-pad an NHWC array of shape (N, H, W, C) to (N, H + 2ph, W + 2pw, C), contiguous."""
    xp = get_array_module(x)
    if ph == 0 and pw == 0:
        return xp.ascontiguousarray(x)
    N, H, W, C = x.shape
    out = xp.zeros((N, H + 2 * ph, W + 2 * pw, C), dtype=x.dtype)
    out[:, ph : ph + H, pw : pw + W] = x
    return out


def weight_matrix(w):
    """OIHW weight of shape (O, C, kh, kw) → contiguous matrix Wm of shape (kh·kw·C, O)."""
    xp = get_array_module(w)
    O, C, kh, kw = w.shape
    return xp.ascontiguousarray(w.transpose(2, 3, 1, 0)).reshape(kh * kw * C, O)


def weight_from_matrix(Wm, shape):
    """Inverse of :func:`weight_matrix`: (kh·kw·C, O) → contiguous (O, C, kh, kw)."""
    xp = get_array_module(Wm)
    O, C, kh, kw = shape
    return xp.ascontiguousarray(Wm.reshape(kh, kw, C, O).transpose(3, 2, 0, 1))


def windows(x_pad, g: Geometry):
    """Read-only strided view of shape (N, Ho, Wo, kh, kw, C) of a contiguous padded NHWC
    array: ``view[n, y, x, i, j, c] = x_pad[n, sh·y + i, sw·x + j, c]`` (no copy)."""
    s0, s1, s2, s3 = x_pad.strides
    shape = (x_pad.shape[0], g.Ho, g.Wo, g.kh, g.kw, x_pad.shape[3])
    strides = (s0, s1 * g.sh, s2 * g.sw, s1, s2, s3)
    return as_strided(x_pad, shape, strides)


def as_strided(a, shape, strides):
    """A read-only strided view of ``a`` (``numpy.lib.stride_tricks.as_strided``; CuPy's has
    no ``writeable`` flag)."""
    xp = get_array_module(a)
    if xp is np:
        return np.lib.stride_tricks.as_strided(a, shape, strides, writeable=False)
    return xp.lib.stride_tricks.as_strided(a, shape, strides)


def _chunk_size(a, n_images, bytes_per_image):
    """Images per chunk: about ``_CHUNK_BYTES`` of column matrix on the CPU; the whole batch
    on a GPU, which wants few large kernels and has no small cache to fit."""
    if get_array_module(a) is not np:
        return n_images
    return max(1, min(n_images, _CHUNK_BYTES // max(1, bytes_per_image)))


def _is_pointwise(g: Geometry):
    return g.kh == g.kw == 1 and g.sh == g.sw == 1


def _use_row_split(g: Geometry, C, O):
    """Whether to lower a stride-1 convolution by kernel rows (see :func:`_forward_row_split`):
    worth it when the matrices it multiplies, (·, kw·C) by (kw·C, kh·O), are wide."""
    return g.sh == g.sw == 1 and g.kh > 1 and g.kw * C >= 32 and g.kh * O >= 32


def conv_forward(x, w, g: Geometry, b=None):
    """Y = pad(X) ⋆ w + b (cross-correlation), chunk by chunk.

    Parameters
    ----------
    x : array of shape (N, H, W, C)
        Input, channels last (any strides; it is never padded in place).
    w : array of shape (O, C, kh, kw)
        The weight, OIHW.
    g : Geometry
    b : array of shape (O,), optional

    Returns
    -------
    array of shape (N, Ho, Wo, O), contiguous.
    """
    xp = get_array_module(x)
    N, C = x.shape[0], x.shape[3]
    O = w.shape[0]
    out = xp.empty((N, g.Ho, g.Wo, O), dtype=x.dtype)
    if _is_pointwise(g) and g.ph == g.pw == 0:  # 1×1: the input is its own column matrix
        x2 = xp.ascontiguousarray(x).reshape(-1, C)
        xp.matmul(x2, weight_matrix(w), out=out.reshape(-1, O))
    elif _use_row_split(g, C, O):
        _forward_row_split(x, w, g, out, b)
        return out
    else:
        _forward_im2col(pad_nhwc(x, g.ph, g.pw), weight_matrix(w), g, out)
    if b is not None:
        out += b
    return out


def _im2col_chunks(x_pad, g, nb, dtype, chunks):
    """Yield ``(n0, n1, cols)`` for the chunks ``[(n0, n1), …]`` of at most ``nb`` images:
    the column matrix cols[(n, y, x), (i, j, c)] = X_pad[n, sh·y+i, sw·x+j, c] of images
    n0:n1, of shape ((n1 − n0)·Ho·Wo, kh·kw·C) and ``dtype``, in one buffer reused by the
    next chunk."""
    xp = get_array_module(x_pad)
    C = x_pad.shape[3]
    buf = xp.empty((nb, g.Ho, g.Wo, g.kh, g.kw, C), dtype=dtype)
    view = windows(x_pad, g)
    for n0, n1 in chunks:
        cols = buf[: n1 - n0]
        xp.copyto(cols, view[n0:n1])
        yield n0, n1, cols.reshape(-1, g.kh * g.kw * C)


def _forward_im2col(x_pad, Wm, g, out):
    """out = im2col(X_pad) · Wm, with cols[(n, y, x), (i, j, c)] = X_pad[n, sh·y+i, sw·x+j, c]."""
    xp = get_array_module(x_pad)
    K, O = Wm.shape
    nb = _chunk_size(x_pad, x_pad.shape[0], g.Ho * g.Wo * K * x_pad.dtype.itemsize)

    def work(chunks):
        for n0, n1, cols in _im2col_chunks(x_pad, g, nb, x_pad.dtype, chunks):
            xp.matmul(cols, Wm, out=out[n0:n1].reshape(-1, O))

    _run_chunks(xp, x_pad.shape[0], nb, work)


class _RowCols:
    """Chunks of the kernel-row column matrix of a stride-1 convolution,

        X3[n, r, x, j, c] = X_pad[n, r, x + j, c],   of shape (n, Hp, Wo, kw, C),

    written straight from the *unpadded* input: the padding entries of the reused buffer
    are zeroed once and never overwritten, so no padded copy of the input is made."""

    def __init__(self, x, g, nb):
        xp = get_array_module(x)
        self.x, self.g = x, g
        C = x.shape[3]
        self.buf = xp.zeros((min(nb, x.shape[0]), g.Hp, g.Wo, g.kw, C), dtype=x.dtype)
        # for kernel column j, output columns lo..hi read input columns lo+j−pw..hi+j−pw
        self.spans = [(max(0, g.pw - j), min(g.Wo, g.W + g.pw - j), j) for j in range(g.kw)]

    def chunk(self, n0, n1):
        g, X3 = self.g, self.buf[: n1 - n0]
        rows = slice(g.ph, g.ph + g.H)
        for lo, hi, j in self.spans:
            if hi > lo:
                X3[:, rows, lo:hi, j] = self.x[n0:n1, :, lo + j - g.pw : hi + j - g.pw]
        return X3


def _row_weight(w):
    """W3[(j, c), (i, o)] = w[o, c, i, j]: the weight of shape (O, C, kh, kw) as a matrix of
    shape (kw·C, kh·O)."""
    xp = get_array_module(w)
    O, C, kh, kw = w.shape
    return xp.ascontiguousarray(w.transpose(3, 1, 2, 0)).reshape(kw * C, kh * O)


def _forward_row_split(x, w, g, out, b=None):
    """Stride-1 convolution lowered by kernel rows:

        Z[n, r, x, i, o] = Σ_{j, c} X_pad[n, r, x + j, c] · w[o, c, i, j]   (one GEMM),
        Y[n, y, x, o]    = Σ_i Z[n, y + i, x, i, o] + b[o]                (kh shifted adds).

    # NOTE: same FLOPs as im2col up to the kh − 1 extra padded rows, but the copy is kh
    # times smaller and the GEMM is (·, kw·C) × (kw·C, kh·O) instead of (·, kh·kw·C) × (·, O):
    # for O = 64 OpenBLAS runs the squarer product ~1.4× faster.
    """
    xp = get_array_module(x)
    N, C = x.shape[0], x.shape[3]
    O = w.shape[0]
    W3 = _row_weight(w)
    Kr, Kz = g.kw * C, g.kh * O
    nb = _chunk_size(x, N, g.Hp * g.Wo * max(Kr, Kz) * x.dtype.itemsize)
    Ho = g.Ho

    def work(chunks):
        cols = _RowCols(x, g, nb)
        zbuf = xp.empty((nb, g.Hp, g.Wo, g.kh, O), dtype=x.dtype)
        for n0, n1 in chunks:
            X3, Z = cols.chunk(n0, n1), zbuf[: n1 - n0]
            xp.matmul(X3.reshape(-1, Kr), W3, out=Z.reshape(-1, Kz))
            oc = out[n0:n1]
            xp.add(Z[:, 0:Ho, :, 0], Z[:, 1 : 1 + Ho, :, 1], out=oc)
            for i in range(2, g.kh):
                oc += Z[:, i : i + Ho, :, i]
            if b is not None:
                oc += b

    _run_chunks(xp, N, nb, work)


def conv_backward(x, G, w, g: Geometry, need_input=True, need_weight=True, need_bias=False):
    """Gradients of Y = pad(X) ⋆ w given G = ∂L/∂Y.

        ∂L/∂w[o, c, i, j] = Σ_{n, y, x} X_pad[n, sh·y + i, sw·x + j, c] · G[n, y, x, o],
        ∂L/∂X_pad[n, sh·y + i, sw·x + j, c] += Σ_o G[n, y, x, o] · w[o, c, i, j].

    Parameters
    ----------
    x : array of shape (N, H, W, C), channels last (unpadded); may be None if not
        ``need_weight``.
    G : array of shape (N, Ho, Wo, O), contiguous
    w : array of shape (O, C, kh, kw)
    need_input, need_weight, need_bias : bool
        Which gradients to compute (the bias one, ∂L/∂b = Σ_{n, y, x} G[n, y, x, ·], for a
        convolution with a bias).

    Returns
    -------
    dx : array of shape (N, H, W, C) or None
    dw : array of shape (O, C, kh, kw), contiguous, or None
    db : array of shape (O,) or None
    """
    xp = get_array_module(G)
    O, C = w.shape[:2]
    G2 = G.reshape(-1, O)
    if _use_row_split(g, C, O):
        return _backward_row_split(x, G, w, g, need_input, need_weight, need_bias)
    db = G2.sum(axis=0) if need_bias else None
    if _is_pointwise(g) and g.ph == g.pw == 0:  # dX = G·Wmᵀ, dWm = Xᵀ·G
        dx = (G2 @ weight_matrix(w).T).reshape(G.shape[:3] + (C,)) if need_input else None
        dw = None
        if need_weight:
            x2 = xp.ascontiguousarray(x).reshape(-1, C)
            dw = weight_from_matrix(x2.T @ G2, w.shape)
        return dx, dw, db
    dw = _grad_weight_im2col(x, G, g, w.shape) if need_weight else None
    dx = _grad_input_col2im(G, w, g) if need_input else None
    return dx, dw, db


def conv_grad_weight(x, G, g: Geometry, w_shape):
    """∂L/∂w alone (see :func:`conv_backward`), of shape ``w_shape`` = (O, C, kh, kw)."""
    w = get_array_module(G).empty(w_shape, dtype=G.dtype)  # only its shape is read
    return conv_backward(x, G, w, g, need_input=False)[1]


def conv_grad_input(G, w, g: Geometry):
    """∂L/∂X alone (see :func:`conv_backward`), of shape (N, H, W, C); this is also the
    forward pass of the transposed convolution."""
    return conv_backward(None, G, w, g, need_weight=False)[0]


def _grad_weight_im2col(x, G, g, w_shape):
    """∂L/∂Wm = Σ_chunks colsᵀ · G (the column matrix recomputed chunk by chunk, not stored)."""
    xp = get_array_module(G)
    N, C = x.shape[0], x.shape[3]
    O = G.shape[3]
    G2 = G.reshape(-1, O)
    K = g.kh * g.kw * C
    rows = g.Ho * g.Wo
    nb = _chunk_size(G, N, rows * K * G.dtype.itemsize)
    x_pad = pad_nhwc(x, g.ph, g.pw)

    def work(chunks):
        dW = xp.zeros((K, O), dtype=G.dtype)
        for n0, n1, cols in _im2col_chunks(x_pad, g, nb, G.dtype, chunks):
            dW += xp.matmul(cols.T, G2[n0 * rows : n1 * rows])
        return dW

    parts = _run_chunks(xp, N, nb, work)
    return weight_from_matrix(sum(parts[1:], parts[0]), w_shape)


def _grad_input_col2im(G, w, g):
    """∂L/∂X = col2im(G · Wmᵀ): each column of ∂L/∂cols is added back onto its window."""
    xp = get_array_module(G)
    N, O = G.shape[0], G.shape[3]
    C = w.shape[1]
    dx = xp.zeros((N, g.Hp, g.Wp, C), dtype=G.dtype)
    G2 = G.reshape(-1, O)
    WmT = xp.ascontiguousarray(weight_matrix(w).T)
    K = WmT.shape[1]
    rows = g.Ho * g.Wo
    nb = _chunk_size(G, N, rows * K * G.dtype.itemsize)
    hi, wi = g.sh * (g.Ho - 1) + 1, g.sw * (g.Wo - 1) + 1  # extent of one offset's slice

    def work(chunks):
        buf = xp.empty((nb, g.Ho, g.Wo, g.kh, g.kw, C), dtype=G.dtype)
        for n0, n1 in chunks:
            dcols = buf[: n1 - n0]
            xp.matmul(G2[n0 * rows : n1 * rows], WmT, out=dcols.reshape(-1, K))
            dxc = dx[n0:n1]
            # col2im: the adjoint of the strided window view, one strided add per offset
            for i in range(g.kh):
                for j in range(g.kw):
                    dxc[:, i : i + hi : g.sh, j : j + wi : g.sw] += dcols[:, :, :, i, j]

    _run_chunks(xp, N, nb, work)
    return dx[:, g.ph : g.ph + g.H, g.pw : g.pw + g.W]


def _backward_row_split(x, G, w, g, need_input, need_weight, need_bias=False):
    """Backward of :func:`_forward_row_split` (stride 1). The adjoint of the shifted sum
    Y[y] = Σ_i Z[y + i, i] is

        D3[n, r, x, i, o] = ∂L/∂Z[n, r, x, i, o] = G[n, r − i, x, o]   (zero outside),

    and then, with one GEMM each per chunk,

        ∂L/∂W3 = X3ᵀ · D3,     ∂L/∂X3 = D3 · W3ᵀ,

    ∂L/∂X_pad[n, r, x + j, c] += ∂L/∂X3[n, r, x, j, c] (k_w shifted adds, straight into the
    unpadded ∂L/∂X). With ``need_bias`` also ∂L/∂b = Σ_{n, y, x} G[n, y, x, ·], summed chunk
    by chunk while G's chunk is in the cache; returns (dx, dw, db).

    # NOTE: speed. The kernel column whose shifted slice covers all of ∂L/∂X (j = p_w when
    # the width is kept) is *copied* into it and the others added, so ∂L/∂X needs no
    # zero-filled start and one pass fewer; the weight-gradient GEMM of each chunk writes
    # into one reused buffer.
    """
    xp = get_array_module(G)
    N, Ho = G.shape[0], g.Ho
    O, C = w.shape[:2]
    Kr, Kz = g.kw * C, g.kh * O
    nb = _chunk_size(G, N, g.Hp * g.Wo * max(Kr, Kz) * G.dtype.itemsize)
    if need_input:
        W3T = xp.ascontiguousarray(_row_weight(w).T)
        rows = slice(g.ph, g.ph + g.H)
        spans = [(max(0, g.pw - j), min(g.Wo, g.W + g.pw - j), j) for j in range(g.kw)]
        # a span that writes every column of ∂L/∂X starts it (copy), the others add to it
        first = next(
            (sp for sp in spans if sp[1] - sp[0] == g.W and sp[0] + sp[2] - g.pw == 0), None
        )
        rest = [sp for sp in spans if sp is not first and sp[1] > sp[0]]
        dx = (xp.empty if first else xp.zeros)((N, g.H, g.W, C), dtype=G.dtype)

    def work(chunks):
        dbuf = xp.zeros((min(nb, N), g.Hp, g.Wo, g.kh, O), dtype=G.dtype)  # G's misses: 0
        dW3 = db = None
        if need_weight:
            cols = _RowCols(x, g, nb)
            dW3 = xp.zeros((Kr, Kz), dtype=G.dtype)
            part = xp.empty((Kr, Kz), dtype=G.dtype)
        if need_bias:
            db = xp.zeros(O, dtype=G.dtype)
        if need_input:
            dx3buf = xp.empty((min(nb, N), g.Hp, g.Wo, g.kw, C), dtype=G.dtype)
        for n0, n1 in chunks:
            D3, Gc = dbuf[: n1 - n0], G[n0:n1]
            for i in range(g.kh):
                D3[:, i : i + Ho, :, i] = Gc
            if need_bias:
                db += Gc.reshape(-1, O).sum(axis=0)
            D2 = D3.reshape(-1, Kz)
            if need_weight:
                xp.matmul(cols.chunk(n0, n1).reshape(-1, Kr).T, D2, out=part)
                dW3 += part
            if need_input:
                dX3 = dx3buf[: n1 - n0]
                xp.matmul(D2, W3T, out=dX3.reshape(-1, Kr))
                dxc = dx[n0:n1]
                if first is not None:
                    lo, hi, j = first
                    xp.copyto(dxc, dX3[:, rows, lo:hi, j])
                for lo, hi, j in rest:
                    dxc[:, :, lo + j - g.pw : hi + j - g.pw] += dX3[:, rows, lo:hi, j]
        return dW3, db

    parts = _run_chunks(xp, N, nb, work)
    dw = db = None
    if need_weight:  # dW3[(j, c), (i, o)] → w[o, c, i, j], summed over the thread groups
        dW3 = sum((p[0] for p in parts[1:]), parts[0][0])
        dw = xp.ascontiguousarray(dW3.reshape(g.kw, C, g.kh, O).transpose(3, 1, 2, 0))
    if need_bias:
        db = sum((p[1] for p in parts[1:]), parts[0][1])
    return (dx if need_input else None), dw, db
