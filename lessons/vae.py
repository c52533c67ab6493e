# ---
# jupyter:
#   jupytext:
#     text_representation:
#       extension: .py
#       format_name: percent
# ---

# %% [markdown]
# # Variational autoencoders: the ELBO, reparameterization, and the conditional VAE
#
# A latent-variable model explains an observation $x$ by an unobserved cause $z$:
#
# $$z \sim p(z) = \mathcal N(0, I), \qquad x \mid z \sim p_\theta(x \mid z).$$
#
# This lesson derives the variational autoencoder (VAE) one line at a time and checks every
# line with code: first on a **linear-Gaussian** model, where every quantity is exact, then
# on images (`synthetic_digits`, always; binarized MNIST when it is on disk).
#
# Library code: `tinygen/models/linear_gaussian.py`, `tinygen/models/_gaussian.py`,
# `tinygen/models/vae.py`, `tinygen/models/cvae.py`, `tinygen/models/autoencoder.py`.

# %%
import time

import numpy as np

import tinygen.functional as F
from tinygen import Tensor, no_grad
from tinygen.data import synthetic_digits
from tinygen.lessons import setup_lesson
from tinygen.models._gaussian import log_normal_diag
from tinygen.models.autoencoder import Autoencoder, linear_probe
from tinygen.models.cvae import CVAE
from tinygen.models.linear_gaussian import LinearGaussian
from tinygen.models.vae import VAE
from tinygen.viz import image_grid, training_curves

L = setup_lesson("vae")
T0 = time.perf_counter()
EPOCHS = 10 if L.quick else 30
N_DIGITS = 3000 if L.quick else 10000
print(f"quick={L.quick}; pictures go to {L.out}")

# %% [markdown]
# ## 1. Why $p(x)$ and $p(z \mid x)$ are intractable
#
# The evidence is an integral over every cause, and the posterior needs it:
#
# $$p(x) = \int p(x \mid z)\, p(z)\, dz, \qquad p(z \mid x) = \frac{p(x \mid z)\,p(z)}{p(x)}.$$
#
# When $p(x\mid z)$ is a neural network the integral has no closed form, and a grid over
# $z$ needs $G^K$ points in $K$ latent dimensions ($20^{50}$ for a 50-dimensional latent).
# Only a few models escape: in the **linear-Gaussian** model
# $x \mid z \sim \mathcal N(Wz + \mu, \sigma^2 I)$ (probabilistic PCA),
#
# $$p(x) = \mathcal N(x;\ \mu,\ WW^\top + \sigma^2 I), \qquad
#   p(z\mid x) = \mathcal N\!\big(M^{-1}W^\top(x-\mu),\ \sigma^2 M^{-1}\big),\ M = W^\top W + \sigma^2 I.$$
#
# We use it as ground truth.

# %%
lg = LinearGaussian.random(n_visible=5, n_latent=2, sigma=0.5, random_state=0)
x = lg.sample(1, random_state=1)[0]
post_mean, post_cov = lg.posterior(x)
print(lg)
print("log p(x)            =", round(float(lg.log_prob(x)), 4))
print("posterior mean      =", post_mean.round(3))
print("posterior cov       =\n", post_cov.round(4))

# %% [markdown]
# ## 2. The ELBO, line by line
#
# Take any distribution $q(z)$ (later: $q(z\mid x)$, output by an encoder). Since $\log p(x)$
# does not depend on $z$,
#
# $$\begin{aligned}
# \log p(x) &= \mathbb E_q[\log p(x)] \\
#   &= \mathbb E_q\Big[\log \frac{p(x, z)}{p(z\mid x)}\Big]
#    \quad\text{(Bayes' rule)} \\
#   &= \mathbb E_q\Big[\log \frac{p(x, z)}{q(z)}\Big] + \mathbb E_q\Big[\log \frac{q(z)}{p(z\mid x)}\Big]
#    \quad\text{(multiply and divide by } q) \\
#   &= \underbrace{\mathbb E_q[\log p(x\mid z)] - \mathrm{KL}(q \,\|\, p(z))}_{\text{ELBO}(q)}
#    + \underbrace{\mathrm{KL}(q \,\|\, p(z\mid x))}_{\ge 0}.
# \end{aligned}$$
#
# Each term, computed for a deliberately poor diagonal $q = \mathcal N(m, \operatorname{diag} s^2)$:

