"""Convolution, transposed convolution, pooling and nearest upsampling (PyTorch's names).

All take images of shape (n_images, channels, height, width) (NCHW) as Tensors or arrays;
integers or (height, width) pairs for kernel sizes, strides and paddings; zero padding.
The primitives, with their backward passes, are in :mod:`tinygen.autograd.ops.conv`.

Lesson: ``lessons/autograd.py`` §7 "Convolution is a matrix product".
"""

from __future__ import annotations

from ..autograd import OpError, Tensor
from ..autograd.ops.conv import AvgPool2d, Conv2d, ConvTranspose2d, MaxPool2d, UpsampleNearest
from ._utils import as_float_tensor, float_dtype_of

__all__ = [
    "conv2d",
    "masked_conv2d",
    "raster_taps",
    "conv_transpose2d",
    "max_pool2d",
    "avg_pool2d",
    "upsample_nearest",
]


def _pair(value, name, op, minimum):
    """An int or a pair of ints → a tuple (h, w), each ≥ ``minimum``."""
    pair = (value, value) if not isinstance(value, (tuple, list)) else tuple(value)
    if len(pair) != 2 or not all(
        isinstance(v, int) or getattr(v, "dtype", None) is not None for v in pair
    ):
        raise OpError(f"{op}: {name} must be an int or a pair (h, w) of ints, got {value!r}")
    pair = tuple(int(v) for v in pair)
    if min(pair) < minimum:
        raise OpError(f"{op}: {name} must be ≥ {minimum}, got {value!r}")
    return pair


def _tensors(*xs):
    dtype = float_dtype_of(*xs)
    return [None if x is None else as_float_tensor(x, dtype) for x in xs]


def _check_ndim(op, x, what="input", ndim=4, layout="(N, C, H, W)"):
    if x.ndim != ndim:
        raise OpError(f"{op}: the {what} must be {ndim}-D {layout}, got shape {tuple(x.shape)}")


def _conv_operands(op, x, weight, bias, in_axis, layout):
    """Validated tensors ``(x, weight)`` or ``(x, weight, bias)`` of a (transposed)
    convolution whose weight holds the input channels on axis ``in_axis`` and the output
    channels on the other of axes 0 and 1."""
    x, weight, bias = _tensors(x, weight, bias)
    _check_ndim(op, x)
    _check_ndim(op, weight, "weight", layout=layout)
    n_in, n_out = weight.shape[in_axis], weight.shape[1 - in_axis]
    if x.shape[1] != n_in:
        raise OpError(
            f"{op}: input of shape {tuple(x.shape)} has {x.shape[1]} channels but weight of "
            f"shape {tuple(weight.shape)} expects {n_in} input channels"
        )
    if bias is None:
        return x, weight
    if tuple(bias.shape) != (n_out,):
        raise OpError(
            f"{op}: bias of shape {tuple(bias.shape)} does not match weight of shape "
            f"{tuple(weight.shape)}; expected shape ({n_out},)"
        )
    return x, weight, bias


def conv2d(x, weight, bias=None, stride=1, padding=0) -> Tensor:
    r"""2-D cross-correlation (what deep learning calls convolution), as in PyTorch.

    .. math::

        y_{n,o,r,s} = b_o + \sum_{c=1}^{C} \sum_{i<k_h} \sum_{j<k_w}
            w_{o,c,i,j}\, x^{\text{pad}}_{n,c,\,s_h r + i,\,s_w s + j}

    Parameters
    ----------
    x : Tensor or array of shape (n_images, in_channels, height, width)
    weight : Tensor or array of shape (out_channels, in_channels, kernel_h, kernel_w)
    bias : Tensor or array of shape (out_channels,), optional
    stride, padding : int or (int, int)
        Step between windows and zero padding on each side.

    Returns
    -------
    Tensor of shape (n_images, out_channels, H_out, W_out)
        with H_out = ⌊(height + 2·padding_h − kernel_h) / stride_h⌋ + 1 (likewise W_out).

    Notes
    -----
    Computed as one matrix product of the im2col column matrix with the weight, in
    chunks of images (see :mod:`tinygen.autograd.ops.conv_kernels`). The result may be a
    channels-last array viewed as NCHW; only its shape is guaranteed.

    References
    ----------
    .. [1] I. Goodfellow, Y. Bengio, A. Courville, *Deep Learning*, MIT Press, 2016, §9.1–9.5.
    .. [2] V. Dumoulin, F. Visin, "A guide to convolution arithmetic for deep learning",
       arXiv:1603.07285, 2016.
    """
    op = "conv2d"
    args = _conv_operands(op, x, weight, bias, 1, "(out_channels, in_channels, kh, kw)")
    params = dict(stride=_pair(stride, "stride", op, 1), padding=_pair(padding, "padding", op, 0))
    return Conv2d.apply(*args, **params)


