"""PixelRNN with Row LSTM or Diagonal BiLSTM layers: the chain rule over pixels computed by
two-dimensional LSTMs.

In raster order an image x of H × W binary pixels has

    p(x) = Π_{i=1}^{HW} p(x_i | x_<i),    p(x_i = 1 | x_<i) = σ(ℓ_i(x)),

as in the PixelCNN (:mod:`tinygen.models.pixelcnn`), but the layers between the first
convolution and the output are LSTMs that run over the image (van den Oord et al. 2016,
§3.1-3.2): a Row LSTM runs down it one row at a time, a Diagonal BiLSTM along its diagonals
in both directions.

Row LSTM (§3.1). A layer with h units per position takes an input map a of shape
(n, 2h, H, W) and computes, for rows r = 0 … H − 1, with a_r the row r of a and
(h_{−1}, c_{−1}) = (0, 0),

    [o_r, f_r, i_r, g_r] = K^is ⊛ a_r + K^ss ⊛ h_{r−1}        (4h maps of shape (n, h, W))
    c_r = σ(f_r) ⊙ c_{r−1} + σ(i_r) ⊙ tanh(g_r),
    h_r = σ(o_r) ⊙ tanh(c_r),

where K^is ⊛ is the *input-to-state* 1 × k convolution along the row with mask B (position
(r, c) reads a_r at columns c − k//2 … c), computed for every row at once before the
recurrence, and K^ss ⊛ the *state-to-state* 1 × k convolution of the previous row's hidden
state, unmasked (columns c − k//2 … c + k//2 of h_{r−1}). Each step is one row, vectorised
over the batch and the columns. The layer is a residual block (§3.4): its output is
a + Conv1×1(h), h = [h_0; …; h_{H−1}], back to 2h maps.

Diagonal BiLSTM (§3.2). The map is *skewed*, row r shifted right by r columns,

    skew(a)[:, :, r, r + c] = a[:, :, r, c],   zero elsewhere       (n, ·, H, W + H − 1)

(2W − 1 columns for a square image), so that each diagonal of the image becomes a column.
One direction, with ŝ_j the column j = 0 … W + H − 2 of the skewed input-to-state map
ŝ = skew(K^is ⊛ a) and (h_{−1}, c_{−1}) = (0, 0), computes

    [o_j, f_j, i_j, g_j] = ŝ_j + K^ss ⊛ h_{j−1}                 (4h maps of shape (n, h, H, 1))
    c_j = σ(f_j) ⊙ c_{j−1} + σ(i_j) ⊙ tanh(g_j),
    h_j = σ(o_j) ⊙ tanh(c_j),

then unskews h (drops the offset positions) back to (n, h, H, W). K^is is a 1 × 1
convolution (for one-channel images its mask B is all ones, so a plain one; the causality
comes from the mask-A first layer) and K^ss a column-wise 2 × 1 convolution over rows
r − 1 and r of column j − 1. In image coordinates the state at (r, c) is thus computed from
the hidden state at (r − 1, c) and the hidden and cell states at (r, c − 1), with zero
states outside the image: the left-to-right map h^→ at (r, c) summarises the inputs at rows
≤ r and columns ≤ c. The right-to-left direction h^← is the same recurrence, with weights of
its own, on the mirrored map (from (r − 1, c) and (r, c + 1): rows ≤ r, columns ≥ c). It
would see the future (a at (r, c + 1)), so it is shifted down one row before the two are
added; the residual output is

    a + Conv1×1(h^→ + S↓h^←),    (S↓h)[:, :, r] = h[:, :, r − 1],  (S↓h)[:, :, 0] = 0.

Each step is one column of the skewed map, 2(W + H − 1) steps per layer in all.

The network (Table 2 and Figure 5 of the paper): a 7 × 7 mask-A convolution to 2h maps; L
LSTM layers; ReLU, 1 × 1 convolution, ReLU, 1 × 1 convolution to one Bernoulli logit per
pixel. It is causal: the mask-A layer's output at (r, c) reads only pixels before (r, c); a
Row LSTM at (r, c) reads its input at (r, c' ≤ c), which holds only pixels before
(r, c') ≤ (r, c), and h_{r−1}, which holds only rows < r; a Diagonal BiLSTM at (r, c) reads
its input at rows ≤ r and columns ≤ c (h^→) and at rows ≤ r − 1 (S↓h^←), every one a
position ≤ (r, c) in raster order. The Row LSTM's receptive field is a triangle above the
pixel (the state-to-state kernel widens it by k//2 columns per row up), not the whole past.
The Diagonal BiLSTM's is, from one layer on, every earlier pixel but one: the last pixel of
the row above, (r − 1, W − 1), enters the features only at row r, columns ≥ W − 1 − k₀//2
(through the mask-A kernel; at row r − 1 it is the row's last position, which nothing there
reads), and no layer at (r, c) reads row r right of c; so it is unseen wherever
c < W − 1 − k₀//2, at any depth. That is §3.2's construction taken literally.

Both layers sample with a cache. Row LSTM: with the previous row's (h, c) of every layer
cached, the logits of row r need only row r's features (the first layer's k₀//2 + 1 rows of
pixels, then one step of each layer), so drawing the W pixels of a row costs W one-row
steps, and the whole image about (W + 1)·H one-row steps instead of HW full passes.
Diagonal BiLSTM: the image-coordinate recurrence above runs pixel by pixel, so pixel (r, c)
needs one left-to-right step of each layer at (r, c) (from the cached states at (r − 1, c)
and (r, c − 1)) and the right-to-left maps of row r − 1, computed by one right-to-left scan
of each layer once row r − 1 is complete: about one forward pass for the whole image.

References
----------
van den Oord, A., Kalchbrenner, N. & Kavukcuoglu, K. (2016). Pixel recurrent neural
    networks. ICML, §3.1 (Row LSTM), §3.2 (Diagonal BiLSTM), §3.4 (residual connections,
    masks), Table 2, Figure 5.
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
from .pixelcnn import PixelCNN, conv_at, pointwise

__all__ = ["DiagonalBiLSTM", "DiagonalLSTM", "PixelRNN", "RowLSTM", "skew", "unskew"]


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


def skew(x):
    """Row r of x shifted right by r columns: (n, C, H, W) → (n, C, H, W + H − 1), zeros
    where no pixel lands (§3.2; 2W − 1 columns for a square image).

    Padding every row with H zeros on the right and reading the result as rows of
    W + H − 1 entries puts x[r, c] (flat index r(W + H) + c = r(W + H − 1) + r + c) at
    column r + c of row r: one pad, one slice and two reshapes, whatever H, so the autograd
    graph stays small.
    """
    n, C, H, W = x.shape
    flat = F.pad(x, ((0, 0), (0, 0), (0, 0), (0, H))).reshape(n, C, H * (W + H))
    return flat[:, :, : H * (W + H - 1)].reshape(n, C, H, W + H - 1)


def unskew(s, width):
    """The inverse of :func:`skew`: s[:, :, r, r + c] for c < ``width``, (n, C, H, width)."""
    n, C, H, S = s.shape
    flat = F.pad(s.reshape(n, C, H * S), ((0, 0), (0, 0), (0, H)))
    return flat.reshape(n, C, H, S + 1)[:, :, :, :width]


class DiagonalLSTM(Module):
    """One direction of a Diagonal BiLSTM, left to right (module docstring, §3.2).

    Runs over the W + H − 1 columns of the skewed input-to-state map ŝ = skew(K^is ⊛ a):

        [o_j, f_j, i_j, g_j] = ŝ_j + K^ss ⊛ h_{j−1},
        c_j = σ(f_j) ⊙ c_{j−1} + σ(i_j) ⊙ tanh(g_j),    h_j = σ(o_j) ⊙ tanh(c_j),

    and returns unskew(h). In image coordinates, the same as (:meth:`cell_at`)

        [o, f, i, g](r, c) = K^is a(r, c) + K^ss_0 h(r − 1, c) + K^ss_1 h(r, c − 1),
        c(r, c) = σ(f) ⊙ c(r, c − 1) + σ(i) ⊙ tanh(g),    h(r, c) = σ(o) ⊙ tanh(c(r, c)),

    with zero states outside the image.

    Parameters
    ----------
    channels : int
        h, the LSTM units per position (the input has 2h maps).
    rng : Generator
    dtype : optional

    Attributes
    ----------
    input_to_state : Conv2d
        K^is, 2h → 4h maps, 1 × 1, with the gates' bias.
    state_to_state : Conv2d
        K^ss, h → 4h maps, kernel (2, 1) over rows (r − 1, r) of the previous skewed
        column, padding (1, 0), no bias.

    Shapes: ``forward(a)``: (n, 2h, H, W) → h of shape (n, h, H, W).
    """

    def __init__(self, channels, rng=None, dtype=None):
        super().__init__()
        h = int(channels)
        kw = dict(random_state=rng, dtype=dtype)
        self.channels = h
        self.input_to_state = Conv2d(2 * h, 4 * h, 1, **kw)
        # padding (1, 0) puts a zero row above: output row r reads h at rows r − 1 and r
        # (row H, from the padding below, is dropped)
        self.state_to_state = Conv2d(h, 4 * h, (2, 1), padding=(1, 0), bias=False, **kw)

    def _gates(self, pre, c_prev):
        """(h, c) from the pre-activations [o, f, i, g] (Tensors, 4h channels on axis 1)."""
        h = self.channels
        o, f = F.sigmoid(pre[:, :h]), F.sigmoid(pre[:, h : 2 * h])
        i, g = F.sigmoid(pre[:, 2 * h : 3 * h]), F.tanh(pre[:, 3 * h :])
        c = i * g if c_prev is None else f * c_prev + i * g
        return o * F.tanh(c), c

    def forward(self, a):
        H, W = a.shape[2:]
        # K^is before the skew: H·W positions instead of H·(W + H − 1), and the skew's
        # padding then holds zero pre-activations, so the states there stay exactly (0, 0)
        # (σ(0)·0 + σ(0)·tanh 0 = 0): the layer is exactly the image-coordinate recurrence
        # with zero boundary states, which the sampler's cache (cell_at) computes
        pre = skew(self.input_to_state(a))
        state, cols = None, []
        for j in range(pre.shape[3]):
            p = pre[:, :, :, j : j + 1]
            if state is not None:
                p = p + self.state_to_state(state[0])[:, :, :H]
            state = self._gates(p, None if state is None else state[1])
            cols.append(state[0])
        return unskew(F.concatenate(cols, axis=3), W)

    def cell_at(self, a, h_up, h_side, c_side):
        """The recurrence at one pixel in image coordinates, on arrays (no graph).

        Parameters
        ----------
        a : array of shape (n, 2h)
            The layer's input at the pixel.
        h_up : array of shape (n, h)
            h at the pixel above (zeros on row 0).
        h_side, c_side : arrays of shape (n, h)
            h and c at the previous pixel of the direction (zeros at the row's start).

        Returns
        -------
        (h, c) at the pixel, arrays of shape (n, h).
        """
        xp = backend.get_array_module(a)
        w = self.state_to_state.weight.data  # [:, :, 0] reads row r − 1, [:, :, 1] row r
        pre = pointwise(self.input_to_state, a) + h_up @ w[:, :, 0, 0].T + h_side @ w[:, :, 1, 0].T
        h = self.channels
        o, f, i = (sigmoid(pre[:, k * h : (k + 1) * h]) for k in range(3))
        c = f * c_side + i * xp.tanh(pre[:, 3 * h :])
        return o * xp.tanh(c), c


class DiagonalBiLSTM(Module):
    """One residual Diagonal BiLSTM layer (van den Oord et al. 2016, §3.2; equations in the
    module docstring).

        out = a + Conv1×1(h^→ + S↓h^←),

    h^→ = :class:`DiagonalLSTM` of a, h^← the same (weights of its own) on the horizontally
    mirrored a, mirrored back, and S↓ the shift down by one row (zeros in row 0), which keeps
    h^← at (r, c) to rows ≤ r − 1: unshifted it would read a at (r, c + 1), a later
    position.

    Parameters
    ----------
    channels : int
        h, the LSTM units per position (the layer's input and output have 2h maps).
    rng : Generator
    dtype : optional

    Attributes
    ----------
    left, right : DiagonalLSTM
        The left-to-right and right-to-left directions.
    output : Conv2d
        1 × 1, h → 2h maps (the residual branch).

    Shapes: (n, 2h, H, W) → (n, 2h, H, W).
    """

    def __init__(self, channels, rng=None, dtype=None):
        super().__init__()
        h = int(channels)
        self.channels = h
        self.left = DiagonalLSTM(h, rng, dtype)
        self.right = DiagonalLSTM(h, rng, dtype)
        self.output = Conv2d(h, 2 * h, 1, random_state=rng, dtype=dtype)

    def forward(self, a):
        H = a.shape[2]
        left = self.left(a)
        right = self.right(a[:, :, :, ::-1])[:, :, :, ::-1]
        down = F.pad(right[:, :, : H - 1], ((0, 0), (0, 0), (1, 0), (0, 0)))
        return a + self.output(left + down)


class PixelRNN(PixelCNN):
    """PixelRNN with Row LSTM (§3.1) or Diagonal BiLSTM (§3.2) layers (van den Oord et al.
    2016) for binary images.

    p(x) = Π_i σ(ℓ_i)^{x_i} (1 − σ(ℓ_i))^{1 − x_i}, with the logits ℓ of shape (n, 1, H, W)

        a⁰ = MaskedConv_A k₀×k₀(x)                               (1 → 2h channels)
        aˡ = RowLSTM_l(aˡ⁻¹) = aˡ⁻¹ + Conv1×1(hˡ)                l = 1 … L  (layer="row")
        aˡ = DiagonalBiLSTM_l(aˡ⁻¹)
           = aˡ⁻¹ + Conv1×1(h^→ˡ + S↓h^←ˡ)                      l = 1 … L  (layer="diagonal")
        ℓ  = Conv1×1(ReLU(Conv1×1(ReLU(a^L))))                    (2h → m → 1)

    (hˡ the hidden states of layer l's row-by-row LSTM; h^→ˡ, h^←ˡ those of its two diagonal
    LSTMs and S↓ the shift down one row: module docstring); ℓ_i depends only on x_<i in
    raster order. log p(x) = Σ_i [x_i ℓ_i − softplus(ℓ_i)] in nats, exact.

    Parameters
    ----------
    random_state : int, Generator or None, default 0
        Source of the initial weights (and the default randomness of ``fit``/``sample``).
    image_shape : (int, int), default (28, 28)
        (H, W), binarized MNIST by default.
    channels : int, default 16
        h: LSTM units per position; the residual stream has 2h feature maps.
    n_layers : int, default 2
        L ≥ 1 LSTM layers.
    first_kernel : int, default 7
        k₀, the side of the mask-A convolution (7 in the paper).
    kernel : int, default 3
        k, the width of the Row LSTM's 1 × k input-to-state and state-to-state
        convolutions (3 in the paper). Unused by the Diagonal BiLSTM, whose kernels are the
        paper's 1 × 1 (input-to-state) and 2 × 1 (state-to-state).
    output_channels : int or None
        m, the width of the hidden 1 × 1 output layer (default 2h).
    dtype : optional
        Parameter dtype (default: the backend default, float32).
    layer : {"row", "diagonal"}, default "row"
        The LSTM layer: :class:`RowLSTM` or :class:`DiagonalBiLSTM`.

    Notes
    -----
    The layer types and their order are the paper's (Table 2, Figure 5). Its MNIST model
    is a Diagonal BiLSTM (7 layers, h = 16, §5); the paper gives no Row LSTM setting for
    MNIST. The defaults here, the Row LSTM with h = 16 and L = 2, are this library's choice
    for a 2-core CPU: each Row LSTM layer is a 28-step Python loop forward and backward, and
    its triangular receptive field grows with the rows, not with the depth. A Diagonal
    BiLSTM layer is two (W + H − 1)-step loops (110 steps for MNIST, about four times a Row
    LSTM layer's) and sees nearly the whole past from one layer on (module docstring). Every
    size is a constructor argument.

    Shapes: ``logits`` (n, 1, H, W) → (n, 1, H, W); ``log_prob`` → (n,); ``sample(n)`` →
    (n, 1, H, W). Input checks, completion and checkpoints as
    :class:`~tinygen.models.pixelcnn.PixelCNN`. Sampling caches, for the Row LSTM, each
    layer's state of the previous row, and for the Diagonal BiLSTM each layer's states at
    the pixels above and to the left and its right-to-left map of the previous row (module
    docstring); both draw exactly what recomputing the network for every pixel would.

    References
    ----------
    van den Oord, A., Kalchbrenner, N. & Kavukcuoglu, K. (2016). Pixel recurrent neural
        networks. ICML, §3.1, §3.2, §3.4, Table 2, Figure 5.
    """

    LAYERS = ("row", "diagonal")

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
        layer="row",
    ):
        H, W = (int(s) for s in image_shape)
        if H < 1 or W < 1:
            raise ValueError(f"image_shape must hold two positive sides, got {image_shape}")
        if layer not in self.LAYERS:
            raise ValueError(f"layer must be one of {self.LAYERS}, got {layer!r}")
        AutoregressiveModel.__init__(self, H * W, random_state)
        self.layer = layer
        self.image_shape = (H, W)
        self.channels, self.n_layers = int(channels), int(n_layers)
        self.first_kernel, self.kernel = int(first_kernel), int(kernel)
        if self.channels < 1 or self.n_layers < 1:
            raise ValueError(f"channels and n_layers must be >= 1, got {channels} and {n_layers}")
        rng, h = self._rng, self.channels
        self.output_channels = int(output_channels or 2 * h)
        self.input_conv = MaskedConv2d(1, 2 * h, first_kernel, "A", random_state=rng, dtype=dtype)
        if layer == "row":
            make = lambda: RowLSTM(h, kernel, rng, dtype)  # noqa: E731
        else:
            make = lambda: DiagonalBiLSTM(h, rng, dtype)  # noqa: E731
        self.layers = ModuleList([make() for _ in range(self.n_layers)])
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
            "layer": self.layer,
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
        if self.layer == "diagonal":
            return self._fill_diagonal(X, known, rng)
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

    def _fill_diagonal(self, X, known, rng):
        """Raster-order sampling through Diagonal BiLSTMs, pixel by pixel from cached states.

        In image coordinates (module docstring) layer l's output at (r, c) needs its input
        at (r, c), the left-to-right states at (r − 1, c) and (r, c − 1), and the
        right-to-left hidden state at (r − 1, c), all final before pixel (r, c) is drawn
        (each depends only on earlier pixels). So per pixel: the mask-A convolution at
        (r, c) alone, one :meth:`DiagonalLSTM.cell_at` step and one 1 × 1 convolution per
        layer, the head; and once row r is complete, one right-to-left scan of row r per
        layer, over the layer inputs kept from the row. About one forward pass per image.
        """
        H, W = self.image_shape
        n, h = len(X), self.channels
        xp = backend.get_array_module(X)
        img = X.reshape(n, 1, H, W)
        kn = known.reshape(n, H, W)
        p0 = self.first_kernel // 2
        x_pad = xp.zeros((n, 1, H + 2 * p0, W + 2 * p0), dtype=X.dtype)
        x_pad[:, :, p0 : p0 + H, p0 : p0 + W] = img
        relu = lambda v: xp.maximum(v, 0)  # noqa: E731
        zeros = lambda *s: xp.zeros((n, *s), dtype=X.dtype)  # noqa: E731
        L = self.n_layers
        left_up = [zeros(h, W) for _ in range(L)]  # h^→ of row r − 1, every layer
        right_up = [zeros(h, W) for _ in range(L)]  # h^← of row r − 1 = S↓h^← of row r
        for r in range(H):
            inputs = [zeros(2 * h, W) for _ in range(L)]  # each layer's input on row r
            left_row = [zeros(h, W) for _ in range(L)]
            side = [(zeros(h), zeros(h)) for _ in range(L)]  # (h^→, c^→) at (r, c − 1)
            for c in range(W):
                a = conv_at(self.input_conv, x_pad, r, c)  # (n, 2h)
                for l, layer in enumerate(self.layers):
                    inputs[l][:, :, c] = a
                    side[l] = layer.left.cell_at(a, left_up[l][:, :, c], *side[l])
                    left_row[l][:, :, c] = side[l][0]
                    a = a + pointwise(layer.output, side[l][0] + right_up[l][:, :, c])
                if bool(kn[:, r, c].all()):
                    continue  # the states above are still needed; the logit is not
                hidden = relu(pointwise(self.output_hidden, relu(a)))
                logit = pointwise(self.output_logit, hidden)[:, 0]
                draw = (uniform(rng, (n,), X.dtype) < sigmoid(logit)).astype(X.dtype)
                img[:, 0, r, c] = xp.where(kn[:, r, c], img[:, 0, r, c], draw)
                x_pad[:, 0, p0 + r, p0 + c] = img[:, 0, r, c]
            # row r complete: its right-to-left maps, from (r − 1, c) and (r, c + 1)
            for l, layer in enumerate(self.layers):
                state, row = (zeros(h), zeros(h)), zeros(h, W)
                for c in reversed(range(W)):
                    state = layer.right.cell_at(inputs[l][:, :, c], right_up[l][:, :, c], *state)
                    row[:, :, c] = state[0]
                right_up[l], left_up[l] = row, left_row[l]
        return img.reshape(n, H * W)
