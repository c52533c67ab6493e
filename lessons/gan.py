# ---
# jupyter:
#   jupytext:
#     text_representation:
#       extension: .py
#       format_name: percent
# ---

# %% [markdown]
# # Generative adversarial networks: the minimax game, saturation, mode collapse
#
# A GAN trains a sampler without ever writing down a likelihood. A **generator** $G$ maps
# noise $z \sim p(z) = \mathcal N(0, I)$ to a sample $G(z)$; a **discriminator** $D$ says how
# likely a point is to be data rather than a sample. They play a game: $D$ learns to tell
# the two apart, $G$ learns to fool it (Goodfellow et al., 2014; *Deep Learning* §20.10.4).
#
# This lesson derives the game's value, the optimal discriminator and the Jensen-Shannon
# divergence and checks them numerically; shows why the generator loss of the original
# game saturates and what the non-saturating loss changes; trains GANs on a ring of eight
# Gaussians, where mode collapse can be seen and counted; and ends with a DCGAN and a
# conditional GAN on digits, with packing (§9) and an averaged generator (§10).
#
# Library code: `tinygen/models/gan.py`, `tinygen/models/gan_theory.py`,
# `tinygen/models/gan_scores.py`, `tinygen/models/dcgan.py`.

# %%
import time

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt
import numpy as np
from scipy.special import expit

from tinygen import Tensor
from tinygen import functional as F
from tinygen.data import ring, synthetic_digits
from tinygen.lessons import setup_lesson
from tinygen.models.dcgan import DCGAN
from tinygen.models.gan import MLPGAN, discriminator_loss, generator_loss
from tinygen.models.gan_scores import N_SAMPLES, mode_coverage
from tinygen.models.gan_theory import jensen_shannon, optimal_discriminator, packed, value
from tinygen.viz import image_grid

L = setup_lesson("gan")
T0 = time.perf_counter()
RING_STEPS = 2500 if L.quick else 12000
IMAGE_STEPS = 120 if L.quick else 3000
print(f"quick={L.quick}; pictures go to {L.out}")

# %% [markdown]
# ## 1. The minimax game, term by term
#
# $D$ outputs a logit $a(x)$ and $D(x) = \sigma(a(x))$. The value of the game is
#
# $$V(D, G) = \underbrace{\mathbb E_{x\sim p_\text{data}}[\log D(x)]}_{\text{D says "real" on data}}
#   + \underbrace{\mathbb E_{z\sim p(z)}[\log(1 - D(G(z)))]}_{\text{D says "fake" on samples}},
#   \qquad \min_G \max_D V(D, G).$$
#
# Both terms are log-probabilities of the right answer, so $V \le 0$ and $-V$ is the binary
# cross-entropy of a classifier with labels 1 on data and 0 on samples. Written from logits
# with $\log\sigma(a) = -\operatorname{softplus}(-a)$ and $\log(1-\sigma(a)) = -\operatorname{softplus}(a)$,
#
# $$L_D = -V = \mathbb E_x \operatorname{softplus}(-a(x)) + \mathbb E_z \operatorname{softplus}(a(G(z))),$$
#
# which stays finite for any logit, where $\log(1 - \sigma(a))$ computed naively is
# $\log 0 = -\infty$ as soon as $\sigma(a)$ rounds to 1.

# %%
a_real = Tensor(np.array([3.0, 0.5, 40.0]))
a_fake = Tensor(np.array([-2.0, 0.0, -40.0]))
ld = discriminator_loss(a_real, a_fake).item()
naive = -(np.log(expit(a_real.numpy())).mean() + np.log(1 - expit(a_fake.numpy())).mean())
print(f"L_D from softplus: {ld:.6f}   naive logs: {naive:.6f}")
with np.errstate(divide="ignore"):
    print("naive log(1 - sigma(40)) =", np.log(1 - expit(40.0)), " softplus form =", -F.softplus(Tensor(np.array(40.0))).item())

