"""The masked convolution of PixelCNN: a convolution that cannot see the future.

Pixels are ordered in raster order (row by row, left to right). A kernel of odd size
k_h × k_w centred on pixel (r, c) is multiplied by a fixed 0/1 mask that keeps the rows
above the centre and, in the centre row, the columns left of the centre:

    mask A:  m[u, v] = 1  if u < k_h // 2, or u = k_h // 2 and v < k_w // 2,
    mask B:  the same, and the centre itself (u, v) = (k_h // 2, k_w // 2).

Mask A (the first layer) makes output (r, c) depend only on input pixels strictly before
(r, c); mask B (every later layer) lets it see its own position, which after a mask-A layer
holds only information from before it. With "same" zero padding the output has the
input's size. The mask covers spatial positions only (the same for every pair of channels),
which is the whole story for one-channel binary images; colour images would also need
masks between the R, G and B channel groups (van den Oord et al. 2016a, §3.4).

References
----------
van den Oord, A., Kalchbrenner, N. & Kavukcuoglu, K. (2016a). Pixel recurrent neural
    networks. ICML, §3.4 and figure 4.
"""

from __future__ import annotations

import numpy as np

from .. import backend
from .conv import Conv2d

__all__ = ["MaskedConv2d", "raster_mask"]


def _sides(kernel_size):
    if isinstance(kernel_size, (int, np.integer)):
        return int(kernel_size), int(kernel_size)
    sides = tuple(int(k) for k in kernel_size)
    if len(sides) != 2:
        raise ValueError(f"kernel_size must be an int or a pair of ints, got {kernel_size}")
    return sides


def raster_mask(kernel_size, mask="B"):
    """The 0/1 raster-order mask of shape (k_h, k_w) (float64; see the module docstring).

    Parameters
    ----------
    kernel_size : int or (int, int)
        Odd sides.
    mask : {"A", "B"}
        "A" excludes the centre, "B" includes it.
    """
    import tinygen.functional as F  # noqa: PLC0415 (lazy, as in conv.py)

    kh, kw = _sides(kernel_size)
    m = np.zeros(kh * kw)
    m[: F.raster_taps((kh, kw), mask)] = 1.0  # the first T offsets in raster order
    return m.reshape(kh, kw)


class MaskedConv2d(Conv2d):
    """Convolution whose kernel is multiplied by a fixed raster-order mask (PixelCNN):

    y[n, o, r, c] = b[o] + Σ_{i, u, v} (W ⊙ M)[o, i, u, v] · x_pad[n, i, r + u, c + v],

    M[o, i, u, v] = m[u, v] of :func:`raster_mask` (``"A"``: only pixels before (r, c) in
    raster order; ``"B"``: those and (r, c) itself), x_pad the input zero-padded by
    (k_h // 2, k_w // 2), so the output has the input's height and width.

    Parameters
    ----------
    in_channels, out_channels : int
    kernel_size : int or (int, int)
        Odd sides.
    mask : {"A", "B"}, default "B"
    bias : bool, default True
    random_state : int, Generator or None
    init : {"kaiming", "xavier"}, default "kaiming"
        As :class:`Conv2d` (the fan counts the whole kernel); the masked entries are then
        set to zero.
    dtype : optional

    Attributes
    ----------
    weight : Parameter of shape (out_channels, in_channels, k_h, k_w)
        Zero where the mask is (and kept there: the mask zeroes its gradient).
    bias : Parameter of shape (out_channels,) or None
    mask : array of shape (1, 1, k_h, k_w)
        The fixed 0/1 mask (a buffer, in the weight's dtype).

    Shapes: (n_images, in_channels, H, W) → (n_images, out_channels, H, W).

    References
    ----------
    van den Oord, A., Kalchbrenner, N. & Kavukcuoglu, K. (2016). Pixel recurrent neural
        networks. ICML, §3.4.
    """

    def __init__(
        self,
        in_channels,
        out_channels,
        kernel_size,
        mask="B",
        bias=True,
        *,
        random_state=None,
        init="kaiming",
        dtype=None,
    ):
        m = raster_mask(kernel_size, mask)
        kh, kw = m.shape
        super().__init__(
            in_channels,
            out_channels,
            (kh, kw),
            stride=1,
            padding=(kh // 2, kw // 2),
            bias=bias,
            random_state=random_state,
            init=init,
            dtype=dtype,
        )
        self.mask_type = mask
        dt = self.weight.dtype
        self.register_buffer("mask", backend.asarray(m[None, None], dt))
        self.weight.data = self.weight.data * self.mask

    def extra_repr(self):
        return super().extra_repr() + f", mask={self.mask_type!r}"

    def forward(self, x):
        import tinygen.functional as F  # noqa: PLC0415 (lazy, as in conv.py)

        # = F.conv2d(x, self.weight * self.mask, self.bias, padding=self.padding), reading
        # only the kept taps (F.masked_conv2d's Notes)
        return F.masked_conv2d(x, self.weight, self.bias, mask=self.mask_type)
