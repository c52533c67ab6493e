# ---
# jupyter:
#   jupytext:
#     text_representation:
#       extension: .py
#       format_name: percent
# ---

# %% [markdown]
# # A tour of tinygen: the embedded datasets and the autograd core
#
# tinygen writes deep generative models from scratch on NumPy. Before any model, this
# lesson shows the two things every later lesson stands on:
#
# 1. **Data the code generates itself**, so that everything runs offline and
#    deterministically: bars-and-stripes, 2-D Gaussian mixtures on a ring and on a grid,
#    and synthetic handwritten-looking digits.
# 2. **A reverse-mode autograd core**: a `Tensor` records the ops applied to it, and
#    `.backward()` applies the chain rule through them. We check one derivative by hand
#    and with `tinygen.testing.check_grads`, the library's one gradient checker.
#
# Library code: `tinygen/data/patterns.py`, `tinygen/data/mixtures.py`,
# `tinygen/data/digits.py`, `tinygen/autograd/`, `tinygen/testing.py`, `tinygen/viz.py`.
# Run it with `tinygen lesson tour` (add `--quick` for the short version).

# %%
import time

import numpy as np

from tinygen import Tensor
from tinygen.data import bars_and_stripes, grid, ring, synthetic_digits
from tinygen.lessons import setup_lesson
from tinygen.testing import GradientCheckError, check_grads
from tinygen.viz import image_grid, scatter_2d

L = setup_lesson("tour")
T0 = time.perf_counter()
N_POINTS = 2000 if L.quick else 10000
N_DIGITS = 100 if L.quick else 400
print(f"quick={L.quick}; pictures go to {L.out}")

# %% [markdown]
# ## 1. Bars and stripes
#
# The classic toy set for Boltzmann machines (MacKay, 2003, §43; Ackley, Hinton and
# Sejnowski, 1985): an $n \times n$ binary image is a *bar* pattern if every row is the
# same, $x_{ij} = s_j$, or a *stripe* pattern if every column is the same, $x_{ij} = s_i$,
# for a subset $s \in \{0,1\}^n$. Bars give $2^n$ patterns and stripes $2^n$; the
# all-off and all-on images are both, so there are
#
# $$N = 2^n + 2^n - 2 = 2^{n+1} - 2$$
#
# distinct patterns. For $n = 4$: $N = 30$ images of 16 pixels, out of $2^{16} = 65{,}536$
# possible ones, small enough that a model's log-likelihood can be computed exactly.

# %%
n = 4
X_bas = bars_and_stripes(n)
print(f"bars_and_stripes({n}): shape {X_bas.shape}, dtype {X_bas.dtype}")
assert X_bas.shape == (2 ** (n + 1) - 2, n * n)
assert len(np.unique(X_bas, axis=0)) == len(X_bas)  # all distinct
imgs = X_bas.reshape(-1, n, n)
is_bar = (imgs == imgs[:, :1, :]).all(axis=(1, 2))  # every row equals the first
is_stripe = (imgs == imgs[:, :, :1]).all(axis=(1, 2))  # every column equals the first
assert (is_bar | is_stripe).all()
print(f"{is_bar.sum()} bars, {is_stripe.sum()} stripes, {(is_bar & is_stripe).sum()} both")
L.saved(
    image_grid(
        X_bas, L.path("bars_and_stripes.png"), nrow=10, shape=(n, n), title="bars and stripes"
    )
)

# %% [markdown]
# ## 2. Gaussian mixtures in the plane
#
# Two 2-D mixtures with equal weights test whether a generative model covers every mode
# (a GAN that *mode-collapses* puts all its samples on a few of them):
#
# $$p(x) = \frac1K \sum_{k=1}^{K} \mathcal N(x;\ \mu_k,\ \sigma^2 I).$$
#
# * `ring`: $K$ centres on a circle of radius $r$,
#   $\mu_k = r\,(\cos 2\pi k/K,\ \sin 2\pi k/K)$;
# * `grid`: $m^2$ centres on a square lattice with spacing $s$,
#   $\mu_{ij} = s\,(i - \tfrac{m-1}2,\ j - \tfrac{m-1}2)$.
#
# Both return the points and the centres. A sample is drawn as
# $x = \mu_k + \sigma\varepsilon$ with $k$ uniform and $\varepsilon \sim \mathcal N(0, I)$,
# so the distance to the nearest centre is about $\sigma\sqrt{\pi/2}$ on average (the mean
# of a Rayleigh distribution) when the modes are well separated.