# %%
q_mu, q_logvar = np.array([0.3, -0.5]), np.array([-1.0, 0.5])
log_px = lg.log_prob(x)
rec = lg.expected_log_likelihood(x, q_mu, q_logvar)  # E_q log p(x|z)
kl_prior = lg.kl_to_prior(q_mu, q_logvar)  # KL(q || p(z))
elbo = lg.elbo(x, q_mu, q_logvar)
kl_post = lg.kl_to_posterior(x, q_mu, q_logvar)  # KL(q || p(z|x))
print(f"E_q log p(x|z)       = {rec: .4f}")
print(f"KL(q || p(z))        = {kl_prior: .4f}")
print(f"ELBO                 = {elbo: .4f}")
print(f"KL(q || p(z|x))      = {kl_post: .4f}")
print(f"ELBO + KL(q||p(z|x)) = {elbo + kl_post: .4f}")
print(f"log p(x)             = {log_px: .4f}")
assert abs(elbo + kl_post - log_px) < 1e-9

# %% [markdown]
# The same ELBO by sampling, $\frac1S\sum_s [\log p(x, z_s) - \log q(z_s)]$, $z_s\sim q$,
# agrees within its standard error. And at the best diagonal $q$ — the posterior's mean
# and marginal variances — the gap $\mathrm{KL}(q\|p(z\mid x))$ is small but not zero,
# because the true posterior is correlated and $q$ is not: the price of a mean-field $q$.

# %%
rng = np.random.default_rng(0)
zs = q_mu + np.exp(0.5 * q_logvar) * rng.standard_normal((20000, 2))
terms = lg.log_joint(x, zs) - log_normal_diag(zs, q_mu, q_logvar).numpy()
print(f"Monte Carlo ELBO = {terms.mean():.4f} ± {terms.std() / np.sqrt(len(terms)):.4f}")
pm, plv = lg.posterior_diagonal(x)
print(f"ELBO at the posterior's diagonal = {lg.elbo(x, pm, plv):.4f}  (log p(x) = {log_px:.4f})")

# %% [markdown]
# ## 3. The KL in closed form
#
# For diagonal Gaussians $q=\mathcal N(\mu_q, \sigma_q^2)$, $p=\mathcal N(\mu_p, \sigma_p^2)$,
# per dimension
#
# $$\mathrm{KL}(q\|p) = \mathbb E_q\Big[\log\frac{q(z)}{p(z)}\Big]
#   = \tfrac12\Big[\log\sigma_p^2 - \log\sigma_q^2 + \frac{\sigma_q^2 + (\mu_q-\mu_p)^2}{\sigma_p^2} - 1\Big],$$
#
# using $\mathbb E_q[(z-\mu_q)^2] = \sigma_q^2$ and $\mathbb E_q[(z-\mu_p)^2] = \sigma_q^2 + (\mu_q-\mu_p)^2$.
# Against $p(z) = \mathcal N(0, I)$: $\tfrac12\sum_j(\mu_j^2 + \sigma_j^2 - \log\sigma_j^2 - 1)$.

# %%
mq, lq, mp, lp = (
    np.array([1.0, -0.5]),
    np.array([0.2, -1.0]),
    np.array([0.0, 0.5]),
    np.array([0.5, 0.0]),
)
closed = F.kl_normal(mq, lq, mp, lp, reduction="sum").item()  # summed over the 2 axes
z = mq + np.exp(0.5 * lq) * rng.standard_normal((50000, 2))
mc = (log_normal_diag(z, mq, lq) - log_normal_diag(z, mp, lp)).numpy()
print(
    f"closed-form KL = {closed:.4f};  Monte Carlo = {mc.mean():.4f} ± {mc.std() / np.sqrt(len(mc)):.4f}"
)

