# ---
# jupyter:
#   jupytext:
#     text_representation:
#       extension: .py
#       format_name: percent
# ---

# %% [markdown]
# # Graded exercises: deep Boltzmann machines and sigmoid belief nets
#
# Companion to the lesson `dbm` (`tinygen lesson dbm`). The two-layer DBM has binary
# visible units v ∈ {0,1}ⁿ, hidden layers h¹ ∈ {0,1}ᵐ and h² ∈ {0,1}ᵏ, weights `W1` of
# shape (n, m) and `W2` of shape (m, k), biases `b` (n,), `c1` (m,), `c2` (k,), and the
# energy
#
#     E(v, h¹, h²) = −vᵀb − h¹ᵀc¹ − h²ᵀc² − vᵀW¹h¹ − h¹ᵀW²h²,   p = e^{−E} / Z.
#
# Rows of `v` (shape (N, n)), `h1`, `mu1` (N, m) and `h2`, `mu2` (N, k) are samples. The
# grader checks your functions against brute-force enumeration of every (v, h¹, h²) of a
# tiny DBM, with tinygen's `DBM` and `SigmoidBeliefNet` as references. softplus(t) =
# log(1 + eᵗ) is `np.logaddexp(0, t)`.

# %%
import itertools

import numpy as np

# %% grader="*"
import hypothesis.strategies as st
from hypothesis import given
from hypothesis.extra import numpy as hnp

from tinygen.exercises.checks import assert_close
from tinygen.models import DBM, SigmoidBeliefNet
from tinygen.models._enumerate import all_binary
from tinygen.models.dbm import bernoulli_entropy
from tinygen.numerics import log_softmax, logsumexp


@st.composite
def _dbms(draw, scale=3.0):
    """A float64 tinygen DBM with 1–3 units per layer and parameters in [−scale, scale]."""
    n, m, k = (draw(st.integers(1, 3), label=name) for name in ("n", "m", "k"))
    el = st.floats(-scale, scale, allow_nan=False)
    dbm = DBM(n, m, k, dtype=np.float64, random_state=0)
    for name, shape in (("W1", (n, m)), ("W2", (m, k)), ("b", (n,)), ("c1", (m,)), ("c2", (k,))):
        setattr(dbm, name, draw(hnp.arrays(np.float64, shape, elements=el), label=name))
    return dbm


def _params(dbm):
    return dbm.W1, dbm.W2, dbm.b, dbm.c1, dbm.c2


def _joint(dbm):
    """Every state (v, h¹, h²) and its probability."""
    n, m = dbm.n_visible, dbm.n_hidden1
    S = all_binary(n + m + dbm.n_hidden2)
    v, h1, h2 = S[:, :n], S[:, n : n + m], S[:, n + m :]
    return v, h1, h2, np.exp(log_softmax(-dbm.energy(v, h1, h2)))


def _means(dbm, draw, n_rows):
    """Mean-field means μ¹ (n_rows, m) and μ² (n_rows, k) in [0.01, 0.99]."""
    el = st.floats(0.01, 0.99, allow_nan=False)
    mu1 = draw(hnp.arrays(np.float64, (n_rows, dbm.n_hidden1), elements=el), label="mu1")
    mu2 = draw(hnp.arrays(np.float64, (n_rows, dbm.n_hidden2), elements=el), label="mu2")
    return mu1, mu2


def _bound(dbm, v, mu1, mu2):
    """The unnormalized mean-field bound 𝓛 + log Z, per row (the reference for sweeps)."""
    W1, W2, b, c1, c2 = _params(dbm)
    return (
        v @ b + mu1 @ c1 + mu2 @ c2 + ((v @ W1) * mu1).sum(1) + ((mu1 @ W2) * mu2).sum(1)
        + bernoulli_entropy(mu1) + bernoulli_entropy(mu2)
    )


# %% [markdown]
# ## 1. The first hidden layer given its two neighbours (2 points)
#
# The layers of a DBM split into the odd {h¹} and the even {v, h²}; given the even layers
# the units of h¹ are independent and each is a logistic regression on *both* of its
# neighbours:  P(h¹ⱼ = 1 | v, h²) = σ(c¹ⱼ + Σᵢ vᵢ W¹ᵢⱼ + Σₖ W²ⱼₖ h²ₖ)  (lesson §2). Write
# `p_h1_given_v_h2(v, h2, W1, W2, c1)` returning an array of shape (N, m). Mind which axis
# of `W2` indexes h¹.

