# ---
# jupyter:
#   jupytext:
#     text_representation:
#       extension: .py
#       format_name: percent
# ---

# %% [markdown]
# # Autoregressive models: the chain rule, FVSBN, NADE, PixelCNN and PixelRNN
#
# The models of the other lessons need a partition function (the RBM), a bound (the VAE)
# or give up on the likelihood altogether (the GAN). An **autoregressive** model keeps an
# exact, cheap likelihood by writing the distribution of a binary vector
# $x \in \{0, 1\}^D$ — an image in raster order, row by row — with the chain rule of
# probability and learning each conditional:
#
# $$p(x) = \prod_{i=1}^{D} p(x_i \mid x_{<i}), \qquad p(x_i = 1 \mid x_{<i}) = \sigma(\ell_i(x_{<i})).$$
#
# The four models of this lesson are one family that differs only in how the logit
# $\ell_i$ reads the past: a logistic regression (FVSBN), a one-hidden-layer network with
# shared weights (NADE), masked convolutions (PixelCNN, plain and gated) and a recurrent
# network over rows (PixelRNN's Row LSTM). We check that they normalise by enumerating
# every vector, check NADE's fast conditionals against a naive loop, draw the masks, test
# causality by perturbing pixels, draw the receptive fields and PixelCNN's blind spot,
# train on binarized MNIST (the embedded `synthetic_digits` when MNIST is not on disk),
# sample, complete half-hidden digits, and compare negative log-likelihoods (NLL) with the
# published ones.
#
# Library code: `tinygen/models/_autoregressive.py` (the shared chain rule, training,
# sampling, completion), `tinygen/models/fvsbn.py`, `tinygen/models/nade.py`,
# `tinygen/models/pixelcnn.py`, `tinygen/models/gated_pixelcnn.py`,
# `tinygen/nn/masked_conv.py`.

# %%
import inspect
import os
import time

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt
import numpy as np
from matplotlib.colors import ListedColormap

import tinygen.models as models
from tinygen import Tensor, no_grad
from tinygen import functional as F
from tinygen.data import synthetic_digits
from tinygen.lessons import setup_lesson
from tinygen.models import FVSBN, NADE, GatedPixelCNN, PixelCNN
from tinygen.models._enumerate import all_binary
from tinygen.nn.masked_conv import raster_mask
from tinygen.numerics import logsumexp, sigmoid
from tinygen.viz import image_grid, training_curves

L = setup_lesson("autoregressive")
T0 = time.perf_counter()
if L.quick:  # quick mode never downloads: MNIST is used only if it is already on disk
    os.environ.setdefault("TINYGEN_OFFLINE", "1")
try:  # PixelRNN (Row LSTM) is a newer member of the family: used when the library has it
    PixelRNN = models.PixelRNN
except (AttributeError, ImportError):
    PixelRNN = None
print(f"quick={L.quick}; pictures go to {L.out}")
print(
    "PixelRNN (Row LSTM):",
    "available" if PixelRNN else "not available in this tinygen; skipped below",
)


def build(cls, **kwargs):
    """cls(**kwargs), passing only the arguments its constructor takes."""
    accepted = inspect.signature(cls).parameters
    return cls(**{k: v for k, v in kwargs.items() if k in accepted})


# %% [markdown]
# ## 1. The chain rule, and why every member of the family is normalised
#
# For *any* distribution, $p(x) = p(x_1)\,p(x_2 \mid x_1) \cdots p(x_D \mid x_{<D})$ — it is
# the definition of conditional probability applied $D - 1$ times, in any order we like.
# First on a random table over $\{0,1\}^4$: compute the conditionals by marginalising, then
# multiply them back.

# %%
rng = np.random.default_rng(0)
table = rng.dirichlet(np.ones(16)).reshape(2, 2, 2, 2)  # p(x_1, x_2, x_3, x_4)
product = np.ones_like(table)
for i in range(4):
    joint_i = table.sum(axis=tuple(range(i + 1, 4)), keepdims=True)  # p(x_1..x_i)
    prefix = joint_i.sum(axis=i, keepdims=True)  # p(x_1..x_{i-1})
    product = product * (joint_i / prefix)  # × p(x_i | x_<i)
print(f"max |p(x) - prod_i p(x_i | x_<i)| over the 16 vectors: {np.abs(product - table).max():.2e}")
assert np.allclose(product, table, atol=1e-15)

# %% [markdown]
# A model goes the other way: it *chooses* each conditional $p(x_i \mid x_{<i})$, a
# Bernoulli of any logit $\ell_i(x_{<i})$, and the product is then a distribution with no
# normaliser to compute. Summing out the last variable first,
#
# $$\sum_{x} p(x) = \sum_{x_{<D}} \prod_{i<D} p(x_i \mid x_{<i}) \underbrace{\sum_{x_D \in \{0,1\}} p(x_D \mid x_{<D})}_{=\,1}
#   = \sum_{x_{<D-1}} \prod_{i<D-1} p(x_i \mid x_{<i}) \sum_{x_{D-1}} p(x_{D-1}\mid x_{<D-1}) = \dots = 1,$$
#
# *provided* $\ell_i$ reads nothing at or after position $i$ (otherwise the inner sum is
# not over a conditional distribution). The log-likelihood is a sum of Bernoulli terms,
# $\log p(x) = \sum_i [x_i \ell_i - \operatorname{softplus}(\ell_i)]$. Check by enumerating
# all $2^8 = 256$ vectors for a random FVSBN and NADE with $D = 8$, and all $2^9$ images
# of a $3 \times 3$ PixelCNN, in float64:

