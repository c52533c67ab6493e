# ---
# jupyter:
#   jupytext:
#     text_representation:
#       extension: .py
#       format_name: percent
# ---

# %% [markdown]
# # Deep Boltzmann machines, and the sigmoid belief net as their directed counterpart
#
# A deep Boltzmann machine (DBM; Salakhutdinov & Hinton 2009) stacks RBM layers and keeps
# *every* connection undirected: visible units $v \in \{0,1\}^{n_v}$ and two hidden layers
# $h^1 \in \{0,1\}^{n_1}$, $h^2 \in \{0,1\}^{n_2}$, each layer talking to its neighbours
# only (Deep Learning book, §20.4). This lesson derives each formula the library uses and
# checks it against brute-force enumeration of a tiny model: the energy and the
# conditionals (§1–2), why the posterior no longer factorises and how mean field bounds
# $\log P(v)$ (§3), learning with mean field, persistent chains and doubled-RBM
# pretraining (§4), annealed importance sampling of $\log Z$ (§5), samples and
# completions (§6). It ends with the directed counterpart, the sigmoid belief net (§7),
# where sampling is easy and the posterior is hard, and with the benchmark figures (§8).
#
# Everything trains on bars-and-stripes, where $\log P(v)$ is exact; the full run
# (without `--quick`) also trains a 784-500-1000 DBM on binarized MNIST.
#
# Library code: `tinygen/models/dbm.py` (`DBM`, `DoubledRBM`, `bernoulli_entropy`),
# `tinygen/models/ais.py` (`dbm_ais`), `tinygen/models/sigmoid_belief_net.py`
# (`SigmoidBeliefNet`), `tinygen/models/_enumerate.py`, `tinygen/numerics.py`. Tests:
# `tests/models/test_dbm.py`, `tests/models/test_ais.py`,
# `tests/models/test_sigmoid_belief_net.py`.

# %%
import copy
import time

import numpy as np

from tinygen.data import bars_and_stripes
from tinygen.lessons import setup_lesson
from tinygen.models import DBM, SigmoidBeliefNet
from tinygen.models._enumerate import all_binary
from tinygen.models.dbm import DoubledRBM, bernoulli_entropy
from tinygen.numerics import logsumexp, sigmoid, softplus
from tinygen.viz import filters_grid, image_grid, training_curves

L = setup_lesson("dbm")
T0 = time.perf_counter()
print(f"quick={L.quick}; pictures go to {L.out}")


def elapsed():
    return f"[{time.perf_counter() - T0:.1f} s]"


# %% [markdown]
# ## 1. Energy and joint distribution
#
# The DBM's energy has a bias per unit and a weight matrix per pair of *adjacent* layers,
#
# $$E(v, h^1, h^2) = -b^\top v - c^{1\top} h^1 - c^{2\top} h^2 - v^\top W^1 h^1 - h^{1\top} W^2 h^2,
#   \qquad P(v, h^1, h^2) = \frac{e^{-E(v, h^1, h^2)}}{Z},$$
#
# with $W^1 \in \mathbb R^{n_v \times n_1}$, $W^2 \in \mathbb R^{n_1 \times n_2}$ and $Z$ the
# sum of $e^{-E}$ over all $2^{n_v + n_1 + n_2}$ states. Its relatives differ in which
# connections are directed:
#
# | model | joint distribution | directed | undirected |
# |---|---|---|---|
# | RBM | $e^{-E(v,h)}/Z$ | — | $v$–$h$ |
# | DBN (Hinton et al. 2006) | $P(v \mid h^1)\,P(h^1, h^2)$, $P(v_i = 1 \mid h^1) = \sigma(b_i + W^1_{i,:}h^1)$ | $h^1 \to v$ | $h^1$–$h^2$ (an RBM on top) |
# | DBM | $e^{-E(v,h^1,h^2)}/Z$ | — | $v$–$h^1$, $h^1$–$h^2$ |
# | SBN (§7) | $P(h^2)\,P(h^1 \mid h^2)\,P(v \mid h^1)$ | $h^2 \to h^1 \to v$ | — |
#
# In the DBN the generative arrows point down: the top RBM gives $h^1$ its prior and $v$
# is generated from $h^1$, and the usual bottom-up inference pass ignores $h^2$. In the
# DBM $h^1$ hears $v$ *and* $h^2$ at once, which makes its approximate posterior better
# and its inference harder. We build a toy DBM with 5 visible, 6 and 4 hidden units in
# float64 — $2^{15} = 32{,}768$ states — and tabulate $P$ by brute force.

# %%
rng = np.random.default_rng(1)
NV, N1, N2 = 5, 6, 4
toy = DBM(NV, N1, N2, dtype="float64", random_state=0)
toy.W1 = rng.normal(0, 2.0, (NV, N1))
toy.W2 = rng.normal(0, 2.0, (N1, N2))
toy.b, toy.c1, toy.c2 = rng.normal(0, 1, NV), rng.normal(0, 1, N1), rng.normal(0, 1, N2)

V, H1, H2 = all_binary(NV), all_binary(N1), all_binary(N2)  # 32, 64 and 16 configurations


def neg_energy_table(m):
    """−E(v, h¹, h²) for every state, as an array indexed [v, h¹, h²] of shape (32, 64, 16)."""
    return (
        (V @ m.b)[:, None, None]
        + (H1 @ m.c1)[None, :, None]
        + (H2 @ m.c2)[None, None, :]
        + (V @ m.W1 @ H1.T)[:, :, None]  # vᵀW¹h¹
        + (H1 @ m.W2 @ H2.T)[None, :, :]  # h¹ᵀW²h²
    )


neg_E = neg_energy_table(toy)
log_Z = float(logsumexp(neg_E))
log_P = neg_E - log_Z  # log P(v, h¹, h²)
P = np.exp(log_P)
print(f"log Z = {log_Z:.6f} by summing {P.size} terms;  Σ P = {P.sum():.12f}")
iv, i1, i2 = np.indices(P.shape).reshape(3, -1)  # the library's energy is the formula
assert np.allclose(toy.energy(V[iv], H1[i1], H2[i2]), -neg_E.ravel(), atol=1e-12)