# %% exercise="p_h1_given_v_h2" points=2
def p_h1_given_v_h2(v, h2, W1, W2, c1):
    """P(h¹_j = 1 | v, h²) = σ(c¹_j + (v W¹)_j + (W² h²)_j), of shape (n_samples, n_hidden1)."""
    ### BEGIN SOLUTION
    return 1.0 / (1.0 + np.exp(-(c1 + v @ W1 + h2 @ W2.T)))
    ### END SOLUTION


# %% grader="p_h1_given_v_h2"
@given(dbm=_dbms())
def matches_enumeration(dbm):
    """P(h¹_j = 1 | v, h²) equals the conditional mean of h¹ in the brute-force joint."""
    v, h1, h2, p = _joint(dbm)
    V, H2 = all_binary(dbm.n_visible), all_binary(dbm.n_hidden2)
    for h2_value in H2:
        want = []
        for v_value in V:
            sel = np.all(v == v_value, axis=1) & np.all(h2 == h2_value, axis=1)
            want.append((p[sel][:, None] * h1[sel]).sum(axis=0) / p[sel].sum())
        got = student.p_h1_given_v_h2(V, np.tile(h2_value, (len(V), 1)), dbm.W1, dbm.W2, dbm.c1)
        assert_close(got, np.array(want), f"p_h1_given_v_h2 over all v with h2 = {h2_value}")


# %% [markdown]
# ## 2. One mean-field sweep (2 points)
#
# Mean field approximates p(h¹, h² | v) by independent units with means μ¹, μ². Each
# update is the exact maximiser of the bound over one layer with the other held fixed
# (lesson §3), so a sweep updates the layers *in turn*:
#
#     μ¹ ← σ(c¹ + vW¹ + μ²W²ᵀ),   then   μ² ← σ(c² + μ¹W²)   with the *new* μ¹.
#
# Write `mean_field_sweep(v, mu1, mu2, W1, W2, c1, c2)`: from the current means
# (`mu1`, `mu2`), one sweep, returning the new pair (mu1, mu2). Repeated, it converges to
# a fixed point of the two equations.

# %% exercise="mean_field_sweep" points=2
def mean_field_sweep(v, mu1, mu2, W1, W2, c1, c2):
    """One sweep: μ¹ = σ(c¹ + vW¹ + μ²W²ᵀ), then μ² = σ(c² + μ¹W²) of the new μ¹; (mu1, mu2)."""
    ### BEGIN SOLUTION
    new1 = 1.0 / (1.0 + np.exp(-(c1 + v @ W1 + mu2 @ W2.T)))
    new2 = 1.0 / (1.0 + np.exp(-(c2 + new1 @ W2)))
    return new1, new2
    ### END SOLUTION


# %% grader="mean_field_sweep"
@given(dbm=_dbms(), data=st.data())
def is_one_coordinate_ascent_sweep(dbm, data):
    """From any (μ¹, μ²): μ¹ = σ(c¹ + vW¹ + μ²W²ᵀ), then μ² = σ(c² + μ¹W²) of the *new* μ¹."""
    V = all_binary(dbm.n_visible)
    mu1, mu2 = _means(dbm, data.draw, len(V))
    got = student.mean_field_sweep(V, mu1.copy(), mu2.copy(), *_params(dbm)[:2], dbm.c1, dbm.c2)
    assert len(got) == 2, "mean_field_sweep must return the pair (mu1, mu2)"
    want1 = dbm.p_h1_given_v_h2(V, mu2)  # the conditional, at the means of h²
    assert_close(got[0], want1, "mu1 after one sweep")
    want2, stale = dbm.p_h2_given_h1(want1), dbm.p_h2_given_h1(mu1)
    new2 = np.asarray(got[1], dtype=np.float64)
    if new2.shape == stale.shape and not np.allclose(want2, stale) and np.allclose(new2, stale):
        raise AssertionError(
            "mu2 was computed from the old mu1: update mu2 = σ(c² + μ¹W²) with the mu1 of "
            "this sweep (a parallel update can lower the bound)"
        )
    assert_close(new2, want2, "mu2 after one sweep (from the new mu1)")


