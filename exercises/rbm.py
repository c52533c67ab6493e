# ---
# jupyter:
#   jupytext:
#     text_representation:
#       extension: .py
#       format_name: percent
# ---

# %% [markdown]
# # Graded exercises: restricted Boltzmann machines
#
# Companion to the lesson `rbm` (`tinygen lesson rbm`). The RBM has binary visible units
# v ∈ {0,1}ⁿ, binary hidden units h ∈ {0,1}ᵐ, weights `W` of shape (n, m), visible biases
# `b` of shape (n,), hidden biases `c` of shape (m,), and the energy
#
#     E(v, h) = −vᵀb − hᵀc − vᵀWh,      p(v, h) = e^{−E(v, h)} / Z.
#
# Rows of `v` (shape (N, n)) and `h` (shape (N, m)) are samples. The grader checks your
# functions against brute-force enumeration of every (v, h) of a tiny RBM.

# %%
import numpy as np

# %% grader="*"
import hypothesis.strategies as st
from hypothesis import given
from hypothesis.extra import numpy as hnp

from tinygen.exercises.checks import assert_close
from tinygen.models._enumerate import all_binary
from tinygen.numerics import log_softmax, logsumexp


@st.composite
def _rbms(draw, max_visible=4, max_hidden=3, scale=3.0):
    """(W, b, c) of a tiny RBM with entries in [−scale, scale]."""
    n = draw(st.integers(1, max_visible), label="n_visible")
    m = draw(st.integers(1, max_hidden), label="n_hidden")
    el = st.floats(-scale, scale, allow_nan=False)
    W = draw(hnp.arrays(np.float64, (n, m), elements=el), label="W")
    b = draw(hnp.arrays(np.float64, (n,), elements=el), label="b")
    c = draw(hnp.arrays(np.float64, (m,), elements=el), label="c")
    return W, b, c


def _energy(v, h, W, b, c):
    return -(v @ b) - (h @ c) - ((v @ W) * h).sum(axis=1)


def _joint(W, b, c):
    """All (v, h) pairs with their probabilities: V (K, n), H (K, m), p (K,)."""
    n, m = W.shape
    V, H = all_binary(n), all_binary(m)
    VV, HH = np.repeat(V, len(H), axis=0), np.tile(H, (len(V), 1))
    return VV, HH, np.exp(log_softmax(-_energy(VV, HH, W, b, c)))


def _conditional_mean(target, given, values, p):
    """E[target | given = value] under the enumerated joint p, one row per value."""
    rows = []
    for value in values:
        sel = np.all(given == value, axis=1)
        rows.append((p[sel][:, None] * target[sel]).sum(axis=0) / p[sel].sum())
    return np.array(rows)




# %% [markdown]
# ## 1. The hidden units given the visible ones (2 points)
#
# Because there are no hidden–hidden connections, p(h | v) factorises and each unit is a
# logistic regression on v:  P(hⱼ = 1 | v) = σ(cⱼ + Σᵢ vᵢ Wᵢⱼ)  (lesson §2). Write
# `p_h_given_v(v, W, c)` returning an array of shape (N, m).

# %% exercise="p_h_given_v" points=2
def p_h_given_v(v, W, c):
    """P(h_j = 1 | v) = σ(c_j + (v W)_j), of shape (n_samples, n_hidden)."""
    ### BEGIN SOLUTION
    return 1.0 / (1.0 + np.exp(-(v @ W + c)))
    ### END SOLUTION


# %% grader="p_h_given_v"
@given(rbm=_rbms())
def matches_enumeration(rbm):
    """P(h_j = 1 | v) equals the marginal of the brute-force joint p(v, h), for every v."""
    W, b, c = rbm
    VV, HH, p = _joint(W, b, c)
    V = all_binary(W.shape[0])
    want = _conditional_mean(HH, given=VV, values=V, p=p)
    assert_close(student.p_h_given_v(V, W, c), want, "p_h_given_v(v, W, c) over all v")


# %% [markdown]
# ## 2. The visible units given the hidden ones (2 points)
#
# By the same argument, P(vᵢ = 1 | h) = σ(bᵢ + Σⱼ Wᵢⱼ hⱼ). Write `p_v_given_h(h, W, b)`
# returning an array of shape (N, n). Mind which axis of `W` the hidden units index.

# %% exercise="p_v_given_h" points=2
def p_v_given_h(h, W, b):
    """P(v_i = 1 | h) = σ(b_i + (W h)_i), of shape (n_samples, n_visible)."""
    ### BEGIN SOLUTION
    return 1.0 / (1.0 + np.exp(-(h @ W.T + b)))
    ### END SOLUTION


# %% grader="p_v_given_h"
@given(rbm=_rbms())
def matches_enumeration(rbm):
    """P(v_i = 1 | h) equals the marginal of the brute-force joint p(v, h), for every h."""
    W, b, c = rbm
    VV, HH, p = _joint(W, b, c)
    H = all_binary(W.shape[1])
    want = _conditional_mean(VV, given=HH, values=H, p=p)
    assert_close(student.p_v_given_h(H, W, b), want, "p_v_given_h(h, W, b) over all h")


# %% [markdown]
# ## 3. The free energy (3 points)
#
# Summing the hidden units out of e^{−E(v, h)} one at a time gives the free energy
# F(v) = −log Σₕ e^{−E(v, h)} in closed form:
#
#     F(v) = −vᵀb − Σⱼ softplus(cⱼ + (vW)ⱼ),     softplus(a) = log(1 + eᵃ),
#
# so p(v) = e^{−F(v)} / Z (lesson §3). Write `free_energy(v, W, b, c)` of shape (N,).
# It must not overflow for large weights: log(1 + eᵃ) = max(a, 0) + log1p(e^{−|a|}).