# %% [markdown]
# ## 2. Conditionals: $h^1$ listens to both neighbours
#
# Collect the terms of $-E$ that contain $h^1$:
#
# $$-E = \sum_j h^1_j \big(c^1_j + v^\top W^1_{:,j} + W^2_{j,:} h^2\big) + (\text{terms without } h^1).$$
#
# As in the RBM lesson, an exponential of a sum over $j$ of terms in $h^1_j$ alone
# factorises, so given $v$ and $h^2$ the units of $h^1$ are independent logistic units:
#
# $$P(h^1_j = 1 \mid v, h^2) = \sigma\big(c^1_j + v^\top W^1_{:,j} + W^2_{j,:} h^2\big).$$
#
# Given $h^1$, the rest of $-E$ splits into a part in $v$ and a part in $h^2$,
#
# $$-E = \sum_i v_i \big(b_i + W^1_{i,:} h^1\big) + \sum_k h^2_k \big(c^2_k + h^{1\top} W^2_{:,k}\big) + c^{1\top} h^1,$$
#
# so $v$ and $h^2$ are independent given $h^1$, with
# $P(v_i = 1 \mid h^1) = \sigma(b_i + W^1_{i,:}h^1)$ and
# $P(h^2_k = 1 \mid h^1) = \sigma(c^2_k + h^{1\top}W^2_{:,k})$. The layers split into the
# **odd** set $\{h^1\}$ and the **even** set $\{v, h^2\}$, each conditionally independent
# given the other: Gibbs sampling alternates two blocks, $h^1 \sim P(h^1 \mid v, h^2)$, then
# $(v, h^2) \sim P(v \mid h^1)\,P(h^2 \mid h^1)$ in one go (`DBM.gibbs`).
#
# The same split sums $v$ and $h^2$ out in closed form, leaving a sum over $h^1$ alone:
#
# $$Z = \sum_{h^1} e^{c^{1\top} h^1} \prod_i \big(1 + e^{b_i + W^1_{i,:} h^1}\big)
#   \prod_k \big(1 + e^{c^2_k + h^{1\top} W^2_{:,k}}\big),$$
#
# $2^{n_1}$ terms instead of $2^{n_v + n_1 + n_2}$ (`log_partition_exact`); summing $h^2$
# out of $P(v, h^1, h^2)$ likewise leaves $2^{n_1}$ terms per $v$ for $\log P(v)$
# (`log_prob_exact`). Check everything against the table.

# %%
# P(h¹_j = 1 | v, h²) for every (v, h²): Σ_{h¹} P·h¹_j / Σ_{h¹} P
cond_h1 = np.einsum("vak,aj->vkj", P, H1) / P.sum(axis=1)[:, :, None]  # (32 v, 16 h², 6)
lib_h1 = toy.p_h1_given_v_h2(np.repeat(V, len(H2), 0), np.tile(H2, (len(V), 1)))
print("max |P(h¹_j=1 | v, h²) − enumeration|    =", np.abs(lib_h1.reshape(cond_h1.shape) - cond_h1).max())
# P(v, h² | h¹) for every h¹, and its two factors
P_even = P.transpose(1, 0, 2) / P.sum(axis=(0, 2))[:, None, None]  # (64 h¹, 32 v, 16 h²)
P_v, P_h2 = P_even.sum(axis=2), P_even.sum(axis=1)
print("max |P(v, h² | h¹) − P(v | h¹) P(h² | h¹)| =", np.abs(P_even - P_v[:, :, None] * P_h2[:, None, :]).max())
print("max |P(v_i=1 | h¹) − enumeration|         =", np.abs(toy.p_v_given_h1(H1) - P_v @ V).max())
print("max |P(h²_k=1 | h¹) − enumeration|        =", np.abs(toy.p_h2_given_h1(H1) - P_h2 @ H2).max())
log_p_v = logsumexp(log_P, axis=(1, 2))  # log P(v), the exact marginal
print(f"log_partition_exact() = {toy.log_partition_exact():.10f}  (table {log_Z:.10f})")
print("max |log_prob_exact(v) − table|          =", np.abs(toy.log_prob_exact(V) - log_p_v).max())

# Two-block Gibbs: 4000 chains, 100 sweeps each, from random v and h = 0
n_chains = 4000
v0 = (L.rng.random((n_chains, NV)) < 0.5).astype(np.float64)
zeros1, zeros2 = np.zeros((n_chains, N1)), np.zeros((n_chains, N2))
v_s, h1_s, h2_s, _ = toy.gibbs(v0, zeros1, zeros2, k=100, rng=1)
codes = (v_s @ 2 ** np.arange(NV - 1, -1, -1)).astype(int)  # row index in all_binary order
p_gibbs = np.bincount(codes, minlength=len(V)) / n_chains
p_exact = np.exp(log_p_v)
p_iid = L.rng.multinomial(n_chains, p_exact) / n_chains  # exact samples, for the noise level
print(
    f"total variation |Gibbs − P(v)| = {0.5 * np.abs(p_gibbs - p_exact).sum():.3f} "
    f"(4000 exact samples: {0.5 * np.abs(p_iid - p_exact).sum():.3f})"
)

# %% [markdown]
# ## 3. Inference: the posterior no longer factorises, mean field bounds $\log P(v)$
#
# In the RBM $P(h \mid v)$ was a product of one-unit factors. In the DBM
#
# $$P(h^1, h^2 \mid v) \propto \exp\big(c^{1\top}h^1 + v^\top W^1 h^1 + c^{2\top}h^2 + h^{1\top} W^2 h^2\big),$$
#
# and the term $h^{1\top}W^2h^2$ couples the two layers. Summing $h^2$ out leaves
# $\sum_k \operatorname{softplus}(c^2_k + h^{1\top}W^2_{:,k})$, which is not a sum of
# one-unit terms: even the units of $h^1$ depend on each other given $v$. Measure it on
# the toy with two divergences from the exact posterior, both zero iff it factorises that
# way: the mutual information between the layers,
# $I(h^1; h^2 \mid v) = \mathrm{KL}\big(P(h^1, h^2 \mid v) \,\|\, P(h^1 \mid v) P(h^2 \mid v)\big)$,
# and the total correlation $\mathrm{KL}\big(P(h \mid v) \,\|\, \prod_u P(h_u \mid v)\big)$
# over all ten hidden units. With $W^2 = 0$ the model is an RBM (plus independent $h^2$)
# and both vanish.

# %%
def log_q_table(mu1, mu2):
    """log q(h¹, h²) = Σ_j log Bern(h¹_j; μ¹_j) + Σ_k log Bern(h²_k; μ²_k): (n, 64, 16)."""
    l1 = np.log(mu1) @ H1.T + np.log1p(-mu1) @ (1 - H1).T
    l2 = np.log(mu2) @ H2.T + np.log1p(-mu2) @ (1 - H2).T
    return l1[:, :, None] + l2[:, None, :]