def raster_taps(kernel_hw, mask="B"):
    """T, the number of kernel offsets a raster-order mask keeps: the rows above the centre
    and, in the centre row, the columns left of it (and the centre itself for mask "B"),

        T = (k_h // 2)·k_w + k_w // 2 + [mask = "B"].

    In raster order t = i·k_w + j these are exactly the first T offsets, 0 ≤ t < T.

    Parameters
    ----------
    kernel_hw : (int, int)
        Odd sides (k_h, k_w).
    mask : {"A", "B"}
    """
    kh, kw = (int(k) for k in kernel_hw)
    if mask not in ("A", "B"):
        raise OpError(f"mask must be 'A' or 'B', got {mask!r}")
    if kh < 1 or kw < 1 or kh % 2 == 0 or kw % 2 == 0:
        raise OpError(f"a masked convolution needs odd kernel sides, got {(kh, kw)}")
    return (kh // 2) * kw + kw // 2 + (mask == "B")


def masked_conv2d(x, weight, bias=None, mask="B") -> Tensor:
    r"""The masked convolution of PixelCNN, with "same" zero padding (k_h // 2, k_w // 2):

    .. math::

        y = \mathrm{conv2d}(x,\; w \odot M,\; b), \qquad
        M_{o,c,i,j} = [\, i \cdot k_w + j < T \,]

    with T of :func:`raster_taps` (M is :func:`tinygen.nn.masked_conv.raster_mask`). The
    entries of ``weight`` outside the mask are never read, and their gradient is zero.

    Parameters
    ----------
    x : Tensor or array of shape (n_images, in_channels, height, width)
    weight : Tensor or array of shape (out_channels, in_channels, k_h, k_w), odd sides
    bias : Tensor or array of shape (out_channels,), optional
    mask : {"A", "B"}
        "A" excludes the centre pixel, "B" includes it.

    Returns
    -------
    Tensor of shape (n_images, out_channels, height, width)

    Notes
    -----
    Computed as :func:`conv2d` restricted to the first T taps (``taps=(0, T)`` of
    :class:`tinygen.autograd.ops.conv.Conv2d`): the column matrix holds only the kept
    offsets, so every product is T / (k_h k_w) as long as the full kernel's (5/9 for a
    3 × 3 mask B, 24/49 for a 7 × 7 mask A). The composite reference
    ``conv2d(x, weight * M, bias, padding=(k_h // 2, k_w // 2))`` gives the same result
    and gradients (``tests/nn/test_masked_conv.py``); ``python
    benchmarks/bench_autoregressive.py --masked-taps`` times the two on the PixelCNN
    training step.

    Lesson: ``lessons/autoregressive.py`` §3 "The masks A and B".
    """
    op = "masked_conv2d"
    args = _conv_operands(op, x, weight, bias, 1, "(out_channels, in_channels, kh, kw)")
    kh, kw = args[1].shape[2:]
    T = raster_taps((kh, kw), mask)
    return Conv2d.apply(*args, stride=(1, 1), padding=(kh // 2, kw // 2), taps=(0, T))


def conv_transpose2d(x, weight, bias=None, stride=1, padding=0, output_padding=0) -> Tensor:
    r"""2-D transposed convolution ("deconvolution"), as in PyTorch: the adjoint of
    :func:`conv2d` in its input, plus a bias,

    .. math::

        \langle \mathrm{conv\_transpose2d}(y, w), x \rangle
            = \langle y, \mathrm{conv2d}(x, w) \rangle \quad \text{for all } x,

    i.e. every input pixel y[n, c, r, s] adds w[c, :, :, :]·y[n, c, r, s] onto the output
    window at (s_h r − p_h, s_w s − p_w).

    Parameters
    ----------
    x : Tensor or array of shape (n_images, in_channels, height, width)
    weight : Tensor or array of shape (in_channels, out_channels, kernel_h, kernel_w)
    bias : Tensor or array of shape (out_channels,), optional
    stride, padding, output_padding : int or (int, int)
        Those of the convolution this op is the adjoint of; ``output_padding`` (< stride)
        adds rows/columns at the bottom/right to pick among the input sizes that map to
        the same output size.

    Returns
    -------
    Tensor of shape (n_images, out_channels, H_out, W_out)
        with H_out = (height − 1)·stride_h − 2·padding_h + kernel_h + output_padding_h.

    References
    ----------
    .. [1] V. Dumoulin, F. Visin, "A guide to convolution arithmetic for deep learning",
       arXiv:1603.07285, 2016, §4.
    """
    op = "conv_transpose2d"
    args = _conv_operands(op, x, weight, bias, 0, "(in_channels, out_channels, kh, kw)")
    params = dict(
        stride=_pair(stride, "stride", op, 1),
        padding=_pair(padding, "padding", op, 0),
        output_padding=_pair(output_padding, "output_padding", op, 0),
    )
    return ConvTranspose2d.apply(*args, **params)


def _pool(cls, op, x, kernel_size, stride):
    (x,) = _tensors(x)
    _check_ndim(op, x)
    kernel = _pair(kernel_size, "kernel_size", op, 1)
    stride = kernel if stride is None else _pair(stride, "stride", op, 1)
    if kernel[0] > x.shape[2] or kernel[1] > x.shape[3]:
        raise OpError(f"{op}: kernel_size {kernel} is larger than the input of shape {x.shape}")
    return cls.apply(x, kernel_size=kernel, stride=stride)


def max_pool2d(x, kernel_size, stride=None) -> Tensor:
    r"""Max pooling: :math:`y_{n,c,r,s} = \max_{i<k_h,\,j<k_w} x_{n,c,\,s_h r+i,\,s_w s+j}`.

    Parameters
    ----------
    x : Tensor or array of shape (n_images, channels, height, width)
    kernel_size : int or (int, int)
    stride : int or (int, int), default ``kernel_size``

    Returns
    -------
    Tensor of shape (n_images, channels, H_out, W_out), H_out = ⌊(height − k_h)/s_h⌋ + 1.
    The gradient flows to the (first) maximum of each window.

    References
    ----------
    .. [1] I. Goodfellow, Y. Bengio, A. Courville, *Deep Learning*, MIT Press, 2016, §9.3.
    """
    return _pool(MaxPool2d, "max_pool2d", x, kernel_size, stride)


def avg_pool2d(x, kernel_size, stride=None) -> Tensor:
    r"""Average pooling: :math:`y_{n,c,r,s} = \frac{1}{k_h k_w}\sum_{i<k_h,\,j<k_w}
    x_{n,c,\,s_h r+i,\,s_w s+j}`.

    Parameters
    ----------
    x : Tensor or array of shape (n_images, channels, height, width)
    kernel_size : int or (int, int)
    stride : int or (int, int), default ``kernel_size``

    Returns
    -------
    Tensor of shape (n_images, channels, H_out, W_out), H_out = ⌊(height − k_h)/s_h⌋ + 1.

    References
    ----------
    .. [1] I. Goodfellow, Y. Bengio, A. Courville, *Deep Learning*, MIT Press, 2016, §9.3.
    """
    return _pool(AvgPool2d, "avg_pool2d", x, kernel_size, stride)


def upsample_nearest(x, scale_factor=2) -> Tensor:
    r"""Nearest-neighbour upsampling by integer factors:
    :math:`y_{n,c,h,w} = x_{n,c,\lfloor h/s_h\rfloor,\lfloor w/s_w\rfloor}`.

    Parameters
    ----------
    x : Tensor or array of shape (n_images, channels, height, width)
    scale_factor : int or (int, int)

    Returns
    -------
    Tensor of shape (n_images, channels, s_h·height, s_w·width). The gradient of each input
    pixel is the sum over the s_h × s_w block it was copied to.
    """
    op = "upsample_nearest"
    (x,) = _tensors(x)
    _check_ndim(op, x)
    return UpsampleNearest.apply(x, scale_factor=_pair(scale_factor, "scale_factor", op, 1))