# %%
fv8 = FVSBN(8, init_scale=2.0, random_state=1, dtype=np.float64)
fv8.b.data[:] = rng.normal(0, 1, 8)
nade8 = NADE(8, n_hidden=5, random_state=2, dtype=np.float64)
nade8.b.data[:], nade8.c.data[:] = rng.normal(0, 1, 8), rng.normal(0, 1, 5)
pcnn9 = PixelCNN(
    random_state=3, image_shape=(3, 3), channels=4, n_blocks=1, first_kernel=3, dtype=np.float64
)
for name, m in (("FVSBN D=8", fv8), ("NADE D=8", nade8), ("PixelCNN 3x3", pcnn9)):
    X_all = all_binary(m.n_visible)
    logp = m.log_prob(X_all)
    total = np.exp(logsumexp(logp))
    p1 = m.conditionals(X_all)  # p(x_i = 1 | x_<i), row by row
    by_hand = np.log(np.where(X_all == 1, p1, 1 - p1)).sum(1)  # Σ_i log p(x_i | x_<i)
    print(
        f"{name:13s}: sum over {len(X_all)} vectors = {total:.15f};  "
        f"max |log p - Σ log conditionals| = {np.abs(logp - by_hand).max():.1e}"
    )
    assert abs(total - 1) < 1e-12 and np.allclose(logp, by_hand, atol=1e-12)

# %% [markdown]
# ## 2. FVSBN and NADE: two ways to read the past
#
# The **fully visible sigmoid belief network** (Frey, 1998) makes each conditional a
# logistic regression on the variables before it,
#
# $$p(x_i = 1 \mid x_{<i}) = \sigma\Big(b_i + \sum_{j<i} W_{ij} x_j\Big), \qquad
#   \ell = b + (W \odot M)\,x,\quad M_{ij} = 1[j < i],$$
#
# with $W$ strictly lower triangular: $D(D-1)/2$ weights, and all $D$ logits in one
# product. The mask also zeroes the gradient above the diagonal, so training keeps $W$
# triangular.

# %%
x4 = (rng.random((4, 8)) < 0.5).astype(np.float64)
W_tri = fv8.W.data * fv8.mask
logits_by_hand = fv8.b.data + x4 @ W_tri.T  # ℓ_i = b_i + Σ_{j<i} W_ij x_j
assert np.allclose(sigmoid(logits_by_hand), fv8.conditionals(x4), atol=1e-14)
assert not np.triu(W_tri).any()
print(
    "FVSBN conditionals = σ(b + (W ⊙ M) x): checked;  W on/above the diagonal:",
    np.triu(fv8.W.data).any(),
)

# %% [markdown]
# **NADE** (Larochelle & Murray, 2011) gives every conditional a hidden layer, and lets the
# $D$ networks share their input weights $W \in \mathbb R^{H \times D}$:
#
# $$h_i = \sigma(a_i),\quad a_i = c + \sum_{j<i} W_{:,j}\, x_j, \qquad
#   p(x_i = 1 \mid x_{<i}) = \sigma(b_i + V_i \cdot h_i).$$
#
# Because $W$ is shared, consecutive pre-activations differ by one column:
#
# $$a_1 = c, \qquad a_{i+1} = a_i + W_{:,i}\, x_i,$$
#
# so all $D$ hidden vectors cost $O(DH)$, against $O(D^2 H)$ for computing each $a_i$ from
# scratch (the sum over $j < i$ has $i - 1$ terms: $H\sum_i (i-1) = H D(D-1)/2$). Below, the
# naive per-$i$ computation and the running sum, both written out in NumPy, against the
# library, on $D = 8$ and then on MNIST-sized $D = 784$, $H = 100$.


# %%
def nade_naive(X, W, c, V, b):
    """p(x_i = 1 | x_<i) with a_i recomputed from scratch for every i: O(D²H)."""
    P, WT = np.empty_like(X), np.ascontiguousarray(W.T)  # row j of WT is W_{:,j}
    for i in range(X.shape[1]):
        h = sigmoid(c + X[:, :i] @ WT[:i])  # a_i = c + Σ_{j<i} W_{:,j} x_j
        P[:, i] = sigmoid(b[i] + h @ V[i])
    return P


def nade_running_sum(X, W, c, V, b):
    """The same with a_{i+1} = a_i + W_{:,i} x_i: O(DH)."""
    P = np.empty_like(X)
    a = np.repeat(c[None], len(X), axis=0)  # a_1 = c
    for i in range(X.shape[1]):
        P[:, i] = sigmoid(b[i] + sigmoid(a) @ V[i])
        a += X[:, i, None] * W[:, i]  # a_{i+1} = a_i + W_{:,i} x_i
    return P