@given(dbm=_dbms())
def never_lowers_the_bound(dbm):
    """Sweeps from the bottom-up start only raise the mean-field bound 𝓛, to a fixed point."""
    V = all_binary(dbm.n_visible)
    mu1, mu2 = dbm.mean_field(V, n_iter=0)
    before = _bound(dbm, V, mu1, mu2)
    for sweep in range(5):
        mu1, mu2 = student.mean_field_sweep(V, mu1, mu2, dbm.W1, dbm.W2, dbm.c1, dbm.c2)
        after = _bound(dbm, V, np.asarray(mu1, dtype=np.float64), np.asarray(mu2, dtype=np.float64))
        worst = int(np.argmin(after - before))
        assert after[worst] >= before[worst] - 1e-9, (
            f"sweep {sweep + 1} lowered the bound for v = {V[worst]} from {before[worst]:.6f} "
            f"to {after[worst]:.6f}"
        )
        before = after
    want1, want2 = dbm.mean_field(V, n_iter=5)
    assert_close(mu1, want1, "mu1 after five sweeps", tol=1e-7)
    assert_close(mu2, want2, "mu2 after five sweeps", tol=1e-7)


# %% [markdown]
# ## 3. The mean-field lower bound (3 points)
#
# For any means μ¹, μ² in (0, 1), with H(μ) = −Σ [μ log μ + (1 − μ) log(1 − μ)],
#
#     log p(v) + log Z ≥ 𝓛 = vᵀb + μ¹ᵀc¹ + μ²ᵀc² + vᵀW¹μ¹ + μ¹ᵀW²μ² + H(μ¹) + H(μ²),
#
# the expected negative energy under q plus the entropy of q, and the gap is KL(q ‖ p(h|v))
# (lesson §3). Write `mean_field_bound(v, mu1, mu2, W1, W2, b, c1, c2)`, the unnormalized
# bound 𝓛 of shape (N,).

# %% exercise="mean_field_bound" points=3
def mean_field_bound(v, mu1, mu2, W1, W2, b, c1, c2):
    """𝓛 = vᵀb + μ¹ᵀc¹ + μ²ᵀc² + vᵀW¹μ¹ + μ¹ᵀW²μ² + H(μ¹) + H(μ²), of shape (n_samples,)."""
    ### BEGIN SOLUTION
    def entropy(mu):
        return -(mu * np.log(mu) + (1 - mu) * np.log(1 - mu)).sum(axis=1)

    energy_term = v @ b + mu1 @ c1 + mu2 @ c2 + ((v @ W1) * mu1).sum(1) + ((mu1 @ W2) * mu2).sum(1)
    return energy_term + entropy(mu1) + entropy(mu2)
    ### END SOLUTION


# %% grader="mean_field_bound"
@given(dbm=_dbms(), data=st.data())
def gap_is_the_kl_divergence(dbm, data):
    """log p(v) + log Z − 𝓛 = KL(q ‖ p(h¹, h² | v)), by enumeration, for any means and every v."""
    V = all_binary(dbm.n_visible)
    mu1, mu2 = _means(dbm, data.draw, len(V))
    v_all, h1, h2, _ = _joint(dbm)
    h = np.concatenate([h1, h2], axis=1)
    want = []
    for i, v_value in enumerate(V):
        sel = np.all(v_all == v_value, axis=1)
        log_unnorm = -dbm.energy(v_all[sel], h1[sel], h2[sel])  # log p(v, h) + log Z
        log_post = log_softmax(log_unnorm)
        mu = np.concatenate([mu1[i], mu2[i]])
        log_q = np.log(np.where(h[sel] == 1, mu, 1 - mu)).sum(axis=1)
        kl = float(np.sum(np.exp(log_q) * (log_q - log_post)))
        want.append(float(logsumexp(log_unnorm)) - kl)
    got = student.mean_field_bound(V, mu1, mu2, *_params(dbm))
    assert_close(got, np.array(want), "mean_field_bound (log p(v) + log Z − KL) over all v", tol=1e-7)