def kl(log_p, log_q):
    """KL(p ‖ q) over the (h¹, h²) axes, one value per v."""
    return (np.exp(log_p) * (log_p - log_q)).sum(axis=(1, 2))


def posterior_dependence(m):
    """(mutual information between h¹ and h², total correlation), each per v, in nats."""
    lp = neg_energy_table(m)
    log_post = lp - logsumexp(lp, axis=(1, 2), keepdims=True)  # log P(h¹, h² | v)
    post = np.exp(log_post)
    log_m1 = np.log(post.sum(axis=2))[:, :, None]  # log P(h¹ | v)
    log_m2 = np.log(post.sum(axis=1))[:, None, :]  # log P(h² | v)
    mi = kl(log_post, log_m1 + log_m2)
    mu1 = np.einsum("vak,aj->vj", post, H1)  # P(h¹_j = 1 | v)
    mu2 = np.einsum("vak,kl->vl", post, H2)
    return mi, kl(log_post, log_q_table(mu1, mu2))


mi, tc = posterior_dependence(toy)
print(f"DBM:        I(h¹; h² | v) up to {mi.max():.3f} nats, total correlation up to {tc.max():.3f}")
rbm_like = copy.deepcopy(toy)
rbm_like.W2 = np.zeros_like(toy.W2)
mi0, tc0 = posterior_dependence(rbm_like)
print(f"W² = 0:     I(h¹; h² | v) up to {mi0.max():.1e} nats, total correlation up to {tc0.max():.1e}")

# %% [markdown]
# So we approximate. For *any* distribution $q(h^1, h^2)$, expanding
# $\mathrm{KL}(q \,\|\, P(h \mid v)) = \sum_h q \log q - \sum_h q \log P(v, h) + \log P(v)$ gives
#
# $$\log P(v) = \mathcal L(q) + \mathrm{KL}\big(q \,\|\, P(h^1, h^2 \mid v)\big), \qquad
#   \mathcal L(q) = \mathbb E_q[-E(v, h^1, h^2)] + H(q) - \log Z,$$
#
# so $\mathcal L(q) \le \log P(v)$, with equality iff $q$ is the posterior. **Mean field**
# takes $q$ fully factorised, $q = \prod_j \mathrm{Bern}(h^1_j; \mu^1_j)\prod_k
# \mathrm{Bern}(h^2_k; \mu^2_k)$. Under $q$ the units are independent and $E$ has no
# within-layer terms, so $\mathbb E_q[h^1_j h^2_k] = \mu^1_j \mu^2_k$ and
#
# $$\mathcal L(v, \mu) = b^\top v + c^{1\top}\mu^1 + c^{2\top}\mu^2 + v^\top W^1 \mu^1
#   + \mu^{1\top} W^2 \mu^2 + H(\mu^1) + H(\mu^2) - \log Z,$$
#
# with $H(\mu) = -\sum_j [\mu_j \log \mu_j + (1 - \mu_j)\log(1 - \mu_j)]$. Setting
# $\partial \mathcal L / \partial \mu^1_j = c^1_j + v^\top W^1_{:,j} + W^2_{j,:}\mu^2
# - \log\frac{\mu^1_j}{1 - \mu^1_j}$ to zero, and likewise for $\mu^2$, gives the
# fixed-point equations
#
# $$\mu^1 \leftarrow \sigma\big(c^1 + v^\top W^1 + W^2 \mu^2\big), \qquad
#   \mu^2 \leftarrow \sigma\big(c^2 + \mu^{1\top} W^2\big):$$
#
# the conditionals of §2 with the neighbours' states replaced by their means. With $\mu^2$
# fixed, $\mathcal L$ is a sum over $j$ of concave functions of one $\mu^1_j$ each (linear
# plus entropy), so the update is the exact maximiser over $\mu^1$: alternating the two
# updates can never lower the bound. `DBM.mean_field` starts from
# $\mu^1 = \sigma(c^1 + 2 v^\top W^1)$ (the 2 is explained in §4) and sweeps $\mu^1$ then
# $\mu^2$. Check the formula, the fixed point, the monotone rise and
# $\log P(v) - \mathcal L = \mathrm{KL}(q \,\|\, P(h \mid v))$ on all 32 visible vectors.

# %%
mu1, mu2 = toy.mean_field(V, n_iter=500)
by_hand = (
    V @ toy.b
    + mu1 @ toy.c1
    + mu2 @ toy.c2
    + ((V @ toy.W1) * mu1).sum(1)
    + ((mu1 @ toy.W2) * mu2).sum(1)
    + bernoulli_entropy(mu1)
    + bernoulli_entropy(mu2)
    - log_Z
)
bound = toy.mean_field_bound(V, log_z=log_Z, n_iter=500, per_sample=True)
print("max |𝓛 by hand − mean_field_bound|   =", np.abs(by_hand - bound).max())
residual = np.abs(mu1 - sigmoid(toy.c1 + V @ toy.W1 + mu2 @ toy.W2.T)).max()
print(f"fixed-point residual after 500 sweeps = {residual:.1e}")

sweeps = np.arange(16)
bounds = np.stack([toy.mean_field_bound(V, log_Z, n_iter=t, per_sample=True) for t in sweeps])
print("smallest change of 𝓛 over a sweep    =", np.diff(bounds, axis=0).min(), "(zero up to rounding, never below)")
log_post = log_P - log_p_v[:, None, None]
gap_kl = kl(log_q_table(mu1, mu2), log_post)  # KL(q ‖ P(h | v)) by enumeration
print("max |log P(v) − 𝓛 − KL(q ‖ P(h|v))|  =", np.abs(log_p_v - bound - gap_kl).max())
print(f"KL at the fixed point: from {gap_kl.min():.3f} to {gap_kl.max():.3f} nats (mean {gap_kl.mean():.3f})")
slow = np.argsort(bounds[3] - bounds[-1])[:4]  # the four v that converge slowest
L.saved(
    training_curves(
        {f"v = {V[i].astype(int)}": (sweeps, log_p_v[i] - bounds[:, i]) for i in slow},
        L.path("mean_field_gap.png"),
        xlabel="mean-field sweeps",
        ylabel="log P(v) − bound = KL(q ‖ P(h|v)), nats",
        title="toy DBM 5-6-4: mean field's gap to log P(v)",
        logy=True,
    )
)

