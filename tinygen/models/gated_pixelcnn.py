"""Gated PixelCNN: two stacks of convolutions that together see every earlier pixel.

The plain PixelCNN (:mod:`tinygen.models.pixelcnn`) stacks k × k mask-B convolutions; each
layer widens the receptive field by one row up and one column left and right, but never by
a column to the right without a row up, so the pixels above-right of the centre, e.g.
(r − 1, c + 2), stay unseen however deep the net: its *blind spot*. Van den Oord et al.
(2016b) split the network into

* a **vertical stack** v, convolutions over the rows above and the current row,
  k × k kernels cut to (k//2 + 1) × k (output (r, c) sees rows r − k//2 … r, columns
  c ± k//2); its features reach the other stack only shifted down by one row, so what
  row r receives comes from rows < r only; and
* a **horizontal stack** h, 1 × k convolutions masked along the row (mask A in the first
  layer, B after), which sees the current row to the left and the shifted vertical
  features,

with gated units instead of ReLUs. One layer, with p feature maps per stack:

    v' = V ∗ v,                      v_out = tanh(v'_{1..p}) ⊙ σ(v'_{p+1..2p}),
    h' = H ∗ h + U · shift_down(v'), h_out = h + W · [tanh(h'_{1..p}) ⊙ σ(h'_{p+1..2p})],

(U, W 1 × 1 convolutions; no residual h + · in the first layer, whose input is the image).
The logits come from the horizontal stack through ReLU, 1 × 1, ReLU, 1 × 1, as in the plain
model. Everything else (likelihood, completion, checkpoints) is the plain model's; sampling
runs the vertical stack once per row (:meth:`GatedPixelCNN._fill`).

References
----------
van den Oord, A., Kalchbrenner, N., Vinyals, O., Espeholt, L., Graves, A. &
    Kavukcuoglu, K. (2016b). Conditional image generation with PixelCNN decoders. NeurIPS,
    §2.1-2.2 and figure 2.
"""

from __future__ import annotations

from .. import backend
from .. import functional as F
from ..autograd import Tensor
from ..nn import Conv2d, MaskedConv2d, Module, ModuleList
from ..numerics import sigmoid
from ..rng import uniform
from ._autoregressive import AutoregressiveModel
from .pixelcnn import PixelCNN

__all__ = ["GatedPixelCNN", "GatedLayer", "VerticalConv", "shift_down", "gate"]


def shift_down(x):
    """y[:, :, r] = x[:, :, r − 1] and y[:, :, 0] = 0, for x of shape (n, C, H, W)."""
    return F.pad(x, ((0, 0), (0, 0), (1, 0), (0, 0)))[:, :, :-1]


def gate(a):
    """tanh(a_{1..p}) ⊙ σ(a_{p+1..2p}) along the channel axis: (n, 2p, H, W) → (n, p, H, W)."""
    p = a.shape[1] // 2
    return F.tanh(a[:, :p]) * F.sigmoid(a[:, p:])