# %%
x_ring, mu_ring = ring(n_samples=N_POINTS, n_modes=8, radius=1.0, std=0.05, random_state=0)
x_grid, mu_grid = grid(n_samples=N_POINTS, side=5, spacing=2.0, std=0.05, random_state=1)
for name, x, mu, std in [("ring", x_ring, mu_ring, 0.05), ("grid", x_grid, mu_grid, 0.05)]:
    dist = np.linalg.norm(x[:, None, :] - mu[None, :, :], axis=2).min(axis=1)
    print(
        f"{name}: {len(mu)} modes; mean distance to the nearest centre {dist.mean():.4f} "
        f"(σ√(π/2) = {std * np.sqrt(np.pi / 2):.4f})"
    )
    assert abs(dist.mean() - std * np.sqrt(np.pi / 2)) < 0.1 * std
# same seed, same points, bit for bit
assert np.array_equal(x_ring, ring(n_samples=N_POINTS, std=0.05, random_state=0)[0])
L.saved(scatter_2d(x_ring, L.path("ring.png"), centres=mu_ring, title="ring: 8 modes"))
L.saved(scatter_2d(x_grid, L.path("grid.png"), centres=mu_grid, title="grid: 25 modes"))

# %% [markdown]
# ## 3. Synthetic digits
#
# Image lessons need digits but must run offline. `synthetic_digits(n)` draws them: each
# digit 0–9 is a few stroke templates (line segments and arcs), mapped by a random affine
# transform (rotation, scale, shear, shift), rendered with a random pen thickness and
# blurred edges, plus a little Gaussian pixel noise, clipped to $[0, 1]$. The labels are
# balanced. They are not MNIST (`tinygen.data.mnist` and `binarized_mnist` read the real
# files when they are on disk), but a VAE or RBM learns recognisable digits from them in
# seconds.

# %%
digits, labels = synthetic_digits(N_DIGITS, random_state=0)
print(f"synthetic_digits: images {digits.shape} {digits.dtype}, labels {labels.shape}")
print(f"pixel range [{digits.min():.2f}, {digits.max():.2f}]; label counts {np.bincount(labels)}")
order = np.argsort(labels, kind="stable")
per_digit = np.concatenate([order[labels[order] == d][:10] for d in range(10)])
L.saved(
    image_grid(
        digits[per_digit],
        L.path("synthetic_digits.png"),
        nrow=10,
        title="synthetic digits, one row per label",
    )
)

# %% [markdown]
# ## 4. Autograd in one example
#
# A `Tensor` wraps an array. Every op on it (here `sigmoid`, then `log`) is a small
# class with a `forward` and a `backward` side by side; `.backward()` walks the recorded
# graph in reverse and multiplies local derivatives (the chain rule). Take
#
# $$f(x) = \log \sigma(x), \qquad \sigma(x) = \frac{1}{1 + e^{-x}}.$$
#
# Since $\sigma'(x) = \sigma(x)\,(1 - \sigma(x))$,
#
# $$f'(x) = \frac{\sigma'(x)}{\sigma(x)} = 1 - \sigma(x) = \sigma(-x).$$
#
# Autograd computes $\bar x = \bar f \cdot \frac{1}{\sigma(x)} \cdot \sigma(x)(1-\sigma(x))$
# from the two ops' backward rules; it must match the formula. (The whole story, from the
# chain rule to a trained CNN, is `tinygen lesson autograd`.)