# %% [markdown]
# ## 4. Learning: mean field for the data, persistent chains for the model
#
# The gradient of $\log P(v)$ has the Boltzmann form of the RBM lesson,
# $\partial \log P(v) / \partial W^1 = \mathbb E_{P(h \mid v)}[v h^{1\top}] - \mathbb E_{P}[v h^{1\top}]$,
# but now *both* expectations are intractable. Salakhutdinov & Hinton ascend the bound
# instead. Because $\mu$ maximises $\mathcal L$, its own change does not contribute to
# $d\mathcal L / d\theta$ at first order, and $\partial \log Z / \partial \theta =
# \mathbb E_P[-\partial E / \partial \theta]$, so
#
# $$\frac{\partial \mathcal L}{\partial W^1} = \underbrace{v \mu^{1\top}}_{\text{data, by mean field}}
#   - \underbrace{\mathbb E_P\big[v h^{1\top}\big]}_{\text{model}}, \qquad
#   \frac{\partial \mathcal L}{\partial W^2} = \mu^1 \mu^{2\top} - \mathbb E_P\big[h^1 h^{2\top}\big],$$
#
# and the biases by the means of their units (`DBM._gradients`). The model statistics
# come from **persistent chains** (stochastic approximation, as PCD in the RBM lesson):
# 100 "fantasy particles" advanced by $k = 5$ two-block Gibbs sweeps per update, never
# restarted. Check the gradient against finite differences of the bound on three data
# vectors (with $\log Z$ and the fixed point recomputed for each perturbed model), and the
# Gibbs chains of §2 as an estimate of the model statistic.

# %%
X_toy = V[[7, 19, 30]]
mu1_d, mu2_d = toy.mean_field(X_toy, n_iter=500)
model_vh1 = np.einsum("vak,vi,aj->ij", P, V, H1)  # E_P[v h¹ᵀ], by enumeration
model_h1h2 = np.einsum("vak,aj,kl->jl", P, H1, H2)  # E_P[h¹ h²ᵀ]
grad_W1 = X_toy.T @ mu1_d / len(X_toy) - model_vh1
grad_W2 = mu1_d.T @ mu2_d / len(X_toy) - model_h1h2


def bound_at(name, value):
    m = copy.deepcopy(toy)
    setattr(m, name, value)
    return m.mean_field_bound(X_toy, log_z=m.log_partition_exact(), n_iter=500)


eps = 1e-5
for name, grad in (("W1", grad_W1), ("W2", grad_W2)):
    W = getattr(toy, name)
    fd = np.zeros_like(W)
    for idx in np.ndindex(*W.shape):
        step = np.zeros_like(W)
        step[idx] = eps
        fd[idx] = (bound_at(name, W + step) - bound_at(name, W - step)) / (2 * eps)
    print(f"max |data − model statistics − finite differences| for {name}: {np.abs(grad - fd).max():.1e}")
chain_vh1 = v_s.T @ h1_s / n_chains  # the 4000 Gibbs chains of §2
print(
    f"max |Gibbs estimate of E_P[v h¹ᵀ] − enumeration| = {np.abs(chain_vh1 - model_vh1).max():.3f} "
    f"(sampling noise ~ 1/√4000 = {1 / np.sqrt(n_chains):.3f})"
)

# %% [markdown]
# **Greedy pretraining with doubled RBMs.** From small random weights the mean field of a
# DBM is a poor start, so the paper first trains the layers as RBMs. Composing two
# ordinary RBMs would count twice: the bottom RBM learns weights such that $v^\top W^1$
# alone is the right input to $h^1$, the top RBM such that $W^2 h^2$ alone is, and the
# DBM adds them. The fix (Salakhutdinov & Hinton 2009, §3.1) is to double the input that
# each RBM will share:
#
# * the bottom RBM has two tied copies of $v$: $P(h^1_j = 1 \mid v) = \sigma(c_j + 2\,v^\top W^1_{:,j})$,
#   $P(v_i = 1 \mid h^1) = \sigma(b_i + W^1_{i,:}h^1)$ — $h^1$ gets twice the bottom-up input,
#   standing in for the top-down input it will get from $h^2$;
# * the top RBM, trained on samples of $h^1$, has two copies of $h^2$:
#   $P(h^1_j = 1 \mid h^2) = \sigma(b'_j + 2\,W^2_{j,:}h^2)$.
#
# In the DBM, $h^1$ then gets $v^\top W^1 + W^2 h^2$, one of each — the average of the two
# doubled inputs — and its bias is the average of the two RBMs' biases for $h^1$
# (`DoubledRBM`, `DBM.pretrain`). The start of mean field, $\mu^1 = \sigma(c^1 + 2v^\top
# W^1)$, has the form of the bottom RBM's posterior. We compose by hand with and without
# the doubling and compare the exact $\log P(v)$ on bars-and-stripes $3 \times 3$ (14
# patterns of 9 pixels; the optimum is $\log(1/14) \approx -2.64$ nats).

# %%
X_bs = bars_and_stripes(3).astype(np.float64)
X_epoch = np.tile(X_bs, (10, 1))  # one "epoch" = 10 updates on mini-batches of 14


def compose(double, seed=0, n_epochs=50):
    """Train the two RBMs (inputs doubled or not) and build the DBM from them."""
    f = 2.0 if double else 1.0
    common = dict(learning_rate=0.3, batch_size=14, n_epochs=n_epochs, momentum=0.5, dtype="float64")
    bottom = DoubledRBM(9, 10, up=f, down=1, random_state=seed, **common).fit(X_epoch)
    r = np.random.default_rng(seed)
    h1 = (r.random((len(X_epoch), 10)) < bottom.p_h_given_v(X_epoch)).astype(np.float64)
    top = DoubledRBM(10, 6, up=1, down=f, random_state=seed + 1, **common).fit(h1)
    m = DBM(9, 10, 6, dtype="float64", random_state=seed)
    m.W1, m.W2, m.b, m.c2 = bottom.W, top.W, bottom.b, top.c
    m.c1 = (bottom.c + top.b) / 2
    return m


for seed in (0, 1):
    plain = compose(False, seed).log_prob_exact(X_bs).mean()
    doubled = compose(True, seed).log_prob_exact(X_bs).mean()
    print(f"seed {seed}: exact mean log P(v) after composing plain RBMs {plain:.2f}, doubled RBMs {doubled:.2f}")

# %% [markdown]
# Now the full procedure: `pretrain` (doubled RBMs) then `fit` (mean field + persistent
# chains), against `fit` from random weights. The exact log-likelihood is cheap here
# ($2^{10}$ states of $h^1$), so we plot it every epoch beside the mean-field bound with
# the exact $\log Z$.