params8 = [p.data for p in (nade8.W, nade8.c, nade8.V, nade8.b)]
lib8 = nade8.conditionals(x4)
print(
    f"D=8: |naive - library| = {np.abs(nade_naive(x4, *params8) - lib8).max():.1e}, "
    f"|running sum - library| = {np.abs(nade_running_sum(x4, *params8) - lib8).max():.1e}"
)
assert np.allclose(nade_naive(x4, *params8), lib8, atol=1e-13)
assert np.allclose(nade_running_sum(x4, *params8), lib8, atol=1e-13)

nade_big = NADE(784, n_hidden=100, random_state=0, dtype=np.float64)
X_big = (rng.random((100, 784)) < 0.2).astype(np.float64)
params = [p.data for p in (nade_big.W, nade_big.c, nade_big.V, nade_big.b)]
t = time.perf_counter()
p_naive = nade_naive(X_big, *params)
t_naive = time.perf_counter() - t
t = time.perf_counter()
p_run = nade_running_sum(X_big, *params)
t_run = time.perf_counter() - t
assert np.allclose(p_naive, p_run, atol=1e-12) and np.allclose(
    p_run, nade_big.conditionals(X_big), atol=1e-12
)
D, H = 784, 100
print(
    f"D=784, H=100, 100 images: naive {t_naive:.2f} s, running sum {t_run:.3f} s; "
    f"multiply-adds per image {H * D * (D - 1) // 2:,} vs {H * D:,} (ratio (D-1)/2 = {(D - 1) / 2:.0f})"
)

# %% [markdown]
# The measured ratio is far below $(D-1)/2$: both loops make $D$ Python steps, and the
# naive loop's large products run in optimised BLAS while the running sum's steps are tiny.
# The count is what grows: double $D$ and the naive loop's work quadruples, the running
# sum's only doubles.
#
# FVSBN has $O(D^2)$ parameters and NADE $O(DH)$; both treat $x$ as a plain vector and
# know nothing of the image's geometry. **PixelCNN** (van den Oord et al., 2016a) computes
# all the logits with convolutions, which share their weights across positions and look at
# neighbours; to keep the chain rule's order it *masks* the kernels (§3). **PixelRNN**
# (same paper) replaces the convolutions by 2-D LSTMs; its **Row LSTM** processes the
# image row by row: the state of row $r$ is computed from a masked $1 \times 3$ convolution
# of the input row (input-to-state) and a $1 \times 3$ convolution of the states of row
# $r - 1$ (state-to-state), so the context of a pixel is a triangle above it that widens by
# one column per row. All four are the same object: $\ell_i$ is any function of $x_{<i}$.
#
# ## 3. The masks A and B
#
# A $k \times k$ kernel centred on pixel $(r, c)$ sees $(r \pm k/2, c \pm k/2)$; in raster
# order only the rows above and, in the centre row, the pixels to the left are in the past:
#
# $$m^A_{uv} = 1\big[u < \lfloor k/2\rfloor \ \text{or}\ (u = \lfloor k/2\rfloor,\ v < \lfloor k/2\rfloor)\big], \qquad
#   m^B = m^A + 1[(u, v) = \text{centre}].$$
#
# The first layer (on the image) uses mask A: output $(r, c)$ must not see $x_{rc}$. Later
# layers use mask B: the feature at $(r, c)$ already summarises only pixels before it, so it
# may be used. A has $(k^2-1)/2$ ones, B has $(k^2+1)/2$.