# %% [markdown]
# ## 4. The reparameterization trick
#
# We want $\nabla_\phi\, \mathbb E_{q_\phi(z)}[f(z)]$. Sampling $z\sim\mathcal N(\mu, \sigma^2)$
# directly gives numbers with no path back to $\mu,\sigma$. Writing instead
#
# $$z = \mu + \sigma\odot\varepsilon,\quad \varepsilon\sim\mathcal N(0, I)
#   \;\Rightarrow\; \nabla_{\mu,\sigma}\,\mathbb E[f(z)] = \mathbb E_\varepsilon\big[\nabla_{\mu,\sigma} f(\mu+\sigma\varepsilon)\big]$$
#
# moves the randomness into $\varepsilon$, and backpropagation does the rest. For
# $f(z) = z^2$: $\mathbb E f = \mu^2+\sigma^2$, so $\partial_\mu = 2\mu$ and $\partial_\sigma = 2\sigma$.

# %%
mu = Tensor(np.array([1.5]), requires_grad=True)
sigma = Tensor(np.array([0.5]), requires_grad=True)
eps = Tensor(rng.standard_normal((100000, 1)))
z = mu + sigma * eps  # reparameterized: a function of mu and sigma
(z**2).mean().backward()
print(
    f"reparameterized: d/dmu = {mu.grad[0]:.3f} (exact {2 * 1.5}),  d/dsigma = {sigma.grad[0]:.3f} (exact {2 * 0.5})"
)

mu2 = Tensor(np.array([1.5]), requires_grad=True)
z_sampled = Tensor(rng.normal(mu2.numpy(), 0.5, (100000, 1)))  # sampled: a constant
loss = (z_sampled**2).mean() + 0.0 * mu2.sum()
loss.backward()
print(f"sampled z:       d/dmu = {mu2.grad[0]:.3f}  -- no gradient reaches mu")

# %% [markdown]
# The VAE parameterizes $\sigma = e^{\frac12\log\sigma^2}$ and calls
# `F.reparameterize(mu, logvar, eps)`, which is $\mu + e^{\frac12\log\sigma^2}\varepsilon$ written
# from primitives: $\partial z/\partial\mu = 1$ and $\partial z/\partial\log\sigma^2 = \tfrac12\sigma\varepsilon$.
# With $\mathbb E f = \mu^2 + e^{\log\sigma^2}$, the exact $\partial_{\log\sigma^2} = \sigma^2$.

# %%
mu3 = Tensor(np.array([1.5]), requires_grad=True)
logvar3 = Tensor(np.log(np.array([0.5**2])), requires_grad=True)
(F.reparameterize(mu3, logvar3, eps) ** 2).mean().backward()
print(
    f"F.reparameterize: d/dmu = {mu3.grad[0]:.3f} (exact {2 * 1.5}),  "
    f"d/dlogvar = {logvar3.grad[0]:.3f} (exact {0.5**2})"
)

# %% [markdown]
# ## 5. Bernoulli versus Gaussian decoders
#
# For binary pixels, $p(x\mid z) = \prod_i \sigma(a_i)^{x_i}(1-\sigma(a_i))^{1-x_i}$ with
# logits $a = \mathrm{dec}(z)$, so $-\log p(x\mid z) = \sum_i [\mathrm{softplus}(a_i) - x_i a_i]$:
# the **cross-entropy** (computed from logits, stable for any $a$). For real-valued pixels,
# $p(x\mid z) = \mathcal N(m(z), s^2 I)$ gives $-\log p(x\mid z) = \frac{1}{2s^2}\|x-m\|^2 + \frac D2\log(2\pi s^2)$:
# the **squared error**, scaled by the noise $s$ we assume. A fixed small $s$ trusts the
# reconstruction term more; a learned $s$ lets the model decide (and can collapse — we clamp
# its log-variance).
#
# The Bernoulli term is `F.bernoulli_log_likelihood(a, x)`: $\log p(x\mid z)$ summed over
# the pixels (the stable BCE-with-logits op, summed), checked here against the sum written
# out:

