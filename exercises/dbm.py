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
# shape (n, m) and `W2` of shape (m, k), biases `b`, `c1`, `c2`, and the energy
#
#     E(v, h¹, h²) = −vᵀb − h¹ᵀc¹ − h²ᵀc² − vᵀW¹h¹ − h¹ᵀW²h²,   p = e^{−E} / Z.
#
# Rows of `v` (shape (N, n)), `h1`, `mu1` (N, m) and `h2`, `mu2` (N, k) are samples. The
# grader checks your functions against brute-force enumeration of every (v, h¹, h²) of a
# tiny DBM, with tinygen's `DBM` as the reference.

# %%
import numpy as np

# %% grader="*"
import hypothesis.strategies as st
from hypothesis import given
from hypothesis.extra import numpy as hnp

from tinygen.exercises.checks import assert_close
from tinygen.models import DBM
from tinygen.models._enumerate import all_binary
from tinygen.numerics import log_softmax, logsumexp, sigmoid


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


def _means(dbm, draw):
    el = st.floats(0.01, 0.99, allow_nan=False)
    mu1 = draw(hnp.arrays(np.float64, (1, dbm.n_hidden1), elements=el), label="mu1")
    mu2 = draw(hnp.arrays(np.float64, (1, dbm.n_hidden2), elements=el), label="mu2")
    return mu1, mu2


# %% [markdown]
# ## 1. The first hidden layer given its two neighbours (2 points)
#
# The layers of a DBM split into the odd {h¹} and the even {v, h²}; given the even layers
# the units of h¹ are independent and each is a logistic regression on *both* of its
# neighbours:  P(h¹ⱼ = 1 | v, h²) = σ(c¹ⱼ + Σᵢ vᵢ W¹ᵢⱼ + Σₖ W²ⱼₖ h²ₖ)  (lesson §2). Write
# `p_h1_given_v_h2(v, h2, W1, W2, c1)` returning an array of shape (N, m).

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
# (lesson §3):
#
#     μ¹ ← σ(c¹ + vW¹ + μ²W²ᵀ),   then   μ² ← σ(c² + μ¹W²)   with the *new* μ¹.
#
# Write `mean_field_sweep(v, mu2, W1, W2, c1, c2)` returning the pair (mu1, mu2).

# %% exercise="mean_field_sweep" points=2
def mean_field_sweep(v, mu2, W1, W2, c1, c2):
    """One sweep: μ¹ = σ(c¹ + vW¹ + μ²W²ᵀ), then μ² = σ(c² + μ¹W²); returns (mu1, mu2)."""
    ### BEGIN SOLUTION
    mu1 = 1.0 / (1.0 + np.exp(-(c1 + v @ W1 + mu2 @ W2.T)))
    mu2 = 1.0 / (1.0 + np.exp(-(c2 + mu1 @ W2)))
    return mu1, mu2
    ### END SOLUTION


# %% grader="mean_field_sweep"
@given(dbm=_dbms(), data=st.data())
def is_one_coordinate_ascent_sweep(dbm, data):
    """A sweep from any μ² gives μ¹ = σ(c¹ + vW¹ + μ²W²ᵀ) and μ² = σ(c² + μ¹W²) of that μ¹."""
    _, mu2 = _means(dbm, data.draw)
    v = all_binary(dbm.n_visible)[-1:]
    mu1_new, mu2_new = student.mean_field_sweep(v, mu2, *_params(dbm)[:2], dbm.c1, dbm.c2)
    want1 = sigmoid(dbm.c1 + v @ dbm.W1 + mu2 @ dbm.W2.T)
    assert_close(mu1_new, want1, "mu1 after one sweep")
    assert_close(mu2_new, sigmoid(dbm.c2 + want1 @ dbm.W2), "mu2 after one sweep (from the new mu1)")


@given(dbm=_dbms())
def never_lowers_the_bound(dbm):
    """Each sweep can only raise the mean-field bound 𝓛 (tinygen's DBM computes 𝓛)."""
    v = all_binary(dbm.n_visible)[-1:]
    mu1, mu2 = dbm.mean_field(v, n_iter=0)
    before = dbm._bound(v, mu1, mu2)[0]
    for sweep in range(5):
        mu1, mu2 = student.mean_field_sweep(v, mu2, dbm.W1, dbm.W2, dbm.c1, dbm.c2)
        after = dbm._bound(v, mu1, mu2)[0]
        assert after >= before - 1e-9, f"sweep {sweep + 1} lowered the bound from {before} to {after}"
        before = after


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
    """log p(v) + log Z − 𝓛 = KL(q ‖ p(h¹, h² | v)), by enumeration, for any means."""
    mu1, mu2 = _means(dbm, data.draw)
    v_all, h1, h2, p = _joint(dbm)
    v = all_binary(dbm.n_visible)[-1:]
    sel = np.all(v_all == v[0], axis=1)
    post = p[sel] / p[sel].sum()
    mu = np.concatenate([mu1[0], mu2[0]])
    h = np.concatenate([h1[sel], h2[sel]], axis=1)
    q = np.prod(np.where(h == 1, mu, 1 - mu), axis=1)
    kl = float(np.sum(q * (np.log(q) - np.log(post))))
    log_unnorm = float(logsumexp(-dbm.energy(v_all[sel], h1[sel], h2[sel])))
    got = student.mean_field_bound(v, mu1, mu2, *_params(dbm))
    assert_close(np.asarray(got).reshape(-1), [log_unnorm - kl], "mean_field_bound", tol=1e-7)


# %% [markdown]
# ## 4. The sigmoid belief net's importance-sampled log-likelihood (2 points)
#
# With k samples h_s ~ q(h | v) and log weights log w_s = log p(v, h_s) − log q(h_s | v),
#
#     log p̂_k(v) = log (1/k) Σ_s w_s
#
# is a lower bound on log p(v) in expectation that tightens as k grows (lesson §7). The log
# weights of a 784-pixel image are in the hundreds of nats below zero: compute it without
# overflow or underflow. Write `log_p_hat(log_w)` for `log_w` of shape (k, N), returning
# shape (N,).

# %% exercise="log_p_hat" points=2
def log_p_hat(log_w):
    """log (1/k) Σ_s exp(log_w[s]) over the first axis, stably; of shape (n_samples,)."""
    ### BEGIN SOLUTION
    m = log_w.max(axis=0)
    return m + np.log(np.mean(np.exp(log_w - m), axis=0))
    ### END SOLUTION


# %% grader="log_p_hat"
@given(
    log_w=hnp.arrays(
        np.float64,
        st.tuples(st.integers(1, 6), st.integers(1, 4)),
        elements=st.floats(-30, 30, allow_nan=False),
    )
)
def is_the_log_mean_of_the_weights(log_w):
    """log p̂_k = log((1/k) Σ_s w_s) (k samples of one image are one column)."""
    want = np.log(np.mean(np.exp(log_w), axis=0))
    assert_close(student.log_p_hat(log_w), want, "log_p_hat(log_w)")


@given(shift=st.floats(-1000, 1000), k=st.integers(1, 50))
def is_stable_for_large_log_weights(shift, k):
    """Shifting every log weight by a constant shifts log p̂ by that constant, without overflow."""
    log_w = np.linspace(-3.0, 3.0, k)[:, None] + shift
    want = float(logsumexp(log_w[:, 0])) - np.log(k)
    assert_close(student.log_p_hat(log_w), [want], f"log_p_hat of log weights near {shift:g}")