# %% exercise="free_energy" points=3
def free_energy(v, W, b, c):
    """F(v) = −vᵀb − Σ_j softplus(c_j + (vW)_j), of shape (n_samples,)."""
    ### BEGIN SOLUTION
    a = v @ W + c
    softplus = np.maximum(a, 0) + np.log1p(np.exp(-np.abs(a)))
    return -(v @ b) - softplus.sum(axis=1)
    ### END SOLUTION


# %% grader="free_energy"
@given(rbm=_rbms())
def is_minus_log_sum_over_h(rbm):
    """F(v) = −log Σ_h exp(−E(v, h)), by enumerating every h, for every v."""
    W, b, c = rbm
    V, H = all_binary(W.shape[0]), all_binary(W.shape[1])
    want = []
    for v in V:
        e = -_energy(np.repeat(v[None], len(H), axis=0), H, W, b, c)
        want.append(-logsumexp(e))
    assert_close(student.free_energy(V, W, b, c), np.array(want), "free_energy(v) over all v")


@given(rbm=_rbms(scale=1.0), big=st.sampled_from([500.0, 1000.0]))
def does_not_overflow(rbm, big):
    """F(v) stays finite and exact when the weights are scaled up to 1000."""
    W, b, c = rbm
    W, c = W * big, c * big
    V = all_binary(W.shape[0])
    got = np.asarray(student.free_energy(V, W, b, c), dtype=np.float64)
    a = V @ W + c
    want = -(V @ b) - np.logaddexp(0, a).sum(axis=1)
    assert np.all(np.isfinite(got)), (
        f"free_energy returned {got.tolist()} for weights of size {big:g}: log(1 + e^a) "
        "overflowed; write it as max(a, 0) + log1p(exp(−|a|))"
    )
    assert_close(got, want, "free_energy with large weights", tol=1e-9)


# %% [markdown]
# ## 4. The contrastive-divergence gradient (3 points)
#
# The log-likelihood gradient is a positive phase on the data minus a negative phase on
# samples of the model: with −∂F(v)/∂W = v P(h=1 | v)ᵀ, −∂F/∂b = v, −∂F/∂c = P(h=1 | v),
#
#     ∂ log p/∂θ ≈ mean over data of (−∂F/∂θ) − mean over model samples of (−∂F/∂θ).
#
# CD-k takes the model samples from k Gibbs steps started at the data (lesson §4). Write
# `cd_gradient(v_data, v_model, W, b, c)` returning (dW, db, dc), the estimate above for the
# two batches given (which may have different sizes), of the shapes of W, b and c.

# %% exercise="cd_gradient" points=3
def cd_gradient(v_data, v_model, W, b, c):
    """(dW, db, dc): positive phase on ``v_data`` minus negative phase on ``v_model``."""
    ### BEGIN SOLUTION
    ph_data = 1.0 / (1.0 + np.exp(-(v_data @ W + c)))
    ph_model = 1.0 / (1.0 + np.exp(-(v_model @ W + c)))
    dW = v_data.T @ ph_data / len(v_data) - v_model.T @ ph_model / len(v_model)
    db = v_data.mean(axis=0) - v_model.mean(axis=0)
    dc = ph_data.mean(axis=0) - ph_model.mean(axis=0)
    return dW, db, dc
    ### END SOLUTION


# %% grader="cd_gradient"
def _mean_neg_free_energy(v, W, b, c):
    return float(np.mean(v @ b + np.logaddexp(0, v @ W + c).sum(axis=1)))


@given(rbm=_rbms(), sizes=st.tuples(st.integers(1, 5), st.integers(1, 5)), data=st.data())
def is_the_gradient_of_the_free_energy_difference(rbm, sizes, data):
    """(dW, db, dc) = ∇_θ [mean −F(v_data) − mean −F(v_model)], by central differences."""
    W, b, c = rbm
    n = W.shape[0]
    bits = hnp.arrays(np.float64, (sizes[0], n), elements=st.sampled_from([0.0, 1.0]))
    v_data = data.draw(bits, label="v_data")
    v_model = data.draw(
        hnp.arrays(np.float64, (sizes[1], n), elements=st.sampled_from([0.0, 1.0])),
        label="v_model",
    )
    got = student.cd_gradient(v_data, v_model, W, b, c)
    assert len(got) == 3, "cd_gradient must return the three arrays (dW, db, dc)"
    params = [W, b, c]
    for k, (name, g) in enumerate(zip(["dW", "db", "dc"], got)):
        g = np.asarray(g, dtype=np.float64)
        want = np.zeros_like(params[k])
        for idx in np.ndindex(params[k].shape):
            step = np.zeros_like(params[k])
            step[idx] = 1e-6
            up = [p + step if i == k else p for i, p in enumerate(params)]
            dn = [p - step if i == k else p for i, p in enumerate(params)]
            diff = (_mean_neg_free_energy(v_data, *up) - _mean_neg_free_energy(v_model, *up)) - (
                _mean_neg_free_energy(v_data, *dn) - _mean_neg_free_energy(v_model, *dn)
            )
            want[idx] = diff / 2e-6
        assert_close(g, want, f"{name} (positive minus negative phase)", tol=1e-5)