# %%
x = Tensor(np.linspace(-4.0, 4.0, 9, dtype=np.float32), requires_grad=True)
f = x.sigmoid().log()
f.sum().backward()  # ∂(Σ f)/∂x_i = f'(x_i)
sig = 1.0 / (1.0 + np.exp(-x.numpy().astype(np.float64)))
formula = 1.0 - sig
print("x        ", np.round(x.numpy(), 2))
print("autograd ", np.round(x.grad, 5))
print("1 − σ(x) ", np.round(formula, 5))
print(f"x.dtype = {x.dtype}; max |autograd − formula| = {np.abs(x.grad - formula).max():.1e}")
assert np.allclose(x.grad, formula, atol=1e-6)

# %% [markdown]
# The printed formula agrees to float32 precision. `check_grads` is stricter and needs no
# formula: in float64, along random directions $d$, it compares the backpropagated
# directional derivative with central finite differences,
#
# $$\langle \nabla L(x), d\rangle \approx \frac{L(x + \varepsilon d) - L(x - \varepsilon d)}{2\varepsilon},
#   \qquad \text{error } O(\varepsilon^2).$$
#
# It raises `GradientCheckError` when they disagree, and returns the largest relative
# error. Every op's test in `tests/autograd/` goes through it. Below, a wrong backward
# (pretending $f'(x) = \sigma(x)$) is caught.

# %%
x0 = L.rng.normal(0.0, 2.0, size=(5, 3))
err = check_grads(lambda t: t.sigmoid().log(), x0, name="log σ(x)")
print(f"check_grads(log σ): largest relative error {err:.1e}")
err2 = check_grads(lambda a, b: (a @ b).tanh().sum(axis=0), x0, L.rng.normal(size=(3, 4)))
print(f"check_grads(Σ tanh(A B)): largest relative error {err2:.1e}")


def wrong_log_sigmoid(t):
    """The value log σ(x), but with the gradient σ(x) instead of 1 − σ(x)."""
    s = t.sigmoid().detach()  # a constant: no gradient flows through it
    return s.log() + t * s - (t * s).detach()  # value log σ(x); d/dx = σ(x)


try:
    check_grads(wrong_log_sigmoid, x0, name="wrong log σ")
    caught = None
except GradientCheckError as exc:
    caught = str(exc).splitlines()[0]
assert caught is not None, "check_grads missed a wrong gradient"
print(f"caught, as it should be: {caught[:110]}")

print(f"lesson ran in {time.perf_counter() - T0:.1f} s")

# %% [markdown]
# ## Exercises
#
# 1. **Count the patterns.** Prove that exactly two images are both a bar and a stripe
#    pattern, and that `bars_and_stripes(n)` has $2^{n+1} - 2$ rows. How many images has
#    `bars_and_stripes(5)`, and what fraction of all $5 \times 5$ binary images is that?
# 2. **Mode coverage.** Write `modes_covered(samples, centres, std)`: the number of
#    centres that have at least one sample within $3\sigma$. Check that the ring data
#    covers all 8 modes, and that 50 samples from a 25-mode grid usually do not (what is
#    the expected number of empty modes for $N$ uniform draws among $K$ modes?).
# 3. **Another derivative.** Show that $\frac{d}{dx}\log(1 + e^x) = \sigma(x)$ (the
#    softplus), write it with `Tensor` ops (`(1 + x.exp()).log()`), and check it with both
#    the formula and `check_grads`. Why does this form overflow for $x = 100$ in float32,
#    and how does `tinygen.functional.softplus` avoid it?
# 4. **Break the checker.** Find an $\varepsilon$ for which `check_grads` fails on a
#    *correct* gradient of `x.exp()` at $x = 10$, and explain with the
#    $O(\varepsilon^2)$ truncation error and the $O(\epsilon_{\text{mach}}/\varepsilon)$
#    rounding error.
# 5. **Digits by label.** Compute the mean image of each synthetic digit class and draw
#    the ten means with `image_grid`. Which two classes are closest in Euclidean distance?