# %%
epochs_bs = 300 if L.quick else 1000
curves, dbms = {}, {}
for label, pretrain in (("pretrained", True), ("random init", False)):
    m = DBM(
        9, 10, 6, learning_rate=0.1, batch_size=14, n_epochs=epochs_bs, n_persistent=100,
        momentum=0.5, random_state=0, dtype="float64",
    )
    if pretrain:
        m.pretrain(X_epoch, n_epochs=50, learning_rate=0.3, batch_size=14)
    ll, bnd = [m.log_prob_exact(X_bs).mean()], [m.mean_field_bound(X_bs, m.log_partition_exact())]

    def record(model, epoch, ll=ll, bnd=bnd):
        ll.append(model.log_prob_exact(X_bs).mean())
        bnd.append(model.mean_field_bound(X_bs, model.log_partition_exact()))

    m.fit(X_epoch, callback=record)
    curves[f"{label}: exact log P(v)"] = ll
    if pretrain:
        curves[f"{label}: mean-field bound"] = bnd
    dbms[label] = m
    print(f"{label:11s}: start {ll[0]:.2f}, after {epochs_bs} epochs {ll[-1]:.2f} nats (bound {bnd[-1]:.2f})")
curves["optimum log(1/14)"] = [np.log(1 / 14)] * (epochs_bs + 1)
L.saved(
    training_curves(
        curves,
        L.path("bars_and_stripes_loglik.png"),
        xlabel="epoch (10 updates)",
        ylabel="mean log P(v), nats",
        title="DBM 9-10-6 on bars-and-stripes 3x3",
    )
)
dbm = dbms["pretrained"]
print(elapsed(), "trained")

# %% [markdown]
# Two things to notice. On a problem this small, random initialisation catches up:
# pretraining is a head start here. On MNIST the paper always pretrains, because from
# small random weights the mean field of a large DBM is a poor start. And the bound ends
# within a few hundredths of a nat of $\log P(v)$, much closer than on the random toy of
# §3: maximising the bound also pushes the model towards posteriors that a factorised $q$
# describes well.
#
# ## 5. The partition function: AIS over $h^1$, and the bound on $\log P(v)$
#
# For MNIST ($n_1 = 500$) $\log Z$ must be estimated. AIS (see the RBM lesson) anneals
# from a base-rate model to the DBM through intermediate models of energy
# $E_\beta = \beta E - (1 - \beta)\, b_A^\top v$, $0 = \beta_0 < \dots < \beta_K = 1$. At
# $\beta = 0$ the visible units are independent with log-odds $b_A$ and $h^1, h^2$ are
# free, so $Z_0 = 2^{n_1 + n_2}\prod_i (1 + e^{b_{A,i}})$. As in §2, $v$ and $h^2$ can be
# summed out of every intermediate model, which leaves a distribution over $h^1$ alone,
#
# $$\log p^*_\beta(h^1) = \beta\, c^{1\top}h^1
#   + \sum_i \operatorname{softplus}\big((1 - \beta)\, b_{A,i} + \beta\,(b_i + W^1_{i,:} h^1)\big)
#   + \sum_k \operatorname{softplus}\big(\beta\,(c^2_k + h^{1\top} W^2_{:,k})\big).$$
#
# The chains carry $h^1$ only: $h^1_1 \sim p_0$ (uniform), $h^1_{k+1} \sim T_{\beta_k}(h^1_k)$,
# where the transition $T_{\beta_k}$ is one two-block Gibbs sweep of $E_{\beta_k}$ ($v$
# and $h^2$ given $h^1$, then $h^1$ given both), which leaves $p_{\beta_k}(h^1)$
# invariant. With $M$ runs,
#
# $$w^{(m)} = \prod_{k=1}^{K} \frac{p^*_{\beta_k}(h^1_k)}{p^*_{\beta_{k-1}}(h^1_k)}, \qquad
#   \hat Z = Z_0 \cdot \frac1M \sum_m w^{(m)}, \qquad \mathbb E[\hat Z] = Z.$$
#
# Summing out analytically makes the weights less noisy than annealing all three layers.
# First check $\log p^*_\beta$ against the toy's table at $\beta = 0.37$, and $Z_0$.

# %%
b_A = rng.normal(0, 1, NV)


def log_p_star(m, H, beta, b_A):
    """log p*_β(h¹) with v and h² summed out (the formula above), per row of H."""
    return (
        beta * (H @ m.c1)
        + softplus((1 - beta) * b_A + beta * (H @ m.W1.T + m.b)).sum(1)
        + softplus(beta * (H @ m.W2 + m.c2)).sum(1)
    )


beta = 0.37
neg_E_beta = beta * neg_E + (1 - beta) * (V @ b_A)[:, None, None]  # −E_β on the table
by_table = logsumexp(neg_E_beta, axis=(0, 2))  # log Σ_{v, h²} e^{−E_β}, per h¹
print("max |log p*_β(h¹) − enumeration| =", np.abs(log_p_star(toy, H1, beta, b_A) - by_table).max())
log_Z0 = (N1 + N2) * np.log(2) + softplus(b_A).sum()
print(f"log Z_0 = {log_Z0:.6f};  log Σ_h¹ p*_0(h¹) = {float(logsumexp(log_p_star(toy, H1, 0.0, b_A))):.6f}")

# %% [markdown]
# Now AIS on the trained bars-and-stripes DBM, whose $\log Z$ we know exactly (the base
# rate $b_A$ is the log-odds of the training data's pixel means, recorded by `fit`).
# Because $\mathbb E[\hat Z] = Z$, Jensen gives $\mathbb E[\log \hat Z] \le \log Z$: AIS
# tends to underestimate $\log Z$ slightly. A reported DBM figure is therefore
#
# $$\log P(v) \ge \mathcal L(v, \mu) = \big[\mathcal L(v, \mu) + \log Z\big] - \log Z
#   \approx \big[\mathcal L(v, \mu) + \log Z\big] - \log \hat Z,$$
#
# an *estimate* of a lower bound, which a low $\log \hat Z$ makes optimistic; the
# interval $\log(\hat Z \pm 3\hat\sigma)$ says by how much it may be.

