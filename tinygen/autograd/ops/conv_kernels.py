"""Array kernels of convolution: im2col, one BLAS matmul per chunk, col2im.

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

# NOTE: the batch is processed in chunks of a few images so that each chunk's column
# matrix (about 2 MiB) stays in the CPU cache: on a 2-core machine with ~8 GB/s of
# memory bandwidth, writing one 58 MB column matrix for a whole 64-channel batch and
# reading it back costs as much as the matrix product itself. The chunk loop runs over
# groups of images, not pixels; inside a chunk everything is one copy and one BLAS call.
# The column matrix is recomputed in the backward pass rather than stored, for the same
# reason. Reference: K. Chellapilla, S. Puri, P. Simard, "High Performance Convolutional
# Neural Networks for Document Processing" (2006) for im2col; Chetlur et al., "cuDNN:
# Efficient Primitives for Deep Learning" (2014), §3, for the chunked (tiled) lowering.

Lesson: ``lessons/autograd.py`` §"Convolution is a matrix product".
"""

from __future__ import annotations

from ...backend import get_array_module

__all__ = [
    "Geometry",
    "conv_output_size",
    "windows",
    "conv_forward",
    "conv_grad_weight",
    "conv_grad_input",
    "pad_nhwc",
    "weight_matrix",
    "weight_from_matrix",
]

_CHUNK_BYTES = 2 << 20  # target size of one chunk's column matrix


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
    xp = get_array_module(x_pad)
    s0, s1, s2, s3 = x_pad.strides
    shape = (x_pad.shape[0], g.Ho, g.Wo, g.kh, g.kw, x_pad.shape[3])
    strides = (s0, s1 * g.sh, s2 * g.sw, s1, s2, s3)
    return xp.lib.stride_tricks.as_strided(x_pad, shape, strides, writeable=False)