# %%
a_chk = rng.normal(0.0, 3.0, (4, 784))
x_chk = (rng.random((4, 784)) < 0.3).astype(np.float64)
log_px = F.bernoulli_log_likelihood(Tensor(a_chk), x_chk).numpy()
by_hand = (x_chk * a_chk - np.logaddexp(0.0, a_chk)).sum(axis=1)  # Σ x·a − softplus(a)
print(f"log p(x|z): F.bernoulli_log_likelihood {log_px[0]:.4f}, written out {by_hand[0]:.4f}")
assert np.allclose(log_px, by_hand, rtol=1e-12)

# %%
X_dig, y_dig = synthetic_digits(N_DIGITS, random_state=0)
X_dig = X_dig.reshape(len(X_dig), -1)
X_tr, y_tr, X_te, y_te = X_dig[:-300], y_dig[:-300], X_dig[-300:], y_dig[-300:]
small = dict(n_input=784, hidden=(128,), n_latent=8, activation="relu")
vae_b = VAE(**small, decoder="bernoulli", random_state=0)
vae_g = VAE(**small, decoder="gaussian", decoder_std=0.1, random_state=0)
hist_b = vae_b.fit(X_tr, n_epochs=EPOCHS, batch_size=100, lr=2e-3, random_state=0)
hist_g = vae_g.fit(X_tr, n_epochs=EPOCHS, batch_size=100, lr=2e-3, random_state=0)
for name, m in (("Bernoulli", vae_b), ("Gaussian s=0.1", vae_g)):
    t = m.elbo(X_te, rng=0)
    err = np.abs(m.reconstruct(X_te) - X_te).mean()
    print(
        f"{name:15s} test ELBO {t.elbo.numpy().mean():9.2f}  KL {t.kl.numpy().mean():6.2f}  mean |x - x_hat| {err:.3f}"
    )
L.saved(
    image_grid(
        np.concatenate([X_te[:10], vae_b.reconstruct(X_te[:10]), vae_g.reconstruct(X_te[:10])]),
        L.path("decoders_reconstructions.png"),
        nrow=10,
        shape=(28, 28),
        title="data / Bernoulli decoder / Gaussian decoder",
    )
)

# %% [markdown]
# ## 6. Training the VAE: samples, reconstructions, interpolations
#
# The encoder outputs $\mu(x)$ and $\log\sigma^2(x)$ (clamped to $[-10, 10]$); each step
# maximizes the single-sample ELBO estimate
# $\log p(x\mid \mu+\sigma\varepsilon) - \mathrm{KL}(q(z\mid x)\|\mathcal N(0,I))$ by Adam.
# Then we estimate $\log p(x)$ by **importance sampling** with $q$ as the proposal,
#
# $$\log p(x) \approx \log \frac1k\sum_{i=1}^k \frac{p(x, z_i)}{q(z_i\mid x)},\quad z_i\sim q(z\mid x),$$
#
# a bound that tightens as $k$ grows (Burda et al., 2016: the IWAE bound); $k=1$ is the ELBO.

