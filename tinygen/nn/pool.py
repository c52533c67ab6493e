"""Pooling and upsampling layers (thin modules over ``tinygen.functional``).

Lesson: ``lessons/autograd.py`` §7 "Convolution is a matrix product".
"""

from __future__ import annotations

from .module import Module


def _F():
    import tinygen.functional as F  # noqa: PLC0415 (lazy: keeps nn importable on its own)

    return F


class _Pool2d(Module):
    """What the pooling layers share: ``kernel_size``, ``stride`` (default: the kernel, as
    PyTorch) and a forward through the functional named by ``function``."""

    function = ""

    def __init__(self, kernel_size, stride=None):
        super().__init__()
        self.kernel_size, self.stride = kernel_size, stride

    def forward(self, x):
        return getattr(_F(), self.function)(x, self.kernel_size, self.stride)


class MaxPool2d(_Pool2d):
    r"""Max pooling, :math:`y_{n,c,r,s} = \max_{i<k_h, j<k_w} x_{n,c,s_h r+i, s_w s+j}`.

    Input of shape (N, C, H, W); ``stride`` defaults to ``kernel_size`` (as PyTorch).
    """

    function = "max_pool2d"


class AvgPool2d(_Pool2d):
    r"""Average pooling, :math:`y_{n,c,r,s} = \frac{1}{k_h k_w}\sum_{i,j} x_{n,c,s_h r+i,s_w s+j}`.

    Input of shape (N, C, H, W); ``stride`` defaults to ``kernel_size``.
    """

    function = "avg_pool2d"


class Upsample(Module):
    r"""Nearest-neighbour upsampling by an integer factor s:

    :math:`y_{n,c,h,w} = x_{n,c,\lfloor h/s\rfloor,\lfloor w/s\rfloor}`.
    """

    def __init__(self, scale_factor=2):
        super().__init__()
        self.scale_factor = scale_factor

    def forward(self, x):
        return _F().upsample_nearest(x, self.scale_factor)