# %% [markdown]
# ## 2. The optimal discriminator and the Jensen-Shannon divergence
#
# Fix $G$. Pointwise, $D(x)$ maximises $p_\text{data}(x) \log D + p_g(x) \log(1 - D)$, a
# concave function of $D$ whose derivative $p_\text{data}/D - p_g/(1-D)$ vanishes at
#
# $$D^*(x) = \frac{p_\text{data}(x)}{p_\text{data}(x) + p_g(x)}.$$
#
# Substituting, with $m = \tfrac12(p_\text{data} + p_g)$,
#
# $$V(D^*, G) = \mathbb E_{p_\text{data}}\Big[\log \frac{p_\text{data}}{2m}\Big] + \mathbb E_{p_g}\Big[\log \frac{p_g}{2m}\Big]
#   = -\log 4 + \mathrm{KL}(p_\text{data}\,\|\,m) + \mathrm{KL}(p_g\,\|\,m) = -\log 4 + 2\,\mathrm{JSD}(p_\text{data}\,\|\,p_g).$$
#
# So against the best discriminator the generator minimises the JSD, which is 0 exactly
# when $p_g = p_\text{data}$; the game's value is then $-\log 4$ and $D^* \equiv \tfrac12$.
# On a finite support everything is a sum, and we can check it — including that plain
# gradient ascent on a table of logits finds $D^*$.

# %%
rng = np.random.default_rng(0)
p_data = rng.dirichlet(np.ones(6))
p_g = rng.dirichlet(np.ones(6))
d_star = optimal_discriminator(p_data, p_g)
v_star = value(p_data, p_g, d_star)
print("D*             =", d_star.round(4))
print(f"V(D*, G)       = {v_star:.6f}")
print(f"-log 4 + 2 JSD = {-np.log(4) + 2 * jensen_shannon(p_data, p_g):.6f}")
others = [value(p_data, p_g, rng.uniform(0.01, 0.99, 6)) for _ in range(1000)]
print(f"best of 1000 random tables: {max(others):.6f} (never above V(D*, G))")
a = Tensor(np.zeros(6), requires_grad=True)
for _ in range(2000):
    loss = (Tensor(p_data) * F.softplus(-a)).sum() + (Tensor(p_g) * F.softplus(a)).sum()
    a.grad = None
    loss.backward()
    a.data -= 2.0 * a.grad
print("gradient ascent:", expit(a.data).round(4))
print(f"p_g = p_data: V = {value(p_data, p_data, optimal_discriminator(p_data, p_data)):.6f}, -log 4 = {-np.log(4):.6f}")

# %% [markdown]
# ## 3. Saturation: why $G$ should not minimise $\log(1 - D(G(z)))$
#
# Early in training the samples are poor and $D$ rejects them confidently: $D(G(z)) \to 0$.
# The minimax generator loss $\log(1 - \sigma(a))$ has derivative $-\sigma(a) = -D(G(z))$ in
# the logit — it **vanishes** exactly when the generator most needs a signal. The
# non-saturating loss $-\log \sigma(a)$ (Goodfellow et al., 2014, §3) has the same fixed
# points but derivative $-(1 - \sigma(a)) \to -1$ there:
#
# $$\frac{\partial}{\partial a}\log(1-\sigma(a)) = -\sigma(a), \qquad
#   \frac{\partial}{\partial a}\big[-\log\sigma(a)\big] = -(1 - \sigma(a)).$$
#
# The plot computes both by autograd.

# %%
logits = np.linspace(-8, 8, 401)
curves = {}
for objective in ("minimax", "non_saturating"):
    losses, grads = [], []
    for v in logits:
        t = Tensor(np.array([v]), requires_grad=True)
        loss = generator_loss(t, objective)
        loss.backward()
        losses.append(loss.item())
        grads.append(abs(t.grad[0]))
    curves[objective] = (np.array(losses), np.array(grads))
