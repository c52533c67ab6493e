# ---
# jupyter:
#   jupytext:
#     text_representation:
#       extension: .py
#       format_name: percent
# ---

# %% [markdown]
# # Restricted Boltzmann machines: energy, factorized conditionals, CD, PCD and AIS
#
# A restricted Boltzmann machine (RBM) is an energy-based model of binary visible units
# $v \in \{0,1\}^{n}$ and binary hidden units $h \in \{0,1\}^{m}$ with connections only
# *between* the layers (Deep Learning book, §16.7.1 and §20.2). This lesson derives each
# formula the library uses, checks it numerically against brute-force enumeration of a
# tiny model, then trains RBMs on bars-and-stripes (where the log-likelihood is exact) and
# on binarized MNIST (where it is estimated by annealed importance sampling).
#
# Library code: `tinygen/models/rbm.py` (class `RBM`), `tinygen/models/ais.py`,
# `tinygen/models/_enumerate.py`, `tinygen/numerics.py` (log-sum-exp). Tests:
# `tests/models/test_rbm.py`, `tests/models/test_ais.py`.

# %%
import time

import numpy as np

from tinygen.data import bars_and_stripes
from tinygen.lessons import setup_lesson
from tinygen.models._enumerate import all_binary
from tinygen.models.ais import base_rate
from tinygen.models.rbm import RBM
from tinygen.numerics import logsumexp
from tinygen.viz import filters_grid, image_grid, training_curves

L = setup_lesson("rbm")
T0 = time.perf_counter()
print(f"quick={L.quick}; pictures go to {L.out}")


def elapsed():
    return f"[{time.perf_counter() - T0:.1f} s]"


# %% [markdown]
# ## 1. Energy and joint distribution
#
# The RBM assigns every joint configuration an energy
#
# $$E(v, h) = -b^\top v - c^\top h - v^\top W h,$$
#
# with visible biases $b \in \mathbb R^n$, hidden biases $c \in \mathbb R^m$ and weights
# $W \in \mathbb R^{n \times m}$, and the Boltzmann distribution
#
# $$P(v, h) = \frac{1}{Z} e^{-E(v, h)}, \qquad Z = \sum_{v}\sum_{h} e^{-E(v, h)}.$$
#
# $Z$ sums $2^{n+m}$ terms: fine for a toy model, hopeless for MNIST ($2^{784+500}$).
# We build a toy model with 4 visible and 3 hidden units, in float64, and enumerate it.

# %%
rng = np.random.default_rng(0)
toy = RBM(4, 3, random_state=0, dtype="float64")
toy.W = rng.normal(0, 1.5, (4, 3))
toy.b = rng.normal(0, 1, 4)
toy.c = rng.normal(0, 1, 3)

V, H = all_binary(4), all_binary(3)  # all 16 visible and 8 hidden configurations
neg_E = (V @ toy.b)[:, None] + (H @ toy.c)[None, :] + V @ toy.W @ H.T  # −E(v, h), (16, 8)
log_Z = float(logsumexp(neg_E))  # float64 in, float64 out
P_joint = np.exp(neg_E - log_Z)
print(f"log Z = {log_Z:.6f};  Σ P(v, h) = {P_joint.sum():.12f}")
# the library's energy agrees with the formula
vi, hi = np.meshgrid(np.arange(16), np.arange(8), indexing="ij")
assert np.allclose(toy.energy(V[vi.ravel()], H[hi.ravel()]), -neg_E.ravel())