@given(dbm=_dbms(), data=st.data())
def is_a_bound_tight_at_a_factorised_posterior(dbm, data):
    """𝓛 − log Z ≤ log p(v), with equality when W² = 0 and q is the exact posterior."""
    V = all_binary(dbm.n_visible)
    mu1, mu2 = _means(dbm, data.draw, len(V))
    log_p = dbm.log_prob_exact(V)
    got = np.asarray(student.mean_field_bound(V, mu1, mu2, *_params(dbm)), dtype=np.float64)
    got = got.reshape(-1) - dbm.log_partition_exact()
    assert got.shape == log_p.shape, f"mean_field_bound has shape {got.shape}, not {log_p.shape}"
    worst = int(np.argmax(got - log_p))
    assert got[worst] <= log_p[worst] + 1e-9, (
        f"for v = {V[worst]} the bound 𝓛 − log Z = {got[worst]:.6f} exceeds "
        f"log p(v) = {log_p[worst]:.6f}"
    )
    dbm.W2 = np.zeros_like(dbm.W2)  # h¹ and h² decouple: p(h¹, h² | v) factorises
    mu1 = dbm.p_h1_given_v_h2(V, np.zeros((len(V), dbm.n_hidden2)))
    mu2 = np.tile(dbm.p_h2_given_h1(mu1[:1]), (len(V), 1))
    got = student.mean_field_bound(V, mu1, mu2, *_params(dbm))
    want = dbm.log_prob_exact(V) + dbm.log_partition_exact()
    assert_close(got, want, "mean_field_bound at the exact posterior of a DBM with W2 = 0 "
                 "(should equal log p(v) + log Z)", tol=1e-7)


# %% [markdown]
# ## 4. The partition function with v and h² summed out (2 points)
#
# Given h¹, the negative energy splits into a part in v and a part in h², so both sum out
# in closed form, one unit at a time (lesson §2):
#
#     log Z = log Σ_{h¹} exp( c¹ᵀh¹ + Σᵢ softplus(bᵢ + (W¹h¹)ᵢ) + Σₖ softplus(c²ₖ + (h¹ᵀW²)ₖ) ),
#
# 2ᵐ terms instead of 2ⁿ⁺ᵐ⁺ᵏ. Write `log_partition(W1, W2, b, c1, c2)` returning log Z as
# a float, by enumerating the 2ᵐ states of h¹ (`itertools.product([0.0, 1.0], repeat=m)`).
# It must stay finite for large weights: take softplus as `np.logaddexp(0, t)` and the log
# of the sum as max + log Σ exp(· − max).

# %% exercise="log_partition" points=2
def log_partition(W1, W2, b, c1, c2):
    """log Z = log Σ_{h¹} exp(c¹ᵀh¹ + Σ_i softplus(b + W¹h¹)_i + Σ_k softplus(c² + h¹ᵀW²)_k)."""
    ### BEGIN SOLUTION
    H1 = np.array(list(itertools.product([0.0, 1.0], repeat=W1.shape[1])))
    a = H1 @ c1
    a = a + np.logaddexp(0, H1 @ W1.T + b).sum(axis=1)  # v summed out
    a = a + np.logaddexp(0, H1 @ W2 + c2).sum(axis=1)  # h² summed out
    top = a.max()
    return float(top + np.log(np.exp(a - top).sum()))
    ### END SOLUTION


# %% grader="log_partition"
@given(dbm=_dbms())
def is_the_log_sum_over_every_state(dbm):
    """log Z = log Σ_{v, h¹, h²} exp(−E(v, h¹, h²)), by enumerating all three layers."""
    n, m = dbm.n_visible, dbm.n_hidden1
    S = all_binary(n + m + dbm.n_hidden2)
    want = float(logsumexp(-dbm.energy(S[:, :n], S[:, n : n + m], S[:, n + m :])))
    got = student.log_partition(*_params(dbm))
    assert_close(np.float64(got), want, "log_partition(W1, W2, b, c1, c2)")


@given(dbm=_dbms(scale=1.0), big=st.sampled_from([300.0, 1000.0]))
def does_not_overflow(dbm, big):
    """log Z stays finite and exact (tinygen's DBM.log_partition_exact) for weights up to 1000."""
    for name in ("W1", "W2", "c1", "c2"):
        setattr(dbm, name, getattr(dbm, name) * big)
    got = np.float64(student.log_partition(*_params(dbm)))
    assert np.isfinite(got), (
        f"log_partition returned {got} for weights of size {big:g}: write softplus as "
        "np.logaddexp(0, t) and the log of the sum as max + log Σ exp(· − max)"
    )
    assert_close(got, dbm.log_partition_exact(), "log_partition with large weights", tol=1e-9)


