"""2-D convolution and transposed convolution layers (NCHW, as PyTorch).

The arithmetic lives in :func:`tinygen.functional.conv2d` / ``conv_transpose2d``; these
modules own the weights.

Lesson: ``lessons/autograd.py`` §8 "Layers and optimizers".
"""

from __future__ import annotations

from ..rng import as_generator
from .linear import init_weight_and_bias
from .module import Module, Parameter

__all__ = ["Conv2d", "ConvTranspose2d"]


def _pair(v, name):
    if isinstance(v, int):
        return (v, v)
    v = tuple(int(a) for a in v)
    if len(v) != 2:
        raise ValueError(f"{name} must be an int or a pair of ints, got {v}")
    return v


def _functional():
    import tinygen.functional as F  # noqa: PLC0415 (lazy: keeps nn importable on its own)

    return F


class _ConvNd(Module):
    """What :class:`Conv2d` and :class:`ConvTranspose2d` share: hyperparameters, weights, repr.

    The weight layouts are PyTorch's: (out_channels, in_channels, k_h, k_w) for a
    convolution and (in_channels, out_channels, k_h, k_w) for its transpose; in both, the
    initialization fan is computed from axis 1 (times k_h·k_w), as PyTorch does.
    """

    transposed = False

    def __init__(
        self,
        in_channels,
        out_channels,
        kernel_size,
        stride,
        padding,
        bias,
        random_state,
        init,
        dtype,
    ):
        super().__init__()
        self.in_channels, self.out_channels = int(in_channels), int(out_channels)
        self.kernel_size = _pair(kernel_size, "kernel_size")
        self.stride = _pair(stride, "stride")
        self.padding = _pair(padding, "padding")
        kh, kw = self.kernel_size
        channels = (self.out_channels, self.in_channels)
        if self.transposed:
            channels = channels[::-1]
        W, b = init_weight_and_bias(
            (*channels, kh, kw),
            channels[1] * kh * kw,
            self.out_channels if bias else 0,
            init,
            as_generator(random_state),
            dtype,
        )
        self.weight = Parameter(W)
        self.bias = Parameter(b) if bias else None

    def extra_repr(self):
        return (
            f"{self.in_channels}, {self.out_channels}, kernel_size={self.kernel_size}, "
            f"stride={self.stride}, padding={self.padding}, bias={self.bias is not None}"
        )


class Conv2d(_ConvNd):
    """2-D cross-correlation, as ``torch.nn.Conv2d``:

    y[n, o, i, j] = b[o] + Σ_{c, u, v} W[o, c, u, v] · x_pad[n, c, s_h·i + u, s_w·j + v]

    where x_pad is x zero-padded by ``padding``.

    Parameters
    ----------
    in_channels, out_channels : int
    kernel_size, stride, padding : int or (int, int)
    bias : bool, default True
    random_state : int, Generator or None
    init : {"kaiming", "xavier"}, default "kaiming"
        ``"kaiming"`` (PyTorch's default): W, b ~ U(−1/√fan_in, 1/√fan_in) with
        fan_in = in_channels·k_h·k_w. ``"xavier"``: Xavier uniform W, b = 0.

    Attributes
    ----------
    weight : Parameter of shape (out_channels, in_channels, k_h, k_w)
    bias : Parameter of shape (out_channels,) or None

    Shapes: (n_images, in_channels, H, W) → (n_images, out_channels, H_out, W_out),
    H_out = ⌊(H + 2 p_h − k_h) / s_h⌋ + 1.
    """

    def __init__(
        self,
        in_channels,
        out_channels,
        kernel_size,
        stride=1,
        padding=0,
        bias=True,
        *,
        random_state=None,
        init="kaiming",
        dtype=None,
    ):
        super().__init__(
            in_channels, out_channels, kernel_size, stride, padding, bias, random_state, init, dtype
        )

    def forward(self, x):
        return _functional().conv2d(
            x, self.weight, self.bias, stride=self.stride, padding=self.padding
        )


class ConvTranspose2d(_ConvNd):
    """2-D transposed convolution, as ``torch.nn.ConvTranspose2d``: the adjoint (gradient
    with respect to the input) of a :class:`Conv2d` with the same kernel, stride and
    padding, plus a bias; it upsamples by the stride.

    Parameters
    ----------
    in_channels, out_channels : int
    kernel_size, stride, padding, output_padding : int or (int, int)
    bias : bool, default True
    random_state : int, Generator or None
    init : {"kaiming", "xavier"}, default "kaiming"
        As PyTorch: W, b ~ U(−1/√fan, 1/√fan) with fan = out_channels·k_h·k_w (PyTorch
        computes the fan from the weight's axis 1, which here holds the output channels).

    Attributes
    ----------
    weight : Parameter of shape (in_channels, out_channels, k_h, k_w)
    bias : Parameter of shape (out_channels,) or None

    Shapes: (n_images, in_channels, H, W) → (n_images, out_channels, H_out, W_out) with
    H_out = (H − 1)·s_h − 2 p_h + k_h + output_padding_h.

    References
    ----------
    Dumoulin & Visin (2016), "A guide to convolution arithmetic for deep learning",
    arXiv:1603.07285.
    """

    transposed = True

    def __init__(
        self,
        in_channels,
        out_channels,
        kernel_size,
        stride=1,
        padding=0,
        output_padding=0,
        bias=True,
        *,
        random_state=None,
        init="kaiming",
        dtype=None,
    ):
        super().__init__(
            in_channels, out_channels, kernel_size, stride, padding, bias, random_state, init, dtype
        )
        self.output_padding = _pair(output_padding, "output_padding")

    def forward(self, x):
        kwargs = dict(stride=self.stride, padding=self.padding)
        if self.output_padding != (0, 0):
            kwargs["output_padding"] = self.output_padding
        return _functional().conv_transpose2d(x, self.weight, self.bias, **kwargs)