# %% [markdown]
# ## 2. The conditionals factorize
#
# Condition on $v$. Every term of $-E$ without $h$ cancels between numerator and
# denominator; write $a_j = c_j + v^\top W_{:,j}$:
#
# $$P(h \mid v) = \frac{P(v,h)}{\sum_{h'} P(v,h')}
#   = \frac{e^{b^\top v + c^\top h + v^\top W h}}{\sum_{h'} e^{b^\top v + c^\top h' + v^\top W h'}}
#   = \frac{e^{\sum_j a_j h_j}}{\sum_{h'} e^{\sum_j a_j h'_j}}.$$
#
# The exponential of a sum is a product, and the sum over $h' \in \{0,1\}^m$ of a product
# of factors each depending on one $h'_j$ is the product of the one-unit sums:
#
# $$P(h \mid v) = \frac{\prod_j e^{a_j h_j}}{\prod_j \sum_{h'_j \in \{0,1\}} e^{a_j h'_j}}
#   = \prod_j \frac{e^{a_j h_j}}{1 + e^{a_j}}.$$
#
# So the hidden units are independent given $v$, and each is a logistic unit:
#
# $$P(h_j = 1 \mid v) = \frac{e^{a_j}}{1 + e^{a_j}} = \sigma\big(c_j + v^\top W_{:,j}\big).$$
#
# By the symmetry of $E$ in the two layers,
# $P(v_i = 1 \mid h) = \sigma\big(b_i + W_{i,:} h\big)$. Check both against enumeration:
# $P(h \mid v)$ is a row of the joint table, normalized.

# %%
P_h_given_v = P_joint / P_joint.sum(axis=1, keepdims=True)  # (16 v, 8 h)
q = toy.p_h_given_v(V)  # σ(c + vW), (16, 3)
factorized = np.prod(np.where(H[None] == 1, q[:, None, :], 1 - q[:, None, :]), axis=2)
print("max |Π_j σ(a_j)^h_j (1-σ)^(1-h_j) − P(h|v)| =", np.abs(factorized - P_h_given_v).max())
P_v_given_h = (P_joint / P_joint.sum(axis=0, keepdims=True)).T  # (8 h, 16 v)
print(
    "max |P(v_i=1|h) − enumeration|          =", np.abs(toy.p_v_given_h(H) - P_v_given_h @ V).max()
)

# %% [markdown]
# ## 3. The free energy
#
# Summing the hidden units out uses the same factorization:
#
# $$P(v) = \frac1Z \sum_h e^{-E(v,h)} = \frac1Z e^{b^\top v} \prod_j \big(1 + e^{a_j}\big)
#   = \frac1Z e^{-F(v)},\qquad
#   F(v) = -b^\top v - \sum_j \operatorname{softplus}\big(c_j + v^\top W_{:,j}\big).$$
#
# $F$ is computable in $O(nm)$ for any $v$; only $Z$ remains hard. The same trick over the
# *visible* units gives $Z = \sum_h e^{c^\top h}\prod_i (1 + e^{b_i + W_{i,:}h})$, so $Z$ is
# exact when the *smaller* layer is small (`RBM.log_partition_exact`, up to 25 units).

# %%
F = toy.free_energy(V)
print("max |F(v) + log Σ_h e^{−E(v,h)}| =", np.abs(F + logsumexp(neg_E, axis=1)).max())
print(f"log_partition_exact() = {toy.log_partition_exact():.6f}  (enumeration {log_Z:.6f})")

# %% [markdown]
# ## 4. The log-likelihood gradient: positive and negative phase
#
# With $\log P(v) = -F(v) - \log Z$ and $\log Z = \log \sum_{v} e^{-F(v)}$,
#
# $$\frac{\partial \log P(v)}{\partial \theta} = -\frac{\partial F(v)}{\partial \theta}
#   + \sum_{\tilde v} P(\tilde v)\,\frac{\partial F(\tilde v)}{\partial \theta}.$$
#
# Since $\partial \operatorname{softplus}(x)/\partial x = \sigma(x)$:
# $-\partial F/\partial W_{ij} = v_i\, \sigma(a_j)$, $-\partial F/\partial b_i = v_i$,
# $-\partial F/\partial c_j = \sigma(a_j)$. Hence
#
# $$\nabla_W \log P = \underbrace{\langle v\, \sigma(a)^\top \rangle_{\text{data}}}_{\text{positive phase}}
#   - \underbrace{\langle v\, \sigma(a)^\top \rangle_{\text{model}}}_{\text{negative phase}}.$$
#
# The positive phase is cheap; the negative phase is an expectation under the model,
# exact here by enumeration. Check against finite differences of the exact mean
# log-likelihood of three data vectors.