# %% [markdown]
# ## 5. The sigmoid belief net's importance-sampled log-likelihood (2 points)
#
# With k samples h_s ~ q(h | v) of the recognition model, log weights
# log w_s = log p(v, h_s) − log q(h_s | v) and
#
#     log p̂_k(v) = log (1/k) Σ_s w_s = logsumexp_s(log w_s) − log k
#
# is a lower bound on log p(v) in expectation that tightens as k grows (lesson §7). The log
# weights of a 784-pixel image are hundreds of nats below zero: compute it without
# overflow or underflow. Write `log_p_hat(log_joint, log_q)` for `log_joint` = log p(v, h_s)
# and `log_q` = log q(h_s | v), both of shape (k, N) (the k samples of one image are one
# column), returning shape (N,).

# %% exercise="log_p_hat" points=2
def log_p_hat(log_joint, log_q):
    """log (1/k) Σ_s exp(log_joint[s] − log_q[s]) over the first axis, stably; shape (N,)."""
    ### BEGIN SOLUTION
    log_w = log_joint - log_q
    top = log_w.max(axis=0)
    return top + np.log(np.exp(log_w - top).sum(axis=0)) - np.log(len(log_w))
    ### END SOLUTION


# %% grader="log_p_hat"
@st.composite
def _sbns(draw):
    """A SigmoidBeliefNet with one or two hidden layers and random p and q."""
    sizes = draw(st.lists(st.integers(1, 3), min_size=2, max_size=3), label="layer_sizes")
    seed = draw(st.integers(0, 2**16), label="seed")
    sbn = SigmoidBeliefNet(sizes, random_state=seed)
    rng = np.random.default_rng(seed)
    sbn.W, sbn.R = ([rng.normal(0, 2.0, w.shape) for w in ws] for ws in (sbn.W, sbn.R))
    sbn.c, sbn.d = ([rng.normal(0, 1.0, a.shape) for a in bs] for bs in (sbn.c, sbn.d))
    sbn.b = rng.normal(0, 1.0, sbn.b.shape)
    return sbn


def _samples(sbn, k, seed):
    """k samples h_s ~ q(h | v) for every v: (V, log p(v, h_s), log q(h_s | v)), (k, 2ⁿ)."""
    V = all_binary(sbn.layer_sizes[0])
    Vk = np.repeat(V[None], k, axis=0)
    H, log_q = sbn.sample_q(Vk, np.random.default_rng(seed))
    return V, sbn.log_joint(Vk, H), log_q


@given(sbn=_sbns(), k=st.integers(1, 20), seed=st.integers(0, 2**16))
def agrees_with_tinygen_sbn(sbn, k, seed):
    """log p̂_k(v) equals SigmoidBeliefNet.log_prob_is for the same k samples of q, every v."""
    V, log_joint, log_q = _samples(sbn, k, seed)
    want = sbn.log_prob_is(V, k=k, random_state=seed)
    assert_close(student.log_p_hat(log_joint, log_q), want, f"log_p_hat with k = {k}")


@given(sbn=_sbns(), k=st.integers(1, 20), seed=st.integers(0, 2**16))
def is_exact_when_q_is_the_posterior(sbn, k, seed):
    """With q(h | v) = p(h | v) every weight is p(v), so log p̂_k(v) = log p(v) for any k."""
    V, log_joint, _ = _samples(sbn, k, seed)
    log_p = sbn.log_prob_exact(V)
    log_post = log_joint - log_p[None]  # log p(h_s | v)
    assert_close(student.log_p_hat(log_joint, log_post), log_p,
                 f"log_p_hat with the exact posterior as q and k = {k} (should be log p(v))")


@given(shift=st.floats(-1000, 1000), k=st.integers(1, 50))
def is_stable_for_large_log_weights(shift, k):
    """Shifting every log weight by a constant shifts log p̂ by that constant, without overflow."""
    log_joint = np.linspace(-3.0, 3.0, k)[:, None] + shift
    log_q = np.linspace(0.0, -1.0, k)[:, None]
    want = float(logsumexp(log_joint[:, 0] - log_q[:, 0])) - np.log(k)
    assert_close(student.log_p_hat(log_joint, log_q), [want],
                 f"log_p_hat of log weights near {shift:g}")