d = expit(logits)
fig, axes = plt.subplots(1, 2, figsize=(9, 3.4))
axes[0].plot(d, curves["minimax"][0], label=r"minimax: $\log(1 - D(G(z)))$")
axes[0].plot(d, curves["non_saturating"][0], label=r"non-saturating: $-\log D(G(z))$")
axes[0].set_xlabel("D(G(z))")
axes[0].set_ylabel("generator loss")
axes[0].legend(fontsize=8)
axes[1].plot(d, curves["minimax"][1], label="minimax")
axes[1].plot(d, curves["non_saturating"][1], label="non-saturating")
axes[1].set_xlabel("D(G(z))")
axes[1].set_ylabel("|d loss / d logit|")
axes[1].legend(fontsize=8)
fig.tight_layout()
fig.savefig(L.path("saturation.png"), dpi=100)
plt.close(fig)
L.saved(L.path("saturation.png"))
i = np.searchsorted(d, 0.01)
print(f"at D(G(z)) = {d[i]:.3f}: |grad| minimax {curves['minimax'][1][i]:.4f}, non-saturating {curves['non_saturating'][1][i]:.4f}")

# %% [markdown]
# ## 4. A ring of eight Gaussians: training, minimax beside non-saturating
#
# The data are 8 Gaussians with $\sigma = 0.01$ on the unit circle (the setup of PacGAN's
# code; Metz et al., 2017 and VEEGAN use radius 2 and $\sigma = 0.02$, the same picture
# scaled). $G$ maps $z \in \mathbb R^2$ to the plane through three ReLU layers; $D$ has three
# LeakyReLU layers. Both train by Adam with $k = 1$ discriminator step per generator step.
# A generator that covers only some of the modes is **mode-collapsed**: it can still fool
# $D$ on the modes it covers.

# %%
X, centres = ring(100_000, random_state=0)