# %%
X_toy = np.array([[1, 0, 1, 1], [0, 0, 1, 0], [1, 1, 1, 1]], dtype=float)
P_v = np.exp(-toy.free_energy(V) - toy.log_partition_exact())
grad_W = X_toy.T @ toy.p_h_given_v(X_toy) / 3 - V.T @ (P_v[:, None] * toy.p_h_given_v(V))


def mean_log_lik(W):
    m = RBM(4, 3, dtype="float64")
    m.W, m.b, m.c = W, toy.b, toy.c
    return m.log_likelihood(X_toy, m.log_partition_exact())


eps, fd = 1e-6, np.zeros_like(toy.W)
for i in range(4):
    for j in range(3):
        E_ij = np.zeros_like(toy.W)
        E_ij[i, j] = eps
        fd[i, j] = (mean_log_lik(toy.W + E_ij) - mean_log_lik(toy.W - E_ij)) / (2 * eps)
print("max |positive − negative phase − finite differences| =", np.abs(grad_W - fd).max())

# %% [markdown]
# ## 5. Contrastive divergence versus persistent contrastive divergence
#
# For real models the negative phase must be sampled. Block Gibbs sampling alternates the
# two factorized conditionals, $h \sim P(h \mid v)$, $v \sim P(v \mid h)$; its samples
# converge to $P(v, h)$.
#
# * **CD-k** (Hinton 2002) starts a chain *at each data vector* and runs $k$ steps (often
#   $k=1$): low variance, but biased — the chain never wanders far from the data, so
#   spurious modes far from the data are never seen and never pushed down.
# * **PCD / SML** (Tieleman 2008) keeps a set of *persistent* chains across parameter
#   updates: each update continues the chains from where the previous one left them. With
#   small learning rates the chains stay close to the current model's distribution, so the
#   estimate of the negative phase is nearly unbiased.
#
# In both, `RBM._gradients(v_data, v_model)` returns
# $\langle v\,\sigma(a)^\top\rangle_{\text{data}} - \langle v\,\sigma(a)^\top\rangle_{v_\text{model}}$
# (hidden *probabilities*, not samples — less noise), which is exactly
# $-\nabla_\theta\big[\overline{F(v_\text{data})} - \overline{F(v_\text{model})}\big]$ with the
# samples held fixed (a property test checks this with autograd).
#
# Bars-and-stripes 3×3 has 14 patterns; with 9 visible units, $Z$ is exact, so we can plot
# the true log-likelihood during training. The optimum is $\log(1/14) \approx -2.64$ nats.

# %%
X_bs = bars_and_stripes(3)
X_epoch = np.tile(X_bs, (10, 1))  # one "epoch" = 10 updates on mini-batches of 14
epochs_bs = 100 if L.quick else 300
curves = {}
models_bs = {}


def exact_log_likelihood(model):
    return model.log_likelihood(X_bs, model.log_partition_exact())


for label, method in (("CD-1", "cd"), ("PCD-1", "pcd")):
    rbm = RBM(
        9,
        16,
        method=method,
        learning_rate=0.3,
        batch_size=14,
        n_epochs=epochs_bs,
        lr_schedule="linear",
        weight_decay=0.0,
        n_persistent=100,
        random_state=0,
    )
    curve = [exact_log_likelihood(rbm)]
    rbm.fit(X_epoch, callback=lambda m, e, curve=curve: curve.append(exact_log_likelihood(m)))
    curves[label] = curve
    models_bs[label] = rbm
    log_z = rbm.log_partition_exact()
    mass = np.exp(logsumexp(rbm.log_likelihood(X_bs, log_z, per_sample=True)))
    print(f"{label}: exact log-likelihood {curve[-1]:.3f} nats, mass on the 14 patterns {mass:.2f}")
curves["optimum log(1/14)"] = [np.log(1 / 14)] * (epochs_bs + 1)
L.saved(
    training_curves(
        curves,
        L.path("bars_and_stripes_loglik.png"),
        xlabel="epoch (10 updates)",
        ylabel="exact mean log-likelihood (nats)",
        title="bars-and-stripes 3x3, 16 hidden units",
    )
)
samples_bs = models_bs["PCD-1"].sample(32, n_gibbs=200, rng=0)
L.saved(image_grid(samples_bs, L.path("bars_and_stripes_samples.png"), nrow=8, shape=(3, 3)))