# %%
exact_log_z = dbm.log_partition_exact()
n_betas = 2000 if L.quick else 14500
log_z_ais, (lo, hi) = dbm.ais_log_partition(n_betas=n_betas, n_runs=100, rng=0)
print(f"exact log Z = {exact_log_z:.4f};  AIS ({n_betas} betas, 100 runs) {log_z_ais:.4f} [{lo:.4f}, {hi:.4f}]")
unnorm = dbm.mean_field_bound(X_bs)  # 𝓛 + log Z, mean over the 14 patterns
print(f"mean exact log P(v)          = {dbm.log_prob_exact(X_bs).mean():.4f}")
print(f"mean bound, exact log Z      = {unnorm - exact_log_z:.4f}")
print(f"mean bound, AIS log Z        = {unnorm - log_z_ais:.4f}  (±3σ: [{unnorm - hi:.4f}, {unnorm - lo:.4f}])")
print(elapsed(), "AIS done")

# %% [markdown]
# ## 6. Samples and completions
#
# `DBM.sample` runs two-block Gibbs chains from base-rate $v$ and $h = 0$ and returns the
# last $v$. On bars-and-stripes we can say how many samples are valid patterns and compare
# with the model's exact mass on the 14 patterns, $\sum_{x \in \text{data}} P(x)$.
#
# A completion clamps the visible pixels we know and samples the rest: two-block Gibbs
# with the observed part of $v$ held fixed samples $P(v_\text{missing}, h^1, h^2 \mid
# v_\text{observed})$. `DBM.complete` returns $P(v = 1 \mid h^1)$ of the last sweep on the
# missing pixels; averaged over many chains it estimates the model's conditional
# $P(v_{\text{missing},i} = 1 \mid v_\text{observed})$, which here is exact by enumerating the
# $2^3$ possible bottom rows. Hiding the bottom row is ambiguous when the top two rows are
# each all-on or all-off (the six stripe patterns, the blank and the full image): the
# bottom row is then 000 or 111, and the model should hedge between them. Going from one
# to the other takes three pixels flipped together, through improbable states, so Gibbs
# sampling mixes slowly between the two modes: compare the chains after 20 and after
# 1,000 sweeps (the longer-trained DBM of the full run has sharper modes and mixes slower
# still).

# %%
samples = dbm.sample(32, n_gibbs=500, rng=0)
is_pattern = (samples[:, None, :] == X_bs[None]).all(axis=2).any(axis=1)
mass = np.exp(logsumexp(dbm.log_prob_exact(X_bs)))
print(f"{is_pattern.mean():.0%} of 32 samples are bars or stripes; the model's mass on them is {mass:.2f}")
L.saved(image_grid(samples, L.path("bars_and_stripes_samples.png"), nrow=8, shape=(3, 3)))

mask = np.zeros(9, dtype=bool)
mask[6:] = True  # hide the bottom row
occluded = X_bs.copy()
occluded[:, mask] = 0.5
rows = all_binary(3)  # the 8 possible bottom rows
exact_fill = np.empty((len(X_bs), 9))
for i, x in enumerate(X_bs):
    cands = np.tile(x, (8, 1))
    cands[:, mask] = rows
    w = np.exp(dbm.log_prob_exact(cands))
    exact_fill[i] = (w[:, None] * cands).sum(0) / w.sum()  # P(v_i = 1 | top two rows)
n_rep = 400  # chains per pattern
for n_gibbs in (20, 1000):
    filled = dbm.complete(np.repeat(occluded, n_rep, 0), mask, n_gibbs=n_gibbs, rng=0)
    filled = filled.reshape(len(X_bs), n_rep, 9).mean(axis=1)  # average over the chains
    err = np.abs(filled - exact_fill)[:, mask].max()
    print(f"{n_gibbs:4d} sweeps: max |Gibbs completion − exact conditional| = {err:.3f}")
L.saved(
    image_grid(
        np.concatenate([X_bs, occluded, filled, exact_fill]),
        L.path("bars_and_stripes_completions.png"),
        nrow=len(X_bs),
        shape=(3, 3),
        title="rows: pattern, hidden, DBM, exact",
    )
)

# %% [markdown]
# ### Binarized MNIST (full run only)
#
# Without `--quick`, and when the data is on disk (or can be downloaded), the lesson
# trains the paper's 784-500-1000 DBM on Larochelle's binarized MNIST: 10 pretraining
# epochs per doubled RBM and 10 epochs of joint training (the paper trains far longer,
# the benchmark of §8 for an hour), then estimates $\log Z$ by AIS with 14,500 betas and 100
# runs and reports the bound on 1,000 validation images, with samples and completions.

# %%
Xm = None
if L.quick:
    print("quick mode: the binarized MNIST part runs only in the full lesson")
else:
    try:
        from tinygen.data import binarized_mnist

        Xm = binarized_mnist("train").astype(np.float32)
        Xm_valid = binarized_mnist("valid").astype(np.float32)
    except Exception as exc:  # absent offline: skip this part
        print(f"binarized MNIST not available ({type(exc).__name__}: {str(exc).splitlines()[0]}); skipping")

if Xm is not None:
    dbm_m = DBM(784, 500, 1000, learning_rate=0.005, n_epochs=10, random_state=0, verbose=True)
    t = time.perf_counter()
    dbm_m.pretrain(Xm, n_epochs=10, learning_rate=0.05)
    print(elapsed(), f"pretrained in {time.perf_counter() - t:.0f} s")
    dbm_m.fit(Xm)
    print(elapsed(), f"trained {dbm_m}; train bound + log Z per epoch:",
          np.round(dbm_m.history_["mean_field_bound_unnormalized"], 2))
    log_z_m, (lo_m, hi_m) = dbm_m.ais_log_partition(n_betas=14500, n_runs=100, rng=0)
    unnorm_m = dbm_m.mean_field_bound(Xm_valid[:1000])
    print(
        elapsed(),
        f"AIS log Z = {log_z_m:.2f} [{lo_m:.2f}, {hi_m:.2f}]; mean-field bound on 1,000 "
        f"validation images {unnorm_m - log_z_m:.2f} nats (±3σ of log Z: "
        f"[{unnorm_m - hi_m:.2f}, {unnorm_m - lo_m:.2f}]); the paper's test bound: −84.62",
    )
    L.saved(filters_grid(dbm_m.W1, L.path("mnist_filters.png"), n_filters=64, nrow=8, title="W¹[:, j]"))
    probs = dbm_m.sample(64, n_gibbs=1000, rng=0, return_probabilities=True)
    L.saved(image_grid(probs, L.path("mnist_samples.png"), nrow=8, shape=(28, 28)))
    digits = Xm_valid[:8]
    half = np.zeros((28, 28), dtype=bool)
    half[14:] = True
    half = half.ravel()
    hidden = digits.copy()
    hidden[:, half] = 0.5
    filled_m = dbm_m.complete(hidden, half, n_gibbs=500, rng=0)
    L.saved(
        image_grid(
            np.concatenate([digits, hidden, filled_m]),
            L.path("mnist_completions.png"),
            nrow=8,
            shape=(28, 28),
            title="rows: original, bottom half hidden, DBM completion",
        )
    )

