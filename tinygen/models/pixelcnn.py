"""PixelCNN for binary images: the chain rule over pixels computed by masked convolutions.

In raster order (row by row, left to right) an image x of H × W binary pixels has

    p(x) = Π_{i=1}^{HW} p(x_i | x_<i),    p(x_i = 1 | x_<i) = σ(ℓ_i(x)),

and a PixelCNN computes all HW logits ℓ_i in one pass of a fully convolutional network
whose every layer keeps the spatial size and never looks at a later pixel: the first layer
is a k × k convolution with mask A (it sees only pixels strictly before its centre), the
following ones have mask B (they also see their own position, which by then holds only
information from before it) or are 1 × 1. So training is parallel over pixels, the
likelihood exact, and sampling sequential: one pass per pixel.

The architecture is that of van den Oord et al. (2016a, Table 2 and Figure 5): a 7 × 7
mask-A convolution to 2h feature maps; residual blocks x + Conv1×1(ReLU(MaskedConv_B 3×3(
ReLU(Conv1×1(ReLU(x)))))) with widths 2h → h → h → 2h; then ReLU, 1 × 1 convolution,
ReLU, 1 × 1 convolution to one Bernoulli logit per pixel. The stacked 3 × 3 mask-B
convolutions have a *blind spot*: pixels above and to the right of the centre that are
before it in raster order yet outside its receptive field (van den Oord et al. 2016b).

References
----------
van den Oord, A., Kalchbrenner, N. & Kavukcuoglu, K. (2016a). Pixel recurrent neural
    networks. ICML, §3.4-3.5, Table 2, Figure 5.
van den Oord, A., Kalchbrenner, N., Vinyals, O., Espeholt, L., Graves, A. &
    Kavukcuoglu, K. (2016b). Conditional image generation with PixelCNN decoders. NeurIPS.
"""

from __future__ import annotations

import numpy as np

from .. import backend
from .. import functional as F
from ..autograd import Tensor
from ..nn import Conv2d, MaskedConv2d, Module, ModuleList
from ..numerics import sigmoid
from ..rng import uniform
from ._autoregressive import AutoregressiveModel, as_binary_rows

__all__ = ["PixelCNN", "ResidualBlock", "conv_at", "pointwise"]


def conv_at(conv, x_pad, r, c):
    """A stride-1 convolution's output at pixel (r, c) alone: (n, out_channels).

    y[n, o] = b[o] + Σ_{i,u,v} (W ⊙ M)[o, i, u, v] · x_pad[n, i, r + u, c + v], from the
    input zero-padded by k // 2 (M the mask of a :class:`MaskedConv2d`, else all ones).
    """
    w = conv.weight.data
    if getattr(conv, "mask", None) is not None:
        w = w * conv.mask
    kh, kw = w.shape[-2:]
    window = x_pad[:, :, r : r + kh, c : c + kw].reshape(len(x_pad), -1)
    out = window @ w.reshape(len(w), -1).T
    return out if conv.bias is None else out + conv.bias.data


def pointwise(conv, v):
    """A 1 × 1 convolution applied to the channels v of one pixel: (n, in) → (n, out)."""
    out = v @ conv.weight.data.reshape(conv.weight.shape[0], -1).T
    return out if conv.bias is None else out + conv.bias.data


class ResidualBlock(Module):
    """x + Conv1×1(ReLU(MaskedConv_B(ReLU(Conv1×1(ReLU(x)))))), widths 2h → h → h → 2h.

    Parameters
    ----------
    channels : int
        h (the block's input and output have 2h channels).
    kernel : int
        Odd side of the mask-B convolution (3 in the paper).
    rng : Generator
    dtype : optional

    Shapes: (n_images, 2h, H, W) → (n_images, 2h, H, W).
    """

    def __init__(self, channels, kernel=3, rng=None, dtype=None):
        super().__init__()
        h = int(channels)
        self.reduce = Conv2d(2 * h, h, 1, random_state=rng, dtype=dtype)
        self.masked = MaskedConv2d(h, h, kernel, mask="B", random_state=rng, dtype=dtype)
        self.expand = Conv2d(h, 2 * h, 1, random_state=rng, dtype=dtype)

    def forward(self, x):
        return x + self.expand(F.relu(self.masked(F.relu(self.reduce(F.relu(x))))))