# %% [markdown]
# ## 6. The partition function and annealed importance sampling
#
# For MNIST neither layer is small, so $\log Z$ must be estimated. **AIS** (Neal 2001;
# Salakhutdinov & Murray 2008) anneals from a tractable *base-rate* model $p_A(v) =
# \prod_i \sigma(b^A_i)^{v_i}(1-\sigma(b^A_i))^{1-v_i}$ (biases from the data marginals) to the
# RBM through the intermediate models, $0 = \beta_0 < \dots < \beta_K = 1$,
#
# $$p^*_\beta(v) = e^{(1-\beta)\, b_A^\top v + \beta\, b^\top v}\prod_j\big(1 + e^{\beta(c_j + v^\top W_{:,j})}\big),$$
#
# each an RBM whose energy is scaled by $\beta$, so Gibbs sampling stays exact. Run $M$
# chains $v_1 \sim p_A$, $v_{k+1} \sim T_{\beta_k}(v_k)$ and accumulate
#
# $$w = \prod_{k=1}^{K} \frac{p^*_{\beta_k}(v_k)}{p^*_{\beta_{k-1}}(v_k)}, \qquad
#   \mathbb E[w] = \frac{Z_B}{Z_A},\qquad Z_A = 2^m \prod_i (1 + e^{b^A_i}).$$
#
# The estimate $\hat Z = Z_A \cdot \overline w$ is unbiased, $\log \hat Z$ slightly low on
# average; the interval reported is $\log(\hat Z \pm 3\hat\sigma)$. Check on the
# bars-and-stripes RBM whose $\log Z$ we know exactly.

# %%
rbm = models_bs["PCD-1"]
exact = rbm.log_partition_exact()
est, (lo, hi) = rbm.ais_log_partition(n_betas=1000 if L.quick else 14500, n_runs=100, rng=0)
print(elapsed(), f"exact log Z = {exact:.4f};  AIS {est:.4f}, ±3σ interval [{lo:.4f}, {hi:.4f}]")

# %% [markdown]
# ## 7. Binarized MNIST
#
# Larochelle's binarized MNIST (50,000 training, 10,000 validation images of 28×28). In
# quick mode a few thousand images and two epochs; the full run trains 500 hidden units
# with CD-1 and reports the validation log-likelihood with Salakhutdinov & Murray's AIS
# settings (14,500 betas, 100 runs). Published: about −86 nats for CD-25 with 500 hidden
# units; CD-1 is typically a few nats worse.

# %%
try:
    from tinygen.data import binarized_mnist

    Xm = binarized_mnist("train")
    Xm_valid = binarized_mnist("valid")
except Exception as exc:  # absent offline: skip this part
    Xm = None
    print(
        f"binarized MNIST not available ({type(exc).__name__}: {str(exc).splitlines()[0]}); skipping section 7"
    )