# %%
vae = VAE(n_input=784, hidden=(200, 200), n_latent=20, activation="tanh", random_state=0)
hist = vae.fit(X_tr, n_epochs=EPOCHS, batch_size=100, lr=1e-3, random_state=1)
ks = (1, 10, 100) if L.quick else (1, 10, 100, 1000)
bounds = {k: float(vae.log_likelihood(X_te[:100], k=k, random_state=2).mean()) for k in ks}
print(
    "importance-sampled log p(x) on synthetic digits:", {k: round(v, 2) for k, v in bounds.items()}
)
L.saved(
    image_grid(
        vae.sample(64, random_state=0),
        L.path("digits_samples.png"),
        shape=(28, 28),
        title="VAE samples (synthetic digits)",
    )
)
L.saved(
    image_grid(
        np.concatenate([X_te[:16], vae.reconstruct(X_te[:16])]),
        L.path("digits_reconstructions.png"),
        nrow=16,
        shape=(28, 28),
        title="data (top) and reconstructions",
    )
)
rows = [vae.interpolate(X_te[i], X_te[i + 1], n_steps=10) for i in range(0, 8, 2)]
L.saved(
    image_grid(
        np.concatenate(rows),
        L.path("digits_interpolations.png"),
        nrow=10,
        shape=(28, 28),
        title="latent interpolations",
    )
)
L.saved(
    image_grid(
        np.concatenate([vae.traverse(X_te[0], d, np.linspace(-3, 3, 9)) for d in range(4)]),
        L.path("digits_traversal.png"),
        nrow=9,
        shape=(28, 28),
        title="traversing latent dims 0-3",
    )
)

# %% [markdown]
# ### Binarized MNIST (when the data is on disk)
#
# The same model on Larochelle's fixed binarization of MNIST; `benchmarks/bench_vae.py`
# runs the IWAE paper's 784-200-200-50 network for an hour and reports the NLL with $k=5000$.

# %%
try:
    from tinygen.data import binarized_mnist

    Xb = binarized_mnist("train").astype(np.float32)
    Xbv = binarized_mnist("valid").astype(np.float32)
except Exception as exc:  # absent offline: skip this part
    print(f"binarized MNIST not available ({type(exc).__name__}); skipping")
    Xb = None
if Xb is not None:
    n_b = 5000 if L.quick else 50000
    vae_mnist = VAE(n_input=784, hidden=(200, 200), n_latent=50, activation="tanh", random_state=0)
    h = vae_mnist.fit(
        Xb[:n_b], n_epochs=10 if L.quick else 20, batch_size=100, lr=1e-3, random_state=0
    )
    ll = vae_mnist.log_likelihood(Xbv[:100], k=100 if L.quick else 1000, random_state=0)
    print(
        f"binarized MNIST: train loss {h['loss'][-1]:.1f}; valid NLL (k={100 if L.quick else 1000}, 100 images) {-ll.mean():.1f} nats"
    )
    L.saved(
        image_grid(
            vae_mnist.sample(64, random_state=0),
            L.path("mnist_samples.png"),
            shape=(28, 28),
            title="VAE samples (binarized MNIST)",
        )
    )
    L.saved(
        image_grid(
            np.concatenate([Xbv[:16], vae_mnist.reconstruct(Xbv[:16])]),
            L.path("mnist_reconstructions.png"),
            nrow=16,
            shape=(28, 28),
        )
    )

# %% [markdown]
# ## 7. Numerical integration versus sampling, on a 2-D latent space
#
# With $K=2$ we *can* integrate on a grid: $p(x) \approx \sum_g p(x\mid z_g)\,p(z_g)\,\Delta^2$
# over a $G\times G$ grid on $[-5, 5]^2$, computed with a log-sum-exp. Importance sampling
# with the encoder's $q(z\mid x)$ needs far fewer evaluations for the same accuracy because
# it puts its points where the posterior is; the grid wastes almost all of them — and in
# 50 dimensions it would need $G^{50}$.

# %%
vae2 = VAE(n_input=784, hidden=(128,), n_latent=2, activation="relu", random_state=0)
h2 = vae2.fit(X_tr, n_epochs=EPOCHS + 2, batch_size=100, lr=2e-3, random_state=0)
x_eval = X_te[:5]