# %% [markdown]
# ## 7. The sigmoid belief net: the directed counterpart
#
# Point every arrow down and normalise each layer given the one above, and the DBM's
# units become a **sigmoid belief net** (SBN; Neal 1992, Deep Learning book §20.10.1).
# With layers $x^0 = v, x^1, \dots, x^L$,
#
# $$p(x^L_j = 1) = \sigma(b_j), \qquad p(x^l_i = 1 \mid x^{l+1}) = \sigma\big(c^l_i + (W^l x^{l+1})_i\big),
#   \qquad \log p(v, h) = \sum_l \sum_i \big[x^l_i a^l_i - \operatorname{softplus}(a^l_i)\big],$$
#
# with $a^l$ the logits. Each factor is normalised, so there is **no partition
# function**: $\log p(v, h)$ is exact and cheap, and sampling is one **ancestral** pass
# from the top down, with no Markov chain and no burn-in. What is hard is the posterior.
# In the RBM the hidden units are dependent a priori and independent given $v$; in an
# SBN the units of the top layer are independent a priori and dependent given $v$. Two
# causes that are independent a priori compete to explain an observation — **explaining
# away** — so $p(h \mid v)$ couples them. A net with one visible unit, "$v$ is on if
# either cause is":

# %%
sbn2 = SigmoidBeliefNet([1, 2], random_state=0)
sbn2.b = np.array([-1.5, -1.5])  # each cause is rare: p(h_j = 1) = σ(−1.5) ≈ 0.18
sbn2.W = [np.array([[5.0, 5.0]])]  # either cause switches v on
sbn2.c = [np.array([-3.0])]
Hc = all_binary(2)
post2 = np.exp(sbn2.log_joint(np.ones((4, 1)), [Hc]))
post2 /= post2.sum()  # p(h₁, h₂ | v = 1) over 00, 01, 10, 11
p1 = post2[2] + post2[3]
print(f"p(h₁=1) = {sigmoid(np.float64(-1.5)):.3f};  p(h₁=1 | v=1) = {p1:.3f};  "
      f"p(h₁=1 | v=1, h₂=1) = {post2[3] / (post2[1] + post2[3]):.3f};  "
      f"p(h₁=1 | v=1, h₂=0) = {post2[2] / (post2[0] + post2[2]):.3f}")

# ancestral samples of a random 4-3-2 net follow its exact marginal p(v)
sbn = SigmoidBeliefNet([4, 3, 2], random_state=3)
sbn.W = [rng.normal(0, 2.0, w.shape) for w in sbn.W]
sbn.c = [rng.normal(0, 1.0, c.shape) for c in sbn.c]
sbn.b = rng.normal(0, 1.0, 2)
p_sbn = np.exp(sbn.log_prob_exact(all_binary(4)))
draws = sbn.sample(20000, random_state=0)
freq = np.bincount((draws @ 2 ** np.arange(3, -1, -1)).astype(int), minlength=16) / 20000
print(f"Σ_v p(v) = {p_sbn.sum():.12f};  total variation |ancestral − exact| = {0.5 * np.abs(freq - p_sbn).sum():.3f}")

# %% [markdown]
# Observing $v = 1$ raises $p(h_1 = 1)$ from 0.18 to 0.50. Learning that $h_2 = 1$ accounts
# for the observation, so $h_1$ falls back to about its prior (0.20): $h_2$ explains $h_1$
# away. Learning that $h_2 = 0$ raises it to 0.81. To learn, an SBN is given a
# **recognition model**
# $q(h \mid v) = \prod_l q(x^{l+1} \mid x^l)$, $q(x^{l+1}_j = 1 \mid x^l) =
# \sigma(d^l_j + (x^l R^l)_j)$, that proposes hidden states. With $h_s \sim q$, the
# importance-sampled estimate
#
# $$\log \hat p_k(v) = \log \frac1k \sum_{s=1}^k \frac{p(v, h_s)}{q(h_s \mid v)}$$
#
# has $\mathbb E[\hat p_k] = p(v)$, so $\mathbb E[\log \hat p_k(v)] \le \log p(v)$ (Jensen), and
# the bound tightens as $k$ grows (Burda et al. 2016) — $k = 1$ is the ELBO of the VAE
# lesson. Check it on the 4-3-2 net (with a random, poor $q$) against `log_prob_exact`,
# averaging 200 estimates for each $k$.

# %%
sbn.R = [rng.normal(0, 1.0, r.shape) for r in sbn.R]
V4 = all_binary(4)
exact4 = sbn.log_prob_exact(V4)
ks = np.array([1, 3, 10, 30, 100, 300, 1000])
mean_est = np.array([
    np.mean([sbn.log_prob_is(V4, k=k, random_state=r) for r in range(200)], axis=0) for k in ks
])
gap = (exact4 - mean_est).mean(axis=1)  # log p(v) − E[log p̂_k], averaged over the 16 v
for k, g in zip(ks, gap):
    print(f"k = {k:5d}: log p(v) − E[log p̂_k(v)] = {g:.4f} nats")
assert np.all(np.diff(gap) < 0.01)  # tightens with k, up to the noise of 200 estimates
L.saved(
    training_curves(
        {"log p(v) − E[log p̂_k(v)], mean over 16 v": (np.log10(ks), gap)},
        L.path("sbn_importance_bound.png"),
        xlabel="log10 k",
        ylabel="nats",
        title="SBN 4-3-2: the importance-sampled bound tightens with k",
        logy=True,
    )
)