class PixelCNN(AutoregressiveModel):
    """PixelCNN of van den Oord et al. (2016a) for binary images (one channel).

    p(x) = Π_i σ(ℓ_i)^{x_i} (1 − σ(ℓ_i))^{1 − x_i}, with the logits ℓ = f(x) of shape
    (n, 1, H, W) computed by masked convolutions, ℓ_i depending only on x_<i (raster order):

        a⁰ = MaskedConv_A k₀×k₀(x)                              (1 → 2h channels)
        aᵇ = aᵇ⁻¹ + Conv1×1(ReLU(MaskedConv_B k×k(ReLU(Conv1×1(ReLU(aᵇ⁻¹))))))  b = 1 … B
        ℓ  = Conv1×1(ReLU(Conv1×1(ReLU(a^B))))                   (2h → m → 1)

    log p(x) = Σ_i [x_i ℓ_i − softplus(ℓ_i)] in nats, exact.

    Parameters
    ----------
    random_state : int, Generator or None, default 0
        Source of the initial weights (and the default randomness of ``fit``/``sample``).
    image_shape : (int, int), default (28, 28)
        (H, W), binarized MNIST by default.
    channels : int, default 32
        h: the residual stream has 2h feature maps.
    n_blocks : int, default 7
        B, the number of residual blocks.
    first_kernel : int, default 7
        k₀, the side of the mask-A convolution (7 in the paper).
    kernel : int, default 3
        k, the side of the blocks' mask-B convolutions (3 in the paper).
    output_channels : int or None
        m, the width of the hidden 1 × 1 output layer (default 2h).
    dtype : optional
        Parameter dtype (default: the backend default, float32).

    Notes
    -----
    The layer types and their order are the paper's (Table 2, Figure 5); the depth and
    width defaults (h = 32, 7 residual blocks) are this library's choice for a 2-core CPU,
    not figures from the paper. Every size is a constructor argument, so tests build tiny
    models.

    Shapes: ``logits`` (n, 1, H, W) → (n, 1, H, W); ``log_prob`` → (n,); ``sample(n)`` →
    (n, 1, H, W).

    References
    ----------
    van den Oord, A., Kalchbrenner, N. & Kavukcuoglu, K. (2016). Pixel recurrent neural
        networks. ICML, §3.4-3.5, Table 2, Figure 5.
    """

    def __init__(
        self,
        random_state=0,
        image_shape=(28, 28),
        channels=32,
        n_blocks=7,
        first_kernel=7,
        kernel=3,
        output_channels=None,
        dtype=None,
    ):
        H, W = (int(s) for s in image_shape)
        if H < 1 or W < 1:
            raise ValueError(f"image_shape must hold two positive sides, got {image_shape}")
        super().__init__(H * W, random_state)
        self.image_shape = (H, W)
        self.channels, self.n_blocks = int(channels), int(n_blocks)
        self.first_kernel, self.kernel = int(first_kernel), int(kernel)
        if self.channels < 1 or self.n_blocks < 0:
            raise ValueError(
                f"channels must be >= 1 and n_blocks >= 0, got {channels} and {n_blocks}"
            )
        self.output_channels = int(output_channels or 2 * self.channels)
        rng, h = self._rng, self.channels
        self.input_conv = MaskedConv2d(1, 2 * h, first_kernel, "A", random_state=rng, dtype=dtype)
        self.blocks = ModuleList(
            [ResidualBlock(h, kernel, rng, dtype) for _ in range(self.n_blocks)]
        )
        self.output_hidden = Conv2d(2 * h, self.output_channels, 1, random_state=rng, dtype=dtype)
        self.output_logit = Conv2d(self.output_channels, 1, 1, random_state=rng, dtype=dtype)

    def get_config(self):
        return {
            "class": type(self).__name__,
            "image_shape": list(self.image_shape),
            "channels": self.channels,
            "n_blocks": self.n_blocks,
            "first_kernel": self.first_kernel,
            "kernel": self.kernel,
            "output_channels": self.output_channels,
        }

    # ------------------------------------------------------------ the network
    def _net(self, x):
        """The logits of images x (Tensor of shape (n, 1, H', W'), any H', W')."""
        a = self.input_conv(x)
        for block in self.blocks:
            a = block(a)
        return self.output_logit(F.relu(self.output_hidden(F.relu(a))))

    def _as_input(self, X, name="X"):
        H, W = self.image_shape
        shape = tuple(np.shape(X.data if isinstance(X, Tensor) else X))
        if len(shape) in (3, 4) and shape[-2:] != (H, W) or len(shape) == 4 and shape[1] != 1:
            raise ValueError(
                f"{name} must be binary images of shape (n, 1, {H}, {W}) (or (n, {H}, {W}), "
                f"or rows of {H * W} pixels); got shape {shape}"
            )
        return as_binary_rows(X, self.n_visible, self.dtype, name)

    def logits(self, x) -> Tensor:
        """ℓ = f(x), the Bernoulli logit of every pixel given the pixels before it.

        Parameters
        ----------
        x : Tensor or array of shape (n, 1, H, W)
            An array must be binary; a Tensor may hold any values (e.g. for gradients with
            respect to the input).

        Returns
        -------
        Tensor of shape (n, 1, H, W)
        """
        H, W = self.image_shape
        if isinstance(x, Tensor):
            if x.ndim != 4 or tuple(x.shape[1:]) != (1, H, W):
                raise ValueError(f"x must have shape (n, 1, {H}, {W}), got {tuple(x.shape)}")
            return self._net(x)
        X = self._as_input(x, "x")
        return self._net(Tensor(X.reshape(len(X), 1, H, W)))

    def conditional_logits(self, X) -> Tensor:
        """ℓ_i for every pixel in raster order: Tensor of shape (n_samples, H·W)."""
        H, W = self.image_shape
        X = X if isinstance(X, Tensor) else Tensor(self._as_input(X))
        return self._net(X.reshape(len(X), 1, H, W)).reshape(len(X), H * W)

    # ------------------------------------------------------------ generation
    def _fill(self, X, known, rng):
        """Raster-order sampling with a cache of every layer's input (one pass in all).

        Every activation at pixel p, in every layer, depends only on the pixels before p
        (that is what the masks guarantee), so once computed it is final. Each step
        therefore computes the network at pixel (r, c) alone: the two masked convolutions
        read a k × k window of their cached (zero-padded) inputs, the 1 × 1 convolutions
        and the residual sums act on that one pixel's channels. The whole image costs about
        one forward pass, instead of one pass per pixel.
        """
        if type(self)._net is not PixelCNN._net:
            # a subclass with a network of its own (the gated PixelCNN): no per-layer cache
            return self._fill_by_recomputing(X, known, rng)
        H, W = self.image_shape
        n = len(X)
        xp = backend.get_array_module(X)
        img = X.reshape(n, 1, H, W)
        kn = known.reshape(n, H, W)
        p0, p = self.first_kernel // 2, self.kernel // 2
        x_pad = xp.zeros((n, 1, H + 2 * p0, W + 2 * p0), dtype=X.dtype)
        x_pad[:, :, p0 : p0 + H, p0 : p0 + W] = img
        # u_b = ReLU(Conv1×1(ReLU(a_{b-1}))), the input of block b's masked convolution
        u_pad = [xp.zeros((n, self.channels, H + 2 * p, W + 2 * p), dtype=X.dtype)
                 for _ in self.blocks]
        relu = lambda v: xp.maximum(v, 0)  # noqa: E731
        for r in range(H):
            for c in range(W):
                a = conv_at(self.input_conv, x_pad, r, c)  # (n, 2h)
                for block, u in zip(self.blocks, u_pad):
                    u[:, :, r + p, c + p] = relu(pointwise(block.reduce, relu(a)))
                    a = a + pointwise(block.expand, relu(conv_at(block.masked, u, r, c)))
                hidden = relu(pointwise(self.output_hidden, relu(a)))
                logit = pointwise(self.output_logit, hidden)[:, 0]
                if not bool(kn[:, r, c].all()):
                    draw = (uniform(rng, (n,), X.dtype) < sigmoid(logit)).astype(X.dtype)
                    img[:, 0, r, c] = xp.where(kn[:, r, c], img[:, 0, r, c], draw)
                    x_pad[:, 0, p0 + r, p0 + c] = img[:, 0, r, c]
        return img.reshape(n, H * W)

    def _fill_by_recomputing(self, X, known, rng):
        """Raster-order sampling by one forward pass per pixel (any causal network)."""
        H, W = self.image_shape
        n = len(X)
        xp = backend.get_array_module(X)
        img = X.reshape(n, 1, H, W)
        kn = known.reshape(n, H, W)
        for r in range(H):
            for c in range(W):
                if bool(kn[:, r, c].all()):
                    continue
                # rows below r cannot reach row r through causal masks (their kernel
                # entries below the centre are zero), so the net runs on rows 0..r only
                logit = self._net(Tensor(img[:, :, : r + 1])).data[:, 0, r, c]
                draw = (uniform(rng, (n,), X.dtype) < sigmoid(logit)).astype(X.dtype)
                img[:, 0, r, c] = xp.where(kn[:, r, c], img[:, 0, r, c], draw)
        return img.reshape(n, H * W)

    def sample(self, n, random_state=None) -> np.ndarray:
        """n images x ~ p(x), drawn pixel by pixel in raster order (see :meth:`_fill`).

        Returns
        -------
        ndarray of shape (n, 1, H, W), 0/1
        """
        return super().sample(n, random_state).reshape(-1, 1, *self.image_shape)