if Xm is not None:
    n_train = 10000 if L.quick else len(Xm)
    n_hidden = 200 if L.quick else 500
    rbm_m = RBM(
        784,
        n_hidden,
        learning_rate=0.05,
        batch_size=100 if L.quick else 100,
        n_epochs=5 if L.quick else 20,
        momentum=0.5,
        lr_schedule="linear",
        random_state=0,
        verbose=True,
    )
    t = time.perf_counter()
    rbm_m.fit(Xm[:n_train])
    print(elapsed(), f"trained {rbm_m} on {n_train} images in {time.perf_counter() - t:.1f} s")
    betas, runs = (2000, 100) if L.quick else (14500, 100)
    log_z, (lo, hi) = rbm_m.ais_log_partition(
        n_betas=betas, n_runs=runs, base_rate=base_rate(Xm[:n_train]), rng=0
    )
    if L.quick:
        print(
            "(quick mode: few betas give a noisy log Z and a wide interval — compare with 14,500)"
        )
    Xv = Xm_valid[: 1000 if L.quick else len(Xm_valid)]
    ll = rbm_m.log_likelihood(Xv, log_z)
    print(
        elapsed(),
        f"AIS ({betas} betas, {runs} runs): log Z = {log_z:.2f} [{lo:.2f}, {hi:.2f}]; "
        f"validation log-likelihood {ll:.2f} nats (±3σ: [{ll - (hi - log_z):.2f}, "
        f"{ll + (log_z - lo):.2f}])",
    )
    # filters: columns of W as 28×28 images
    L.saved(
        filters_grid(
            rbm_m.W, L.path("mnist_filters.png"), n_filters=64, nrow=8, title="RBM filters W[:, j]"
        )
    )
    # Gibbs chains: 8 chains, a snapshot every `stride` steps, P(v|h) shown
    stride, n_snap = (10, 6) if L.quick else (200, 10)
    v = None
    snaps = []
    for s in range(n_snap):
        probs = rbm_m.sample(8, n_gibbs=stride, rng=s, v0=v, return_probabilities=True)
        snaps.append(probs)
        v = (L.rng.random(probs.shape) < probs).astype(np.float32)
    chain = np.stack(snaps, axis=1).reshape(-1, 784)  # row = chain, column = time
    L.saved(image_grid(chain, L.path("mnist_gibbs_chains.png"), nrow=n_snap, shape=(28, 28)))
    # completions: bottom half occluded, clamped Gibbs fills it in
    digits = Xm_valid[:8].astype(np.float32)
    mask = np.zeros((28, 28), dtype=bool)
    mask[14:] = True
    mask = mask.ravel()
    occluded = digits.copy()
    occluded[:, mask] = 0.5
    filled = rbm_m.complete(occluded, mask, n_gibbs=30 if L.quick else 500, rng=0)
    L.saved(
        image_grid(
            np.concatenate([digits, occluded, filled]),
            L.path("mnist_completions.png"),
            nrow=8,
            shape=(28, 28),
            title="rows: original, bottom half hidden, RBM completion",
        )
    )

print(f"lesson ran in {time.perf_counter() - T0:.1f} s")

# %% [markdown]
# ## Exercises
#
# **Graded versions** of this lesson's derivations are in `exercises/rbm.py`: an
# instructor hands them out with `tinygen exercises release OUT` and grades them with
# `tinygen exercises grade SUBMISSIONS/` (property tests against the derivations; see
# `docs/exercises.md`). The open-ended exercises below are not graded.
#
# 1. **Derive $P(v \mid h)$.** Repeat the derivation of §2 for the visible units and show
#    $P(v_i = 1 \mid h) = \sigma(b_i + W_{i,:}h)$. Check it against `P_v_given_h` above.
# 2. **Implement CD-k's negative phase.** Write a function that, given a mini-batch and
#    an `RBM`, runs $k$ steps of block Gibbs with `p_h_given_v`/`p_v_given_h` and returns
#    `(dW, db, dc)`; compare with `rbm._gradients(v_data, rbm.gibbs(v_data, k))` at the
#    same seed.
# 3. **Free-energy invariance.** Flip the meaning of hidden unit $j$, $h_j \to 1 - h_j$,
#    and rewrite $E(v, h)$: show that the RBM with $W'_{:,j} = -W_{:,j}$, $c'_j = -c_j$,
#    $b' = b + W_{:,j}$ has $F'(v) = F(v) + \text{const}$, hence the same $P(v)$, and that
#    $\log Z$ moves by the same constant. Verify numerically on `toy` with `free_energy`
#    and `log_partition_exact`. What does this say about the identifiability of $W$?
# 4. **AIS schedule.** Rerun §6 with 100, 1,000 and 10,000 betas and 20 runs; plot the
#    error of $\log \hat Z$ and the width of the interval. Why is $\log \hat Z$ more often
#    below $\log Z$ than above?
# 5. **CD's bias.** Train bars-and-stripes with CD-1, CD-10 and PCD for the same number
#    of updates and compare the exact log-likelihood curves. Where does CD-1 put the mass
#    it does not put on the 14 patterns?