# %%
mA7, mB3 = raster_mask(7, "A"), raster_mask(3, "B")
print("mask A, 7x7:\n", mA7.astype(int))
print("mask B, 3x3:\n", mB3.astype(int))
assert mA7.sum() == (49 - 1) / 2 and mB3.sum() == (9 + 1) / 2
fig, axes = plt.subplots(1, 2, figsize=(7, 3.6))
for ax, m, title in (
    (axes[0], mA7, "mask A, 7 × 7 (first layer)"),
    (axes[1], mB3, "mask B, 3 × 3 (later layers)"),
):
    k = m.shape[0]
    ax.imshow(m, cmap="Blues", vmin=-0.3, vmax=1.3)
    ax.add_patch(plt.Rectangle((k // 2 - 0.5, k // 2 - 0.5), 1, 1, fill=False, ec="red", lw=2.5))
    for u in range(k):
        for v in range(k):
            ax.text(v, u, int(m[u, v]), ha="center", va="center", fontsize=9, color="k")
    ax.set_xticks(np.arange(-0.5, k), minor=True)
    ax.set_yticks(np.arange(-0.5, k), minor=True)
    ax.grid(which="minor", color="grey", lw=0.6)
    ax.tick_params(which="both", length=0, labelbottom=False, labelleft=False)
    ax.set_title(title, fontsize=9)
fig.suptitle(
    "1 = weight kept, 0 = weight zeroed; red = the output pixel's own position", fontsize=9
)
fig.tight_layout()
fig.savefig(L.path("masks.png"), dpi=100)
plt.close(fig)
L.saved(L.path("masks.png"))

# %% [markdown]
# **The kept weights come first.** Number the kernel offsets in raster order,
# $t = u k + v$. The ones of a mask are then exactly the first
#
# $$T = \lfloor k/2 \rfloor\, k + \lfloor k/2 \rfloor + 1[\text{B}]$$
#
# offsets, $0 \le t < T$ (`F.raster_taps`). So a masked convolution needs no multiplication
# by zeros: `F.masked_conv2d` copies only those $T$ offsets of each window into the im2col
# column matrix, and its matrix product is $T / k^2$ as long as the full kernel's (5/9 for a
# $3 \times 3$ mask B). It equals `conv2d(x, W * M)`, checked here on a weight that is *not*
# zero under the mask.

# %%
for k, kind in ((7, "A"), (3, "B")):
    T = F.raster_taps((k, k), kind)
    assert np.array_equal(raster_mask(k, kind).ravel(), np.arange(k * k) < T)
    x_check = rng.standard_normal((2, 3, 6, 6))
    W_check = rng.standard_normal((4, 3, k, k))
    on_taps = F.masked_conv2d(x_check, W_check, mask=kind).numpy()
    composite = F.conv2d(x_check, W_check * raster_mask(k, kind), padding=k // 2).numpy()
    print(f"{k}x{k} mask {kind}: T = {T} of {k * k} offsets; largest difference from "
          f"conv2d(x, W * M): {np.abs(on_taps - composite).max():.1e}")
    assert np.allclose(on_taps, composite, atol=1e-12)

# %% [markdown]
# ## 4. Causality, the receptive field and the blind spot
#
# **Perturbation test.** Causality means $\partial \ell_i / \partial x_j = 0$ for every
# $j \ge i$: flipping pixel $j$ may change only the logits of later pixels. For each model
# on $6 \times 6$ images ($D = 36$) we flip every pixel in turn and record which logits
# change: the matrix $J_{ij} = 1[\ell_i$ changes when $x_j$ flips$]$ must be strictly lower
# triangular. (The small PixelCNNs here use a $3 \times 3$ mask-A first layer, so that their
# geometry is visible on small images.)


# %%
def dependence(model, X):
    """J[i, j] = 1 if flipping x_j changes logit i for some row of X."""
    n, D = X.shape
    flipped = np.repeat(X[None], D, axis=0)  # (D, n, D): copy j has pixel j flipped
    flipped[np.arange(D), :, np.arange(D)] = 1 - flipped[np.arange(D), :, np.arange(D)]
    with no_grad():
        base = model.conditional_logits(Tensor(X)).numpy()
        moved = model.conditional_logits(Tensor(flipped.reshape(D * n, D))).numpy().reshape(D, n, D)
    return (np.abs(moved - base[None]) > 1e-12).any(axis=1).T  # [i, j]


small = dict(random_state=0, image_shape=(6, 6), channels=8, first_kernel=3, dtype=np.float64)
family = {
    "FVSBN": FVSBN(36, random_state=0, dtype=np.float64),
    "NADE": NADE(36, n_hidden=16, random_state=0, dtype=np.float64),
    "PixelCNN": PixelCNN(**small, n_blocks=2),
    "Gated PixelCNN": GatedPixelCNN(**small, n_layers=3),
}
if PixelRNN is not None:
    family["PixelRNN"] = build(PixelRNN, **small, n_layers=3)
X6 = (rng.random((8, 36)) < 0.5).astype(np.float64)
deps = {}
for name, m in family.items():
    J = deps[name] = dependence(m, X6)
    assert not np.triu(J).any(), f"{name} is not causal"
    print(
        f"{name:15s}: causal (no logit depends on its own or a later pixel); "
        f"sees {J.sum()} of the {36 * 35 // 2} earlier (i, j) pairs"
    )
fig, axes = plt.subplots(1, len(deps), figsize=(2.6 * len(deps), 2.9))
for ax, (name, J) in zip(axes, deps.items()):
    ax.imshow(J, cmap="Greys", vmin=0, vmax=1, interpolation="nearest")
    ax.plot([-0.5, 35.5], [-0.5, 35.5], color="red", lw=0.8)
    ax.set_title(name, fontsize=9)
    ax.set_xlabel("flipped pixel j", fontsize=8)
    ax.set_ylabel("logit i", fontsize=8)
    ax.tick_params(labelsize=6)
fig.suptitle("which logits change when pixel j flips (black); red: the diagonal i = j", fontsize=9)
fig.tight_layout()
fig.savefig(L.path("causality.png"), dpi=100)
plt.close(fig)
L.saved(L.path("causality.png"))

# %% [markdown]
# FVSBN and NADE see every earlier pixel (a full lower triangle); the convolutional models
# see only a neighbourhood. **Receptive field.** Which input pixels can reach the logit of
# the centre pixel $(r, c)$ of a $15 \times 15$ image? The gradient
# $\partial \ell_{rc} / \partial x$ (summed in absolute value over 16 random inputs, so that
# no pixel is missed by a ReLU that happens to be off) is non-zero exactly there.
#
# In the plain PixelCNN every masked $3 \times 3$ layer moves the field one row up (and one
# column either way) or one column left, never right without going up: after $L$ masked
# layers the row $d$ above the centre reaches columns $c - L \dots c + d$, the rows and
# columns $\{(r - d, c + e): 1 \le d \le L,\ -L \le e \le d\} \cup \{(r, c + e): -L \le e \le -1\}$.
# The pixels $(r - d, c + e)$ with $d < e \le L$ are in the past and inside the field's
# bounding box, yet never seen: the **blind spot**, $L(L-1)/2$ pixels (van den Oord et al.,
# 2016b). The **gated PixelCNN** splits the network into a *vertical stack* (rows above,
# full width $c \pm L$, shifted down one row before it is used) and a *horizontal stack*
# (the current row, to the left), which together cover the whole rectangle above: rows
# $r - L - 1 \dots r - 1$, columns $c \pm L$, and $c - L \dots c - 1$ in row $r$. The Row
# LSTM's recurrence carries information down the whole image, but its state-to-state
# kernel widens the field by only one column per row up: a triangle, whose missing
# corners (orange below) are the context a Diagonal BiLSTM would add.

# %%
S, r0 = 15, 7
field_kw = dict(random_state=0, image_shape=(S, S), channels=8, first_kernel=3, dtype=np.float64)
L_LAYERS = 4  # masked 3x3 layers: the first (mask A) and 3 residual blocks (mask B)
field_models = {
    "PixelCNN": PixelCNN(**field_kw, n_blocks=L_LAYERS - 1),
    "Gated PixelCNN": GatedPixelCNN(**field_kw, n_layers=L_LAYERS),
}
if PixelRNN is not None:
    field_models["PixelRNN"] = build(PixelRNN, **field_kw, n_layers=L_LAYERS)
X15 = (rng.random((16, 1, S, S)) < 0.5).astype(np.float64)
raster = np.arange(S * S).reshape(S, S)
before = raster < raster[r0, r0]
fields = {}
for name, m in field_models.items():
    x = Tensor(X15, requires_grad=True)
    m.logits(x)[:, 0, r0, r0].sum().backward()  # ∂ℓ_rc/∂x for each image
    seen = np.abs(x.grad).sum(axis=(0, 1)) > 0
    assert not (seen & ~before).any(), f"{name} looks at the centre or a later pixel"
    rows, cols = np.nonzero(seen)
    box = np.zeros_like(seen)
    box[rows.min() : r0 + 1, cols.min() : cols.max() + 1] = True
    blind = box & before & ~seen
    fields[name] = (seen, blind)
    print(
        f"{name:15s}: receptive field {seen.sum()} pixels, rows {r0 - rows.min()} up, "
        f"columns {cols.min() - r0:+d}..{cols.max() - r0:+d}; {blind.sum()} earlier pixels in its "
        "bounding box unseen"
    )
d_up, e_right = np.meshgrid(np.arange(S) - r0, np.arange(S) - r0, indexing="ij")
predicted = ((d_up < 0) & (-d_up <= L_LAYERS) & (e_right >= -L_LAYERS) & (e_right <= -d_up)) | (
    (d_up == 0) & (e_right < 0) & (e_right >= -L_LAYERS)
)
assert np.array_equal(fields["PixelCNN"][0], predicted), "PixelCNN's field differs from the formula"
assert fields["PixelCNN"][1].sum() == L_LAYERS * (L_LAYERS - 1) // 2
predicted_gated = ((d_up < 0) & (-d_up <= L_LAYERS + 1) & (np.abs(e_right) <= L_LAYERS)) | (
    (d_up == 0) & (e_right < 0) & (e_right >= -L_LAYERS)
)
assert np.array_equal(fields["Gated PixelCNN"][0], predicted_gated), "the gated field differs"
assert fields["Gated PixelCNN"][1].sum() == 0
print(
    f"both fields match the formulas above; PixelCNN's blind spot has L(L-1)/2 = "
    f"{L_LAYERS * (L_LAYERS - 1) // 2} pixels, the gated PixelCNN's none"
)

colours = ListedColormap(["white", "#d9d9d9", "#3182bd", "#e6550d", "#31a354"])
fig, axes = plt.subplots(1, len(fields), figsize=(3.3 * len(fields), 3.6))
for ax, (name, (seen, blind)) in zip(axes, fields.items()):
    code = np.where(before, 1, 0)  # 1: in the past, 0: the future
    code = np.where(seen, 2, code)
    code = np.where(blind, 3, code)
    code[r0, r0] = 4
    ax.imshow(code, cmap=colours, vmin=0, vmax=4, interpolation="nearest")
    ax.set_xticks(np.arange(-0.5, S), minor=True)
    ax.set_yticks(np.arange(-0.5, S), minor=True)
    ax.grid(which="minor", color="white", lw=0.5)
    ax.tick_params(which="both", length=0, labelbottom=False, labelleft=False)
    ax.set_title(f"{name}: {seen.sum()} seen, {blind.sum()} unseen in the box", fontsize=9)
fig.suptitle(
    f"∂ℓ(centre)/∂x ≠ 0, {L_LAYERS} layers: blue seen; orange earlier, inside the field's box, "
    "unseen (blind spot); grey out of reach; green the centre",
    fontsize=8,
)
fig.tight_layout()
fig.savefig(L.path("receptive_field.png"), dpi=100)
plt.close(fig)
L.saved(L.path("receptive_field.png"))

# %% [markdown]
# ## 5. Training on binary digits: the exact NLL
#
# Every model maximises the exact log-likelihood of the training images by Adam; the
# score is the mean NLL $-\frac1N\sum_n \log p(x_n)$ in nats on held-out images (lower is
# better). A useful yardstick is the model with *independent* pixels,
# $p(x) = \prod_i \mu_i^{x_i}(1-\mu_i)^{1-x_i}$ with $\mu$ the training mean: every
# autoregressive model contains it (all weights 0, $\sigma(b_i) = \mu_i$), and FVSBN and
# NADE start from it here by setting $b_i = \operatorname{logit}\mu_i$. The convolutional
# models share one output bias across pixels; it starts at the logit of the mean pixel
# (instead of 0, which costs $784 \log 2 \approx 543$ nats per image at the first step).
#
# Data: Larochelle's binarized MNIST (train / validation) when it is in the cache folder;
# otherwise `synthetic_digits` thresholded at 0.5. The held-out score uses the first 1,000
# (quick) or 2,000 (full) validation images. Quick mode trains small models for about ten
# seconds each, the full run wider ones for one to two minutes each (time budgets below).

# %%
N_TRAIN = 5000 if L.quick else 50000
N_EVAL = 1000 if L.quick else 2000
try:
    from tinygen.data import binarized_mnist

    X_train = binarized_mnist("train")[:N_TRAIN].astype(np.float32)
    X_test = binarized_mnist("valid")[:N_EVAL].astype(np.float32)
    DATA = "binarized MNIST (valid split held out)"
except Exception as exc:  # absent (quick mode never downloads): the embedded digits
    print(f"binarized MNIST not available ({type(exc).__name__}); using synthetic_digits > 0.5")
    Xd, _ = synthetic_digits(N_TRAIN + N_EVAL, random_state=0)
    Xd = (Xd.reshape(len(Xd), 784) > 0.5).astype(np.float32)
    X_train, X_test = Xd[:N_TRAIN], Xd[N_TRAIN:]
    DATA = "synthetic_digits > 0.5"
print(f"data: {DATA}; {len(X_train)} training and {len(X_test)} held-out images")

mu = X_train.mean(0).clip(1e-3, 1 - 1e-3)
nll_independent = -(X_test * np.log(mu) + (1 - X_test) * np.log(1 - mu)).sum(1).mean()
print(f"independent pixels: {nll_independent:.2f} nats")

# name: (model, training images, fit arguments). n_epochs is a ceiling; time_budget
# (seconds) stops a slow machine early. In quick mode the convolutional models see a
# subset of 1,000 images for two epochs, so that the training curves have two points.
Q = L.quick
specs = {
    "FVSBN": (
        FVSBN(784, random_state=0),
        N_TRAIN,
        dict(n_epochs=5, lr=1e-2, time_budget=8)
        if Q
        else dict(n_epochs=30, lr=3e-3, time_budget=60),
    ),
    "NADE": (
        NADE(784, n_hidden=100 if Q else 500, random_state=0),
        N_TRAIN,
        dict(n_epochs=5, lr=1e-2, time_budget=12)
        if Q
        else dict(n_epochs=30, lr=2e-3, time_budget=100),
    ),
    "PixelCNN": (
        PixelCNN(0, channels=8, n_blocks=2) if Q else PixelCNN(0, channels=16, n_blocks=4),
        1000 if Q else N_TRAIN,
        dict(
            n_epochs=2 if Q else 30,
            lr=1e-2 if Q else 5e-3,
            batch_size=25,
            time_budget=10 if Q else 120,
        ),
    ),
}
if not Q:
    specs["Gated PixelCNN"] = (
        GatedPixelCNN(0, channels=16, n_layers=5),
        N_TRAIN,
        dict(n_epochs=30, lr=5e-3, batch_size=25, time_budget=100),
    )
if PixelRNN is not None:
    specs["PixelRNN"] = (
        build(PixelRNN, random_state=0, channels=8 if Q else 16, n_layers=2 if Q else 4),
        1000 if Q else N_TRAIN,
        dict(
            n_epochs=2 if Q else 30,
            lr=1e-2 if Q else 5e-3,
            batch_size=25,
            time_budget=10 if Q else 100,
        ),
    )
for name in ("FVSBN", "NADE"):
    specs[name][0].b.data[:] = np.log(mu / (1 - mu))  # start at the independent-pixel model
for m, _, _ in specs.values():
    if hasattr(m, "output_logit"):  # one bias for every pixel: the logit of the mean pixel
        m.output_logit.bias.data[:] = np.log(mu.mean() / (1 - mu.mean()))

trained, nll = {}, {}
for name, (m, n_images, kw) in specs.items():
    t = time.perf_counter()
    m.fit(X_train[:n_images], random_state=0, **{"batch_size": 100, **kw})
    seconds = time.perf_counter() - t
    nll[name] = float(-m.log_prob(X_test).mean())
    trained[name] = m
    print(
        f"{name:15s}: {m.num_parameters():>7,} stored weights, {len(m.history_['loss'])} epoch(s) of "
        f"{n_images} images "
        f"in {seconds:.0f} s; training NLL {m.history_['loss'][-1]:.2f}, held-out NLL {nll[name]:.2f} nats"
    )
assert not np.triu(trained["FVSBN"].W.data).any(), "training kept W strictly lower triangular"
L.saved(
    training_curves(
        {k: m.history_["loss"] for k, m in trained.items()},
        L.path("training_curves.png"),
        ylabel="training NLL (nats)",
    )
)

# %% [markdown]
# ## 6. Samples and completions
#
# Sampling follows the chain rule: $x_1 \sim p(x_1)$, then $x_2 \sim p(x_2 \mid x_1)$, and so
# on, $D$ steps — one cheap update for FVSBN and NADE, one pass of the network per pixel
# for PixelCNN (training was parallel over pixels, sampling is not).
#
# **Completion** (seed note: occluding part of an image). Keep the top half of a held-out
# digit and draw the bottom half in raster order. Because every known pixel comes before
# every unknown one, the sequential draw samples exactly
#
# $$p(x_\text{bottom} \mid x_\text{top}) = \prod_{i \in \text{bottom}} p(x_i \mid x_{<i}),$$
#
# with no Gibbs chain (compare the RBM lesson's clamped sampling).

# %%
n_show = 10
sample_rows = [
    trained[name].sample(n_show, random_state=0).reshape(n_show, 784) for name in trained
]
L.saved(
    image_grid(
        np.concatenate(sample_rows),
        L.path("samples.png"),
        nrow=n_show,
        shape=(28, 28),
        title="samples, one row per model: " + ", ".join(trained),
    )
)

digits = X_test[:8]
known = np.zeros((28, 28), dtype=bool)
known[:14] = True
known = np.broadcast_to(known.ravel(), digits.shape)
shown_masked = np.where(known, digits, 0.5)
completions = []
for m in trained.values():
    filled = m.complete(digits, known, random_state=0).reshape(len(digits), 784)
    assert np.array_equal(filled[known], digits[known]), "completion changed a known pixel"
    completions.append(filled)
L.saved(
    image_grid(
        np.concatenate([digits, shown_masked, *completions]),
        L.path("completions.png"),
        nrow=8,
        shape=(28, 28),
        title="rows: original, bottom half hidden, then " + ", ".join(trained),
    )
)

# %% [markdown]
# **When is the completion exact?** With the top half known, yes. With the *left* half
# known (or any known pixel after an unknown one), $x_i$'s conditional never sees the
# known pixels after $i$, so the draw is from $\prod_{i\ \text{unknown}} p(x_i \mid x_{<i})$ with
# the known values plugged in, not from $p(x_u \mid x_k)$. On the $D = 8$ FVSBN of §1 we can
# compare both with the exact conditional by enumeration: known prefix (exact) against known
# suffix (not).


# %%
def completion_error(model, known_idx, x_known, n=20000):
    """Total-variation distance between complete()'s draws and the exact p(x_u | x_k)."""
    X_all = all_binary(model.n_visible)
    match = (X_all[:, known_idx] == x_known).all(1)
    p_exact = np.exp(model.log_prob(X_all[match]))
    p_exact /= p_exact.sum()
    mask = np.zeros((n, model.n_visible), dtype=bool)
    mask[:, known_idx] = True
    X = np.zeros((n, model.n_visible))
    X[:, known_idx] = x_known
    draws = model.complete(X, mask, random_state=0)
    codes = draws @ (2 ** np.arange(model.n_visible)[::-1])
    all_codes = X_all[match] @ (2 ** np.arange(model.n_visible)[::-1])
    p_emp = np.array([(codes == c).mean() for c in all_codes])
    return 0.5 * np.abs(p_emp - p_exact).sum()


for label, idx in (
    ("first 4 known (a prefix)", [0, 1, 2, 3]),
    ("last 4 known (a suffix)", [4, 5, 6, 7]),
):
    tv = completion_error(fv8, idx, np.array([1.0, 0.0, 1.0, 1.0]))
    print(f"FVSBN D=8, {label}: TV(complete, exact p(x_u | x_k)) = {tv:.3f}")
    if idx[0] == 0:
        assert tv < 0.03, "with a known prefix the completion is exact (up to sampling noise)"

# %% [markdown]
# ## 7. The NLL table
#
# Published test-set NLLs on binarized MNIST (nats; lower is better) beside this lesson's
# own run. The figures are not comparable one to one: the published models are far larger,
# trained for days and scored on the 10,000 *test* images, while this run trains for
# seconds (quick) or minutes (full) and scores the validation split (or synthetic digits).
# The "benchmark" column is `benchmarks/bench_autoregressive.py` on this project's 2-core
# CPU: the same models at their default sizes, trained for the time in brackets and
# scored exactly on the 10,000 validation images (the README's Figures table has the
# command of each).

# %%
# Published figures, binarized MNIST test NLL in nats:
PUBLISHED = {
    "FVSBN": (97.45, "Larochelle & Murray (2011), Table 2"),
    "NADE": (
        88.86,
        "Larochelle & Murray (2011), Table 2 (88.33 in van den Oord et al. 2016a, Table 4)",
    ),
    "PixelCNN": (81.30, "van den Oord et al. (2016a), Table 4"),
    "Gated PixelCNN": (None, "not reported on binarized MNIST (van den Oord et al. 2016b)"),
    "PixelRNN": (80.54, "Row LSTM, van den Oord et al. (2016a), Table 4"),
    "Diagonal BiLSTM": (79.20, "7 layers, van den Oord et al. (2016a), Table 4"),
}
# bench_autoregressive.py's figures (validation NLL in nats, training time on 2 CPU cores),
# copied from the README's Figures table
BENCHMARK = {
    "FVSBN": "99.55 (15 min)",
    "NADE": "88.56 (1 h)",
    "PixelCNN": "90.51 (70 min)",
    "Gated PixelCNN": "86.82 (3 h)",
    "PixelRNN": "87.10 (1 h)",
    "Diagonal BiLSTM": "88.31 (1 h)",
}

lines = [
    f"| model | published | benchmark | this run ({'quick' if L.quick else 'full'}, {DATA}) | source |",
    "|---|---|---|---|---|",
    f"| independent pixels | — | — | {nll_independent:.2f} | — |",
]
for name, (fig_pub, source) in PUBLISHED.items():
    ours = f"{nll[name]:.2f}" if name in nll else "not trained"
    pub = f"{fig_pub:.2f}" if fig_pub is not None else "—"
    lines.append(f"| {name} | {pub} | {BENCHMARK[name]} | {ours} | {source} |")
table_md = "\n".join(lines)
print(table_md)
L.path("nll_table.md").write_text(table_md + "\n", encoding="utf-8")
L.saved(L.path("nll_table.md"))
print("beat independent pixels:", {k: bool(v < nll_independent) for k, v in nll.items()})
print(f"lesson ran in {time.perf_counter() - T0:.1f} s")

# %% [markdown]
# ## Exercises
#
# **Graded versions** of this lesson's derivations are in `exercises/autoregressive.py`: an
# instructor hands them out with `tinygen exercises release OUT` and grades them with
# `tinygen exercises grade SUBMISSIONS/` (property tests against the derivations; see
# `docs/exercises.md`). The open-ended exercises below are not graded.
#
# 1. **FVSBN normalises.** Prove by induction on $D$ that
#    $\sum_{x\in\{0,1\}^D}\prod_i \sigma(\ell_i)^{x_i}(1-\sigma(\ell_i))^{1-x_i} = 1$ for
#    $\ell_i = b_i + \sum_{j<i}W_{ij}x_j$, for any $W$ and $b$. Where does the proof fail if
#    one entry $W_{ij}$ with $j > i$ is non-zero? Build such a model (set `fv8.mask` to all
#    ones above the diagonal) and show by enumeration that the sum is no longer 1.
# 2. **NADE's cost.** Count the multiply-adds of `nade_naive` and `nade_running_sum` for
#    $D$ pixels and $H$ hidden units, and derive the backward pass of the running sum:
#    show that $\partial L/\partial W_{:,j} = x_j \sum_{i>j} \delta_i$ with
#    $\delta_i = \partial L / \partial a_i$, so the gradient also costs $O(DH)$.
# 3. **The blind spot by hand.** Draw on squared paper the receptive field of the centre
#    pixel after a $7 \times 7$ mask-A layer followed by three $3\times3$ mask-B layers (the
#    paper's first layer). Then check your drawing with §4's code using
#    `first_kernel=7, n_blocks=3`. How many pixels are in the blind spot?
# 4. **Mask A for a $5 \times 5$ kernel.** Write the $5\times5$ mask A as a 0/1 matrix
#    by hand, count its ones, and compare with `raster_mask(5, "A")`. What would go wrong
#    if the *first* layer used mask B? (Run §4's perturbation test on a PixelCNN whose
#    `input_conv.mask` you replaced by `raster_mask(3, "B")`.)
# 5. **Completion with the left half known.** Complete held-out digits with the left half
#    (columns 0-13) known. Explain why the result is not a sample of
#    $p(x_\text{right} \mid x_\text{left})$ — which known pixels does $x_{r, 20}$'s
#    conditional see? — and measure the gap on the $D = 8$ FVSBN with `completion_error`
#    for known positions $\{0, 2, 4, 6\}$.
# 6. **Order matters for the model, not for the chain rule.** Train FVSBN on MNIST with
#    the pixels in a random permutation (permute the columns of `X_train` and `X_test` the
#    same way). The chain rule holds in any order: does the held-out NLL change? Does it
#    for PixelCNN, whose convolutions assume the raster order?
