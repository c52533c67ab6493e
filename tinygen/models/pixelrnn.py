"""PixelRNN with Row LSTM layers: the chain rule over pixels computed by a recurrence over rows.

In raster order an image x of H × W binary pixels has

    p(x) = Π_{i=1}^{HW} p(x_i | x_<i),    p(x_i = 1 | x_<i) = σ(ℓ_i(x)),

as in the PixelCNN (:mod:`tinygen.models.pixelcnn`), but the layers between the first
convolution and the output are LSTMs that run down the image one row at a time
(van den Oord et al. 2016, §3.1). A Row LSTM layer with h units per position takes an input
map a of shape (n, 2h, H, W) and computes, for rows r = 0 … H − 1, with a_r the row r of a
and (h_{−1}, c_{−1}) = (0, 0),

    [o_r, f_r, i_r, g_r] = K^is ⊛ a_r + K^ss ⊛ h_{r−1}        (4h maps of shape (n, h, W))
    c_r = σ(f_r) ⊙ c_{r−1} + σ(i_r) ⊙ tanh(g_r),
    h_r = σ(o_r) ⊙ tanh(c_r),

where K^is ⊛ is the *input-to-state* 1 × k convolution along the row with mask B (position
(r, c) reads a_r at columns c − k//2 … c), computed for every row at once before the
recurrence, and K^ss ⊛ the *state-to-state* 1 × k convolution of the previous row's hidden
state, unmasked (columns c − k//2 … c + k//2 of h_{r−1}). Each step is one row, vectorised
over the batch and the columns. The layer is a residual block (§3.4): its output is
a + Conv1×1(h), h = [h_0; …; h_{H−1}], back to 2h maps.

The network (Table 2 and Figure 5 of the paper): a 7 × 7 mask-A convolution to 2h maps; L
Row LSTM layers; ReLU, 1 × 1 convolution, ReLU, 1 × 1 convolution to one Bernoulli logit
per pixel. It is causal: the mask-A layer's output at (r, c) reads only pixels before
(r, c); a Row LSTM at (r, c) reads its input at (r, c' ≤ c), which holds only pixels before
(r, c') ≤ (r, c), and h_{r−1}, which holds only rows < r. Its receptive field is a triangle
above the pixel (the state-to-state kernel widens it by k//2 columns per row up), not the
whole past (the Diagonal BiLSTM of §3.2 covers that).

Row by row is also how it samples: with the previous row's (h, c) of every layer cached,
the logits of row r need only row r's features (the first layer's k₀//2 + 1 rows of
pixels, then one step of each layer), so drawing the W pixels of a row costs W one-row
steps, and the whole image about (W + 1)·H one-row steps instead of HW full passes.

References
----------
van den Oord, A., Kalchbrenner, N. & Kavukcuoglu, K. (2016). Pixel recurrent neural
    networks. ICML, §3.1 (Row LSTM), §3.4 (residual connections, masks), Table 2, Figure 5.
Hochreiter, S. & Schmidhuber, J. (1997). Long short-term memory. Neural Computation 9(8).
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

__all__ = ["PixelRNN", "RowLSTM"]


class RowLSTM(Module):
    """One residual Row LSTM layer (see the module docstring for the equations).

    Parameters
    ----------
    channels : int
        h, the LSTM units per position (the layer's input and output have 2h maps).
    kernel : int
        Odd k, the width of the 1 × k input-to-state (mask B) and state-to-state (unmasked)
        convolutions (3 in the paper).
    rng : Generator
    dtype : optional

    Attributes
    ----------
    input_to_state : MaskedConv2d
        K^is, 2h → 4h maps, kernel (1, k), mask B, with the gates' bias.
    state_to_state : Conv2d
        K^ss, h → 4h maps, kernel (1, k), padding (0, k//2), no bias.
    output : Conv2d
        1 × 1, h → 2h maps (the residual branch).

    Shapes: ``forward(a)``: (n, 2h, H, W) → (n, 2h, H, W). ``step(a_r, state)``: one row
    a_r of shape (n, 2h, 1, W) and the previous row's state (h_{r−1}, c_{r−1}), each of
    shape (n, h, 1, W), or None for the first row → (output row, (h_r, c_r)).
    """

    def __init__(self, channels, kernel=3, rng=None, dtype=None):
        super().__init__()
        h, k = int(channels), int(kernel)
        kw = dict(random_state=rng, dtype=dtype)
        self.channels = h
        self.input_to_state = MaskedConv2d(2 * h, 4 * h, (1, k), mask="B", **kw)
        self.state_to_state = Conv2d(h, 4 * h, (1, k), padding=(0, k // 2), bias=False, **kw)
        self.output = Conv2d(h, 2 * h, 1, **kw)

    def _cell(self, pre, state):
        """(h_r, c_r) from the input-to-state pre-activations of row r, (n, 4h, 1, W)."""
        h = self.channels
        if state is not None:
            pre = pre + self.state_to_state(state[0])
        o, f = F.sigmoid(pre[:, :h]), F.sigmoid(pre[:, h : 2 * h])
        i, g = F.sigmoid(pre[:, 2 * h : 3 * h]), F.tanh(pre[:, 3 * h :])
        c = i * g if state is None else f * state[1] + i * g
        return o * F.tanh(c), c

    def step(self, a_row, state=None):
        """One row: a_r + Conv1×1(h_r) and the new state (h_r, c_r)."""
        h_r, c_r = self._cell(self.input_to_state(a_row), state)
        return a_row + self.output(h_r), (h_r, c_r)

    def forward(self, a):
        pre = self.input_to_state(a)  # every row's input-to-state part at once
        state, rows = None, []
        for r in range(a.shape[2]):
            state = self._cell(pre[:, :, r : r + 1], state)
            rows.append(state[0])
        return a + self.output(F.concatenate(rows, axis=2))


class PixelRNN(PixelCNN):
    """PixelRNN with Row LSTM layers (van den Oord et al. 2016, §3.1) for binary images.

    p(x) = Π_i σ(ℓ_i)^{x_i} (1 − σ(ℓ_i))^{1 − x_i}, with the logits ℓ of shape (n, 1, H, W)

        a⁰ = MaskedConv_A k₀×k₀(x)                               (1 → 2h channels)
        aˡ = RowLSTM_l(aˡ⁻¹) = aˡ⁻¹ + Conv1×1(hˡ)                l = 1 … L
        ℓ  = Conv1×1(ReLU(Conv1×1(ReLU(a^L))))                    (2h → m → 1)

    (hˡ the hidden states of layer l's row-by-row LSTM, module docstring); ℓ_i depends only
    on x_<i in raster order. log p(x) = Σ_i [x_i ℓ_i − softplus(ℓ_i)] in nats, exact.

    Parameters
    ----------
    random_state : int, Generator or None, default 0
        Source of the initial weights (and the default randomness of ``fit``/``sample``).
    image_shape : (int, int), default (28, 28)
        (H, W), binarized MNIST by default.
    channels : int, default 16
        h: LSTM units per position; the residual stream has 2h feature maps.
    n_layers : int, default 2
        L ≥ 1 Row LSTM layers.
    first_kernel : int, default 7
        k₀, the side of the mask-A convolution (7 in the paper).
    kernel : int, default 3
        k, the width of the Row LSTM's 1 × k input-to-state and state-to-state
        convolutions (3 in the paper).
    output_channels : int or None
        m, the width of the hidden 1 × 1 output layer (default 2h).
    dtype : optional
        Parameter dtype (default: the backend default, float32).

    Notes
    -----
    The layer types and their order are the paper's (Table 2, Figure 5). Its MNIST model
    is a Diagonal BiLSTM (7 layers, h = 16, §5); the paper gives no Row LSTM setting for
    MNIST. The defaults here, h = 16 and L = 2, are this library's choice for a 2-core CPU:
    each layer is a 28-step Python loop forward and backward, and the triangular receptive
    field grows with the rows, not with the depth. Every size is a constructor argument.

    Shapes: ``logits`` (n, 1, H, W) → (n, 1, H, W); ``log_prob`` → (n,); ``sample(n)`` →
    (n, 1, H, W). Input checks, completion and checkpoints as
    :class:`~tinygen.models.pixelcnn.PixelCNN`; sampling caches each layer's state of the
    previous row (module docstring).

    References
    ----------
    van den Oord, A., Kalchbrenner, N. & Kavukcuoglu, K. (2016). Pixel recurrent neural
        networks. ICML, §3.1, §3.4, Table 2, Figure 5.
    """

    def __init__(
        self,
        random_state=0,
        image_shape=(28, 28),
        channels=16,
        n_layers=2,
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
        rng, h = self._rng, self.channels
        self.output_channels = int(output_channels or 2 * h)
        self.input_conv = MaskedConv2d(1, 2 * h, first_kernel, "A", random_state=rng, dtype=dtype)
        self.layers = ModuleList([RowLSTM(h, kernel, rng, dtype) for _ in range(self.n_layers)])
        self.output_hidden = Conv2d(2 * h, self.output_channels, 1, random_state=rng, dtype=dtype)
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

    # ------------------------------------------------------------ the network
    def _head(self, a):
        return self.output_logit(F.relu(self.output_hidden(F.relu(a))))

    def _net(self, x):
        a = self.input_conv(x)
        for layer in self.layers:
            a = layer(a)
        return self._head(a)

    def _row_logits(self, img, r, states):
        """Logits of row r, shape (n, W), and every layer's (h_r, c_r), given the pixels of
        rows ≤ r and ``states``, the layers' (h_{r−1}, c_{r−1}) (None for r = 0)."""
        top = max(r - self.first_kernel // 2, 0)  # the mask-A kernel reads rows top … r
        a = self.input_conv(Tensor(img[:, :, top : r + 1]))[:, :, -1:]
        new = []
        for layer, state in zip(self.layers, states):
            a, state = layer.step(a, state)
            new.append(state)
        return self._head(a).data[:, 0, 0], new

    # ------------------------------------------------------------ generation
    def _fill(self, X, known, rng):
        H, W = self.image_shape
        n = len(X)
        xp = backend.get_array_module(X)
        img = X.reshape(n, 1, H, W)
        kn = known.reshape(n, H, W)
        states = [None] * self.n_layers
        for r in range(H):
            for c in range(W):
                if bool(kn[:, r, c].all()):
                    continue
                # ℓ at (r, c) reads row r only left of c, so the rest of the row may hold
                # anything; one row step from the cached states of row r − 1
                logit = self._row_logits(img, r, states)[0][:, c]
                draw = (uniform(rng, (n,), X.dtype) < sigmoid(logit)).astype(X.dtype)
                img[:, 0, r, c] = xp.where(kn[:, r, c], img[:, 0, r, c], draw)
            states = self._row_logits(img, r, states)[1]  # row r complete: its states
        return img.reshape(n, H * W)