def _chunk_size(n_images, bytes_per_image):
    return max(1, min(n_images, _CHUNK_BYTES // max(1, bytes_per_image)))


def _is_pointwise(g: Geometry):
    return g.kh == g.kw == 1 and g.sh == g.sw == 1


def _use_row_split(g: Geometry, C, O):
    """Whether to lower a stride-1 convolution by kernel rows (see :func:`_forward_row_split`):
    worth it when the matrices it multiplies, (·, kw·C) by (kw·C, kh·O), are wide."""
    return g.sh == g.sw == 1 and g.kh > 1 and g.kw * C >= 32 and g.kh * O >= 32


def conv_forward(x_pad, w, g: Geometry):
    """Y = X_pad ⋆ w (cross-correlation), chunk by chunk.

    Parameters
    ----------
    x_pad : array of shape (N, Hp, Wp, C)
        Zero-padded input, contiguous, channels last.
    w : array of shape (O, C, kh, kw)
        The weight, OIHW.
    g : Geometry

    Returns
    -------
    array of shape (N, Ho, Wo, O), contiguous.
    """
    xp = get_array_module(x_pad)
    N, C = x_pad.shape[0], x_pad.shape[3]
    O = w.shape[0]
    out = xp.empty((N, g.Ho, g.Wo, O), dtype=x_pad.dtype)
    if _is_pointwise(g):  # a 1×1 convolution: the input is its own column matrix
        xp.matmul(x_pad.reshape(-1, C), weight_matrix(w), out=out.reshape(-1, O))
    elif _use_row_split(g, C, O):
        _forward_row_split(x_pad, w, g, out)
    else:
        _forward_im2col(x_pad, weight_matrix(w), g, out)
    return out


def _forward_im2col(x_pad, Wm, g, out):
    """out = im2col(X_pad) · Wm, with cols[(n, y, x), (i, j, c)] = X_pad[n, sh·y+i, sw·x+j, c]."""
    xp = get_array_module(x_pad)
    N, C = x_pad.shape[0], x_pad.shape[3]
    K, O = Wm.shape
    nb = _chunk_size(N, g.Ho * g.Wo * K * x_pad.dtype.itemsize)
    buf = xp.empty((nb, g.Ho, g.Wo, g.kh, g.kw, C), dtype=x_pad.dtype)
    view = windows(x_pad, g)
    for n0 in range(0, N, nb):
        n1 = min(N, n0 + nb)
        cols = buf[: n1 - n0]
        xp.copyto(cols, view[n0:n1])
        xp.matmul(cols.reshape(-1, K), Wm, out=out[n0:n1].reshape(-1, O))


def _row_windows(x_pad, g):
    """Strided view of shape (N, Hp, Wo, kw, C): ``view[n, r, x, j, c] = x_pad[n, r, x + j, c]``,
    the im2col of one kernel *row* at every padded image row (stride 1, no copy)."""
    xp = get_array_module(x_pad)
    s0, s1, s2, s3 = x_pad.strides
    N, Hp, _, C = x_pad.shape
    return xp.lib.stride_tricks.as_strided(
        x_pad, (N, Hp, g.Wo, g.kw, C), (s0, s1, s2, s2, s3), writeable=False
    )


def _row_weight(w):
    """W3[(j, c), (i, o)] = w[o, c, i, j]: the weight of shape (O, C, kh, kw) as a matrix of
    shape (kw·C, kh·O)."""
    xp = get_array_module(w)
    O, C, kh, kw = w.shape
    return xp.ascontiguousarray(w.transpose(3, 1, 2, 0)).reshape(kw * C, kh * O)


def _forward_row_split(x_pad, w, g, out):
    """Stride-1 convolution lowered by kernel rows:

        Z[n, r, x, i, o] = Σ_{j, c} X_pad[n, r, x + j, c] · w[o, c, i, j]   (one GEMM),
        Y[n, y, x, o]    = Σ_i Z[n, y + i, x, i, o]                       (kh shifted adds).

    # NOTE: same FLOPs as im2col (up to the kh − 1 extra padded rows), but the copy is kh
    # times smaller and the GEMM is (·, kw·C) × (kw·C, kh·O) instead of (·, kh·kw·C) × (·, O);
    # OpenBLAS runs the squarer product ~1.4× faster when O = 64.
    """
    xp = get_array_module(x_pad)
    N, Hp, _, C = x_pad.shape
    O = w.shape[0]
    W3 = _row_weight(w)
    Kr = g.kw * C
    nb = _chunk_size(N, Hp * g.Wo * max(Kr, g.kh * O) * x_pad.dtype.itemsize)
    xbuf = xp.empty((nb, Hp, g.Wo, g.kw, C), dtype=x_pad.dtype)
    zbuf = xp.empty((nb, Hp, g.Wo, g.kh, O), dtype=x_pad.dtype)
    view = _row_windows(x_pad, g)
    Ho = g.Ho
    for n0 in range(0, N, nb):
        n1 = min(N, n0 + nb)
        X3, Z = xbuf[: n1 - n0], zbuf[: n1 - n0]
        xp.copyto(X3, view[n0:n1])
        xp.matmul(X3.reshape(-1, Kr), W3, out=Z.reshape(-1, g.kh * O))
        oc = out[n0:n1]
        xp.add(Z[:, 0:Ho, :, 0], Z[:, 1 : 1 + Ho, :, 1], out=oc)
        for i in range(2, g.kh):
            oc += Z[:, i : i + Ho, :, i]


def conv_grad_weight(x_pad, G, g: Geometry, w_shape):
    """∂L/∂w of Y = X_pad ⋆ w given G = ∂L/∂Y.

    ∂L/∂w[o, c, i, j] = Σ_{n, y, x} X_pad[n, sh·y + i, sw·x + j, c] · G[n, y, x, o],
    i.e. colsᵀ · G with the im2col column matrix (recomputed chunk by chunk, not stored).

    Parameters
    ----------
    x_pad : array of shape (N, Hp, Wp, C), contiguous
    G : array of shape (N, Ho, Wo, O), contiguous
    w_shape : tuple (O, C, kh, kw)

    Returns
    -------
    array of shape (O, C, kh, kw), contiguous.
    """
    xp = get_array_module(G)
    N, C = x_pad.shape[0], x_pad.shape[3]
    O = G.shape[3]
    G2 = G.reshape(-1, O)
    if _is_pointwise(g):
        return weight_from_matrix(x_pad.reshape(-1, C).T @ G2, w_shape)
    if _use_row_split(g, C, O):
        return _grad_weight_row_split(x_pad, G, g, w_shape)
    K = g.kh * g.kw * C
    rows = g.Ho * g.Wo
    nb = _chunk_size(N, rows * K * G.dtype.itemsize)
    dW = xp.zeros((K, O), dtype=G.dtype)
    buf = xp.empty((nb, g.Ho, g.Wo, g.kh, g.kw, C), dtype=G.dtype)
    view = windows(x_pad, g)
    for n0 in range(0, N, nb):
        n1 = min(N, n0 + nb)
        cols = buf[: n1 - n0]
        xp.copyto(cols, view[n0:n1])
        dW += cols.reshape(-1, K).T @ G2[n0 * rows : n1 * rows]
    return weight_from_matrix(dW, w_shape)


def _grad_weight_row_split(x_pad, G, g, w_shape):
    """Weight gradient lowered by kernel rows (stride 1): with X3[n, r, x, (j, c)] =
    X_pad[n, r, x + j, c] and D3[n, r, x, (i, o)] = G[n, r − i, x, o] (zero outside),

        ∂L/∂w[o, c, i, j] = (X3ᵀ · D3)[(j, c), (i, o)]      (one GEMM per chunk)."""
    xp = get_array_module(G)
    N, Hp, _, C = x_pad.shape
    O = G.shape[3]
    Kr, Kc = g.kw * C, g.kh * O
    Ho = g.Ho
    nb = _chunk_size(N, Hp * g.Wo * max(Kr, Kc) * G.dtype.itemsize)
    xbuf = xp.empty((nb, Hp, g.Wo, g.kw, C), dtype=G.dtype)
    dbuf = xp.empty((nb, Hp, g.Wo, g.kh, O), dtype=G.dtype)
    for i in range(g.kh):  # the rows of D3's block i that G does not reach stay zero
        dbuf[:, :i, :, i] = 0
        dbuf[:, i + Ho :, :, i] = 0
    dW3 = xp.zeros((Kr, Kc), dtype=G.dtype)
    view = _row_windows(x_pad, g)
    for n0 in range(0, N, nb):
        n1 = min(N, n0 + nb)
        X3, D3 = xbuf[: n1 - n0], dbuf[: n1 - n0]
        xp.copyto(X3, view[n0:n1])
        for i in range(g.kh):
            D3[:, i : i + Ho, :, i] = G[n0:n1]
        dW3 += X3.reshape(-1, Kr).T @ D3.reshape(-1, Kc)
    O_, C_, kh, kw = w_shape
    return xp.ascontiguousarray(dW3.reshape(kw, C_, kh, O_).transpose(3, 1, 2, 0))


def conv_grad_input(G, w, g: Geometry):
    """∂L/∂X of Y = pad(X) ⋆ w given G = ∂L/∂Y; also the forward of the transposed convolution.

    For stride 1 with padding p ≤ k − 1 it is the *full* convolution of G with the kernel
    rotated by 180° and its two channel axes swapped,

        ∂L/∂X = pad(G, k − 1 − p) ⋆ w̃,   w̃[c, o, i, j] = w[o, c, kh − 1 − i, kw − 1 − j],

    computed with :func:`conv_forward`. Otherwise it is col2im(G · Wmᵀ): each column of
    ∂L/∂cols is added back onto the window it was copied from.

    Parameters
    ----------
    G : array of shape (N, Ho, Wo, O), contiguous
    w : array of shape (O, C, kh, kw)

    Returns
    -------
    array of shape (N, H, W, C) (possibly a view of a padded array).
    """
    xp = get_array_module(G)
    N, O = G.shape[0], G.shape[3]
    C = w.shape[1]
    qh, qw = g.kh - 1 - g.ph, g.kw - 1 - g.pw
    if g.sh == g.sw == 1 and qh >= 0 and qw >= 0:
        w_rot = w[:, :, ::-1, ::-1].transpose(1, 0, 2, 3)
        return conv_forward(
            pad_nhwc(G, qh, qw), w_rot, Geometry(g.Ho, g.Wo, (g.kh, g.kw), (1, 1), (qh, qw))
        )
    dx = xp.zeros((N, g.Hp, g.Wp, C), dtype=G.dtype)
    G2 = G.reshape(-1, O)
    WmT = xp.ascontiguousarray(weight_matrix(w).T)
    K = WmT.shape[1]
    rows = g.Ho * g.Wo
    nb = _chunk_size(N, rows * K * G.dtype.itemsize)
    buf = xp.empty((nb, g.Ho, g.Wo, g.kh, g.kw, C), dtype=G.dtype)
    hi, wi = g.sh * (g.Ho - 1) + 1, g.sw * (g.Wo - 1) + 1  # extent of one offset's slice
    for n0 in range(0, N, nb):
        n1 = min(N, n0 + nb)
        dcols = buf[: n1 - n0]
        xp.matmul(G2[n0 * rows : n1 * rows], WmT, out=dcols.reshape(-1, K))
        dxc = dx[n0:n1]
        # col2im: the adjoint of the strided window view, one strided add per kernel offset
        for i in range(g.kh):
            for j in range(g.kw):
                dxc[:, i : i + hi : g.sh, j : j + wi : g.sw] += dcols[:, :, :, i, j]
    return dx[:, g.ph : g.ph + g.H, g.pw : g.pw + g.W]