def log_px_quadrature(model, x, G=60, lim=5.0):
    """log p(x) ≈ log Σ_g p(x|z_g) p(z_g) Δ² on a G × G grid over [-lim, lim]²."""
    g = np.linspace(-lim, lim, G, dtype=np.float32)
    delta = g[1] - g[0]
    zg = np.stack(np.meshgrid(g, g, indexing="ij"), -1).reshape(-1, 2)
    with no_grad():
        zt = Tensor(np.broadcast_to(zg[:, None, :], (len(zg), len(x), 2)).copy())
        log_joint = model.log_px_given_z(x, zt).numpy().astype(np.float64) - 0.5 * (
            (zg**2).sum(1)[:, None] + 2 * np.log(2 * np.pi)
        )
    m = log_joint.max(0)
    return m + np.log(np.exp(log_joint - m).sum(0)) + 2 * np.log(delta)


G = 30 if L.quick else 60
quad = log_px_quadrature(vae2, x_eval, G=G)
quad_fine = log_px_quadrature(vae2, x_eval, G=2 * G)
is_100 = vae2.log_likelihood(x_eval, k=100, random_state=0)
elbo2 = vae2.elbo(x_eval, rng=0, n_samples=100).elbo.numpy()
print(f"grid {G}x{G} ({G * G} evaluations):".ljust(26), quad.round(2))
print(f"grid {2 * G}x{2 * G} ({4 * G * G}):".ljust(26), quad_fine.round(2))
print("importance sampling k=100:", is_100.round(2))
print("ELBO (100 samples):       ", elbo2.round(2))
L.saved(
    image_grid(
        vae2.latent_grid(15),
        L.path("latent_manifold.png"),
        nrow=15,
        shape=(28, 28),
        title="2-D latent manifold (Φ⁻¹ grid)",
    )
)

# %% [markdown]
# ## 8. The conditional VAE
#
# Give the class $y$ its own prior mean: $p(z\mid y) = \mathcal N(\mu^Y, I)$ with a learned
# $\mu^Y$. The KL term becomes
#
# $$\mathrm{KL}\big(q(z\mid x)\,\|\,\mathcal N(\mu^Y, I)\big) = \tfrac12\sum_j\big[(\mu_j-\mu^Y_j)^2 + \sigma_j^2 - \log\sigma_j^2 - 1\big],$$
#
# which pulls the codes of class $y$ towards $\mu^Y$; sampling $z\sim\mathcal N(\mu^y, I)$
# then draws a digit of class $y$. (The other common form feeds a one-hot $y$ to the encoder
# and decoder: `CVAE(form="conditional_decoder")`.)

# %%
cvae = CVAE(
    n_input=784,
    n_classes=10,
    hidden=(128,),
    n_latent=8,
    form="prior_mean",
    activation="relu",
    random_state=0,
)
hc = cvae.fit(X_tr, y_tr, n_epochs=EPOCHS + 2, batch_size=100, lr=2e-3, random_state=0)
t = cvae.elbo(X_te, y_te, rng=0)
print(
    f"CVAE test ELBO {t.elbo.numpy().mean():.2f} (KL to the class prior {t.kl.numpy().mean():.2f})"
)
d = ((cvae.prior_means.numpy()[:, None] - cvae.prior_means.numpy()[None]) ** 2).sum(-1) ** 0.5
print(
    f"distances between learned class means: min {d[d > 0].min():.2f}, mean {d[d > 0].mean():.2f}"
)
grid, _ = cvae.sample_grid(n_per_class=8, random_state=0)
L.saved(
    image_grid(
        grid.reshape(10, 8, 784).transpose(1, 0, 2).reshape(-1, 784),
        L.path("cvae_samples.png"),
        nrow=10,
        shape=(28, 28),
        title="CVAE samples, one column per class",
    )
)
cd = CVAE(
    n_input=784,
    n_classes=10,
    hidden=(128,),
    n_latent=8,
    form="conditional_decoder",
    activation="relu",
    random_state=0,
)
cd.fit(X_tr, y_tr, n_epochs=EPOCHS + 2, batch_size=100, lr=2e-3, random_state=0)
grid, _ = cd.sample_grid(n_per_class=8, random_state=0)
L.saved(
    image_grid(
        grid.reshape(10, 8, 784).transpose(1, 0, 2).reshape(-1, 784),
        L.path("cvae_decoder_samples.png"),
        nrow=10,
        shape=(28, 28),
        title="conditional-decoder CVAE samples",
    )
)