def train_with_snapshots(objective, noise=0.0, seed=0):
    gan = MLPGAN(objective=objective, instance_noise=noise, noise_anneal_steps=RING_STEPS // 2, random_state=seed)
    snaps = []

    def snap(step, m):
        snaps.append((step, m.sample(1000, random_state=1)))
        m.train()

    decay = int(RING_STEPS * 2 / 3)
    gan.fit(X, n_steps=RING_STEPS, batch_size=256, lr=lambda t: 1e-3 if t < decay else 2e-4,
            random_state=seed, callback=snap, callback_every=RING_STEPS // 4)
    return gan, snaps


runs = {}
for objective in ("minimax", "non_saturating"):
    t = time.perf_counter()
    runs[objective] = train_with_snapshots(objective)
    print(f"{objective}: {RING_STEPS} steps in {time.perf_counter() - t:.1f} s")

fig, axes = plt.subplots(2, 4, figsize=(12, 6))
for row, (objective, (_gan, snaps)) in enumerate(runs.items()):
    for col, (step, S) in enumerate(snaps[:4]):
        ax = axes[row, col]
        ax.scatter(S[:, 0], S[:, 1], s=2, alpha=0.4)
        ax.scatter(centres[:, 0], centres[:, 1], s=20, c="red", marker="x")
        ax.set_xlim(-1.6, 1.6)
        ax.set_ylim(-1.6, 1.6)
        ax.set_aspect("equal")
        ax.set_title(f"{objective}, step {step}", fontsize=9)
fig.tight_layout()
fig.savefig(L.path("ring_training.png"), dpi=90)
plt.close(fig)
L.saved(L.path("ring_training.png"))

# %% [markdown]
# ## 5. Counting modes and sample quality
#
# VEEGAN (Srivastava et al., 2017) and PacGAN (Lin et al., 2018) score 2,500 samples: a
# sample is **high quality** if it lies within $3\sigma$ of its nearest centre; a mode is
# **recovered** if it is the nearest centre of at least one high-quality sample. The two
# pull apart: a collapsed generator has few modes and near 100% quality; one that smears
# its mass around the circle recovers every mode with few good samples. The full
# benchmark (10 seeds, the grid of 25 too) is `benchmarks/bench_gan.py`; in PacGAN's
# Table 1 a plain GAN recovers 6.3 of 8 modes with 98.2% high-quality samples.

# %%
for objective, (gan, _) in runs.items():
    sc = mode_coverage(gan.sample(N_SAMPLES, random_state=2), centres, 0.01)
    print(f"{objective:15s}: {sc.modes}/8 modes, {100 * sc.high_quality:.1f}% high quality, samples per mode {sc.counts.tolist()}")
    h = gan.history_
    print(f"{'':15s}  last 200 steps: D(x) = {np.mean(h['d_real'][-200:]):.3f}, D(G(z)) = {np.mean(h['d_fake'][-200:]):.3f} (1/2 at the equilibrium)")

# %% [markdown]
# ## 6. What instance noise does
#
# When $p_\text{data}$ and $p_g$ barely overlap — early in training, or for data on a thin
# manifold — $D^*$ jumps from 1 to 0 between them and is flat elsewhere, so its gradient
# tells $G$ nothing (Arjovsky & Bottou, 2017). Adding Gaussian noise
# $\varepsilon \sim \mathcal N(0, \sigma^2 I)$ to *every* input of $D$ replaces both
# distributions by their convolutions with $\mathcal N(0, \sigma^2)$, which overlap; the
# optimal discriminator becomes smooth and slopes towards the data (Sønderby et al.,
# 2017). Annealing $\sigma \to 0$ recovers the original game. In 1-D, with
# $p_\text{data} = \mathcal N(0, s^2)$ and $p_g = \mathcal N(2, s^2)$:
#
# $$D^*_\sigma(x) = \frac{\mathcal N(x; 0, s^2 + \sigma^2)}{\mathcal N(x; 0, s^2+\sigma^2) + \mathcal N(x; 2, s^2 + \sigma^2)}
#   = \sigma\!\Big(\frac{2(1 - x)}{s^2 + \sigma^2}\Big).$$
#
# At the generator's samples ($x \approx 2$) the two generator losses have the gradients
#
# $$\partial_x \log(1 - D^*_\sigma(x)) = \tfrac{2}{s^2+\sigma^2}\, D^*_\sigma(x) \ \text{(minimax)}, \qquad
#   -\partial_x \log D^*_\sigma(x) = \tfrac{2}{s^2+\sigma^2}\,(1 - D^*_\sigma(x)) \ \text{(non-saturating)}.$$
#
# Without noise the first is 0 in floating point ($D^* \approx e^{-1600}$) and the second
# is huge (800): against a near-perfect discriminator one loss gives no signal and the
# other an unstable one (Arjovsky & Bottou, 2017, §2.2).

# %%
xs = np.linspace(-1.5, 3.5, 501)
s = 0.05
fig, ax = plt.subplots(figsize=(5.5, 3.4))
for sigma in (0.0, 0.3, 0.7):
    v = s**2 + sigma**2
    ax.plot(xs, expit(2 * (1 - xs) / v), label=f"noise sigma = {sigma}")
    d2 = expit(2 * (1 - 2.0) / v)  # D*(2)
    print(f"sigma = {sigma}: D*(2) = {d2:.3g}; generator gradient at x = 2: minimax {2 / v * d2:.3g}, non-saturating {2 / v * (1 - d2):.3g}")
ax.axvline(0, color="k", lw=0.5)
ax.axvline(2, color="r", lw=0.5)
ax.set_xlabel("x (data at 0, samples at 2)")
ax.set_ylabel("D*(x)")
ax.legend(fontsize=8)
fig.tight_layout()
fig.savefig(L.path("instance_noise.png"), dpi=100)
plt.close(fig)
L.saved(L.path("instance_noise.png"))

# %% [markdown]
# The printout shows what the noise buys: $D^*(G(z))$ moves away from 0, so the minimax
# loss gets a gradient again, and the non-saturating one's gradient shrinks from 800 to a
# few units. The price is a flatter slope towards the data and a blurred target, which is
# why the noise is annealed to 0. `MLPGAN(instance_noise=0.05, noise_anneal_steps=...)` or
# `tinygen train gan --noise 0.05` switch it on for any GAN; `benchmarks/bench_gan.py`
# measures it on the ring and the grid.
#
# ## 7. DCGAN on digits
#
# For images, Radford et al. (2016) found architecture guidelines that make GANs train
# reliably: strided convolutions in $D$ and transposed convolutions in $G$ instead of
# pooling and upsampling; batch norm in both (not at $G$'s output or $D$'s input); ReLU in
# $G$, LeakyReLU(0.2) in $D$; Adam with $\beta_1 = 0.5$. `DCGAN` builds them for 28 × 28
# images in $[0, 1]$ (a sigmoid output). Here it trains on the embedded `synthetic_digits`
# (and on MNIST itself with `tinygen train gan --data mnist`); in `--quick` mode only long
# enough to exercise the code.

# %%
Xd, yd = synthetic_digits(2000 if L.quick else 10000, random_state=0)
Xd = Xd[:, None].astype(np.float32)
width = 8 if L.quick else 32
t = time.perf_counter()
dcgan = DCGAN(n_latent=32, width=width, random_state=0)
dcgan.fit(Xd, n_steps=IMAGE_STEPS, batch_size=32 if L.quick else 64, lr=2e-4, random_state=0)
print(f"DCGAN: {IMAGE_STEPS} steps in {time.perf_counter() - t:.1f} s; last D(x) = {dcgan.history_['d_real'][-1]:.2f}, D(G(z)) = {dcgan.history_['d_fake'][-1]:.2f}")
L.saved(image_grid(dcgan.sample(64, random_state=0)[:, 0], L.path("dcgan_samples.png"), title="DCGAN samples"))

# %% [markdown]
# ## 8. A conditional GAN
#
# Mirza & Osindero (2014) give both players the label: $G(z, y)$ and $D(x, y)$, so the game
# is played once per class, $\min_G\max_D\ \mathbb E_{y}\big[\mathbb E_{x|y}\log D(x, y)
# + \mathbb E_z \log(1 - D(G(z, y), y))\big]$. Here $G$ gets the one-hot $y$ beside $z$ and $D$ a
# learned 28 × 28 map of $y$ as a second input channel. Asking for each class in turn gives
# a class-by-class grid (rows: digits 0-9).

# %%
t = time.perf_counter()
cgan = DCGAN(n_latent=32, width=width, conditional=True, random_state=0)
cgan.fit(Xd, y=yd, n_steps=IMAGE_STEPS, batch_size=32 if L.quick else 64, lr=2e-4, random_state=0)
print(f"conditional DCGAN: {IMAGE_STEPS} steps in {time.perf_counter() - t:.1f} s")
labels = np.repeat(np.arange(10), 8)
L.saved(image_grid(cgan.sample(80, random_state=0, y=labels)[:, 0], L.path("cgan_by_class.png"), nrow=8, title="conditional DCGAN: one row per digit"))

# %% [markdown]
# ## 9. Packing: letting $D$ see several samples at once
#
# One sample cannot show a lack of diversity: a generator that puts every sample on one
# good-looking mode passes a one-sample test on each. PacGAN (Lin et al., 2018) gives $D$ a
# **pack** of $m$ samples, all data or all generated, stacked side by side
# (`GAN(..., pack=m)`: $m$ consecutive samples become one input with $m$ times the
# features or channels). Its game is the game of §2 between the product distributions:
#
# $$\max_D\ \mathbb E_{p_\text{data}^m}\big[\log D(x^{(1)}, \ldots, x^{(m)})\big] + \mathbb E_{p_g^m}\big[\log\big(1 - D(x^{(1)}, \ldots, x^{(m)})\big)\big]
#   = -\log 4 + 2\,\mathrm{JSD}\big(p_\text{data}^{m}\,\|\,p_g^{m}\big),$$
#
# and $\mathrm{JSD}(p^m \| q^m)$ grows with $m$ (the first $m-1$ samples of a pack are a
# function of it, so they carry no more information than the pack: the data-processing
# inequality). A pack of $m$ data points contains a mode of mass $w$ with probability
# $1 - (1-w)^m$; a pack from a generator that dropped it never does, and one that gives it
# less mass shows it less often, a gap that a single sample hides more. Below: two modes of
# mass ½ and a generator that puts only 10% on the second, checked through
# `gan_theory.packed`, the $m$-fold outer product $p^m$.

# %%
p2 = np.array([0.5, 0.5])
q2 = np.array([0.9, 0.1])
ms = np.arange(1, 9)
jsd_m = [jensen_shannon(packed(p2, m), packed(q2, m)) for m in ms]
for m, j in zip(ms, jsd_m):
    pm, qm = packed(p2, m), packed(q2, m)
    v = value(pm, qm, optimal_discriminator(pm, qm))
    print(f"m = {m}: JSD(p^m || q^m) = {j:.4f}   V(D*, G) = {v:.4f} = -log 4 + 2 JSD: {np.isclose(v, -np.log(4) + 2 * j)}"
          f"   P(pack shows mode 2): data {1 - 0.5 ** m:.3f}, G {1 - 0.9 ** m:.3f}")
assert np.all(np.diff(jsd_m) > 0) and jsd_m[-1] < np.log(2)
fig, ax = plt.subplots(figsize=(4.5, 3))
ax.plot(ms, jsd_m, "o-")
ax.axhline(np.log(2), ls="--", c="gray", label="log 2 (disjoint)")
ax.set(xlabel="pack size m", ylabel=r"JSD$(p^m \| q^m)$", title="a dropped mode, seen by packs")
ax.legend()
fig.tight_layout()
fig.savefig(L.path("packing_jsd.png"), dpi=100)
plt.close(fig)
L.saved(L.path("packing_jsd.png"))

# %% [markdown]
# ## 10. Averaging the generator
#
# Gradient play need not converge: on the simplest game, $\min_x \max_y\ V(x, y) = xy$,
# whose only equilibrium is $(0, 0)$, alternating gradient steps
# $x \leftarrow x - \eta\, y$, $y \leftarrow y + \eta\, x$ go round it for ever (the map has
# determinant 1 and eigenvalues $e^{\pm i\omega}$, $\cos\omega = 1 - \eta^2/2$). GAN training
# shows the same circling, as samples that drift from class to class. The average of the
# iterates sits near the centre of the orbit: `GAN(..., ema_decay=β)` keeps
#
# $$\bar\theta_t = \beta\,\bar\theta_{t-1} + (1 - \beta)\,\theta_t,$$
#
# an exponential moving average of the generator's weights (and of its batch-norm
# statistics; `update_ema`), and `sample` draws from $\bar\theta$ (Karras et al., 2018;
# Yazıcı et al., 2019). On a point that circles with angular step $\omega$ the average's
# distance from the centre tends to $r(1-\beta)/|1 - \beta e^{i\omega}|$ of the orbit's
# radius $r$; below, the game's iterates and their average with β = 0.998, through the
# library's `update_ema`. The MNIST benchmark (`bench_gan.py --mnist --ema 0.999`) scores
# the averaged and the trained generator of one run side by side.

# %%
from tinygen.models.gan import update_ema
from tinygen.nn import Module, Parameter


class Point(Module):
    """A 'generator' with one parameter θ = (x, y), the players' strategies."""

    def __init__(self, theta):
        super().__init__()
        self.theta = Parameter(np.asarray(theta, dtype=np.float64))


eta, beta = 0.1, 0.998
play, average = Point([1.0, 0.0]), Point([1.0, 0.0])
path, path_bar = [], []
for _ in range(3000):
    x, y = play.theta.data
    x = x - eta * y  # x minimises xy
    y = y + eta * x  # y maximises it
    play.theta.data[:] = (x, y)
    update_ema(average, play, beta)
    path.append(play.theta.data.copy())
    path_bar.append(average.theta.data.copy())
path, path_bar = np.array(path), np.array(path_bar)
omega = np.arccos(1 - eta**2 / 2)
radius = np.linalg.norm(path[-700:], axis=1)
gain = (1 - beta) / abs(1 - beta * np.exp(1j * omega))
print(f"iterates: distance from the equilibrium {radius.min():.3f} to {radius.max():.3f}; "
      f"average: {np.linalg.norm(path_bar[-1]):.4f} (bound {gain:.4f} x {radius.max():.3f})")
assert radius.min() > 0.9 and np.linalg.norm(path_bar[-1]) <= gain * radius.max() + 1e-9
fig, ax = plt.subplots(figsize=(4, 4))
ax.plot(*path[:700].T, lw=0.8, label=r"iterates $\theta_t$")
ax.plot(*path_bar.T, lw=1.5, label=r"average $\bar\theta_t$ (β = 0.998)")
ax.plot(0, 0, "k+", ms=12, label="equilibrium")
ax.set(xlabel="x (minimiser)", ylabel="y (maximiser)", title="gradient play on V = xy", aspect="equal")
ax.legend(fontsize=8, loc="upper right")
fig.tight_layout()
fig.savefig(L.path("ema_bilinear.png"), dpi=100)
plt.close(fig)
L.saved(L.path("ema_bilinear.png"))

# %% [markdown]
# ## 11. Feature matching: a target for the batch, not the sample
#
# The losses of §3 score each sample alone, so nothing in them asks the generator to make
# each kind of sample *as often* as the data do. Feature matching (Salimans et al., 2016,
# §3.1) gives $G$ the statistics of a batch to match instead: with $f(x)$ the last hidden
# layer of $D$ (the one its logit is a linear function of),
#
# $$L_G = \big\|\ \mathbb E_{x}\, f(x) - \mathbb E_{z}\, f(G(z))\ \big\|^2,
#   \qquad \frac{\partial L_G}{\partial f(G(z_j))} = -\frac{2}{n}\big(\bar f_\text{data} - \bar f_G\big),$$
#
# the data's mean a constant (`feature_matching_loss`; `GAN(..., objective="feature_matching")`;
# $D$ keeps its loss of §1). On a mixture the batch mean is the modes' means weighted by
# their masses, $\mathbb E f = \sum_k w_k \mu_k$, so a generator that makes one mode too
# often is off the target by $\sum_k (w_k - w'_k)\,\mu_k$ even if every sample is perfect.
# Below: the features of an untrained ring discriminator, data from two of the ring's
# modes in equal parts, and "generators" that put a fraction $w'$ of their (perfect)
# samples on the first mode; then the gradient formula against backpropagation.

# %%
from tinygen.models.gan import feature_matching_loss

rng = np.random.default_rng(3)
D_fm = MLPGAN(random_state=0).discriminator
centres = np.array([[1.0, 0.0], [0.0, 1.0]])  # two of the ring's eight modes


def two_modes(n, w):
    """n points, a fraction w at the first centre and 1 − w at the second (σ = 0.01)."""
    k = (rng.random(n) >= w).astype(int)
    return (centres[k] + 0.01 * rng.standard_normal((n, 2))).astype(np.float32)


f_data = D_fm.features(Tensor(two_modes(4000, 0.5))).data
for w in (0.5, 0.7, 0.9, 1.0):
    f_gen = D_fm.features(Tensor(two_modes(4000, w))).data
    print(f"w' = {w:.1f}: L_G = {feature_matching_loss(f_data, Tensor(f_gen)).item():.5f}")
losses = [feature_matching_loss(f_data, D_fm.features(Tensor(two_modes(4000, w)))).item()
          for w in (0.5, 0.9)]
assert losses[1] > 20 * losses[0]  # the imbalance, not the sampling noise, dominates
f_gen = Tensor(D_fm.features(Tensor(two_modes(64, 0.9))).data, requires_grad=True)
feature_matching_loss(f_data, f_gen).backward()
formula = -2 / 64 * (f_data.mean(axis=0) - f_gen.data.mean(axis=0))
print("backpropagation = -(2/n)(f_data - f_G) for every sample:",
      np.allclose(f_gen.grad, np.broadcast_to(formula, f_gen.shape), atol=1e-6))
assert np.allclose(f_gen.grad, np.broadcast_to(formula, f_gen.shape), atol=1e-6)

# %% [markdown]
# The loss grows with the imbalance, so a feature-matching generator is pushed towards the
# data's proportions; the non-saturating generator of §3 is not. The MNIST benchmark runs
# the DCGAN with it and scores the class histogram
# (`python benchmarks/bench_gan.py --mnist --objective feature_matching --pack 2`).
# Salimans et al. found its samples less sharp than the non-saturating loss's: matching
# one mean is a weaker demand than fooling $D$ on each sample.

# %%
print(f"lesson ran in {time.perf_counter() - T0:.1f} s")

# %% [markdown]
# ## Exercises
#
# **Graded versions** of this lesson's derivations are in `exercises/gan.py`: an
# instructor hands them out with `tinygen exercises release OUT` and grades them with
# `tinygen exercises grade SUBMISSIONS/` (property tests against the derivations; see
# `docs/exercises.md`). The open-ended exercises below are not graded.
#
# 1. **Saturation in practice.** Train the ring GAN with `objective="minimax"` from a
#    discriminator pre-trained for 500 steps alone (`k=500` for the first step, then `k=1`).
#    Plot `history_["d_fake"]` and the generator's gradient norm for both objectives.
# 2. **$k$ and collapse.** Repeat §4 with `k=5`. Does a stronger discriminator reduce mode
#    collapse on the grid of 25 (`tinygen.data.grid`)? Use `mode_coverage` over 5 seeds.
# 3. **The JSD ceiling.** Show numerically (with `gan_theory`) that $V(D^*, G) \to 0$ as the
#    supports of $p_\text{data}$ and $p_g$ separate, whatever their distance: why does this
#    make the JSD a poor training signal for distributions on thin manifolds?
# 4. **Noise schedules.** Compare linear annealing of the instance noise with a constant
#    $\sigma$ on the ring: what happens to the high-quality fraction when $\sigma$ never
#    reaches 0?
# 5. **Class coverage.** Train the conditional GAN of §8 on MNIST and count, with a small
#    classifier, how often its samples are classified as the label they were asked for.
# 6. **Packs on the grid.** Run `python benchmarks/bench_gan.py --datasets grid --variants
#    non_saturating non_saturating+pack2 non_saturating+pack4 --seeds 3`. Does packing
#    recover the modes the non-saturating loss dropped? What does it cost per step?
# 7. **How much to average.** On the game of §10, plot the average's final distance from
#    the equilibrium against β and against η, and compare with $(1-\beta)/|1-\beta e^{i\omega}|$.
#    Then train the MNIST DCGAN with `--ema 0.99` and `--ema 0.9999`: which β scores best,
#    and why can too large a β hurt (its time constant is $1/(1-\beta)$ steps)?
# 8. **Matching more than the mean.** On the ring, train `MLPGAN(objective="feature_matching")`
#    and the non-saturating one over 5 seeds and compare the fraction of samples per mode
#    (`mode_coverage`). Then add the features' variances to the loss,
#    $\|\bar f_\text{data} - \bar f_G\|^2 + \|\overline{f^2}_\text{data} - \overline{f^2}_G\|^2$:
#    which of the two generators' failures does the second term address?