# %% [markdown]
# **Wake-sleep vs reweighted wake-sleep.** The gradient of $\log p(v)$ is a posterior
# expectation, $\nabla_\theta \log p(v) = \mathbb E_{p(h \mid v)}[\nabla_\theta \log p(v, h)]$.
#
# * **Wake-sleep** (Hinton et al. 1995) replaces the posterior by one sample of $q$: the
#   *wake* phase ascends $\log p(v, h)$ with $h \sim q(h \mid v)$ on the data; the *sleep*
#   phase draws a "dream" $(v, h) \sim p$ ancestrally and ascends $\log q(h \mid v)$ on it.
#   Each step is a delta rule, $\Delta W \propto (x - \sigma(a))\,\text{parents}^\top$. The
#   two phases optimise different objectives (the sleep phase minimises
#   $\mathrm{KL}(p(h \mid v) \,\|\, q)$ on dreams, not on data), so nothing guarantees
#   that the pair converges.
# * **Reweighted wake-sleep** (Bornschein & Bengio 2015) draws $k$ samples of $q$ and
#   weights them by the self-normalised importance weights,
#   $\tilde w_s = \frac{p(v, h_s) / q(h_s \mid v)}{\sum_{s'} p(v, h_{s'}) / q(h_{s'} \mid v)}$,
#   $\nabla_\theta \log p(v) \approx \sum_s \tilde w_s \nabla_\theta \log p(v, h_s)$ —
#   consistent as $k \to \infty$ — and trains $q$ with the same weights on the data (the
#   *wake* phase for $q$), plus the sleep phase.
#
# Train both on bars-and-stripes with 8 hidden units for the same number of epochs and
# plot the exact log-likelihood. RWS evaluates $k = 5$ samples per image where wake-sleep
# evaluates one, so on large nets its epochs cost more; §8 compares them at equal time.

# %%
epochs_sbn = 150 if L.quick else 400
X_rep = np.repeat(X_bs, 20, axis=0)
sbn_curves, sbns = {}, {}
for method in ("wake_sleep", "rws"):
    net = SigmoidBeliefNet([9, 8], random_state=0)
    t = time.perf_counter()
    curve = [net.log_prob_exact(X_bs).mean()]
    net.fit(
        X_rep, method=method, n_epochs=epochs_sbn, lr=0.5, k=5, random_state=0,
        callback=lambda m, epoch, curve=curve: curve.append(m.log_prob_exact(X_bs).mean()),
    )
    sbn_curves[f"{method}: exact log p(v)"] = curve
    sbns[method] = net
    est = net.log_prob_is(X_bs, k=1000, random_state=0).mean()
    print(f"{method:10s}: exact {curve[-1]:.3f} nats, log p̂_1000 {est:.3f}, {time.perf_counter() - t:.1f} s")
sbn_curves["optimum log(1/14)"] = [np.log(1 / 14)] * (epochs_sbn + 1)
sbn_curves["DBM 9-10-6 (§4), final"] = [dbms["pretrained"].log_prob_exact(X_bs).mean()] * (epochs_sbn + 1)
L.saved(
    training_curves(
        sbn_curves,
        L.path("sbn_wake_sleep_vs_rws.png"),
        xlabel="epoch (14 updates)",
        ylabel="mean log p(v), nats",
        title="SBN 9-8 on bars-and-stripes 3x3",
    )
)
L.saved(image_grid(sbns["rws"].sample(32, random_state=0), L.path("sbn_samples.png"), nrow=8, shape=(3, 3)))

# %% [markdown]
# ## 8. The benchmark figures
#
# Two scripts measure these models on binarized MNIST; the numbers they give on the
# project's machine, with the command that reproduces each, are in the README's
# **Figures** table.
#
# * `benchmarks/bench_dbm.py` pretrains and jointly trains a 784-500-1000 DBM for a time
#   budget, estimates $\log Z$ by AIS (14,500 betas, 100 runs) and reports the mean-field
#   bound of §5 on the held-out images, beside the published **84.62 nats**
#   (Salakhutdinov & Hinton 2009, their bound with AIS $\log \hat Z$ on the test set,
#   after far longer training). Remember that it is an estimate of a bound: §5.
# * `benchmarks/bench_sbn.py` trains a 784-200 SBN with wake-sleep and with RWS for the
#   same time and reports $-\log \hat p_{1000}(v)$ on 1,000 validation images: here
#   reweighted wake-sleep reaches **114.44 ± 0.86 nats** against wake-sleep's
#   **117.60 ± 0.96** at equal time (8 minutes each), the same order as on bars-and-stripes in §7.
#
# Both models also train from the command line, with a run folder of metrics and
# checkpoints: `tinygen train dbm --data bars_and_stripes` and `tinygen train sbn --data
# bars_and_stripes` (see `docs/cli.md` for the MNIST settings).

# %%
print(f"lesson ran in {time.perf_counter() - T0:.1f} s")

# %% [markdown]
# ## Exercises
#
# **Graded versions** of this lesson's derivations are in `exercises/dbm.py`: an
# instructor hands them out with `tinygen exercises release OUT` and grades them with
# `tinygen exercises grade SUBMISSIONS/` (property tests against the derivations; see
# `docs/exercises.md`). The open-ended exercises below are not graded.
#
# 1. **A third layer.** Write the energy of a DBM with layers $v, h^1, h^2, h^3$ and show
#    that $\{h^1, h^3\}$ and $\{v, h^2\}$ are each conditionally independent given the
#    other. Which units must you enumerate for an exact $\log Z$ with the rest summed in
#    closed form, as in §2? Is enumerating $h^2$ alone enough? Which set would you
#    enumerate for $n_v = 784$?
# 2. **Parallel mean field.** `DBM.mean_field` updates $\mu^1$, then $\mu^2$ from the new
#    $\mu^1$. Write the *simultaneous* update (both from the old means) and run it on
#    `toy` with $W^1, W^2$ scaled by 3. Does $\mathcal L$ still rise every sweep? Explain
#    with the argument of §3 why the sequential order cannot fail.
# 3. **How much doubling?** Extend `compose` to a factor $f$ (bottom input $f\,v^\top W^1$,
#    top input $f\,W^2 h^2$) and plot the exact $\log P(v)$ of the composed DBM for
#    $f \in \{1, 1.5, 2, 3\}$. Why is $f = 2$ the natural choice for a two-layer DBM, and
#    what would the middle layer of a three-layer DBM need?
# 4. **The AIS schedule.** On `dbm`, run `ais_log_partition` with 100, 1,000 and 10,000
#    betas, 20 runs each, over 10 seeds. Plot the error of $\log \hat Z$ against the exact
#    value and the width of the interval. How does the error move the estimated bound
#    of §5?
# 5. **Explaining away, in numbers.** For `sbn2`, compute the correlation of $h_1$ and
#    $h_2$ under $p(h)$, under $p(h \mid v = 1)$ and under $p(h \mid v = 0)$. Then compute
#    the same correlation for two units of $h^1$ under the toy DBM's posterior
#    $P(h^1 \mid v)$: where does the DBM's dependence come from?
# 6. **RWS with k.** Train the SBN of §7 with RWS for $k \in \{1, 5, 20\}$ for the *same
#    wall time* and compare the exact log-likelihood. How does RWS with $k = 1$ differ
#    from wake-sleep?