# %% [markdown]
# ## 9. Features from a plain autoencoder, with few labels
#
# A deterministic autoencoder (cross-entropy loss) trained without labels gives codes
# $h = f(x)$; a logistic regression on $h$ with only 100 labels is compared with one on raw
# pixels. In quick mode the autoencoder sees 700 images for two epochs and usually loses
# to the pixels; trained on binarized MNIST (`benchmarks/bench_vae.py --features`, 50,000
# images, 3 epochs) its 32 codes beat the 784 pixels with 1,000 labels (0.875 vs 0.858 on
# held-out MNIST test digits) and come close with 100 (0.725 vs 0.746).

# %%
ae = Autoencoder(n_input=784, hidden=(256,), n_latent=32, loss="bce", random_state=0)
ae.fit(X_tr, n_epochs=EPOCHS, batch_size=100, lr=1e-3, random_state=0)
f_tr, f_te = ae.transform(X_tr[:100]), ae.transform(X_te)
acc_f = linear_probe(f_tr, y_tr[:100], f_te, y_te, random_state=0)
acc_p = linear_probe(X_tr[:100], y_tr[:100], X_te, y_te, random_state=0)
print(f"100 labels: autoencoder features {acc_f:.3f}, raw pixels {acc_p:.3f}")
L.saved(
    training_curves(
        {
            "Bernoulli VAE": hist_b["loss"],
            "VAE 200-200": hist["loss"],
            "2-D VAE": h2["loss"],
            "CVAE": hc["loss"],
        },
        L.path("training_curves.png"),
        ylabel="-ELBO (nats)",
    )
)
print(f"lesson ran in {time.perf_counter() - T0:.1f} s")

# %% [markdown]
# ## Exercises
#
# **Graded versions** of this lesson's derivations are in `exercises/vae.py`: an
# instructor hands them out with `tinygen exercises release OUT` and grades them with
# `tinygen exercises grade SUBMISSIONS/` (property tests against the derivations; see
# `docs/exercises.md`). The open-ended exercises below are not graded.
#
# 1. **Tighter bounds.** Train `vae` with `objective="iwae", k=5` for the same time as the
#    ELBO model and compare `log_likelihood(k=1000)` on the test digits. Which is better,
#    and how do the KL terms differ (count the "active" latent units with
#    $\mathrm{Var}_x[\mu_j(x)] > 10^{-2}$)?
# 2. **Posterior collapse.** Set `beta=4` and then `warmup_epochs=5`. Plot the KL per
#    latent dimension. What does a dimension with KL ≈ 0 encode?
# 3. **The gap, exactly.** On `LinearGaussian.random(5, 2)`, minimize $-\mathrm{ELBO}(q)$ over a
#    diagonal $q$ with Adam on Tensors. Show that the optimum matches the posterior mean
#    and has variances $1/(P_{jj})$ — not the posterior marginals — where $P$ is the posterior
#    precision (mean-field underestimates variance).
# 4. **Score function vs reparameterization.** Estimate $\nabla_\mu\mathbb E[z^2]$ with
#    $\mathbb E[f(z)\,\nabla_\mu \log q(z)]$ and compare its standard error with §4's.
# 5. **Quadrature in 3-D.** Extend `log_px_quadrature` to three latent dimensions. How many
#    grid points does it need to agree with importance sampling (k=1000) to 0.1 nats?