class VerticalConv(Module):
    """Convolution over the current row and the k//2 rows above it:

    y[n, o, r, c] = b[o] + Σ_{i, u, v} W[o, i, u, v] · x[n, i, r − k//2 + u, c − k//2 + v],

    u = 0 … k//2, v = 0 … k − 1 (zero outside the image), so y has x's height and width.

    Parameters
    ----------
    in_channels, out_channels : int
    kernel : int
        Odd k.
    rng : Generator
    dtype : optional
    """

    def __init__(self, in_channels, out_channels, kernel, rng=None, dtype=None):
        super().__init__()
        k = int(kernel)
        if k < 1 or k % 2 == 0:
            raise ValueError(f"the vertical stack needs an odd kernel side, got {kernel}")
        self.k = k
        self.conv = Conv2d(
            in_channels,
            out_channels,
            (k // 2 + 1, k),
            padding=(0, k // 2),
            random_state=rng,
            dtype=dtype,
        )

    def forward(self, x):
        return self.conv(F.pad(x, ((0, 0), (0, 0), (self.k // 2, 0), (0, 0))))


class GatedLayer(Module):
    """One gated layer of both stacks (see the module docstring for the equations).

    Parameters
    ----------
    in_channels : int
        1 for the first layer (the image), else p.
    channels : int
        p, the feature maps of each stack.
    kernel : int
        Odd k: vertical (k//2 + 1) × k, horizontal 1 × k masked.
    first : bool
        Mask A in the horizontal stack and no residual connection.
    rng : Generator
    dtype : optional

    Shapes: ``forward(v, h)`` with v, h of shape (n, in_channels, H, W) → (v_out, h_out) of
    shape (n, p, H, W).
    """

    def __init__(self, in_channels, channels, kernel, first=False, rng=None, dtype=None):
        super().__init__()
        p = int(channels)
        self.first = bool(first)
        kw = dict(random_state=rng, dtype=dtype)
        self.vertical = VerticalConv(in_channels, 2 * p, kernel, rng, dtype)
        self.horizontal = MaskedConv2d(
            in_channels, 2 * p, (1, kernel), mask="A" if first else "B", **kw
        )
        self.v_to_h = Conv2d(2 * p, 2 * p, 1, **kw)
        self.h_out = Conv2d(p, p, 1, **kw)

    def forward(self, v, h):
        vp = self.vertical(v)
        return gate(vp), self.horizontal_stack(h, shift_down(vp))

    def horizontal_stack(self, h, vp_above):
        """h_out = h + W · gate(H ∗ h + U · vp_above), from vp_above = shift_down(v'), the
        vertical pre-activations one row up (no residual h in the first layer)."""
        out = self.h_out(gate(self.horizontal(h) + self.v_to_h(vp_above)))
        return out if self.first else h + out


class GatedPixelCNN(PixelCNN):
    """Gated PixelCNN (van den Oord et al. 2016b) for binary images, without the blind spot.

    p(x) = Π_i σ(ℓ_i)^{x_i} (1 − σ(ℓ_i))^{1 − x_i}, ℓ = Conv1×1(ReLU(Conv1×1(ReLU(h^L)))),
    with (v^l, h^l) = GatedLayer_l(v^{l−1}, h^{l−1}), v⁰ = h⁰ = x (module docstring).

    Parameters
    ----------
    random_state : int, Generator or None, default 0
    image_shape : (int, int), default (28, 28)
    channels : int, default 32
        p, the feature maps of each stack.
    n_layers : int, default 8
        L ≥ 1 gated layers, the first with kernel ``first_kernel``.
    first_kernel : int, default 7
    kernel : int, default 3
    output_channels : int or None
        Width of the hidden 1 × 1 output layer (default 2p).
    dtype : optional

    Shapes, methods and checkpoints as :class:`~tinygen.models.pixelcnn.PixelCNN`.

    References
    ----------
    van den Oord, A., Kalchbrenner, N., Vinyals, O., Espeholt, L., Graves, A. &
        Kavukcuoglu, K. (2016). Conditional image generation with PixelCNN decoders. NeurIPS.
    """

    def __init__(
        self,
        random_state=0,
        image_shape=(28, 28),
        channels=32,
        n_layers=8,
        first_kernel=7,
        kernel=3,
        output_channels=None,
        dtype=None,
    ):
        H, W = (int(s) for s in image_shape)
        if H < 1 or W < 1:
            raise ValueError(f"image_shape must hold two positive sides, got {image_shape}")
        AutoregressiveModel.__init__(self, H * W, random_state)
        self.image_shape = (H, W)
        self.channels, self.n_layers = int(channels), int(n_layers)
        self.first_kernel, self.kernel = int(first_kernel), int(kernel)
        if self.channels < 1 or self.n_layers < 1:
            raise ValueError(f"channels and n_layers must be >= 1, got {channels} and {n_layers}")
        p, rng = self.channels, self._rng
        self.output_channels = int(output_channels or 2 * p)
        layers = [GatedLayer(1, p, first_kernel, True, rng, dtype)]
        layers += [GatedLayer(p, p, kernel, False, rng, dtype) for _ in range(self.n_layers - 1)]
        self.layers = ModuleList(layers)
        self.output_hidden = Conv2d(p, self.output_channels, 1, random_state=rng, dtype=dtype)
        self.output_logit = Conv2d(self.output_channels, 1, 1, random_state=rng, dtype=dtype)

    def get_config(self):
        return {
            "class": type(self).__name__,
            "image_shape": list(self.image_shape),
            "channels": self.channels,
            "n_layers": self.n_layers,
            "first_kernel": self.first_kernel,
            "kernel": self.kernel,
            "output_channels": self.output_channels,
        }

    def _net(self, x):
        v = h = x
        for layer in self.layers:
            v, h = layer(v, h)
        return self._head(h)

    def _head(self, h):
        """ℓ = Conv1×1(ReLU(Conv1×1(ReLU(h^L))))."""
        return self.output_logit(F.relu(self.output_hidden(F.relu(h))))

    def _fill(self, X, known, rng):
        """Raster-order sampling, one row at a time for the vertical stack.

        Row r's horizontal stack receives the vertical stack only from row r − 1, which is
        final once row r − 1 is drawn: so the vertical stack runs once per row (on rows
        0 … r − 1), and each pixel (r, c) runs only the horizontal stack, on row r's
        columns 0 … c (its 1 × k masks read nothing to the right). About 14 vertical and 28
        horizontal passes per image, instead of 784 passes of the whole network.
        """
        H, W = self.image_shape
        n, p = len(X), self.channels
        xp = backend.get_array_module(X)
        img = X.reshape(n, 1, H, W)
        kn = known.reshape(n, H, W)
        for r in range(H):
            if bool(kn[:, r].all()):
                continue
            # vp_above[l] = layer l's v' at row r − 1 (zeros above the first row)
            vp_above = [Tensor(xp.zeros((n, 2 * p, 1, W), dtype=X.dtype))] * self.n_layers
            if r > 0:
                v = Tensor(img[:, :, :r])
                for i, layer in enumerate(self.layers):
                    vp = layer.vertical(v)
                    vp_above[i], v = vp[:, :, r - 1 :], gate(vp)
            for c in range(W):
                if bool(kn[:, r, c].all()):
                    continue
                h = Tensor(img[:, :, r : r + 1, : c + 1])
                for layer, above in zip(self.layers, vp_above):
                    h = layer.horizontal_stack(h, above[:, :, :, : c + 1])
                logit = self._head(h).data[:, 0, 0, c]
                draw = (uniform(rng, (n,), X.dtype) < sigmoid(logit)).astype(X.dtype)
                img[:, 0, r, c] = xp.where(kn[:, r, c], img[:, 0, r, c], draw)
        return img.reshape(n, H * W)
